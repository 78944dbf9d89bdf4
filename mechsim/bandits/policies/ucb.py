"""UCB1 (Auer, Cesa-Bianchi, Fischer 2002; Slivkins Ch. 1)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from mechsim.bandits import kernels
from mechsim.bandits.base import Policy, argmax_first
from mechsim.bandits.policies.stats import MeanTracker, arm_major_zeros, flat_view
from mechsim.bandits.policies.stats import as_floats as _floats
from mechsim.bandits.policies.stats import as_ints as _ints
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
    Has compiled kernels (``has_kernel``): see :mod:`mechsim.bandits.kernels`.
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": Real(0.0, None),
        "log_of": Options(("horizon", "time")),
    }

    has_kernel: ClassVar[bool] = True

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
        if self.kernel_ == "numba":
            arms = np.empty(self.stats_.rows.size, dtype=np.int64)
            by_time = self.params_["log_of"] == "time"
            st = self.stats_
            log_t = np.log(t + 1) if by_time else self.log_horizon_
            kernels.ucb1_select(self.index_, st.sums, st.counts, t, self.n_arms_, float(self.params_["alpha"]), log_t, by_time, arms)
            return arms
        if t < self.n_arms_:
            return np.full(self.stats_.rows.size, t, dtype=np.int64)
        if self.params_["log_of"] == "horizon":
            return argmax_first(self.index_)
        return argmax_first(self._index(self.stats_.sums, self.stats_.counts, np.log(t + 1)))

    def update(self, t: int, arms: np.ndarray, rewards: np.ndarray) -> None:
        if self.kernel_ == "numba":
            st, by_time = self.stats_, self.params_["log_of"] == "time"
            kernels.ucb1_update(
                self.index_, st.sums, st.counts, _ints(arms), _floats(rewards), float(self.params_["alpha"]), self.log_horizon_, by_time
            )
            return
        at = self.stats_.add(arms, rewards)
        if self.params_["log_of"] == "horizon":
            st = self.stats_
            self.index_flat_[at] = self._index(st.sums_flat[at], st.counts_flat[at], self.log_horizon_)

    def run_block(self, t0: int, rewards: np.ndarray) -> np.ndarray:
        n = rewards.shape[0]
        by_time = self.params_["log_of"] == "time"
        # log t by numpy, as the numpy path computes it (numba's log may differ in the last bit)
        log_ts = np.log(np.arange(t0 + 1, t0 + n + 1)) if by_time else np.zeros(n)
        arms = np.empty(rewards.shape[:2], dtype=np.int64)
        st = self.stats_
        kernels.ucb1_block(
            self.index_, st.sums, st.counts, t0, self.n_arms_, float(self.params_["alpha"]), self.log_horizon_, log_ts, by_time, rewards, arms
        )
        return arms
