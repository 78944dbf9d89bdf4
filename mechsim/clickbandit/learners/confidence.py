"""Confidence statistics and the optimistic index learner shared by UCB and UCB-S.

Statistics of arm ``i`` after ``n_i`` pulls, ``m_i`` clicks and post-click reward
sum ``g_i`` (Kleine Buening et al. 2024, UCB-S; the constant is the spec's)::

    s_hat = m / n                  r_s  = c * sqrt(2 L / n)
    mu_hat = g / m                 r_mu = c * sqrt(2 L / m)
    s_lo, s_hi   = clip(s_hat -/+ r_s, 0, 1)
    mu_lo, mu_hi = clip(mu_hat -/+ r_mu, 0, 1)        ([0, 1] while m = 0)

with ``c = conf_scale`` and ``L = log T`` (or ``log(1/delta)`` when ``delta`` is set).
Both ``L`` and the statistics of unpulled arms are constant within a round, so the
index of an arm changes only when it is pulled: each round recomputes one entry
per row, O(B) work.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import numpy as np

from mechsim.clickbandit.learners.base import ClickLearner, Truth
from mechsim.clickbandit.utility import optimistic_utility, s_star_upper

__all__ = ["Bounds", "ConfidenceStats", "OptimisticLearner", "log_term"]


class Bounds(NamedTuple):
    """Statistics of the pulled entries (all shape (B,))."""

    n: np.ndarray
    s_hat: np.ndarray
    s_lo: np.ndarray
    s_hi: np.ndarray
    mu_lo: np.ndarray
    mu_hi: np.ndarray


def log_term(horizon: int, delta: float | None) -> float:
    """``L`` of the confidence radius: ``log T``, or ``log(1/delta)``."""
    return float(np.log(horizon)) if delta is None else float(np.log(1.0 / delta))


class ConfidenceStats:
    """Pull, click and reward counts of ``B`` rows x ``K`` arms, stored flat (row-major)."""

    def __init__(self, n_rows: int, n_arms: int, radius: float) -> None:
        self.shape = (n_rows, n_arms)
        self.radius = radius
        self.pulls = np.zeros(n_rows * n_arms)
        self.clicks = np.zeros(n_rows * n_arms)
        self.reward_sums = np.zeros(n_rows * n_arms)

    def add(self, pos: np.ndarray, clicks: np.ndarray, rewards: np.ndarray) -> Bounds:
        """Record one observation at each flat position ``pos``; return their new bounds."""
        n = self.pulls[pos] + 1.0
        m = self.clicks[pos] + clicks
        g = self.reward_sums[pos] + rewards
        self.pulls[pos] = n
        self.clicks[pos] = m
        self.reward_sums[pos] = g
        return self.bounds(n, m, g)

    def bounds(self, n: np.ndarray, m: np.ndarray, g: np.ndarray) -> Bounds:
        """Bounds from counts; ``[0, 1]`` for a quantity with no observation yet."""
        n1 = np.maximum(n, 1.0)
        m1 = np.maximum(m, 1.0)
        s_hat = m / n1
        r_s = self.radius / np.sqrt(n1)
        mu_hat = g / m1
        r_mu = self.radius / np.sqrt(m1)
        s_lo = np.maximum(s_hat - r_s, 0.0)
        s_hi = np.minimum(s_hat + r_s, 1.0)
        mu_lo = np.maximum(mu_hat - r_mu, 0.0)
        mu_hi = np.minimum(mu_hat + r_mu, 1.0)
        if not n.all():
            s_lo[n == 0], s_hi[n == 0] = 0.0, 1.0
        unseen = m == 0
        if unseen.any():
            mu_lo[unseen], mu_hi[unseen] = 0.0, 1.0
        return Bounds(n=n, s_hat=s_hat, s_lo=s_lo, s_hi=s_hi, mu_lo=mu_lo, mu_hi=mu_hi)

    def all_bounds(self) -> Bounds:
        """Bounds of every (row, arm), shaped (B, K)."""
        b = self.bounds(self.pulls, self.clicks, self.reward_sums)
        return Bounds(*(x.reshape(self.shape) for x in b))


class OptimisticLearner(ClickLearner):
    """Play each arm once, then the active arm of largest index; optionally screen.

    Subclasses set ``screening`` and implement :meth:`index_of`. Ties go to the
    lowest arm index. With screening, an arm is eliminated for good right after a
    pull that makes ``s_lo > max s*(mu)`` over ``[mu_lo, mu_hi]``; when every arm of
    a row is eliminated, the row falls back to ``fallback``.
    """

    screening: ClassVar[bool] = False

    def index_of(self, b: Bounds) -> np.ndarray:
        raise NotImplementedError

    def reset(
        self, *, n_agents: int, n_rows: int, horizon: int, utility: Any, truth: Truth | None = None, rng: np.random.Generator | None = None
    ) -> None:
        p = self.get_params()
        self.params_ = p
        n_arms = n_agents  # the arms are the agents
        self.n_rows_, self.n_arms_ = n_rows, n_arms
        self.utility_ = utility
        self.stats_ = ConfidenceStats(n_rows, n_arms, p["conf_scale"] * np.sqrt(2.0 * log_term(horizon, p["delta"])))
        self.rowk_ = np.arange(n_rows) * n_arms
        self.index_ = np.full(n_rows * n_arms, np.inf)
        self.active_ = np.ones(n_rows * n_arms, dtype=bool)
        self.n_active_ = np.full(n_rows, n_arms)
        self.screened_at_ = np.full(n_rows * n_arms, -1, dtype=np.int64)
        self.any_dead_ = False

    def select(self, t: int, u: np.ndarray) -> np.ndarray:
        if t < self.n_arms_:
            return np.full(self.n_rows_, t, dtype=np.int64)
        arms = np.argmax(self.index_.reshape(self.n_rows_, self.n_arms_), axis=1)
        if self.any_dead_:
            dead = self.n_active_ == 0
            arms[dead] = self.fallback_arms(u[dead])
        return arms

    def fallback_arms(self, u: np.ndarray) -> np.ndarray:
        """Arms played by rows whose arms are all screened (see the subclass)."""
        return np.minimum((u * self.n_arms_).astype(np.int64), self.n_arms_ - 1)

    def update(self, t: int, arms: np.ndarray, clicks: np.ndarray, rewards: np.ndarray) -> None:
        pos = self.rowk_ + arms
        b = self.stats_.add(pos, clicks, rewards)
        idx = self.index_of(b)
        if self.screening:
            active = self.active_[pos]
            screen = active & (b.s_lo > s_star_upper(self.utility_, b.mu_lo, b.mu_hi))
            if self.params_["min_pulls_before_screening"]:
                screen &= b.n >= self.params_["min_pulls_before_screening"]
            if screen.any():
                hit = pos[screen]
                self.active_[hit] = False
                self.screened_at_[hit] = t
                self.n_active_[screen] -= 1  # one pull per row: rows and positions align
                self.any_dead_ = bool((self.n_active_ == 0).any())
                active = active & ~screen
            idx = np.where(active, idx, -np.inf)
        self.index_[pos] = idx

    def screened(self) -> np.ndarray:
        return ~self.active_.reshape(self.n_rows_, self.n_arms_)

    def optimistic(self, b: Bounds) -> np.ndarray:
        return optimistic_utility(self.utility_, b.s_lo, b.s_hi, b.mu_lo, b.mu_hi)
