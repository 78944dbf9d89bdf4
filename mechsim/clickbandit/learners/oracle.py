"""The (s, mu)-oracle: knows every click-rate and mean and plays the best arm."""

from __future__ import annotations

from typing import Any

import numpy as np

from mechsim.clickbandit.learners.base import ClickLearner, Truth
from mechsim.core.registry import register
from mechsim.errors import ParameterError

__all__ = ["Oracle"]


@register("clickbandit/oracle-v1", kind="clickbandit.learner")
class Oracle(ClickLearner):
    """(s, mu)-oracle: plays ``argmax_i u(s_i, mu_i)`` every round (ties to the lowest index).

    It needs no learning, so its regret isolates the cost of the arms' strategies:
    against it the best arm raises its click-rate until its utility falls to the
    second-best arm's ``u*`` (Kleine Buening et al. 2024, Prop. 4.1), a loss of
    order T.
    """

    needs_truth = True

    def __init__(self) -> None:
        pass

    def reset(
        self, *, n_agents: int, n_rows: int, horizon: int, utility: Any, truth: Truth | None = None, rng: np.random.Generator | None = None
    ) -> None:
        if truth is None:
            raise ParameterError("Oracle needs the true click-rates and means (truth=Truth(s, mu)); got None.")
        self.n_rows_, self.n_arms_ = n_rows, n_agents
        self.best_ = np.argmax(utility.u(truth.s, truth.mu), axis=1).astype(np.int64)

    def select(self, t: int, u: np.ndarray) -> np.ndarray:
        return self.best_

    def update(self, t: int, arms: np.ndarray, clicks: np.ndarray, rewards: np.ndarray) -> None:
        pass
