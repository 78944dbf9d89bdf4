"""Epsilon-greedy with a decaying or constant exploration rate (Slivkins Ch. 1)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from mechsim.bandits import kernels
from mechsim.bandits.base import Policy, argmax_first
from mechsim.bandits.policies.stats import MeanTracker, arm_major_zeros, as_floats, as_ints, flat_view
from mechsim.core.params import Options, Real
from mechsim.core.registry import register

__all__ = ["EpsilonGreedy", "decaying_epsilon"]


def decaying_epsilon(t: int, n_arms: int) -> float:
    """``min(1, (K ln t / t)^(1/3))`` for the 1-based round ``t`` (Slivkins Thm 1.6).

    ``t = 1`` gives 0 (``ln 1 = 0``): the first round is greedy, which plays arm 0
    because unpulled arms rank first.
    """
    return min(1.0, (n_arms * np.log(t) / t) ** (1.0 / 3.0))


@register("bandits/epsilon-greedy-v1", kind="bandits.policy")
class EpsilonGreedy(Policy):
    """Epsilon-greedy: with probability eps_t a uniform arm, otherwise the best empirical arm.

    Parameters
    ----------
    schedule : {"decaying", "constant"}, default "decaying"
        ``"decaying"``: ``eps_t = min(1, (K ln t / t)^(1/3))`` with ``t`` the 1-based
        round (Slivkins Thm 1.6: regret ``O(t^(2/3) (K log t)^(1/3))`` at every t,
        anytime, no knowledge of T). ``"constant"``: ``eps_t = epsilon`` (linear
        regret).
    epsilon : float in [0, 1], default 0.1
        The exploration rate of the ``"constant"`` schedule; not read otherwise.

    The greedy arm is the argmax of the empirical means with arms never pulled
    ranked first (mean ``+inf``), ties to the lowest index. Every round draws one
    (2, R) array of uniforms from the policy's ``rng``, used or not: row 0 decides
    exploration (``u < eps_t``), row 1 picks the uniform arm ``floor(K v)``.
    """

    _parameter_constraints: ClassVar[dict] = {
        "schedule": Options(("decaying", "constant")),
        "epsilon": Real(0.0, 1.0),
    }

    has_kernel: ClassVar[bool] = True

    def __init__(self, *, schedule: str = "decaying", epsilon: float = 0.1) -> None:
        self.schedule = schedule
        self.epsilon = epsilon

    def _start(self, *, n_replications: int, n_arms: int, horizon: int, dim: int | None) -> None:
        self.n_arms_ = n_arms
        self.stats_ = MeanTracker(n_replications, n_arms)
        # Empirical means, refreshed at the pulled entries; unpulled arms rank first.
        self.means_ = arm_major_zeros(n_replications, n_arms) + np.inf
        self.means_flat_ = flat_view(self.means_)

    def epsilon_at(self, t: int) -> float:
        """Exploration probability of round ``t`` (0-based, as passed to ``select``)."""
        if self.params_["schedule"] == "constant":
            return self.params_["epsilon"]
        return decaying_epsilon(t + 1, self.n_arms_)

    def select(self, t: int, contexts: np.ndarray | None = None) -> np.ndarray:
        u, v = self.rng_.random((2, self.stats_.rows.size))
        if self.kernel_ == "numba":
            arms = np.empty(u.size, dtype=np.int64)
            kernels.eps_select(self.means_, u, v, float(self.epsilon_at(t)), arms)
            return arms
        uniform = np.minimum((v * self.n_arms_).astype(np.int64), self.n_arms_ - 1)
        return np.where(u < self.epsilon_at(t), uniform, argmax_first(self.means_))

    def update(self, t: int, arms: np.ndarray, rewards: np.ndarray) -> None:
        if self.kernel_ == "numba":
            kernels.eps_update(self.means_, self.stats_.sums, self.stats_.counts, as_ints(arms), as_floats(rewards))
            return
        at = self.stats_.add(arms, rewards)
        self.means_flat_[at] = self.stats_.sums_flat[at] / self.stats_.counts_flat[at]

    def run_block(self, t0: int, rewards: np.ndarray) -> np.ndarray:
        n, n_reps = rewards.shape[:2]
        uv = self.rng_.random((n, 2, n_reps))  # the stream of n (2, R) draws
        # eps_t by the same Python expression as the numpy path (libm pow, numpy log)
        eps = np.array([self.epsilon_at(t) for t in range(t0, t0 + n)], dtype=float)
        arms = np.empty((n, n_reps), dtype=np.int64)
        kernels.eps_block(self.means_, self.stats_.sums, self.stats_.counts, uv, eps, rewards, arms)
        return arms
