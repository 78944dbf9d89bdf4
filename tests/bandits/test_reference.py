"""Vectorised policies against plain one-replication reference implementations.

The references below are written independently of ``mechsim.bandits.policies``:
scalar Python loops over arms, one object per replication. Both sides are stepped in
lock-step on the same reward table; the randomised policies get generators seeded
identically, and the R reference replications draw scalars in row-major order
(replication by replication, arm by arm), which consumes a numpy ``Generator``'s
stream exactly as one array draw of shape (R, K) does. ``test_array_draws_match_scalar_draws``
checks that property for every draw the policies use, including arrays whose
parameters are stored arm-major. Epsilon-greedy draws a (2, R) array per round, so
its reference draws the R "explore?" uniforms of all replications, then their R
arm uniforms, before the replications act.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from mechsim.core.registry import make

MEANS = np.array([0.55, 0.5, 0.6, 0.45, 0.6])  # a tie in the means: the tie rule matters
R, T = 8, 700


def _argmax_first(values: list[float]) -> int:
    best, best_k = -math.inf, 0
    for k, v in enumerate(values):
        if v > best:
            best, best_k = v, k
    return best_k


class RefUCB1:
    def __init__(self, k: int, horizon: int, alpha: float = 1.0, log_of: str = "horizon") -> None:
        self.k, self.horizon, self.alpha, self.log_of = k, horizon, alpha, log_of
        self.n = [0] * k
        self.s = [0.0] * k

    def select(self, t: int, rng: Any, pre: Any = None) -> int:
        if t < self.k:
            return t
        log_t = math.log(self.horizon) if self.log_of == "horizon" else math.log(t + 1)
        return _argmax_first([self.s[a] / self.n[a] + self.alpha * math.sqrt(2.0 * log_t / self.n[a]) for a in range(self.k)])

    def update(self, arm: int, reward: float, rng: Any) -> None:
        self.n[arm] += 1
        self.s[arm] += reward


class RefThompsonBeta:
    def __init__(self, k: int, horizon: int) -> None:
        self.succ = [0.0] * k
        self.fail = [0.0] * k

    def select(self, t: int, rng: np.random.Generator, pre: Any = None) -> int:
        return _argmax_first([rng.beta(1.0 + a, 1.0 + b) for a, b in zip(self.succ, self.fail)])

    def update(self, arm: int, reward: float, rng: np.random.Generator) -> None:
        if rng.random() < reward:  # Agrawal-Goyal: a [0,1] reward is a success w.p. reward
            self.succ[arm] += 1
        else:
            self.fail[arm] += 1


class RefThompsonGaussian:
    """N(S/(n+1), 1/(n+1)) per arm: prior N(0, 1), unit noise."""

    def __init__(self, k: int, horizon: int) -> None:
        self.n = [0] * k
        self.s = [0.0] * k

    def select(self, t: int, rng: np.random.Generator, pre: Any = None) -> int:
        draws = []
        for n, s in zip(self.n, self.s):
            precision = 1.0 + n
            draws.append(s / precision + rng.standard_normal() / math.sqrt(precision))
        return _argmax_first(draws)

    def update(self, arm: int, reward: float, rng: Any) -> None:
        self.n[arm] += 1
        self.s[arm] += reward


class RefEXP3:
    def __init__(self, k: int, horizon: int, gamma: float = 0.0) -> None:
        self.k, self.gamma = k, gamma
        self.eta = math.sqrt(2.0 * math.log(k) / (k * horizon))
        self.loss = [0.0] * k  # estimated cumulative losses

    def probabilities(self) -> list[float]:
        low = min(self.loss)
        w = [math.exp(-self.eta * (x - low)) for x in self.loss]
        total = sum(w)
        return [(1.0 - self.gamma) * x / total + self.gamma / self.k for x in w]

    def select(self, t: int, rng: np.random.Generator, pre: Any = None) -> int:
        p = self.probabilities()
        target = rng.random() * sum(p)
        acc = 0.0
        for a, pa in enumerate(p):
            acc += pa
            if acc > target:
                break
        self.p_chosen = p[a]
        return a

    def update(self, arm: int, reward: float, rng: Any) -> None:
        self.loss[arm] += (1.0 - reward) / self.p_chosen


class RefEpsilonGreedy:
    def __init__(self, k: int, horizon: int) -> None:
        self.k = k
        self.n = [0] * k
        self.s = [0.0] * k

    @staticmethod
    def pre_draw(rng: np.random.Generator, n_reps: int, k: int) -> list[tuple[float, float]]:
        explore = [rng.random() for _ in range(n_reps)]  # the policy draws a (2, R) array
        arm = [rng.random() for _ in range(n_reps)]
        return list(zip(explore, arm))

    def select(self, t: int, rng: Any, pre: tuple[float, float]) -> int:
        u, v = pre
        eps = min(1.0, (self.k * math.log(t + 1) / (t + 1)) ** (1.0 / 3.0))
        if u < eps:
            return min(int(v * self.k), self.k - 1)
        return _argmax_first([self.s[a] / self.n[a] if self.n[a] else math.inf for a in range(self.k)])

    def update(self, arm: int, reward: float, rng: Any) -> None:
        self.n[arm] += 1
        self.s[arm] += reward


class RefSuccessiveElimination:
    def __init__(self, k: int, horizon: int) -> None:
        self.k, self.log_t = k, math.log(horizon)
        self.active = list(range(k))
        self.queue = list(self.active)
        self.n = [0] * k
        self.s = [0.0] * k

    def select(self, t: int, rng: Any, pre: Any = None) -> int:
        return self.queue[0]

    def update(self, arm: int, reward: float, rng: Any) -> None:
        self.n[arm] += 1
        self.s[arm] += reward
        self.queue.pop(0)
        if self.queue:
            return
        r = {a: math.sqrt(2.0 * self.log_t / self.n[a]) for a in self.active}
        mean = {a: self.s[a] / self.n[a] for a in self.active}
        best_lcb = max(mean[a] - r[a] for a in self.active)
        self.active = [a for a in self.active if not mean[a] + r[a] < best_lcb]
        self.queue = list(self.active)


class RefExploreFirst:
    def __init__(self, k: int, horizon: int) -> None:
        self.k = k
        self.n_each = max(1, math.ceil((horizon / k) ** (2 / 3) * math.log(horizon) ** (1 / 3)))
        self.s = [0.0] * k
        self.best: int | None = None

    def select(self, t: int, rng: Any, pre: Any = None) -> int:
        if t < self.n_each * self.k:
            return t % self.k
        if self.best is None:
            self.best = _argmax_first([x / self.n_each for x in self.s])
        return self.best

    def update(self, arm: int, reward: float, rng: Any) -> None:
        if self.best is None:
            self.s[arm] += reward


def lockstep(
    policy_id: str,
    ref: Callable[[int, int], Any],
    *,
    rewards: np.ndarray,
    seed: int = 3,
    params: dict | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run both sides on ``rewards`` (T, R, K); return their arms (T, R)."""
    horizon, n_reps, k = rewards.shape
    policy = make(policy_id, **(params or {}))
    policy.reset(n_replications=n_reps, n_arms=k, horizon=horizon, rng=np.random.default_rng(seed))
    refs = [ref(k, horizon) for _ in range(n_reps)]
    ref_rng = np.random.default_rng(seed)
    rows = np.arange(n_reps)
    got, want = np.empty((horizon, n_reps), dtype=np.int64), np.empty((horizon, n_reps), dtype=np.int64)
    pre_draw = getattr(ref, "pre_draw", None)
    for t in range(horizon):
        got[t] = policy.select(t)
        pre = pre_draw(ref_rng, n_reps, k) if pre_draw else [None] * n_reps
        want[t] = [x.select(t, ref_rng, p) for x, p in zip(refs, pre)]
        policy.update(t, got[t], rewards[t, rows, got[t]])
        for r, x in enumerate(refs):  # the reference plays its own arms
            x.update(int(want[t, r]), float(rewards[t, r, want[t, r]]), ref_rng)
    return got, want


def bernoulli_table(seed: int = 0, means: np.ndarray = MEANS) -> np.ndarray:
    return (np.random.default_rng(seed).random((T, R, means.size)) < means).astype(float)


def test_array_draws_match_scalar_draws() -> None:
    """The stream property the lock-step scheme relies on, for the draws the policies use."""
    a = np.random.default_rng(1).uniform(0.01, 40.0, (R, 5))
    b = np.random.default_rng(2).uniform(0.01, 40.0, (R, 5))
    g1, g2 = np.random.default_rng(9), np.random.default_rng(9)
    assert np.array_equal(g1.beta(a, b), [[g2.beta(x, y) for x, y in zip(ra, rb)] for ra, rb in zip(a, b)])
    assert np.array_equal(g1.standard_normal((R, 5)), [[g2.standard_normal() for _ in range(5)] for _ in range(R)])
    assert np.array_equal(g1.random(R), [g2.random() for _ in range(R)])
    assert np.array_equal(g1.random((2, R)), [[g2.random() for _ in range(R)] for _ in range(2)])
    f = np.asfortranarray(a)  # the policies keep arm-major state: draws still fill row-major
    assert np.array_equal(g1.beta(f, f), [[g2.beta(x, x) for x in row] for row in a])
    assert g1.random() == g2.random()  # both streams are at the same position afterwards


@pytest.mark.parametrize(
    ("policy_id", "ref", "params"),
    [
        ("bandits/ucb1-v1", RefUCB1, None),
        ("bandits/ucb1-v1", lambda k, h: RefUCB1(k, h, alpha=0.3, log_of="time"), {"alpha": 0.3, "log_of": "time"}),
        ("bandits/thompson-beta-v1", RefThompsonBeta, None),
        ("bandits/thompson-gaussian-v1", RefThompsonGaussian, None),
        ("bandits/exp3-v1", RefEXP3, None),
        ("bandits/exp3-v1", lambda k, h: RefEXP3(k, h, gamma=0.1), {"gamma": 0.1}),
        ("bandits/epsilon-greedy-v1", RefEpsilonGreedy, None),
        ("bandits/successive-elimination-v1", RefSuccessiveElimination, None),
        ("bandits/explore-first-v1", RefExploreFirst, None),
    ],
    ids=["ucb1", "ucb1-anytime", "ts-beta", "ts-gaussian", "exp3", "exp3-gamma", "eps-greedy", "succ-elim", "explore-first"],
)
def test_vectorised_matches_reference(policy_id: str, ref: Any, params: dict | None) -> None:
    got, want = lockstep(policy_id, ref, rewards=bernoulli_table(), params=params)
    mismatch = np.argwhere(got != want)
    assert mismatch.size == 0, f"first mismatch (round, replication): {mismatch[:1].tolist()}"
    assert len(np.unique(got)) > 1  # not trivially constant


def test_thompson_beta_matches_reference_on_fractional_rewards() -> None:
    """Rewards in [0, 1] (not {0, 1}) exercise the Bernoulli trick on both sides."""
    rewards = np.random.default_rng(4).beta(2.0, 2.0, (T, R, 4)) * np.array([0.6, 0.9, 0.8, 0.5])
    got, want = lockstep("bandits/thompson-beta-v1", RefThompsonBeta, rewards=rewards)
    assert np.array_equal(got, want)


def test_successive_elimination_reference_eliminates() -> None:
    """On a wide-gap instance the reference (hence the policy) really drops arms."""
    rewards = bernoulli_table(5, np.array([0.95, 0.05, 0.1]))
    got, want = lockstep("bandits/successive-elimination-v1", RefSuccessiveElimination, rewards=rewards)
    assert np.array_equal(got, want)
    assert np.all(got[-50:] == 0)
