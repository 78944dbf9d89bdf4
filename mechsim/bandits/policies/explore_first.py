"""Explore-first, also called explore-then-commit (Slivkins Ch. 1)."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from mechsim.bandits import kernels
from mechsim.bandits.base import Policy, argmax_first
from mechsim.bandits.policies.stats import MeanTracker
from mechsim.core.params import Integer, Nullable
from mechsim.core.registry import register

__all__ = ["ExploreFirst", "default_n_explore"]


def default_n_explore(horizon: int, n_arms: int) -> int:
    """Slivkins' exploration length per arm: ``ceil((T/K)^(2/3) (log T)^(1/3))``, at least 1."""
    return max(1, math.ceil((horizon / n_arms) ** (2.0 / 3.0) * math.log(horizon) ** (1.0 / 3.0)))


@register("bandits/explore-first-v1", kind="bandits.policy")
class ExploreFirst(Policy):
    """Explore-first: play every arm N times round-robin, then commit to the best empirical arm.

    Parameters
    ----------
    n_explore : int >= 1 or None, default None
        Pulls per arm in the exploration phase. ``None`` uses
        ``N = ceil((T/K)^(2/3) (log T)^(1/3))`` (Slivkins Thm 1.4 tuning, regret
        ``O(T^(2/3) (K log T)^(1/3))``). If ``N K >= T`` the whole horizon is
        exploration.

    Exploration is deterministic (round ``t`` plays arm ``t mod K`` in every
    replication); the commitment is the argmax of the empirical means after ``N K``
    rounds, ties to the lowest arm index. The ``rng`` is not used.
    """

    _parameter_constraints: ClassVar[dict] = {"n_explore": Nullable(Integer(1, None))}

    has_kernel: ClassVar[bool] = True

    def __init__(self, *, n_explore: int | None = None) -> None:
        self.n_explore = n_explore

    def _start(self, *, n_replications: int, n_arms: int, horizon: int, dim: int | None) -> None:
        p = self.params_
        n = p["n_explore"] if p["n_explore"] is not None else default_n_explore(horizon, n_arms)
        self.n_explore_ = n
        self.explore_rounds_ = n * n_arms
        self.n_arms_ = n_arms
        self.stats_ = MeanTracker(n_replications, n_arms)
        self.commit_: np.ndarray | None = None

    def select(self, t: int, contexts: np.ndarray | None = None) -> np.ndarray:
        if t < self.explore_rounds_:
            return np.full(self.stats_.rows.size, t % self.n_arms_, dtype=np.int64)
        if self.commit_ is None:
            self.commit_ = argmax_first(self.stats_.means())
        return self.commit_.copy()

    def update(self, t: int, arms: np.ndarray, rewards: np.ndarray) -> None:
        if t < self.explore_rounds_:
            self.stats_.add(arms, rewards)

    def run_block(self, t0: int, rewards: np.ndarray) -> np.ndarray:
        n, n_reps = rewards.shape[:2]
        arms = np.empty((n, n_reps), dtype=np.int64)
        m = max(0, min(n, self.explore_rounds_ - t0))  # exploration rounds in this block
        if m:
            kernels.explore_block(self.stats_.sums, self.stats_.counts, t0, self.n_arms_, rewards[:m], arms[:m])
        if m < n:
            if self.commit_ is None:
                self.commit_ = argmax_first(self.stats_.means())
            arms[m:] = self.commit_
        return arms
