"""Regret shapes of the textbook policies (the family's acceptance test).

Final cumulative pseudo-regret is measured at horizons T = 10^3 .. 10^5 and its
log-log slope over T is compared with the theory:

- UCB1, Thompson sampling, successive elimination: ``O(log T * sum 1/Delta)``, so the
  fitted slope is about ``1/ln T`` (0.09 - 0.15 here) plus the early, nearly linear
  phase; we require it to be clearly below 0.6 (< 0.45).
- Explore-first and decaying epsilon-greedy: ``T^(2/3) (K log T)^(1/3)``; the local
  slope of that curve is ``2/3 + 1/(3 ln T)``, i.e. 0.70 - 0.71 on this range. We
  accept [0.6, 0.8]: +/- 0.1 for the lower-order terms (explore-first's wrong-commit
  term, epsilon-greedy's greedy mistakes) and the sampling noise of 30 replications.
- EXP3 on the oblivious adversary ``bandits/adversarial-v1``: sublinear regret
  against the best fixed arm (slope < 0.9) and below ``sqrt(2 T K ln K)``.

Each policy is also checked against its textbook bound at every T. The instance has
gaps of 0.2 (means 0.9 .. 0.1), large enough for the logarithmic regime to show
within T <= 10^5 (with gaps of 0.1 successive elimination is still in its linear
phase at T = 10^3).

Horizon-dependent policies (explore-first, successive elimination, UCB1 with log T,
EXP3) get one run per T; anytime policies (epsilon-greedy, Thompson sampling, UCB1
with log t) one run at T = 10^5, read at the checkpoints. Runs are shared across
tests through module-scoped fixtures.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import mechsim
from mechsim.core.scenario import parse_scenario

pytestmark = pytest.mark.slow

MEANS = np.array([0.9, 0.7, 0.5, 0.3, 0.1])
GAPS = MEANS.max() - MEANS[MEANS < MEANS.max()]
K = MEANS.size
HORIZONS = (1_000, 3_000, 10_000, 30_000, 100_000)
R = 30

FIXED_T = {
    "explore_first": {"id": "bandits/explore-first-v1"},
    "successive_elimination": {"id": "bandits/successive-elimination-v1"},
    "ucb1": {"id": "bandits/ucb1-v1"},
}
ANYTIME = {
    "epsilon_greedy": {"id": "bandits/epsilon-greedy-v1"},
    "thompson_beta": {"id": "bandits/thompson-beta-v1"},
    "thompson_gaussian": {"id": "bandits/thompson-gaussian-v1"},
    "ucb1_anytime": {"id": "bandits/ucb1-v1", "log_of": "time"},
}


def scenario(horizon: int, policies: dict, environment: dict, checkpoints: int = 2, seed: int = 12345):
    return parse_scenario(
        {
            "scenario": {
                "name": "regret-shapes",
                "family": "bandits",
                "seed": seed,
                "n_replications": R,
                "n_rounds": horizon,
                "checkpoints": checkpoints,
            },
            "environment": environment,
            "policies": policies,
        }
    )


def final_means(results, label: str, rounds: list[int]) -> np.ndarray:
    table = results.tables["rounds"].where(variant=label)
    return np.array([table.where(t=t)["pseudo_regret"].mean() for t in rounds])


def slope(horizons, regret) -> float:
    return float(np.polyfit(np.log(horizons), np.log(regret), 1)[0])


@pytest.fixture(scope="module")
def stochastic() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{label: (horizons, mean final pseudo-regret)} on the Bernoulli instance."""
    env = {"id": "bandits/bernoulli-v1", "means": MEANS.tolist()}
    out: dict[str, list] = {label: [] for label in FIXED_T}
    for T in HORIZONS:
        res = mechsim.run(scenario(T, FIXED_T, env))
        for label in FIXED_T:
            out[label].append(final_means(res, label, [T])[0])
    curves = {label: (np.array(HORIZONS), np.array(v)) for label, v in out.items()}
    # log-spaced checkpoints 10^0, 10^0.5, ..., 10^5: those >= 10^3 are 1000, 3162, 10^4, 31623, 10^5
    res = mechsim.run(scenario(HORIZONS[-1], ANYTIME, env, checkpoints=11))
    ts = [t for t in np.unique(res.tables["rounds"]["t"]) if t >= HORIZONS[0]]
    assert len(ts) == 5
    for label in ANYTIME:
        curves[label] = (np.array(ts), final_means(res, label, ts))
    return curves


@pytest.fixture(scope="module")
def adversarial() -> tuple[np.ndarray, np.ndarray, int]:
    env = {"id": "bandits/adversarial-v1"}
    regret = []
    for T in HORIZONS:
        res = mechsim.run(scenario(T, {"exp3": {"id": "bandits/exp3-v1"}}, env))
        regret.append(final_means(res, "exp3", [T])[0])
    n_arms = mechsim.make("bandits/adversarial-v1").n_arms
    return np.array(HORIZONS), np.array(regret), n_arms


def auer_bound(T: np.ndarray) -> np.ndarray:
    """Auer et al. (2002) Thm 1: sum 8 ln T / Delta + (1 + pi^2/3) sum Delta."""
    return 8 * np.log(T) * np.sum(1 / GAPS) + (1 + math.pi**2 / 3) * GAPS.sum()


@pytest.mark.parametrize("label", ["ucb1", "ucb1_anytime", "thompson_beta", "thompson_gaussian", "successive_elimination"])
def test_logarithmic_policies_have_small_slope(stochastic, label):
    T, regret = stochastic[label]
    assert np.all(np.diff(regret) > 0)
    assert slope(T, regret) < 0.45, (label, regret)


@pytest.mark.parametrize("label", ["explore_first", "epsilon_greedy"])
def test_two_thirds_policies_have_slope_near_two_thirds(stochastic, label):
    T, regret = stochastic[label]
    assert 0.6 <= slope(T, regret) <= 0.8, (label, regret)
    # The shape T^(2/3) (K ln T)^(1/3) itself: regret over it stays within a narrow band.
    scaled = regret / (T ** (2 / 3) * (K * np.log(T)) ** (1 / 3))
    assert scaled.max() / scaled.min() < 1.3, scaled


def test_ucb1_within_auer_bound(stochastic):
    # The bound is proven for the ln t index; the ln T index explores more in each
    # round but its failure probabilities only shrink, so the same proof applies.
    for label in ("ucb1", "ucb1_anytime"):
        T, regret = stochastic[label]
        assert np.all(regret <= auer_bound(T)), (label, regret, auer_bound(T))


def test_thompson_sampling_within_a_log_bound_and_beats_ucb1(stochastic):
    # Agrawal and Goyal prove O(sum ln T / Delta) without an explicit leading
    # constant; Auer's UCB1 bound is a concrete instance of that order.
    for label in ("thompson_beta", "thompson_gaussian"):
        T, regret = stochastic[label]
        assert np.all(regret <= auer_bound(T))
    assert np.all(stochastic["thompson_beta"][1] < stochastic["ucb1_anytime"][1])


def test_successive_elimination_within_its_bound(stochastic):
    # Slivkins Ch. 1: on the clean event arm a is eliminated once 4 r < Delta(a),
    # i.e. after at most 32 ln T / Delta^2 + 1 pulls; the failure event costs < 1.
    T, regret = stochastic["successive_elimination"]
    bound = 32 * np.log(T) * np.sum(1 / GAPS) + GAPS.sum() + 1
    assert np.all(regret <= bound)


def test_explore_first_within_its_bound(stochastic):
    # Slivkins Thm 1.4: N sum Delta (exploration) + T * 2 sqrt(2 ln T / N) (commit to
    # an arm within 2r of the best on the clean event) + 1 (failure event).
    T, regret = stochastic["explore_first"]
    n = np.ceil((T / K) ** (2 / 3) * np.log(T) ** (1 / 3))
    bound = n * GAPS.sum() + 2 * T * np.sqrt(2 * np.log(T) / n) + 1
    assert np.all(regret <= bound)
    assert np.all(regret >= n * GAPS.sum())  # exploration is paid in full


def test_epsilon_greedy_regret_is_its_exploration_cost(stochastic):
    # Exploring costs mean(Delta) per explored round, in expectation sum_t eps_t
    # mean(Delta); greedy rounds add little on this instance (Slivkins Thm 1.6).
    T, regret = stochastic["epsilon_greedy"]
    t = np.arange(1, T[-1] + 1)
    eps = np.minimum(1.0, (K * np.log(t) / t) ** (1 / 3))
    explore_cost = np.cumsum(eps)[T - 1] * (MEANS.max() - MEANS).mean()
    assert np.all(regret >= 0.9 * explore_cost)
    assert np.all(regret <= 1.5 * explore_cost)


def test_exp3_sublinear_on_adversarial(adversarial):
    T, regret, n_arms = adversarial
    assert slope(T, regret) < 0.9, regret
    assert np.all(regret <= np.sqrt(2 * T * n_arms * np.log(n_arms)))  # Bubeck & Cesa-Bianchi Thm 3.1
    assert np.all(np.diff(regret[1:] / T[1:]) < 0) and regret[-1] / T[-1] < 0.01


def test_linucb_sublinear_on_linear():
    env = {"id": "bandits/linear-v1"}
    policies = {"linucb": {"id": "bandits/linucb-v1"}, "context_blind": {"id": "bandits/ucb1-v1"}}
    res = mechsim.run(scenario(10_000, policies, env, checkpoints=9))
    ts = [100, 316, 1000, 3162, 10_000]
    regret = final_means(res, "linucb", ts)
    assert slope(ts, regret) < 0.3, regret
    assert regret[-1] / ts[-1] < 0.005
    # Abbasi-Yadkori et al. (2011) Thm 3: R(T) <= 4 sqrt(T d log(lambda + T L / d)) beta_T, with
    # the policy's radius beta_T (their Thm 2, closed form); d = 5, lambda = 1, S = L = 1, R = 0.1, delta = 0.05.
    d, T = 5, np.array(ts)
    beta = 1.0 + 0.1 * np.sqrt(d * np.log((1 + T) / 0.05))
    assert np.all(regret <= 4 * np.sqrt(T * d * np.log(1 + T / d)) * beta)
    blind = final_means(res, "context_blind", ts)
    assert blind[-1] / ts[-1] > 0.3  # the contexts matter: ignoring them is linear
