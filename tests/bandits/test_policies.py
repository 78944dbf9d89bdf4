"""Unit tests of the textbook bandit policies: schedules, updates, parameters, determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mechsim.bandits.policies import (
    EXP3,
    EpsilonGreedy,
    ExploreFirst,
    LinUCB,
    MeanTracker,
    SuccessiveElimination,
    ThompsonBeta,
    ThompsonGaussian,
)
from mechsim.bandits.policies.epsilon_greedy import decaying_epsilon
from mechsim.bandits.policies.exp3 import default_eta
from mechsim.bandits.policies.explore_first import default_n_explore
from mechsim.bandits.policies.stats import sample_categorical
from mechsim.core.registry import ids, make
from mechsim.errors import ParameterError

POLICY_IDS = ids("bandits.policy")
RANDOMISED = ["bandits/epsilon-greedy-v1", "bandits/exp3-v1", "bandits/thompson-beta-v1", "bandits/thompson-gaussian-v1"]


def run_policy(policy, *, means=(0.8, 0.5, 0.3), n_reps=6, horizon=200, seed=0, env_seed=1, dim=None):
    """Drive a policy on Bernoulli rewards (or linear rewards when ``dim`` is given); return arms (T, R)."""
    env_rng = np.random.default_rng(env_seed)
    k = len(means)
    policy.reset(n_replications=n_reps, n_arms=k, horizon=horizon, rng=np.random.default_rng(seed), dim=dim)
    rows = np.arange(n_reps)
    out = np.empty((horizon, n_reps), dtype=np.int64)
    theta = np.ones(dim) / math.sqrt(dim) if dim else None
    for t in range(horizon):
        if dim:
            x = env_rng.standard_normal((n_reps, k, dim))
            x /= np.linalg.norm(x, axis=2, keepdims=True)
            arms = policy.select(t, x)
            rewards = x[rows, arms] @ theta + 0.1 * env_rng.standard_normal(n_reps)
        else:
            arms = policy.select(t)
            rewards = (env_rng.random(n_reps) < np.asarray(means)[arms]).astype(float)
        policy.update(t, arms, rewards)
        out[t] = arms
    return out


def default_policy_run(policy_id, **kw):
    policy = make(policy_id)
    return run_policy(policy, dim=3 if policy.needs_contexts else None, **kw)


# -- contract -------------------------------------------------------------------------


def test_all_textbook_policies_are_registered():
    expected = {
        "bandits/explore-first-v1",
        "bandits/epsilon-greedy-v1",
        "bandits/successive-elimination-v1",
        "bandits/ucb1-v1",
        "bandits/thompson-beta-v1",
        "bandits/thompson-gaussian-v1",
        "bandits/exp3-v1",
        "bandits/linucb-v1",
    }
    assert expected <= set(POLICY_IDS)
    assert make("bandits/linucb-v1").needs_contexts
    assert not any(make(i).needs_contexts for i in expected - {"bandits/linucb-v1"})


@pytest.mark.parametrize("policy_id", POLICY_IDS)
def test_select_shape_dtype_and_range(policy_id):
    arms = default_policy_run(policy_id, n_reps=7, horizon=50)
    assert arms.shape == (50, 7) and arms.dtype == np.int64
    assert arms.min() >= 0 and arms.max() < 3


@pytest.mark.parametrize("policy_id", POLICY_IDS)
def test_same_seed_same_arms(policy_id):
    assert np.array_equal(default_policy_run(policy_id, seed=4), default_policy_run(policy_id, seed=4))


@pytest.mark.parametrize("policy_id", RANDOMISED)
def test_randomised_policies_use_their_generator(policy_id):
    assert not np.array_equal(default_policy_run(policy_id, seed=4), default_policy_run(policy_id, seed=5))


@pytest.mark.parametrize(
    ("policy_id", "params", "match"),
    [
        ("bandits/ucb1-v1", {"alpha": -1.0}, r"The 'alpha' parameter of UCB1 must be a float in \[0.0, inf\)\. Got -1.0 instead\."),
        ("bandits/ucb1-v1", {"log_of": "round"}, r"The 'log_of' parameter of UCB1 must be one of 'horizon', 'time'\. Got 'round'"),
        ("bandits/explore-first-v1", {"n_explore": 0}, r"The 'n_explore' parameter of ExploreFirst must be an int in \[1, inf\) or None\. Got 0"),
        ("bandits/explore-first-v1", {"n_explore": 2.0}, r"'n_explore' parameter of ExploreFirst must be an int .* Got 2.0"),
        ("bandits/epsilon-greedy-v1", {"schedule": "linear"}, r"The 'schedule' parameter of EpsilonGreedy must be one of 'decaying', 'constant'\. Got 'linear'"),
        ("bandits/epsilon-greedy-v1", {"epsilon": 1.5}, r"The 'epsilon' parameter of EpsilonGreedy must be a float in \[0.0, 1.0\]\. Got 1.5"),
        ("bandits/successive-elimination-v1", {"alpha": -0.1}, r"'alpha' parameter of SuccessiveElimination must be a float in \[0.0, inf\)"),
        ("bandits/thompson-beta-v1", {"prior_alpha": 0.0}, r"The 'prior_alpha' parameter of ThompsonBeta must be a float in \(0.0, inf\)\. Got 0.0"),
        ("bandits/thompson-gaussian-v1", {"noise_std": -1.0}, r"The 'noise_std' parameter of ThompsonGaussian must be a float in \(0.0, inf\)"),
        ("bandits/thompson-gaussian-v1", {"prior_mean": "zero"}, r"The 'prior_mean' parameter of ThompsonGaussian must be a float\. Got 'zero'"),
        ("bandits/exp3-v1", {"eta": 0.0}, r"The 'eta' parameter of EXP3 must be a float in \(0.0, inf\) or None\. Got 0.0"),
        ("bandits/exp3-v1", {"gamma": 1.5}, r"The 'gamma' parameter of EXP3 must be a float in \[0.0, 1.0\]\. Got 1.5"),
        ("bandits/linucb-v1", {"delta": 1.0}, r"The 'delta' parameter of LinUCB must be a float in \(0.0, 1.0\)\. Got 1.0"),
        ("bandits/linucb-v1", {"reg": 0}, r"The 'reg' parameter of LinUCB must be a float in \(0.0, inf\)\. Got 0"),
    ],
)
def test_bad_parameters_are_refused_at_reset(policy_id, params, match):
    policy = make(policy_id, **params)  # __init__ only stores (scikit-learn style)
    with pytest.raises(ParameterError, match=match):
        policy.reset(n_replications=2, n_arms=3, horizon=10, rng=np.random.default_rng(0), dim=2)


def test_linucb_without_contexts_is_refused():
    with pytest.raises(ParameterError, match="LinUCB needs the context dimension 'dim'"):
        LinUCB().reset(n_replications=2, n_arms=3, horizon=10, rng=np.random.default_rng(0))
    policy = LinUCB()
    policy.reset(n_replications=2, n_arms=3, horizon=10, rng=np.random.default_rng(0), dim=2)
    with pytest.raises(ParameterError, match=r"needs the \(R, K, d\) contexts"):
        policy.select(0, None)


# -- shared kernels -------------------------------------------------------------------


def test_mean_tracker_scatter_adds_and_unpulled_value():
    m = MeanTracker(3, 4)
    m.add(np.array([0, 0, 3]), np.array([1.0, 0.5, 0.25]))
    m.add(np.array([0, 2, 3]), np.array([0.0, 1.0, 0.75]))
    assert np.array_equal(m.counts, [[2, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 2]])
    assert np.array_equal(m.means(unpulled=-1.0), [[0.5, -1, -1, -1], [0.5, -1, 1.0, -1], [-1, -1, -1, 0.5]])


def test_sample_categorical_is_the_inverse_cdf():
    rng = np.random.default_rng(0)
    p = rng.random((500, 6)) * (rng.random((500, 6)) < 0.7)  # some zero-probability arms
    p[:, 2] += 1e-3
    u = rng.random(500)
    want = [np.searchsorted(np.cumsum(row), x * row.sum(), side="right") for row, x in zip(p, u)]
    got = sample_categorical(p, u)
    assert np.array_equal(got, want)
    assert np.all(p[np.arange(500), got] > 0)
    assert np.array_equal(sample_categorical(np.array([[0.0, 0.0, 1.0]]), np.array([0.0])), [2])


def test_sample_categorical_frequencies():
    p = np.tile([0.1, 0.6, 0.3], (200_000, 1))
    counts = np.bincount(sample_categorical(p, np.random.default_rng(1).random(200_000)), minlength=3)
    assert np.allclose(counts / 200_000, [0.1, 0.6, 0.3], atol=0.004)  # ~4 standard errors


# -- explore-first --------------------------------------------------------------------


def test_explore_first_default_length_is_slivkins_formula():
    # (T/K)^(2/3) (ln T)^(1/3): 34.20 * 1.9045 = 65.1 -> 66; 736.8 * 2.2576 = 1663.4 -> 1664
    assert default_n_explore(1000, 5) == 66
    assert default_n_explore(100_000, 5) == 1664
    assert default_n_explore(1, 5) == 1


def test_explore_first_round_robin_then_commit():
    arms = run_policy(ExploreFirst(n_explore=4), means=(0.2, 0.9, 0.4), horizon=60, n_reps=50)
    assert np.array_equal(arms[:12], np.tile(np.arange(12) % 3, (50, 1)).T)
    assert np.all(arms[12:] == arms[12])  # committed for good
    assert np.mean(arms[12] == 1) > 0.7  # mostly the best arm after 4 pulls each


def test_explore_first_commits_to_the_empirical_argmax():
    policy = ExploreFirst(n_explore=2)
    policy.reset(n_replications=2, n_arms=3, horizon=20, rng=np.random.default_rng(0))
    rewards = [[1, 0], [0, 1], [1, 1], [0, 0], [0, 1], [1, 1]]  # rounds 0..5, arms 0,1,2,0,1,2
    for t, r in enumerate(rewards):
        policy.update(t, policy.select(t), np.array(r, dtype=float))
    # means: rep 0 -> (0.5, 0.0, 1.0), rep 1 -> (0.0, 1.0, 1.0): ties go to the lowest index
    assert np.array_equal(policy.select(6), [2, 1])


def test_explore_first_longer_than_horizon_is_all_exploration():
    arms = run_policy(ExploreFirst(n_explore=1000), horizon=30, n_reps=2)
    assert np.array_equal(arms[:, 0], np.arange(30) % 3)


# -- epsilon-greedy -------------------------------------------------------------------


def test_decaying_epsilon_formula():
    assert decaying_epsilon(1, 5) == 0.0
    assert decaying_epsilon(2, 5) == 1.0  # (5 ln 2 / 2)^(1/3) > 1 is clipped
    assert decaying_epsilon(1000, 5) == pytest.approx((5 * math.log(1000) / 1000) ** (1 / 3))
    policy = EpsilonGreedy()
    policy.reset(n_replications=1, n_arms=5, horizon=10, rng=np.random.default_rng(0))
    assert policy.epsilon_at(999) == decaying_epsilon(1000, 5)
    policy = EpsilonGreedy(schedule="constant", epsilon=0.25)
    policy.reset(n_replications=1, n_arms=5, horizon=10, rng=np.random.default_rng(0))
    assert policy.epsilon_at(999) == 0.25


def test_epsilon_zero_is_greedy_after_trying_every_arm():
    arms = run_policy(EpsilonGreedy(schedule="constant", epsilon=0.0), means=(0.1, 0.9, 0.5), n_reps=20, horizon=100)
    assert np.array_equal(arms[:3], np.tile([[0], [1], [2]], (1, 20)))  # unpulled arms rank first
    rows_stuck = np.all(arms[3:] == arms[-1], axis=0)
    assert rows_stuck.mean() > 0.5  # pure greedy locks in


def test_epsilon_one_is_uniform():
    arms = run_policy(EpsilonGreedy(schedule="constant", epsilon=1.0), means=(0.1, 0.9, 0.5), n_reps=100, horizon=300)
    freq = np.bincount(arms.ravel(), minlength=3) / arms.size
    assert np.allclose(freq, 1 / 3, atol=0.01)


def test_decaying_exploration_rate_matches_the_schedule():
    """Fraction of non-greedy pulls ~ (K-1)/K * mean eps_t on a wide-gap instance."""
    n_reps, horizon = 400, 400
    arms = run_policy(EpsilonGreedy(), means=(0.99, 0.01, 0.01), n_reps=n_reps, horizon=horizon)
    eps = np.array([decaying_epsilon(t + 1, 3) for t in range(50, horizon)])
    off = (arms[50:] != 0).mean()
    assert off == pytest.approx(2 / 3 * eps.mean(), rel=0.05)


# -- successive elimination -----------------------------------------------------------


def test_successive_elimination_phases_and_elimination():
    policy = SuccessiveElimination()
    n_reps, horizon = 30, 3000
    arms = run_policy(policy, means=(0.9, 0.2, 0.85, 0.1), n_reps=n_reps, horizon=horizon)
    assert np.array_equal(arms[:4], np.tile(np.arange(4)[:, None], (1, n_reps)))  # first phase in index order
    assert np.all(policy.active_[:, 0])  # the best arm survives
    assert not policy.active_[:, [1, 3]].any()  # the clearly bad arms are gone
    # On the clean event an arm is gone once its radius is below Delta/4: n <= 32 ln T / Delta^2 + 1.
    counts = policy.stats_.counts
    assert np.all(counts[:, 1] <= 32 * math.log(horizon) / 0.7**2 + 1)
    assert np.all(counts[:, 3] <= 32 * math.log(horizon) / 0.8**2 + 1)


def test_successive_elimination_counts_are_equal_across_active_arms_at_phase_ends():
    policy = SuccessiveElimination(alpha=0.5)
    policy.reset(n_replications=50, n_arms=4, horizon=500, rng=np.random.default_rng(0))
    rng = np.random.default_rng(1)
    for t in range(500):
        arms = policy.select(t)
        policy.update(t, arms, (rng.random(50) < np.array([0.7, 0.6, 0.5, 0.2])[arms]).astype(float))
        fresh = ~policy.played_.any(axis=1)  # rows that just started a new phase
        n = np.where(policy.active_, policy.stats_.counts, np.nan)[fresh]
        assert np.all(np.nanmax(n, axis=1) == np.nanmin(n, axis=1))
    assert policy.active_.sum(axis=1).min() >= 1


# -- Thompson sampling ---------------------------------------------------------------


def test_thompson_beta_counts_successes_and_failures():
    policy = ThompsonBeta()
    arms = run_policy(policy, means=(0.8, 0.5, 0.3), n_reps=5, horizon=100)
    s, n = policy.stats_.sums, policy.stats_.counts
    assert np.array_equal(n.sum(axis=1), [100] * 5)
    assert np.all(s == np.round(s)) and np.all((s >= 0) & (s <= n))  # integer successes
    assert np.mean(arms[-30:] == 0) > 0.7


def test_thompson_beta_bernoulli_trick_on_fractional_rewards():
    policy = ThompsonBeta()
    policy.reset(n_replications=20_000, n_arms=2, horizon=1, rng=np.random.default_rng(0))
    arms = np.zeros(20_000, dtype=np.int64)
    policy.update(0, arms, np.full(20_000, 0.3))
    assert set(np.unique(policy.stats_.sums)) == {0.0, 1.0}
    assert policy.stats_.sums[:, 0].mean() == pytest.approx(0.3, abs=0.01)


def test_thompson_gaussian_posterior_matches_conjugate_formula():
    class ZeroNormal:
        def standard_normal(self, shape):
            return np.zeros(shape)

    policy = ThompsonGaussian(prior_mean=0.5, prior_std=2.0, noise_std=0.5)
    policy.reset(n_replications=1, n_arms=2, horizon=10, rng=ZeroNormal())
    for r in (1.0, 0.0, 1.0):
        policy.update(0, np.array([0]), np.array([r]))
    # independent: precision 1/4 + 3 * 4 = 12.25, mean = (0.5/4 + 2 * 4) / 12.25
    assert policy._sample()[0] == pytest.approx([(0.125 + 8.0) / 12.25, 0.5])


def test_thompson_gaussian_default_is_slivkins_form():
    policy = ThompsonGaussian()
    policy.reset(n_replications=200_000, n_arms=1, horizon=1, rng=np.random.default_rng(3))
    for r in (0.2, 0.9, 0.4):
        policy.update(0, np.zeros(200_000, dtype=np.int64), np.full(200_000, r))
    draws = policy._sample()[:, 0]
    assert draws.mean() == pytest.approx(1.5 / 4, abs=0.005)  # S / (n + 1)
    assert draws.var() == pytest.approx(1 / 4, rel=0.02)  # 1 / (n + 1)


# -- EXP3 ---------------------------------------------------------------------------


def test_exp3_default_learning_rate():
    assert default_eta(10_000, 4) == pytest.approx(math.sqrt(2 * math.log(4) / (4 * 10_000)))
    policy = EXP3()
    policy.reset(n_replications=3, n_arms=4, horizon=10_000, rng=np.random.default_rng(0))
    assert policy.eta_ == default_eta(10_000, 4)
    assert np.allclose(policy.probabilities(), 0.25)


def test_exp3_importance_weighted_update():
    policy = EXP3(eta=0.1, gamma=0.2)
    policy.reset(n_replications=2, n_arms=4, horizon=100, rng=np.random.default_rng(0))
    arms = policy.select(0)
    policy.update(0, arms, np.array([0.25, 1.0]))
    loss_hat = np.zeros((2, 4))
    loss_hat[[0, 1], arms] = np.array([0.75, 0.0]) / 0.25  # p_1 is uniform
    w = np.exp(-0.1 * loss_hat)
    want = 0.8 * w / w.sum(axis=1, keepdims=True) + 0.2 / 4
    assert np.allclose(policy.probabilities(), want)
    assert policy.probabilities().min() >= 0.2 / 4


def test_exp3_sampling_follows_probabilities():
    policy = EXP3(eta=0.5)
    policy.reset(n_replications=100_000, n_arms=3, horizon=10, rng=np.random.default_rng(2))
    policy.log_weights_[:] = np.log([0.2, 0.5, 0.3])
    freq = np.bincount(policy.select(0), minlength=3) / 100_000
    assert np.allclose(freq, [0.2, 0.5, 0.3], atol=0.006)


# -- LinUCB ---------------------------------------------------------------------------


def test_linucb_sherman_morrison_matches_direct_ridge():
    policy = LinUCB(reg=0.7)
    n_reps, k, d = 4, 5, 3
    policy.reset(n_replications=n_reps, n_arms=k, horizon=300, rng=np.random.default_rng(0), dim=d)
    rng = np.random.default_rng(1)
    rows = np.arange(n_reps)
    xs, ys = [], []
    for t in range(300):
        x = rng.standard_normal((n_reps, k, d))
        arms = policy.select(t, x)
        y = rng.standard_normal(n_reps)
        policy.update(t, arms, y)
        xs.append(x[rows, arms])
        ys.append(y)
    xs, ys = np.stack(xs, axis=1), np.stack(ys, axis=1)  # (R, T, d), (R, T)
    for r in range(n_reps):
        v = 0.7 * np.eye(d) + xs[r].T @ xs[r]
        assert np.allclose(policy.v_inv_[r], np.linalg.inv(v), atol=1e-10)
        assert np.allclose(policy.v_inv_[r] @ policy.b_[r], np.linalg.solve(v, xs[r].T @ ys[r]))


def test_linucb_index_and_confidence_width():
    policy = LinUCB(reg=1.0, delta=0.1, noise=0.5, theta_bound=2.0)
    policy.reset(n_replications=1, n_arms=2, horizon=100, rng=np.random.default_rng(0), dim=2)
    assert policy.beta() == pytest.approx(0.5 * math.sqrt(2 * math.log(1 / 0.1)) + 2.0)
    x = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    policy.update(0, policy.select(0, x), np.array([0.8]))  # tie at t=0: arm 0
    # arm 0: theta_hat_0 = 0.8/2 = 0.4, width sqrt(1/2); arm 1: mean 0, width 1
    n = 1
    beta = 0.5 * math.sqrt(2 * math.log((1 + n) / 0.1)) + 2.0
    assert policy.beta() == pytest.approx(beta)
    want = int(np.argmax([0.4 + beta * math.sqrt(0.5), beta]))
    assert policy.select(1, x)[0] == want == 1
    assert LinUCB(alpha=0.0).get_params()["alpha"] == 0.0


def test_linucb_fixed_alpha_zero_is_greedy_ridge():
    policy = LinUCB(alpha=0.0)
    arms = run_policy(policy, means=(0,) * 4, n_reps=3, horizon=200, dim=3)
    assert arms.shape == (200, 3)
    theta = policy.v_inv_ @ policy.b_[:, :, None]
    assert np.allclose(theta[:, :, 0], np.ones(3) / math.sqrt(3), atol=0.05)
