"""Token units and exact float-to-integer conversion.

Ledger amounts are Python ``int`` in base units of an 18-decimals token, like wei:
``UNIT = 10**18`` base units make one token. Contracts and both ledgers only see
integers, so conservation is exact. Mechanisms usually produce float rewards; the two
helpers here turn them into integers deterministically, with largest-remainder
rounding so that the integers sum exactly to the intended total:

- :func:`to_units`: float token amounts to base units; the sum is the exact sum of the
  floats times ``unit``, rounded half-to-even once.
- :func:`split_units`: an integer budget split in proportion to non-negative weights;
  the sum is the budget.

Both work on the exact binary value of each float (:class:`fractions.Fraction`), so
the result does not depend on summation order. Remainder ties go to the earlier entry.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction
from typing import Any, TypeVar, overload

import numpy as np

from mechsim.errors import ParameterError

__all__ = ["UNIT", "DECIMALS", "to_units", "split_units", "from_units"]

DECIMALS = 18
UNIT = 10**DECIMALS
K = TypeVar("K", bound=Hashable)


def _exact(value: Any, what: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{what} must be a non-negative real number. Got {value!r} instead.")
    if isinstance(value, numbers.Integral):
        x = Fraction(int(value))
    else:
        f = float(value)
        if not math.isfinite(f):
            raise ParameterError(f"{what} must be a non-negative real number. Got {value!r} instead.")
        x = Fraction(f)
    if x < 0:
        raise ParameterError(f"{what} must be a non-negative real number. Got {value!r} instead.")
    return x


def _largest_remainder(exact: list[Fraction], total: int) -> list[int]:
    """Floors of ``exact`` plus one unit for the ``total - sum(floors)`` largest remainders."""
    floors = [math.floor(x) for x in exact]
    short = total - sum(floors)
    if not 0 <= short <= len(exact):  # pragma: no cover - guarded by the callers
        raise ParameterError(f"cannot round to a total of {total}")
    if short:
        # stable sort: among equal remainders the earlier entry gets the unit
        order = sorted(range(len(exact)), key=lambda i: exact[i] - floors[i], reverse=True)
        for i in order[:short]:
            floors[i] += 1
    return floors


def _items(values: Mapping[K, Any] | Sequence[Any] | np.ndarray) -> tuple[list[Any] | None, list[Any]]:
    if isinstance(values, Mapping):
        return list(values.keys()), list(values.values())
    if isinstance(values, np.ndarray):
        return None, values.ravel().tolist()
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ParameterError(f"expected a mapping or a sequence of numbers. Got {type(values).__name__} instead.")
    return None, list(values)


def _shape_like(keys: list[Any] | None, ints: list[int]) -> dict[Any, int] | list[int]:
    return ints if keys is None else dict(zip(keys, ints))


@overload
def to_units(amounts: Mapping[K, Any], *, unit: int = UNIT) -> dict[K, int]: ...
@overload
def to_units(amounts: Sequence[Any] | np.ndarray, *, unit: int = UNIT) -> list[int]: ...


def to_units(amounts: Any, *, unit: int = UNIT) -> Any:
    """Convert token amounts (floats) to integer base units, conserving the total exactly.

    Parameters
    ----------
    amounts : mapping of account to amount, or a 1-D sequence / array of amounts
        Non-negative, finite, in tokens.
    unit : int, default ``UNIT`` (``10**18``)
        Base units per token.

    Returns
    -------
    dict or list of int
        Same keys (or order) as ``amounts``. Their sum is ``round(sum(amounts) * unit)``
        computed exactly (half to even); each entry is its exact value rounded down or up.
    """
    if isinstance(unit, bool) or not isinstance(unit, numbers.Integral) or unit < 1:
        raise ParameterError(f"The 'unit' parameter of to_units must be an int in [1, inf). Got {unit!r} instead.")
    keys, values = _items(amounts)
    exact = [_exact(v, f"amounts[{i if keys is None else keys[i]!r}]") * int(unit) for i, v in enumerate(values)]
    total = round(sum(exact, Fraction(0)))
    return _shape_like(keys, _largest_remainder(exact, total))


@overload
def split_units(total: int, weights: Mapping[K, Any]) -> dict[K, int]: ...
@overload
def split_units(total: int, weights: Sequence[Any] | np.ndarray) -> list[int]: ...


def split_units(total: int, weights: Any) -> Any:
    """Split an integer ``total`` in proportion to non-negative ``weights``, exactly.

    Each share is ``total * w_i / sum(w)`` rounded down or up (largest remainder), and
    the shares sum to ``total``. Zero weights get zero. With all weights zero, only
    ``total == 0`` can be split.

    Parameters
    ----------
    total : int
        Base units to split, ``>= 0``.
    weights : mapping of account to weight, or a 1-D sequence / array of weights

    Returns
    -------
    dict or list of int
        Same keys (or order) as ``weights``.
    """
    if isinstance(total, bool) or not isinstance(total, numbers.Integral) or total < 0:
        raise ParameterError(f"The 'total' parameter of split_units must be an int in [0, inf). Got {total!r} instead.")
    keys, values = _items(weights)
    exact = [_exact(v, f"weights[{i if keys is None else keys[i]!r}]") for i, v in enumerate(values)]
    mass = sum(exact, Fraction(0))
    if mass == 0:
        if total != 0:
            raise ParameterError(f"cannot split a total of {total} over weights that are all zero")
        return _shape_like(keys, [0] * len(exact))
    shares = [x * int(total) / mass for x in exact]
    return _shape_like(keys, _largest_remainder(shares, int(total)))


def from_units(units: int, *, unit: int = UNIT) -> float:
    """Base units to tokens as a float, for tables and plots (not for accounting)."""
    return float(Fraction(int(units), int(unit)))
