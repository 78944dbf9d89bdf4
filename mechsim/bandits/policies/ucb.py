"""UCB1 (Auer, Cesa-Bianchi, Fischer 2002; Slivkins Ch. 1)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from mechsim.bandits.base import Policy, argmax_first
from mechsim.core.params import Options, Real
from mechsim.core.registry import register

__all__ = ["UCB1", "MeanTracker"]


class MeanTracker:
    """Pull counts and reward sums of shape (R, K), updated by scatter-add."""

    def __init__(self, n_replications: int, n_arms: int) -> None:
        self.counts = np.zeros((n_replications, n_arms))
        self.sums = np.zeros((n_replications, n_arms))
        self.rows = np.arange(n_replications)

    def add(self, arms: np.ndarray, rewards: np.ndarray) -> None:
        self.counts[self.rows, arms] += 1.0
        self.sums[self.rows, arms] += rewards

    def means(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.counts > 0, self.sums / np.maximum(self.counts, 1.0), 0.0)


@register("bandits/ucb1-v1", kind="bandits.policy")
class UCB1(Policy):
    """UCB1: play each arm once, then argmax of mean + alpha * sqrt(2 log(.) / n).

    Parameters
    ----------
    alpha : float >= 0, default 1.0
        Multiplies the confidence radius (1.0 is the textbook index).
    log_of : {"horizon", "time"}, default "horizon"
        ``"horizon"`` uses log T (Slivkins), ``"time"`` uses log t (Auer et al., anytime).

    Ties go to the lowest arm index.
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": Real(0.0, None),
        "log_of": Options(("horizon", "time")),
    }

    def __init__(self, *, alpha: float = 1.0, log_of: str = "horizon") -> None:
        self.alpha = alpha
        self.log_of = log_of

    def reset(self, *, n_replications, n_arms, horizon, rng, dim=None) -> None:
        self.get_params()
        self.stats_ = MeanTracker(n_replications, n_arms)
        self.n_arms_ = n_arms
        self.log_horizon_ = np.log(horizon)

    def select(self, t, contexts=None):
        if t < self.n_arms_:
            return np.full(self.stats_.rows.size, t, dtype=np.int64)
        logt = self.log_horizon_ if self.log_of == "horizon" else np.log(t + 1)
        n = self.stats_.counts
        index = self.stats_.sums / n + self.alpha * np.sqrt(2.0 * logt / n)
        return argmax_first(index)

    def update(self, t, arms, rewards) -> None:
        self.stats_.add(arms, rewards)
