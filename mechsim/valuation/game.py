"""A cooperative game: a memoised utility over coalitions of players ``0 .. n-1``.

Coalitions are handed to the user's utility as a ``frozenset`` of player indices (or,
with ``as_mask=True``, as a boolean array of shape ``(n,)``). Inside the package a
coalition is an ``int`` bit mask (bit ``i`` set when player ``i`` is in), which is
also the cache key and the index convention of :meth:`Game.from_values`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from mechsim.core.params import Boolean, Integer, Nullable, Real, check_value
from mechsim.errors import ParameterError

__all__ = ["Game", "Coalition"]

#: What a coalition may be given as: indices (any iterable of ints) or a boolean mask.
Coalition = Iterable[int] | np.ndarray


class Game:
    """A memoised cooperative game ``v: 2^N -> R`` with ``N = {0, .., n_players - 1}``.

    Every coalition is evaluated at most once (with ``cache=True``), so an estimator
    that meets the same coalition twice costs one utility call; ``n_evaluations``
    counts the calls actually made, which is the cost to report for expensive
    utilities (a model trained per coalition).

    Parameters
    ----------
    utility : callable
        ``utility(coalition) -> float``. It receives a ``frozenset[int]`` of player
        indices, or a boolean array of shape ``(n_players,)`` when ``as_mask`` is
        true. It must return a finite real number.
    n_players : int
        Number of players, at least 1.
    empty_value : float or None, default None
        ``v(∅)`` without calling ``utility`` (useful when a model cannot be
        trained on no data). ``None`` calls ``utility`` on the empty coalition.
    as_mask : bool, default False
        Pass coalitions to ``utility`` as boolean masks instead of frozensets.
    cache : bool, default True
        Memoise evaluated coalitions. Switch off only for a noisy utility that
        should be re-drawn at each query.

    Attributes
    ----------
    n_evaluations : int
        Calls of ``utility`` made so far.
    n_queries : int
        Coalition values asked for so far (cache hits included).

    Examples
    --------
    >>> g = Game(lambda s: float(len(s)) ** 2, 3)
    >>> g({0, 1}), g([1, 0]), g.n_evaluations
    (4.0, 4.0, 1)
    """

    def __init__(
        self,
        utility: Callable[[Any], float],
        n_players: int,
        *,
        empty_value: float | None = None,
        as_mask: bool = False,
        cache: bool = True,
    ) -> None:
        # A game is a value, not a swept component, so it is checked at construction.
        if not callable(utility):
            raise ParameterError(
                f"The 'utility' parameter of Game must be a callable. Got {type(utility).__name__} instead."
            )
        self.utility = utility
        self.n_players = check_value(Integer(1, None), n_players, name="n_players", owner="Game")
        self.empty_value = check_value(Nullable(Real()), empty_value, name="empty_value", owner="Game")
        self.as_mask = check_value(Boolean(), as_mask, name="as_mask", owner="Game")
        self.cache = check_value(Boolean(), cache, name="cache", owner="Game")
        self._values: dict[int, float] = {}
        self._n_evaluations = 0
        self._n_queries = 0

    # -- construction helpers -------------------------------------------------------

    @classmethod
    def from_values(cls, values: Any) -> Game:
        """A game given by the table of all ``2**n`` coalition values.

        Parameters
        ----------
        values : (2**n,) array-like of float
            ``values[b]`` is ``v(S)`` for the coalition whose bit mask is ``b``
            (player ``i`` is in ``S`` when bit ``i`` of ``b`` is set); ``values[0]``
            is ``v(∅)``.
        """
        table = np.asarray(values, dtype=float)
        size = table.shape[0] if table.ndim == 1 else 0
        if table.ndim != 1 or size < 2 or size & (size - 1) or not np.all(np.isfinite(table)):
            raise ParameterError(
                "The 'values' parameter of Game.from_values must be a 1-D array of finite floats whose "
                f"length is a power of two >= 2. Got shape {table.shape} instead."
            )
        return cls(_TableUtility(table), size.bit_length() - 1, empty_value=float(table[0]))

    # -- coalitions -----------------------------------------------------------------

    @property
    def grand_coalition(self) -> frozenset[int]:
        """All players, ``{0, .., n_players - 1}``."""
        return frozenset(range(self.n_players))

    def to_bits(self, coalition: Coalition) -> int:
        """The bit mask of a coalition given as indices or as a boolean mask of shape (n,)."""
        n = self.n_players
        if isinstance(coalition, np.ndarray) and coalition.dtype == bool:
            if coalition.shape != (n,):
                raise ParameterError(
                    f"A boolean coalition mask of this game must have shape ({n},). Got shape {coalition.shape} instead."
                )
            return sum(1 << int(i) for i in np.flatnonzero(coalition))
        if isinstance(coalition, (str, bytes)) or not isinstance(coalition, Iterable):
            raise ParameterError(
                "A coalition must be an iterable of player indices or a boolean mask. "
                f"Got {type(coalition).__name__} instead."
            )
        bits = 0
        for i in coalition:
            if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)) or not 0 <= i < n:
                raise ParameterError(f"A coalition of this game holds player indices in [0, {n - 1}]. Got {i!r} instead.")
            bits |= 1 << int(i)
        return bits

    def from_bits(self, bits: int) -> frozenset[int]:
        """The coalition (a frozenset of indices) of a bit mask."""
        return frozenset(i for i in range(self.n_players) if bits >> i & 1)

    # -- evaluation -----------------------------------------------------------------

    def __call__(self, coalition: Coalition) -> float:
        """``v(coalition)``; see :meth:`value`."""
        return self.value(coalition)

    def value(self, coalition: Coalition) -> float:
        """``v(coalition)`` for a coalition given as indices or a boolean mask of shape (n,)."""
        return self._value_bits(self.to_bits(coalition))

    def _value_bits(self, bits: int) -> float:
        self._n_queries += 1
        if self.cache:
            cached = self._values.get(bits)
            if cached is not None:
                return cached
        if bits == 0 and self.empty_value is not None:
            out = self.empty_value
        else:
            out = self._call(bits)
        if self.cache:
            self._values[bits] = out
        return out

    def _call(self, bits: int) -> float:
        if self.as_mask:
            arg: Any = np.array([bool(bits >> i & 1) for i in range(self.n_players)])
        else:
            arg = self.from_bits(bits)
        self._n_evaluations += 1
        raw = self.utility(arg)
        try:
            out = float(raw)
        except (TypeError, ValueError):
            out = math.nan
        if not math.isfinite(out):
            raise ParameterError(
                "The 'utility' parameter of Game must return a finite float. "
                f"Got {raw!r} for coalition {sorted(self.from_bits(bits))} instead."
            )
        return out

    # -- bookkeeping ----------------------------------------------------------------

    @property
    def n_evaluations(self) -> int:
        return self._n_evaluations

    @property
    def n_queries(self) -> int:
        return self._n_queries

    @property
    def cache_size(self) -> int:
        """Number of coalitions held in the cache."""
        return len(self._values)

    def clear_cache(self) -> None:
        """Forget evaluated coalitions (the counters keep running)."""
        self._values.clear()

    def reset_counters(self) -> None:
        """Set ``n_evaluations`` and ``n_queries`` back to zero (the cache is kept)."""
        self._n_evaluations = 0
        self._n_queries = 0

    def __repr__(self) -> str:
        name = getattr(self.utility, "__name__", type(self.utility).__name__)
        return f"Game({name}, n_players={self.n_players}, cached={self.cache_size}, evaluations={self.n_evaluations})"


class _TableUtility:
    """The utility of :meth:`Game.from_values`: a lookup by bit mask."""

    def __init__(self, table: np.ndarray) -> None:
        self.table = table

    def __call__(self, coalition: frozenset[int]) -> float:
        return float(self.table[sum(1 << i for i in coalition)])
