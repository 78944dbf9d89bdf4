"""Common random numbers for click-bandit runs.

Every source of chance in one run is drawn in advance from one seed-tree node:

``clicks[k, n]``
    the uniform of the ``n``-th pull of arm ``k``: the pull is clicked iff
    ``clicks[k, n] < s_k``.
``rewards[k, m]``
    the uniform of the ``m``-th *click* of arm ``k``, turned into a post-click
    reward by the environment (Bernoulli: ``rewards[k, m] < mu_k``).
``learner[t]``
    the uniform a learner may use for a randomised choice in round ``t``.

Two runs that use the same node and differ only in the click-rates ``s`` therefore
differ only where a click uniform falls between the two click-rates: the
post-click rewards an arm shows are the same sequence in both. This is what makes
finite-difference gradients and deviation gains measurable (common random numbers).

Draws are laid out so that a longer horizon extends a shorter one: the first ``T``
pulls of a run with horizon ``2T`` see the same uniforms as a run with horizon ``T``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mechsim.core.seeding import SeedTree

__all__ = ["ClickDraws"]


@dataclass(frozen=True)
class ClickDraws:
    """Uniform draws for ``S`` seeds (shapes ``(S, K, T)``, ``(S, K, T)``, ``(S, T)``)."""

    clicks: np.ndarray
    rewards: np.ndarray
    learner: np.ndarray

    @property
    def n_seeds(self) -> int:
        return self.clicks.shape[0]

    @classmethod
    def from_seeds(cls, nodes: Sequence[SeedTree], *, n_arms: int, horizon: int) -> ClickDraws:
        """Draw for each node in ``nodes`` (the same node always gives the same draws)."""
        s, k, t = len(nodes), n_arms, horizon
        clicks = np.empty((s, k, t))
        rewards = np.empty((s, k, t))
        learner = np.empty((s, t))
        for j, node in enumerate(nodes):
            clicks[j] = node.generator("clicks").random((t, k)).T
            rewards[j] = node.generator("rewards").random((t, k)).T
            learner[j] = node.generator("learner").random(t)
        return cls(clicks=clicks, rewards=rewards, learner=learner)

    @classmethod
    def from_arrays(cls, clicks: np.ndarray, rewards: np.ndarray, learner: np.ndarray | None = None) -> ClickDraws:
        """Wrap given uniforms (tests, replays); ``learner`` defaults to zeros."""
        clicks = np.asarray(clicks, dtype=float)
        rewards = np.asarray(rewards, dtype=float)
        if learner is None:
            learner = np.zeros((clicks.shape[0], clicks.shape[2]))
        return cls(clicks=clicks, rewards=rewards, learner=np.asarray(learner, dtype=float))
