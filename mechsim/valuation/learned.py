"""Model-accuracy / negative-loss utilities: a learner trained on a coalition's data.

``v(C) = score(model fitted on D_C) - baseline`` on a fixed test set, with ``v(∅) = 0``.
The default learner is scikit-learn's ``Ridge`` (regression, score R^2, baseline 0 =
predicting the test mean) or ``LogisticRegression`` (classification, accuracy,
baseline = the majority-class rate). Such utilities are usually monotone but
**not** superadditive (diminishing returns); their dual
(:func:`mechsim.valuation.bayes.dual_game`) often is. Check the axioms on the
instance with :func:`mechsim.valuation.axioms.check_axioms`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mechsim.core.params import Options, check_value
from mechsim.errors import ParameterError
from mechsim.valuation.game import Game

__all__ = ["LearnerUtility", "learner_game", "METRICS"]

METRICS = ("r2", "neg_mse", "accuracy")


def _default_model(metric: str) -> Any:
    if metric == "accuracy":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=500)
    from sklearn.linear_model import Ridge

    return Ridge(alpha=1.0)


class LearnerUtility:
    """Fit a learner on pooled party data and score it on a test set.

    Parameters
    ----------
    parts : list of (X_i (n_i, d), y_i (n_i,)) pairs, one per party
    x_test, y_test : (m, d), (m,) test data
    metric : {"r2", "neg_mse", "accuracy"}, default "r2"
    make_model : () -> estimator with ``fit``/``predict``, default Ridge / LogisticRegression
    """

    def __init__(
        self,
        parts: Sequence[tuple[np.ndarray, np.ndarray]],
        x_test: np.ndarray,
        y_test: np.ndarray,
        *,
        metric: str = "r2",
        make_model: Callable[[], Any] | None = None,
    ) -> None:
        self.metric = check_value(Options(METRICS), metric, name="metric", owner="LearnerUtility")
        if not parts:
            raise ParameterError("The 'parts' parameter of LearnerUtility must list at least one party. Got 0 instead.")
        self.parts = [(np.asarray(x, dtype=float), np.asarray(y).reshape(-1)) for x, y in parts]
        self.x_test = np.asarray(x_test, dtype=float)
        self.y_test = np.asarray(y_test).reshape(-1)
        self.make_model = make_model if make_model is not None else (lambda: _default_model(self.metric))
        self.baseline = self._baseline()

    def _baseline(self) -> float:
        y = self.y_test
        if self.metric == "r2":
            return 0.0
        if self.metric == "neg_mse":
            return -float(np.var(y))
        _, counts = np.unique(y, return_counts=True)
        return float(counts.max() / len(y))

    def fit(self, x: np.ndarray, y: np.ndarray) -> Any:
        """A fresh model fitted on ``(x, y)``."""
        return self.make_model().fit(x, y)

    def score_model(self, model: Any) -> float:
        """The model's test score (R^2, -MSE or accuracy), without the baseline."""
        pred = model.predict(self.x_test)
        y = self.y_test
        if self.metric == "accuracy":
            return float(np.mean(pred == y))
        mse = float(np.mean((pred - y) ** 2))
        return -mse if self.metric == "neg_mse" else 1.0 - mse / float(np.var(y))

    def score_data(self, x: np.ndarray, y: np.ndarray) -> float:
        """Score minus baseline of a model fitted on ``(x, y)`` (0 for no data or a single class)."""
        if len(y) == 0 or (self.metric == "accuracy" and len(np.unique(y)) < 2):
            return 0.0
        return self.score_model(self.fit(x, y)) - self.baseline

    def pooled(self, coalition: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """The coalition's pooled ``(X, y)``."""
        idx = sorted(coalition)
        d = self.parts[0][0].shape[1]
        if not idx:
            return np.empty((0, d)), np.empty(0)
        return np.concatenate([self.parts[i][0] for i in idx]), np.concatenate([self.parts[i][1] for i in idx])

    def __call__(self, coalition: frozenset[int]) -> float:
        return self.score_data(*self.pooled(coalition))


def learner_game(
    parts: Sequence[tuple[np.ndarray, np.ndarray]],
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    metric: str = "r2",
    make_model: Callable[[], Any] | None = None,
) -> Game:
    """The game ``v(C) = score(learner on D_C) - baseline``, ``v(∅) = 0`` (see :class:`LearnerUtility`)."""
    util = LearnerUtility(parts, x_test, y_test, metric=metric, make_model=make_model)
    return Game(util, len(util.parts), empty_value=0.0)
