"""Float-to-integer conversion: exact totals, each entry within one unit, largest remainders win."""

from __future__ import annotations

import contextlib
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechsim.errors import ParameterError
from mechsim.ledger import UNIT, from_units, split_units, to_units

amounts = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False), max_size=30)


def _check_largest_remainder(exact: list[Fraction], got: list[int]) -> None:
    """Independent check: each entry is its exact value rounded down or up, only entries with a
    remainder are rounded up, and every rounded-up remainder is at least every rounded-down one."""
    floors = [math.floor(x) for x in exact]
    up = [g - f for g, f in zip(got, floors)]
    assert set(up) <= {0, 1}
    rem = [x - f for x, f in zip(exact, floors)]
    assert all(r > 0 for r, u in zip(rem, up) if u)
    if 0 < sum(up) < len(up):
        assert min(r for r, u in zip(rem, up) if u) >= max(r for r, u in zip(rem, up) if not u)


@settings(max_examples=60, deadline=None)
@given(amounts)
def test_to_units_conserves_the_exact_total(xs):
    got = to_units(xs)
    exact = [Fraction(x) * UNIT for x in xs]
    assert sum(got) == round(sum(exact))
    _check_largest_remainder(exact, got)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**24), st.lists(st.floats(0, 1e3, allow_nan=False), min_size=1, max_size=30))
def test_split_units_sums_to_total(total, ws):
    if sum(ws) == 0:
        with pytest.raises(ParameterError, match="all zero") if total else contextlib.nullcontext():
            split_units(total, ws)
        return
    got = split_units(total, ws)
    assert sum(got) == total
    mass = sum(Fraction(w) for w in ws)
    _check_largest_remainder([Fraction(w) * total / mass for w in ws], got)


def test_known_values_and_tie_break_to_the_earlier_entry():
    assert split_units(10, [1, 1, 1]) == [4, 3, 3]
    assert split_units(2, {"a": 1, "b": 1, "c": 1}) == {"a": 1, "b": 1, "c": 0}
    assert split_units(100, [0.5, 0.25, 0.25]) == [50, 25, 25]
    assert to_units([0.1, 0.2], unit=10) == [1, 2]
    assert to_units({"x": 1.5}, unit=1) == {"x": 2}  # round half to even of the total: 2
    assert to_units(np.array([1 / 3] * 3), unit=1) == [1, 0, 0]  # total 1; ties to the first
    assert to_units([1.0, 2.5]) == [10**18, 25 * 10**17]
    assert from_units(25 * 10**17) == 2.5


def test_conversion_is_order_free_and_deterministic():
    xs = [0.1] * 10 + [1e-18, 3.3, 7.7]
    assert to_units(xs) == to_units(list(xs))
    assert sum(to_units(xs)) == sum(to_units(xs[::-1]))


@pytest.mark.parametrize("bad", [[-1.0], [float("nan")], [float("inf")], ["1"], [True]])
def test_bad_amounts_are_refused(bad):
    with pytest.raises(ParameterError, match="non-negative real"):
        to_units(bad)


def test_bad_parameters_are_refused():
    with pytest.raises(ParameterError, match="'unit' parameter of to_units"):
        to_units([1.0], unit=0)
    with pytest.raises(ParameterError, match="'total' parameter of split_units"):
        split_units(-1, [1])
    with pytest.raises(ParameterError, match="mapping or a sequence"):
        to_units("12")
