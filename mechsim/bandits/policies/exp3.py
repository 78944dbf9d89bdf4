"""EXP3 for adversarial bandits (Auer et al. 2002; Bubeck and Cesa-Bianchi 2012, Thm 3.1)."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from mechsim.bandits.base import Policy
from mechsim.bandits.policies.stats import arm_major_zeros, flat_view, sample_categorical
from mechsim.core.params import Nullable, Real
from mechsim.core.registry import register

__all__ = ["EXP3", "default_eta"]


def default_eta(horizon: int, n_arms: int) -> float:
    """``sqrt(2 ln K / (K T))``: the learning rate of Bubeck and Cesa-Bianchi's Thm 3.1."""
    return math.sqrt(2.0 * math.log(n_arms) / (n_arms * horizon))


@register("bandits/exp3-v1", kind="bandits.policy")
class EXP3(Policy):
    """EXP3 on losses ``1 - r`` with importance-weighted estimates.

    Round ``t``: ``p_t = (1 - gamma) q_t + gamma / K`` with
    ``q_t(a) ∝ exp(-eta * Lhat_{t-1}(a))``; draw ``a_t ~ p_t``; observe ``r``; add
    ``(1 - r) / p_t(a_t)`` to ``Lhat(a_t)``.

    Parameters
    ----------
    eta : float > 0 or None, default None
        Learning rate. ``None`` uses ``sqrt(2 ln K / (K T))``, for which Bubeck and
        Cesa-Bianchi (2012, Thm 3.1) prove pseudo-regret ``<= sqrt(2 T K ln K)``
        against the best fixed arm, for losses in [0, 1] (rewards in [0, 1]).
    gamma : float in [0, 1], default 0.0
        Uniform exploration mixed into ``p_t`` (Auer et al.'s original form and
        Slivkins' table; 0 is the loss-based EXP3 of the theorem above).

    Arms are drawn by inverse CDF with one uniform per replication per round from
    the policy's ``rng``. Weights are kept as log-weights, shifted by their row
    maximum before exponentiating.
    """

    _parameter_constraints: ClassVar[dict] = {
        "eta": Nullable(Real(0.0, None, closed="neither")),
        "gamma": Real(0.0, 1.0),
    }

    def __init__(self, *, eta: float | None = None, gamma: float = 0.0) -> None:
        self.eta = eta
        self.gamma = gamma

    def _start(self, *, n_replications: int, n_arms: int, horizon: int, dim: int | None) -> None:
        p = self.params_
        self.eta_ = p["eta"] if p["eta"] is not None else default_eta(horizon, n_arms)
        self.gamma_ = p["gamma"]
        self.rows_ = np.arange(n_replications)
        self.log_weights_ = arm_major_zeros(n_replications, n_arms)  # -eta * Lhat
        self.log_weights_flat_ = flat_view(self.log_weights_)
        self.chosen_prob_ = np.ones(n_replications)

    def probabilities(self) -> np.ndarray:
        """The sampling distribution ``p_t`` of every replication, (R, K)."""
        w = np.exp(self.log_weights_ - self.log_weights_.max(axis=1, keepdims=True))
        q = w / w.sum(axis=1, keepdims=True)
        k = q.shape[1]
        return (1.0 - self.gamma_) * q + self.gamma_ / k

    def select(self, t: int, contexts: np.ndarray | None = None) -> np.ndarray:
        p = self.probabilities()
        arms = sample_categorical(p, self.rng_.random(p.shape[0]))
        self.chosen_prob_ = p.ravel(order="F")[self.rows_ + arms * self.rows_.size]
        return arms

    def update(self, t: int, arms: np.ndarray, rewards: np.ndarray) -> None:
        at = self.rows_ + arms * self.rows_.size
        self.log_weights_flat_[at] -= self.eta_ * (1.0 - rewards) / self.chosen_prob_
