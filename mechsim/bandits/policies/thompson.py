"""Thompson sampling with Beta-Bernoulli and Gaussian posteriors (Slivkins Ch. 3).

Both variants share the select step: draw one posterior sample per (replication,
arm) from the policy's ``rng`` and play the row-wise argmax (ties to the lowest
index). They differ in the posterior they keep and sample.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from mechsim.bandits import kernels
from mechsim.bandits.base import Policy, argmax_first
from mechsim.bandits.policies.stats import MeanTracker, arm_major_zeros, as_floats, as_ints, flat_view
from mechsim.core.params import Real
from mechsim.core.registry import register

__all__ = ["ThompsonBeta", "ThompsonGaussian"]


class _Thompson(Policy):
    """Shared reset/select; subclasses implement ``_sample`` (R, K) and may override ``update``."""

    def _start(self, *, n_replications: int, n_arms: int, horizon: int, dim: int | None) -> None:
        self.stats_ = MeanTracker(n_replications, n_arms)
        self._start_posterior()

    def _start_posterior(self) -> None:
        """Set up posterior state beyond the counts and sums (after ``stats_`` exists)."""

    def _sample(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def select(self, t: int, contexts: np.ndarray | None = None) -> np.ndarray:
        return argmax_first(self._sample())

    def update(self, t: int, arms: np.ndarray, rewards: np.ndarray) -> None:
        self.stats_.add(arms, rewards)


@register("bandits/thompson-beta-v1", kind="bandits.policy")
class ThompsonBeta(_Thompson):
    """Thompson sampling with a Beta(prior_alpha + S, prior_beta + F) posterior per arm.

    Parameters
    ----------
    prior_alpha, prior_beta : float > 0, default 1.0
        The Beta prior (1, 1 is uniform: the textbook Beta(1 + S, 1 + F)).

    Rewards in [0, 1] that are not in {0, 1} go through the Bernoulli trick of
    Agrawal and Goyal (2012): a reward ``r`` counts as a success with probability
    ``r``. The trick is applied to every reward, with one uniform ``u`` per
    replication per round from the policy's ``rng`` (success iff ``u < r``); on
    {0, 1} rewards it is the identity, and rewards outside [0, 1] are in effect
    clipped. Per round the ``rng`` gives ``R * K`` Beta draws (row-major) in
    ``select`` and ``R`` uniforms in ``update``.
    """

    _parameter_constraints: ClassVar[dict] = {
        "prior_alpha": Real(0.0, None, closed="neither"),
        "prior_beta": Real(0.0, None, closed="neither"),
    }

    has_kernel: ClassVar[bool] = True

    def __init__(self, *, prior_alpha: float = 1.0, prior_beta: float = 1.0) -> None:
        self.prior_alpha = prior_alpha
        self.prior_beta = prior_beta

    def _priors(self) -> tuple[float, float]:
        return float(self.params_["prior_alpha"]), float(self.params_["prior_beta"])

    def _sample(self) -> np.ndarray:
        s, n = self.stats_.sums, self.stats_.counts
        return self.rng_.beta(self.params_["prior_alpha"] + s, self.params_["prior_beta"] + (n - s))

    def select(self, t: int, contexts: np.ndarray | None = None) -> np.ndarray:
        if self.kernel_ != "numba":
            return super().select(t, contexts)
        arms = np.empty(self.stats_.rows.size, dtype=np.int64)
        if self.stats_.counts.size >= kernels.BETA_BATCH_MIN:
            kernels.argmax_rows(self._sample(), arms)
        else:
            kernels.ts_beta_select(self.rng_, self.stats_.sums, self.stats_.counts, *self._priors(), arms)
        return arms

    def update(self, t: int, arms: np.ndarray, rewards: np.ndarray) -> None:
        if self.kernel_ == "numba":
            kernels.ts_beta_update(self.rng_, self.stats_.sums, self.stats_.counts, as_ints(arms), as_floats(rewards))
            return
        success = (self.rng_.random(rewards.shape[0]) < rewards).astype(float)
        self.stats_.add(arms, success)

    def run_block(self, t0: int, rewards: np.ndarray) -> np.ndarray:
        # Beta draws depend on the state, so they are drawn round by round, both orders of
        # the numpy path kept: R*K Betas, then R uniforms. Small tables: inside the kernel, by
        # numba's implementation of numpy's Generator.beta on the policy's own bit generator;
        # large ones: by numpy's batched beta, which is faster per draw (see BETA_BATCH_MIN).
        arms = np.empty(rewards.shape[:2], dtype=np.int64)
        st = self.stats_
        if st.counts.size < kernels.BETA_BATCH_MIN:
            kernels.ts_beta_block(self.rng_, st.sums, st.counts, *self._priors(), rewards, arms)
            return arms
        for i in range(rewards.shape[0]):
            kernels.argmax_rows(self._sample(), arms[i])
            kernels.ts_beta_update_drawn(st.sums, st.counts, arms[i], rewards[i], self.rng_.random(arms.shape[1]))
        return arms


@register("bandits/thompson-gaussian-v1", kind="bandits.policy")
class ThompsonGaussian(_Thompson):
    """Thompson sampling with a conjugate Gaussian posterior per arm (known noise).

    Prior ``N(prior_mean, prior_std^2)`` on each arm's mean, rewards modelled as
    ``N(mean, noise_std^2)``. After ``n`` pulls with reward sum ``S`` the posterior is
    ``N(m, 1/P)`` with precision ``P = 1/prior_std^2 + n/noise_std^2`` and
    ``m = (prior_mean/prior_std^2 + S/noise_std^2) / P``. With the defaults this is
    ``N(S/(n+1), 1/(n+1))``: Slivkins' ``N(mean, 1/(n+1))`` with the empirical mean
    shrunk towards 0 by one prior pseudo-observation.

    Parameters
    ----------
    prior_mean : float, default 0.0
    prior_std : float > 0, default 1.0
    noise_std : float > 0, default 1.0

    Per round the ``rng`` gives ``R * K`` standard normals (row-major) in ``select``.
    The posterior of an arm changes only when it is pulled, so its mean and
    ``sqrt(P)`` are kept and refreshed at the pulled entries.
    """

    _parameter_constraints: ClassVar[dict] = {
        "prior_mean": Real(),
        "prior_std": Real(0.0, None, closed="neither"),
        "noise_std": Real(0.0, None, closed="neither"),
    }

    has_kernel: ClassVar[bool] = True

    def __init__(self, *, prior_mean: float = 0.0, prior_std: float = 1.0, noise_std: float = 1.0) -> None:
        self.prior_mean = prior_mean
        self.prior_std = prior_std
        self.noise_std = noise_std

    def _start_posterior(self) -> None:
        p = self.params_
        self.prior_prec_ = 1.0 / p["prior_std"] ** 2
        self.noise_prec_ = 1.0 / p["noise_std"] ** 2
        shape = self.stats_.counts.shape
        self.mean_ = arm_major_zeros(*shape) + p["prior_mean"]
        self.sqrt_prec_ = arm_major_zeros(*shape) + np.sqrt(self.prior_prec_)
        self.mean_flat_, self.sqrt_prec_flat_ = flat_view(self.mean_), flat_view(self.sqrt_prec_)

    def _sample(self) -> np.ndarray:
        return self.mean_ + self.rng_.standard_normal(self.mean_.shape) / self.sqrt_prec_

    def _posterior_constants(self) -> tuple[float, float, float]:
        return float(self.prior_prec_), float(self.noise_prec_), float(self.params_["prior_mean"] * self.prior_prec_)

    def select(self, t: int, contexts: np.ndarray | None = None) -> np.ndarray:
        if self.kernel_ != "numba":
            return super().select(t, contexts)
        z = self.rng_.standard_normal(self.mean_.shape)
        arms = np.empty(z.shape[0], dtype=np.int64)
        kernels.ts_gauss_select(self.mean_, self.sqrt_prec_, z, arms)
        return arms

    def run_block(self, t0: int, rewards: np.ndarray) -> np.ndarray:
        z = self.rng_.standard_normal(rewards.shape)  # (n, R, K): the stream of n (R, K) draws
        arms = np.empty(rewards.shape[:2], dtype=np.int64)
        st = self.stats_
        kernels.ts_gauss_block(self.mean_, self.sqrt_prec_, st.sums, st.counts, z, rewards, *self._posterior_constants(), arms)
        return arms

    def update(self, t: int, arms: np.ndarray, rewards: np.ndarray) -> None:
        if self.kernel_ == "numba":
            st = self.stats_
            kernels.ts_gauss_update(
                self.mean_, self.sqrt_prec_, st.sums, st.counts, as_ints(arms), as_floats(rewards), *self._posterior_constants()
            )
            return
        at = self.stats_.add(arms, rewards)
        precision = self.prior_prec_ + self.stats_.counts_flat[at] * self.noise_prec_
        prior_term = self.params_["prior_mean"] * self.prior_prec_
        self.mean_flat_[at] = (prior_term + self.stats_.sums_flat[at] * self.noise_prec_) / precision
        self.sqrt_prec_flat_[at] = np.sqrt(precision)
