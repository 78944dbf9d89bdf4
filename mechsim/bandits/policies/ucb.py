"""UCB1 (Auer, Cesa-Bianchi, Fischer 2002; Slivkins Ch. 1)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from mechsim.bandits.base import Policy, argmax_first
from mechsim.bandits.policies.stats import MeanTracker, arm_major_zeros, flat_view
from mechsim.core.params import Options, Real
from mechsim.core.registry import register

__all__ = ["UCB1", "MeanTracker"]


@register("bandits/ucb1-v1", kind="bandits.policy")
class UCB1(Policy):
    """UCB1: play each arm once, then argmax of mean + alpha * sqrt(2 log(.) / n).

    Parameters
    ----------
    alpha : float >= 0, default 1.0
        Multiplies the confidence radius (1.0 is the textbook index).
    log_of : {"horizon", "time"}, default "horizon"
        ``"horizon"`` uses log T (Slivkins), ``"time"`` uses log t with t the
        1-based round (Auer et al., anytime).

    Ties go to the lowest arm index. Deterministic: the ``rng`` is not used.
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": Real(0.0, None),
        "log_of": Options(("horizon", "time")),
    }

    def __init__(self, *, alpha: float = 1.0, log_of: str = "horizon") -> None:
        self.alpha = alpha
        self.log_of = log_of

    def _start(self, *, n_replications: int, n_arms: int, horizon: int, dim: int | None) -> None:
        self.stats_ = MeanTracker(n_replications, n_arms)
        self.n_arms_ = n_arms
        self.log_horizon_ = np.log(horizon)
        # With log T the index of an arm changes only when it is pulled, so it is
        # kept and refreshed at the pulled entries (O(R) per round instead of O(RK)).
        self.index_ = arm_major_zeros(n_replications, n_arms)
        self.index_flat_ = flat_view(self.index_)

    def _index(self, sums: np.ndarray, counts: np.ndarray, log_t: float) -> np.ndarray:
        return sums / counts + self.params_["alpha"] * np.sqrt(2.0 * log_t / counts)

    def select(self, t: int, contexts: np.ndarray | None = None) -> np.ndarray:
        if t < self.n_arms_:
            return np.full(self.stats_.rows.size, t, dtype=np.int64)
        if self.params_["log_of"] == "horizon":
            return argmax_first(self.index_)
        return argmax_first(self._index(self.stats_.sums, self.stats_.counts, np.log(t + 1)))

    def update(self, t: int, arms: np.ndarray, rewards: np.ndarray) -> None:
        at = self.stats_.add(arms, rewards)
        if self.params_["log_of"] == "horizon":
            st = self.stats_
            self.index_flat_[at] = self._index(st.sums_flat[at], st.counts_flat[at], self.log_horizon_)
