"""The learner contract of the click-bandit, vectorised over rows.

A learner (kind ``clickbandit.learner``) runs ``B`` independent bandit games at once
(one per row: a replication, or a click-rate profile under test). Every array has a
leading axis of length ``B``. Settings are stored verbatim by ``__init__`` and
validated in ``reset``; state lives in attributes ending in ``_``.

Round protocol (driven by :func:`mechsim.clickbandit.play.play`), ``t = 0 .. T-1``::

    arms = learner.select(t, u)             # (B,) int; u: (B,) uniforms for randomised choices
    # nature: click c ~ Bernoulli(s[arm]); if clicked, reward r ~ P[arm]
    learner.update(t, arms, clicks, rewards)  # clicks (B,) bool, rewards (B,) float (0 without a click)

The learner sees neither ``s`` nor ``mu``; only the (s, mu)-oracle, which declares
``needs_truth = True``, receives them in ``reset``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mechsim.core.mechanism import Claims, Mechanism, Outcome

__all__ = ["ClickLearner", "Truth", "ClickFeedback"]


@dataclass(frozen=True)
class Truth:
    """What only an oracle may see: the click-rates ``s`` (B, K) and means ``mu`` (K,)."""

    s: np.ndarray
    mu: np.ndarray


@dataclass(frozen=True)
class ClickFeedback:
    """What :meth:`ClickLearner.step` receives: this round's uniforms and last round's feedback.

    u : (B,) uniforms for randomised choices of round ``t``
    arms, clicks, rewards : (B,) the previous round's pulls and what they gave (``None`` at ``t = 0``)
    """

    u: np.ndarray
    arms: np.ndarray | None = None
    clicks: np.ndarray | None = None
    rewards: np.ndarray | None = None


class ClickLearner(Mechanism):
    """Base class of click-bandit learners: the designer's side of the click-bandit game.

    The agents are the arms; their "reports" are the click-rates they play, seen by the
    learner only through clicks. The hot path (:func:`mechsim.clickbandit.play.play`)
    calls ``select`` and ``update``; :meth:`step` is the same round on the shared
    :class:`~mechsim.core.mechanism.Mechanism` contract: it takes the previous round's
    feedback, picks this round's arm and returns the pulls as the allocation ``(B, K)``.
    """

    claims: ClassVar[Claims] = Claims()
    #: True for learners that are handed the true ``s`` and ``mu`` (the oracle).
    needs_truth: ClassVar[bool] = False

    def reset(
        self, *, n_agents: int, n_rows: int, horizon: int, utility: Any, truth: Truth | None = None, rng: np.random.Generator | None = None
    ) -> None:
        raise NotImplementedError

    def select(self, t: int, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def update(self, t: int, arms: np.ndarray, clicks: np.ndarray, rewards: np.ndarray) -> None:
        raise NotImplementedError

    def step(self, t: int, reports: ClickFeedback) -> Outcome:
        if reports.arms is not None:
            self.update(t - 1, reports.arms, reports.clicks, reports.rewards)
        arms = self.select(t, reports.u)
        alloc = np.zeros((self.n_rows_, self.n_arms_))
        alloc[np.arange(self.n_rows_), arms] = 1.0
        return Outcome(allocation=alloc, payments=np.zeros_like(alloc), scores=self.screened().astype(float), info={"arms": arms})

    def screened(self) -> np.ndarray:
        """(B, K) bool: arms this learner has eliminated (none, unless it screens)."""
        return np.zeros((self.n_rows_, self.n_arms_), dtype=bool)

