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

from mechsim.core.params import Constraint, validate_params

__all__ = ["ClickLearner", "Truth"]


@dataclass(frozen=True)
class Truth:
    """What only an oracle may see: the click-rates ``s`` (B, K) and means ``mu`` (K,)."""

    s: np.ndarray
    mu: np.ndarray


class ClickLearner:
    """Base class of click-bandit learners."""

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}
    #: True for learners that are handed the true ``s`` and ``mu`` (the oracle).
    needs_truth: ClassVar[bool] = False

    def reset(self, *, n_rows: int, n_arms: int, horizon: int, utility: Any, truth: Truth | None = None) -> None:
        raise NotImplementedError

    def select(self, t: int, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def update(self, t: int, arms: np.ndarray, clicks: np.ndarray, rewards: np.ndarray) -> None:
        raise NotImplementedError

    def screened(self) -> np.ndarray:
        """(B, K) bool: arms this learner has eliminated (none, unless it screens)."""
        return np.zeros((self.n_rows_, self.n_arms_), dtype=bool)

    def get_params(self) -> dict[str, Any]:
        return validate_params(self)
