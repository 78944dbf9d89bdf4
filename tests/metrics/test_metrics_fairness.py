"""Fairness correlations against scipy.stats."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mechsim.errors import ParameterError
from mechsim.metrics import fairness_report, pearson, spearman


@pytest.mark.parametrize("seed", range(5))
def test_pearson_and_spearman_match_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    c = rng.normal(size=12)
    x = 0.5 * c + rng.normal(size=12)
    assert pearson(c, x) == pytest.approx(stats.pearsonr(c, x).statistic, abs=1e-12)
    assert spearman(c, x) == pytest.approx(stats.spearmanr(c, x).statistic, abs=1e-12)


def test_spearman_with_ties_matches_scipy() -> None:
    c = np.array([1, 2, 2, 3, 5, 5, 5, 8], dtype=float)
    x = np.array([3, 1, 4, 1, 5, 9, 2, 6], dtype=float)
    assert spearman(c, x) == pytest.approx(stats.spearmanr(c, x).statistic, abs=1e-12)


def test_rows_and_broadcasting() -> None:
    rng = np.random.default_rng(9)
    c = rng.normal(size=6)
    x = rng.normal(size=(4, 6))
    rho = pearson(c, x)
    rho_s = spearman(c, x)
    assert rho.shape == rho_s.shape == (4,)
    for r in range(4):
        assert rho[r] == pytest.approx(stats.pearsonr(c, x[r]).statistic, abs=1e-12)
        assert rho_s[r] == pytest.approx(stats.spearmanr(c, x[r]).statistic, abs=1e-12)


def test_monotone_but_nonlinear() -> None:
    c = np.arange(1.0, 8.0)
    x = np.exp(c)
    assert spearman(c, x) == pytest.approx(1.0)
    assert pearson(c, x) < 0.95
    assert pearson(c, -x) == pytest.approx(-pearson(c, x))


@pytest.mark.parametrize(
    "c, x",
    [
        ([0.1, 0.2, 0.3], [0.1, 0.1, 0.1]),  # FedAvg: every node has the same model
        ([0.1, 0.1, 0.1], [1.0, 2.0, 3.0]),
        ([0.7] * 5, [0.7] * 5),
        ([1.0], [2.0]),
        ([1.0, float("nan"), 2.0], [1.0, 2.0, 3.0]),
    ],
)
def test_undefined_is_nan(c, x) -> None:
    assert math.isnan(pearson(c, x))
    assert math.isnan(spearman(c, x))


def test_constant_row_is_nan_others_defined() -> None:
    rho = pearson([1.0, 2.0, 3.0], [[0.5, 0.5, 0.5], [1.0, 2.0, 4.0]])
    assert math.isnan(rho[0])
    assert rho[1] == pytest.approx(stats.pearsonr([1, 2, 3], [1, 2, 4]).statistic)


def test_report() -> None:
    c, x = [0.3, 0.1, 0.2, 0.4], [0.8, 0.5, 0.7, 0.9]
    report = fairness_report(c, x)
    assert report["n_nodes"] == 4
    assert report["pearson"] == pytest.approx(stats.pearsonr(c, x).statistic)
    assert report["spearman"] == pytest.approx(1.0)
    assert report["defined"] is True
    fedavg = fairness_report(c, [0.9] * 4)
    assert math.isnan(fedavg["pearson"]) and math.isnan(fedavg["spearman"])
    assert fedavg["defined"] is False


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: pearson([1.0, 2.0], [1.0, 2.0, 3.0]), r"'reward' parameter of pearson must have the shape of 'contribution' \(2,\)"),
        (lambda: spearman([], []), r"'contribution' parameter of spearman must be a float array"),
        (lambda: pearson(["a", "b"], [1.0, 2.0]), r"'contribution' parameter of pearson"),
        (lambda: pearson(1.0, 2.0), r"'contribution' parameter of pearson"),
        (lambda: fairness_report([[1.0, 2.0]], [[1.0, 2.0]]), r"fairness_report must be of shape \(n,\)"),
    ],
)
def test_bad_arguments(call, match) -> None:
    with pytest.raises(ParameterError, match=match):
        call()
