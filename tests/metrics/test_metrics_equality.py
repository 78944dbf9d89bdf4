"""Equality metrics against brute-force definitions and known cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mechsim.errors import ParameterError
from mechsim.metrics import coefficient_of_variation, equality_report, gini, jain, max_min_gap, std


def _gini_brute_force(x: np.ndarray) -> float:
    """Mean absolute difference over all ordered pairs, divided by twice the mean."""
    n = len(x)
    total = sum(abs(a - b) for a in x for b in x)
    return total / (2 * n * n * x.mean())


@pytest.mark.parametrize("seed", range(5))
def test_gini_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.exponential(size=int(rng.integers(2, 15)))
    assert gini(x) == pytest.approx(_gini_brute_force(x), abs=1e-12)


def test_gini_known_cases() -> None:
    assert gini([5.0, 5.0, 5.0]) == 0.0
    assert gini([0.0, 0.0, 0.0, 1.0]) == pytest.approx(3 / 4)  # (n - 1) / n
    assert gini([1.0, 3.0]) == pytest.approx(0.25)  # |1-3|*2 / (2*4*2)
    assert gini([0.0, 0.0]) == 0.0  # all zero counts as equal
    assert gini([7.0]) == 0.0
    x = np.array([0.2, 0.5, 0.9])
    assert gini(10 * x) == pytest.approx(gini(x))  # scale invariant


def test_per_time_rows() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0.1, 1.0, size=(6, 5))
    np.testing.assert_allclose(gini(x), [_gini_brute_force(row) for row in x], atol=1e-12)
    np.testing.assert_allclose(jain(x), [row.sum() ** 2 / (5 * (row**2).sum()) for row in x])
    np.testing.assert_allclose(max_min_gap(x), np.ptp(x, axis=1))
    np.testing.assert_allclose(std(x), [np.std(row) for row in x])
    np.testing.assert_allclose(std(x, ddof=1), [np.std(row, ddof=1) for row in x])
    np.testing.assert_allclose(coefficient_of_variation(x), [np.std(row) / np.mean(row) for row in x])
    assert gini(x).shape == (6,)


@pytest.mark.parametrize("seed", range(5))
def test_jain_bounds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 20))
    x = rng.exponential(size=(50, n)) * (rng.random((50, n)) < 0.7)
    j = jain(x)
    assert np.all(j >= 1 / n - 1e-12) and np.all(j <= 1 + 1e-12)


def test_jain_known_cases() -> None:
    assert jain([3.0, 3.0, 3.0]) == pytest.approx(1.0)
    assert jain([0.0, 0.0, 0.0, 2.0]) == pytest.approx(1 / 4)
    assert jain([1.0, 0.0]) == pytest.approx(0.5)
    assert jain([1.0, 2.0, 3.0]) == pytest.approx(36 / 42)
    assert jain([0.0, 0.0]) == 1.0


def test_scalar_results_are_floats() -> None:
    x = [0.1, 0.4, 0.3]
    for metric in (max_min_gap, std, coefficient_of_variation, gini, jain):
        assert isinstance(metric(x), float)
    assert max_min_gap(x) == pytest.approx(0.3)
    assert math.isnan(coefficient_of_variation([-1.0, 1.0]))


@pytest.mark.parametrize("metric", [gini, jain])
def test_negative_values_are_refused(metric) -> None:
    with pytest.raises(ParameterError, match=rf"'performance' parameter of {metric.__name__} must hold non-negative floats.*-0.5"):
        metric([0.2, -0.5, 1.0])


@pytest.mark.parametrize("metric", [max_min_gap, std, gini, jain, equality_report])
@pytest.mark.parametrize("bad", [[], 3.0, [["a"]]])
def test_bad_input(metric, bad) -> None:
    with pytest.raises(ParameterError, match=rf"'performance' parameter of {metric.__name__} must be a float array"):
        metric(bad)


def test_report_of_final_performance() -> None:
    x = np.array([0.6, 0.9, 0.75])
    report = equality_report(x)
    assert report["n_nodes"] == 3
    assert report["mean"] == pytest.approx(0.75)
    assert report["min"] == 0.6 and report["max"] == 0.9
    assert report["max_min_gap"] == pytest.approx(0.3)
    assert report["std"] == pytest.approx(np.std(x))
    assert report["cv"] == pytest.approx(np.std(x) / 0.75)
    assert report["gini"] == pytest.approx(_gini_brute_force(x))
    assert report["jain"] == pytest.approx(x.sum() ** 2 / (3 * (x**2).sum()))
    assert "n_rounds" not in report


def test_report_of_a_curve_reads_gaps_at_horizons() -> None:
    # 8 rounds; the gap of round t is 1 / (t + 1)
    gaps = 1.0 / np.arange(1, 9)
    curve = np.stack([np.full(8, 0.5), 0.5 + gaps], axis=1)
    report = equality_report(curve)
    assert report["n_rounds"] == 8
    assert report["max_min_gap_at_25pct"] == pytest.approx(gaps[1])  # row ceil(2) - 1
    assert report["max_min_gap_at_50pct"] == pytest.approx(gaps[3])
    assert report["max_min_gap_at_100pct"] == pytest.approx(gaps[7])
    assert report["max_min_gap"] == report["max_min_gap_at_100pct"]
    custom = equality_report(curve, horizons=[0.1])
    assert custom["max_min_gap_at_10pct"] == pytest.approx(gaps[0])


def test_report_with_negative_values_skips_gini_and_jain() -> None:
    report = equality_report([-1.0, 0.5, 2.0])
    assert math.isnan(report["gini"]) and math.isnan(report["jain"])
    assert report["max_min_gap"] == pytest.approx(3.0)


def test_report_bad_arguments() -> None:
    with pytest.raises(ParameterError, match=r"'horizons' parameter of equality_report must be a list of floats, each in \(0, 1\]"):
        equality_report(np.ones((4, 2)), horizons=[0.0])
    with pytest.raises(ParameterError, match=r"equality_report must be of shape \(n,\) or \(T, n\)\. Got shape \(2, 2, 2\)"):
        equality_report(np.ones((2, 2, 2)))
