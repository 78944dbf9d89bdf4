"""Mechanisms and their statistics, checked against independent computations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from mechsim.collab.base import Submission
from mechsim.collab.contributions import coalition_game, estimate_contributions
from mechsim.collab.mechanisms import CGSV, FairEqual, FedAvg, sparsify_top
from mechsim.collab.stats import hotelling_stop, hotelling_t2, selection_probabilities
from mechsim.errors import ParameterError


def _sub(updates, reported=None, available=None, weights=None, t=0, evaluate=None):
    n, p = updates.shape
    reported = np.ones(n, bool) if reported is None else reported
    available = np.ones(n, bool) if available is None else available
    weights = np.full(n, 1.0 / n) if weights is None else weights
    return Submission(t, np.where(reported[:, None], updates, 0.0), reported, reported.copy(), available, weights, np.zeros(p), evaluate)


# -- Hotelling T² ------------------------------------------------------------------------


def test_hotelling_one_dimension_is_the_squared_t_test():
    x = np.random.default_rng(0).normal(0.3, 1.0, size=(25, 1))
    t2, f, p = hotelling_t2(x, np.array([0.0]))
    ref = stats.ttest_1samp(x[:, 0], 0.0)
    assert t2 == pytest.approx(ref.statistic**2)
    assert f == pytest.approx(ref.statistic**2)
    assert p == pytest.approx(ref.pvalue)


def test_hotelling_p_values_are_uniform_under_the_null():
    rng = np.random.default_rng(1)
    cov = np.array([[1.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 0.5]])
    ps = [hotelling_t2(rng.multivariate_normal(np.ones(3), cov, size=20), np.ones(3))[2] for _ in range(600)]
    assert np.mean(np.array(ps) < 0.1) == pytest.approx(0.1, abs=0.035)
    assert np.mean(np.array(ps) < 0.5) == pytest.approx(0.5, abs=0.06)


def test_hotelling_matches_the_textbook_formula():
    x = np.random.default_rng(2).normal(size=(12, 3)) + [0.5, 0.0, -0.2]
    n, d = x.shape
    diff = x.mean(0)
    s = (x - x.mean(0)).T @ (x - x.mean(0)) / (n - 1)
    t2 = n * diff @ np.linalg.inv(s) @ diff
    p = 1 - stats.f.cdf((n - d) / (d * (n - 1)) * t2, d, n - d)
    got = hotelling_t2(x, np.zeros(3))
    assert got[0] == pytest.approx(t2) and got[2] == pytest.approx(p)


def test_hotelling_stop_rule():
    rng = np.random.default_rng(3)
    assert hotelling_stop(rng.normal(size=(10, 2)), window=10, alpha=0.7) == (False, pytest.approx(math.nan, nan_ok=True))
    steady = 0.5 + 0.01 * rng.normal(size=(40, 3))
    stop, p = hotelling_stop(steady, window=15, alpha=0.1)
    assert stop and p > 0.1
    trend = np.linspace(0, 5, 40)[:, None] + 0.01 * rng.normal(size=(40, 3))
    assert hotelling_stop(trend, window=15, alpha=0.1)[0] is False


# -- selection ----------------------------------------------------------------------------


def test_selection_probabilities_softmax_and_ablations():
    psi = np.array([0.3, 0.1, 0.2, 0.4])
    avail = np.array([True, True, False, True])
    p = selection_probabilities(psi, 10.0, avail)
    e = np.exp(10 * np.array([0.3, 0.1, 0.4]))
    assert p[2] == 0 and np.allclose(p[[0, 1, 3]], e / e.sum())
    assert np.allclose(selection_probabilities(psi, 0.0, np.ones(4, bool)), 0.25)
    assert np.allclose(selection_probabilities(psi, 10.0, np.ones(4, bool), "uniform"), 0.25)
    rev = selection_probabilities(psi, 10.0, np.ones(4, bool), "reverse")
    fwd = selection_probabilities(psi, 10.0, np.ones(4, bool))
    assert np.allclose(np.sort(rev), np.sort(fwd)) and np.argmax(rev) == np.argmin(psi)
    assert np.allclose(selection_probabilities(np.array([np.nan, 1.0]), 5.0, np.ones(2, bool)), 0.5)
    assert not selection_probabilities(psi, 1.0, np.zeros(4, bool)).any()


def test_exploitation_selects_k_nodes_more_often_the_better_their_estimate():
    mech = FairEqual(beta=20.0, selection_ratio=0.4, explore_rounds=1)
    mech.reset(n_agents=5, n_params=3, weights=np.full(5, 0.2), rng=np.random.default_rng(0))
    mech.step(0, _sub(np.zeros((5, 3))))  # one exploration round on zero updates
    mech.psi_hat_ = np.array([0.05, 0.1, 0.2, 0.25, 0.4])
    counts = np.zeros(5)
    for t in range(1, 2001):
        plan = mech.select(t, np.ones(5, bool))
        assert plan.train.sum() == 2 and np.array_equal(plan.train, plan.sync)
        counts += plan.train
    assert np.all(np.diff(counts) > 0)
    plan = mech.select(1, np.array([True, False, False, False, False]))
    assert plan.train.tolist() == [True, False, False, False, False]


# -- contributions ------------------------------------------------------------------------


def _brute_shapley(v, n):
    phi = np.zeros(n)
    perms = list(itertools.permutations(range(n)))
    for order in perms:
        seen: list[int] = []
        for i in order:
            phi[i] += v(seen + [i]) - v(seen)
            seen.append(i)
    return phi / len(perms)


def test_cosine_contributions_equal_brute_force_shapley_and_null_players_get_zero():
    rng = np.random.default_rng(4)
    g = rng.normal(size=(4, 7))
    w = np.array([0.1, 0.2, 0.3, 0.4])
    reported = np.array([True, True, False, True])
    gn = (w * reported) @ g

    def v(s):
        s = [i for i in s if reported[i]]
        if not s:
            return 0.0
        x = w[s] @ g[s]
        return float(x @ gn / np.linalg.norm(x) / np.linalg.norm(gn))

    game = coalition_game(np.where(reported[:, None], g, 0), w, reported)
    phi = estimate_contributions(game, "exact", 1, np.random.default_rng(0))
    assert np.allclose(phi, _brute_shapley(v, 4))
    assert phi[2] == 0.0 and phi.sum() == pytest.approx(1.0)


def test_validation_utility_scores_the_coalition_model():
    rng = np.random.default_rng(5)
    target = np.ones(3)
    g = np.array([[1.0, 1.0, 1.0], [0.5, 0.5, 0.5], [-1.0, 0.0, 2.0]])
    w = np.full(3, 1 / 3)
    evaluate = lambda x: -float(np.sum((x - target) ** 2))  # noqa: E731
    game = coalition_game(g, w, np.ones(3, bool), utility="validation", params=np.zeros(3), evaluate=evaluate)
    assert game([]) == 0.0
    assert game([0]) == pytest.approx(evaluate(g[0]) - evaluate(np.zeros(3)))
    assert game([0, 1]) == pytest.approx(evaluate((g[0] + g[1]) / 2) - evaluate(np.zeros(3)))
    phi = estimate_contributions(game, "permutation", 50, rng)
    assert phi[0] > phi[1] > phi[2]


# -- mechanisms ---------------------------------------------------------------------------


def test_fedavg_averages_reported_updates_by_data_size_and_syncs_everyone():
    mech = FedAvg()
    w = np.array([0.5, 0.3, 0.2])
    mech.reset(n_agents=3, n_params=2, weights=w, rng=np.random.default_rng(0))
    avail = np.array([True, True, False])
    plan = mech.select(0, avail)
    assert plan.train.tolist() == plan.sync.tolist() == avail.tolist()
    g = np.array([[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
    out = mech.step(0, _sub(g, reported=np.array([True, True, False]), available=avail, weights=w))
    assert np.allclose(out.aggregate, (0.5 * g[0] + 0.3 * g[1]) / 0.8)
    assert np.all(np.isnan(out.scores)) and out.allocation.tolist() == avail.tolist()


def test_sparsify_top_matches_brute_force():
    rng = np.random.default_rng(6)
    v = rng.normal(size=11)
    q = np.array([0.0, 0.3, 0.5, 1.0])
    out = sparsify_top(v, q, (6, 5))
    for i, qi in enumerate(q):
        for a, b in ((0, 6), (6, 11)):
            k = math.ceil(qi * (b - a))
            keep = set(np.argsort(-np.abs(v[a:b]))[:k])
            expected = [v[a + j] if j in keep else 0.0 for j in range(b - a)]
            assert np.allclose(out[i, a:b], expected)


def test_cgsv_round_matches_a_hand_computation():
    rng = np.random.default_rng(7)
    g = rng.normal(size=(3, 4))
    w = np.array([0.2, 0.3, 0.5])
    mech = CGSV(beta=2.0, alpha=0.9, gamma=0.5, floor=1e-3, layerwise=False)
    mech.reset(n_agents=3, n_params=4, weights=w, rng=np.random.default_rng(0))
    plan = mech.select(0, np.ones(3, bool))
    assert plan.train.all() and not plan.sync.any()
    out = mech.step(0, _sub(g, weights=w))
    u = 0.5 * g / np.linalg.norm(g, axis=1, keepdims=True)
    un = w @ u
    psi = u @ un / np.linalg.norm(u, axis=1) / np.linalg.norm(un)
    r = np.maximum(0.1 * psi, 1e-3)
    r /= r.sum()
    q = np.tanh(2 * r) / np.tanh(2 * r).max()
    assert np.allclose(out.aggregate, un)
    assert np.allclose(out.info["contributions"], psi)
    assert np.allclose(out.scores, r) and np.allclose(out.rewards, q)
    assert np.allclose(out.reward_updates, sparsify_top(un, q, (4,)))
    # the second round aggregates with the reputations
    out2 = mech.step(1, _sub(g, weights=w))
    assert np.allclose(out2.aggregate, (r / r.sum()) @ u)


def test_fair_equal_explores_then_exploits_with_stale_models():
    rng = np.random.default_rng(8)
    n, p = 6, 5
    mech = FairEqual(beta=5.0, selection_ratio=0.5, explore_rounds=4, estimator="exact")
    w = np.full(n, 1 / n)
    mech.reset(n_agents=n, n_params=p, weights=w, rng=np.random.default_rng(1))
    direction = rng.normal(size=p)
    for t in range(4):
        plan = mech.select(t, np.ones(n, bool))
        assert plan.train.all() and plan.sync.all()
        g = direction + np.linspace(0, 2, n)[:, None] * rng.normal(size=(n, p))
        out = mech.step(t, _sub(g, weights=w, t=t))
        assert out.info["stage"] == 1 and np.allclose(out.aggregate, w @ g)
    assert mech.stage_ == 2 and mech.stop_round_ == 4
    plan = mech.select(4, np.ones(n, bool))
    assert plan.train.sum() == 3 and np.array_equal(plan.train, plan.sync)
    g = rng.normal(size=(n, p))
    out = mech.step(4, Submission(4, np.where(plan.train[:, None], g, 0), plan.train, plan.train, np.ones(n, bool), w, np.zeros(p)))
    assert out.info["stage"] == 2 and np.all(np.isnan(out.info["contributions"]))
    assert np.allclose(out.aggregate, (w * plan.train) @ g)  # not renormalised, as the official code
    assert out.allocation.tolist() == plan.train.tolist()


def test_mechanism_parameters_are_checked_at_reset():
    with pytest.raises(ParameterError, match=r"The 'beta' parameter of FairEqual must be a float in \[0.0, inf\). Got -1.0 instead."):
        FairEqual(beta=-1.0).reset(n_agents=3, n_params=2, weights=np.full(3, 1 / 3), rng=np.random.default_rng(0))
    with pytest.raises(ParameterError, match="'utility' parameter of FairEqual"):
        FairEqual(utility="accuracy").reset(n_agents=3, n_params=2, weights=np.full(3, 1 / 3), rng=np.random.default_rng(0))
    with pytest.raises(ParameterError, match="'gamma' parameter of CGSV"):
        CGSV(gamma=0.0).reset(n_agents=3, n_params=2, weights=np.full(3, 1 / 3), rng=np.random.default_rng(0))
