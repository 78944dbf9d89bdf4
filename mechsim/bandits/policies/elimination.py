"""Successive elimination (Even-Dar, Mannor, Mansour 2006; Slivkins Ch. 1)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from mechsim.bandits import kernels
from mechsim.bandits.base import Policy
from mechsim.bandits.policies.stats import MeanTracker, arm_major_zeros, as_floats, as_ints, flat_view
from mechsim.core.params import Real
from mechsim.core.registry import register

__all__ = ["SuccessiveElimination"]


@register("bandits/successive-elimination-v1", kind="bandits.policy")
class SuccessiveElimination(Policy):
    """Successive elimination: cycle through the active arms; drop those that are surely worse.

    A phase plays every active arm once, in index order. When a replication ends a
    phase, all its active arms have the same count ``n`` and every active arm ``a``
    with ``UCB(a) < max_b LCB(b)`` is deactivated, where ``UCB/LCB = mean +/- r`` and
    ``r = alpha * sqrt(2 log T / n)`` (Slivkins' radius with ``alpha = 1``). Arms never
    come back; the last active arm is played until the horizon. Replications run
    their phases independently (an (R, K) active mask and a played-this-phase mask).

    Parameters
    ----------
    alpha : float >= 0, default 1.0
        Multiplies the confidence radius.

    Regret: ``O(sqrt(K T log T))`` worst case, ``O(log T * sum_a 1/Delta(a))``
    instance-dependent. Deterministic: the ``rng`` is not used.
    """

    _parameter_constraints: ClassVar[dict] = {"alpha": Real(0.0, None)}

    has_kernel: ClassVar[bool] = True

    def __init__(self, *, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def _start(self, *, n_replications: int, n_arms: int, horizon: int, dim: int | None) -> None:
        p = self.params_
        self.radius2_ = p["alpha"] ** 2 * 2.0 * np.log(horizon)  # r^2 * n
        self.stats_ = MeanTracker(n_replications, n_arms)
        self.active_ = ~arm_major_zeros(n_replications, n_arms, bool)
        self.n_active_ = np.full(n_replications, n_arms)
        self.played_ = arm_major_zeros(n_replications, n_arms, bool)  # in the current phase
        self.played_flat_ = flat_view(self.played_)
        self.left_ = np.full(n_replications, n_arms)  # active arms not yet played in the phase

    def select(self, t: int, contexts: np.ndarray | None = None) -> np.ndarray:
        # First active arm not yet played in this phase (every row has one).
        if self.kernel_ == "numba":
            arms = np.empty(self.n_active_.size, dtype=np.int64)
            kernels.se_select(self.active_, self.played_, arms)
            return arms
        return np.argmax(self.active_ & ~self.played_, axis=1)

    def _kernel_state(self) -> tuple:
        st = self.stats_
        return self.active_, self.played_, self.n_active_, self.left_, st.sums, st.counts, float(self.radius2_)

    def run_block(self, t0: int, rewards: np.ndarray) -> np.ndarray:
        arms = np.empty(rewards.shape[:2], dtype=np.int64)
        kernels.se_block(*self._kernel_state(), rewards, arms)
        return arms

    def update(self, t: int, arms: np.ndarray, rewards: np.ndarray) -> None:
        if self.kernel_ == "numba":
            kernels.se_update(*self._kernel_state(), as_ints(arms), as_floats(rewards))
            return
        at = self.stats_.add(arms, rewards)
        # A replication down to one arm has nothing left to eliminate: it never marks
        # its arm as played, so it keeps selecting it without phase bookkeeping.
        multi = self.n_active_ > 1
        self.played_flat_[at] = multi
        self.left_ -= multi
        done = np.flatnonzero(multi & (self.left_ == 0))
        if done.size:
            self._eliminate(done)

    def _eliminate(self, done: np.ndarray) -> None:
        """End the phase of replications ``done``: deactivate arms, start a new phase."""
        counts = self.stats_.counts[done]
        active = self.active_[done]
        mean = self.stats_.sums[done] / np.maximum(counts, 1.0)
        radius = np.sqrt(self.radius2_ / np.maximum(counts, 1.0))
        best_lcb = np.max(np.where(active, mean - radius, -np.inf), axis=1, keepdims=True)
        active &= ~(mean + radius < best_lcb)
        self.active_[done] = active
        self.n_active_[done] = self.left_[done] = active.sum(axis=1)
        self.played_[done] = False
