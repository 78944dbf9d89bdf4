"""Rating models of the validator: OpenSkill PlackettLuce (through the ``openskill`` package),
a raw EMA of the loss score, or none; and the learning-rate schedule.

Only the order of scores within a match matters for PlackettLuce with margin 0
(spec section 2.1 item 5); the EMA and ``none`` models keep magnitudes.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["OpenSkillRater", "lr_at"]


class OpenSkillRater:
    """One PlackettLuce model shared by all replications; ratings live in (R, N) arrays."""

    def __init__(self, *, mu: float, sigma: float, beta: float, tau: float, kappa: float) -> None:
        from openskill.models import PlackettLuce

        self.model = PlackettLuce(mu=mu, sigma=sigma, beta=beta, tau=tau, kappa=kappa)

    def rate(self, mu: np.ndarray, sigma: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """New (mu, sigma) of one match: one-player teams, higher score is better.

        Parameters
        ----------
        mu, sigma, scores : (m,) float, m >= 2
        """
        teams = [[self.model.rating(mu=float(m), sigma=float(s))] for m, s in zip(mu, sigma)]
        new = self.model.rate(teams, scores=[float(x) for x in scores])
        return np.array([t[0].mu for t in new]), np.array([t[0].sigma for t in new])


def lr_at(t: int, lr: float, warmup: int, t0: int, min_factor: float) -> float:
    """templar's schedule: linear warm-up 0.1 eta -> eta over ``warmup`` windows, then
    CosineAnnealingWarmRestarts(T_0=t0, T_mult=2, eta_min=min_factor * eta)."""
    if t < warmup:
        return lr * (0.1 + 0.9 * t / warmup)
    e = t - warmup
    i = int(math.floor(math.log2(e / t0 + 1.0)))
    start = t0 * (2**i - 1)
    ti = t0 * 2**i
    lo = min_factor * lr
    return lo + (lr - lo) * (1 + math.cos(math.pi * (e - start) / ti)) / 2
