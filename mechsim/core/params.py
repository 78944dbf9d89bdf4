"""Declared parameter constraints, checked with one message form.

Components keep their settings as keyword arguments stored verbatim by ``__init__``
(scikit-learn style) and declare a class attribute ``_parameter_constraints`` mapping
each parameter name to a :class:`Constraint`. :func:`validate_params` checks them when
the component is used (``reset``), and the scenario parser checks the same table at
parse time so that a bad file is rejected with the file and key named.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechsim.errors import ParameterError

__all__ = [
    "Constraint",
    "Real",
    "Integer",
    "Boolean",
    "Options",
    "String",
    "StringList",
    "RealArray",
    "IntArray",
    "Nullable",
    "AnyOf",
    "Table",
    "validate_params",
    "check_value",
    "refusal_note",
    "MAX_REAL",
    "component_params",
]


class Constraint:
    """Checks one value; ``convert`` returns the normalised value or raises ``TypeError``/``ValueError``."""

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def convert(self, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{self.describe()}>"


def _fmt_bound(x: float | None, inf: str) -> str:
    if x is None:
        return inf
    if isinstance(x, float) and x.is_integer():
        return repr(x)
    return str(x)


#: The largest magnitude a real may have on a side its constraint leaves unbounded. Past it,
#: squares and products overflow to ``inf`` and tables fill with ``nan``; a component that
#: needs more declares an explicit bound.
MAX_REAL = 1e15
#: Integers must fit numpy's int64 (the tables' int type and every array index).
INT64_MAX = 2**63 - 1


@dataclass(frozen=True, repr=False)
class _Interval(Constraint):
    """An interval. Unbounded sides are finite by default: ``|x| <= MAX_REAL`` (reals) or
    int64 (ints). ``inf`` itself is allowed only where an unbounded side is declared closed
    (``Real(0, None, closed="right")`` is ``(0, inf]``)."""

    low: float | None = None
    high: float | None = None
    closed: str = "both"  # "both", "left", "right", "neither"

    def _inf_ok(self, x: float) -> bool:
        if x == math.inf:
            return self.high is None and self.closed == "right"
        if x == -math.inf:
            return self.low is None and self.closed == "left"
        return False

    def _in_range(self, x: float) -> bool:
        if isinstance(x, float) and math.isinf(x):
            return self._inf_ok(x)
        cap = INT64_MAX if isinstance(x, int) else MAX_REAL
        lo_ok = x >= -cap if self.low is None else (x >= self.low if self.closed in ("both", "left") else x > self.low)
        hi_ok = x <= cap if self.high is None else (x <= self.high if self.closed in ("both", "right") else x < self.high)
        return lo_ok and hi_ok

    def _range(self) -> str:
        if self.low is None and self.high is None:
            return ""
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        return f" in {left}{_fmt_bound(self.low, '-inf')}, {_fmt_bound(self.high, 'inf')}{right}"


@dataclass(frozen=True, repr=False)
class Real(_Interval):
    """A real number, optionally in an interval. Integers are accepted and converted to float."""

    def describe(self) -> str:
        return "a float" + self._range()

    def convert(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError
        x = float(value)
        if math.isnan(x) or not self._in_range(x):
            raise ValueError
        return x


@dataclass(frozen=True, repr=False)
class Integer(_Interval):
    """An integer, optionally in an interval. Floats are refused (``1.0`` is not a count)."""

    def describe(self) -> str:
        return "an int" + self._range()

    def convert(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError
        x = int(value)
        if not self._in_range(x):
            raise ValueError
        return x


@dataclass(frozen=True, repr=False)
class Boolean(Constraint):
    def describe(self) -> str:
        return "a bool"

    def convert(self, value: Any) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError
        return bool(value)


@dataclass(frozen=True, repr=False)
class String(Constraint):
    def describe(self) -> str:
        return "a str"

    def convert(self, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError
        return value


@dataclass(frozen=True, repr=False)
class Options(Constraint):
    """One of a fixed set of values (usually strings)."""

    options: tuple[Any, ...] = ()

    def describe(self) -> str:
        return "one of " + ", ".join(repr(o) for o in self.options)

    def convert(self, value: Any) -> Any:
        if isinstance(value, bool) and not any(isinstance(o, bool) for o in self.options):
            raise TypeError
        try:
            ok = value in self.options
        except TypeError:
            ok = False
        if not ok:
            raise ValueError
        return value


@dataclass(frozen=True, repr=False)
class RealArray(_Interval):
    """A non-empty list of reals (a 1-D float array), each optionally in an interval.

    ``ndim=2`` accepts a list of equal-length lists. The value is stored as a tuple
    (hashable, frozen); components turn it into an array in ``reset``.
    """

    min_len: int = 1
    ndim: int = 1

    def describe(self) -> str:
        shape = "list of floats" if self.ndim == 1 else "list of equal-length lists of floats"
        extra = f" (at least {self.min_len})" if self.min_len > 1 else ""
        return f"a {shape}{extra}" + (f", each{self._range()}" if self._range() else "")

    def _elem(self, v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError
        x = float(v)
        if math.isnan(x) or not self._in_range(x):
            raise ValueError
        return x

    def convert(self, value: Any) -> tuple:
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise TypeError
        if self.ndim == 1:
            out = tuple(self._elem(v) for v in value)
            if len(out) < self.min_len:
                raise ValueError
            return out
        rows = []
        for row in value:
            if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
                raise TypeError
            rows.append(tuple(self._elem(v) for v in row))
        if len(rows) < self.min_len or len({len(r) for r in rows}) > 1 or (rows and len(rows[0]) == 0):
            raise ValueError
        return tuple(rows)


@dataclass(frozen=True, repr=False)
class IntArray(_Interval):
    """A non-empty list of ints, each optionally in an interval; stored as a tuple."""

    min_len: int = 1

    def describe(self) -> str:
        extra = f" (at least {self.min_len})" if self.min_len > 1 else ""
        return f"a list of ints{extra}" + (f", each{self._range()}" if self._range() else "")

    def convert(self, value: Any) -> tuple:
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise TypeError
        out = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError
            if not self._in_range(int(v)):
                raise ValueError
            out.append(int(v))
        if len(out) < self.min_len:
            raise ValueError
        return tuple(out)


@dataclass(frozen=True, repr=False)
class Nullable(Constraint):
    """``None`` or a value accepted by ``inner``."""

    inner: Constraint = String()

    def describe(self) -> str:
        return f"{self.inner.describe()} or None"

    def convert(self, value: Any) -> Any:
        if value is None:
            return None
        return self.inner.convert(value)


@dataclass(frozen=True, repr=False)
class AnyOf(Constraint):
    """A value accepted by the first matching constraint."""

    choices: tuple[Constraint, ...] = ()

    def describe(self) -> str:
        return " or ".join(c.describe() for c in self.choices)

    def convert(self, value: Any) -> Any:
        for c in self.choices:
            try:
                return c.convert(value)
            except (TypeError, ValueError):
                continue
        raise ValueError


class StringList(Constraint):
    """A list of strings, kept as a tuple."""

    def describe(self) -> str:
        return "a list of str"

    def convert(self, value: Any) -> tuple:
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise TypeError
        return tuple(value)


@dataclass(frozen=True, repr=False)
class Table(Constraint):
    """A TOML table (mapping of str to values), kept as a sorted tuple of pairs."""

    def describe(self) -> str:
        return "a table"

    def convert(self, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise TypeError
        return tuple(sorted(value.items()))


def _got(value: Any) -> str:
    r = repr(value)
    if len(r) > 80:
        r = r[:77] + "..."
    return r


def _huge(value: Any) -> bool:
    if isinstance(value, (list, tuple, np.ndarray)):
        return any(_huge(v) for v in np.asarray(value, dtype=object).ravel())
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return (isinstance(value, numbers.Integral) and abs(int(value)) > INT64_MAX) or (
        not isinstance(value, numbers.Integral) and not abs(float(value)) <= MAX_REAL
    )


def refusal_note(constraint: Constraint, value: Any) -> str:
    """Why a number no bound of ``constraint`` excludes was refused anyway ("" when that is not the reason)."""
    unbounded = isinstance(constraint, _Interval) and (constraint.low is None or constraint.high is None)
    if isinstance(constraint, (Nullable, AnyOf)):
        inner = (constraint.inner,) if isinstance(constraint, Nullable) else constraint.choices
        unbounded = any(isinstance(c, _Interval) and (c.low is None or c.high is None) for c in inner)
    if not unbounded or not _huge(value):
        return ""
    return (
        f" (numbers must be finite: reals at most {MAX_REAL:.0e} in magnitude, integers within int64, "
        "where the parameter declares no bound)"
    )


def check_value(constraint: Constraint, value: Any, *, name: str, owner: str) -> Any:
    """Check one value; raise :class:`ParameterError` in the project's message form."""
    try:
        return constraint.convert(value)
    except (TypeError, ValueError):
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be {constraint.describe()}. Got {_got(value)} instead."
            + refusal_note(constraint, value),
            parameter=name,
            owner=owner,
        ) from None


def validate_params(obj: Any) -> dict[str, Any]:
    """Validate the public settings of ``obj`` against ``type(obj)._parameter_constraints``.

    Returns the converted values (tuples for arrays). Raises :class:`ParameterError`.
    """
    cls = type(obj)
    constraints: Mapping[str, Constraint] = getattr(cls, "_parameter_constraints", {})
    out = {}
    for name, constraint in constraints.items():
        out[name] = check_value(constraint, getattr(obj, name), name=name, owner=cls.__name__)
    return out


def component_params(cls: type | Callable) -> dict[str, tuple[Constraint | None, Any]]:
    """The keyword parameters of a component class: ``{name: (constraint, default)}``.

    ``default`` is :data:`inspect.Parameter.empty` for required parameters.
    """
    target = cls.__init__ if isinstance(cls, type) else cls
    sig = inspect.signature(target)
    constraints: Mapping[str, Constraint] = getattr(cls, "_parameter_constraints", {})
    params = {}
    for p in sig.parameters.values():
        if p.name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        params[p.name] = (constraints.get(p.name), p.default)
    return params

