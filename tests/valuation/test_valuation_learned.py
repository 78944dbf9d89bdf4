"""The learner utility: v(∅) = 0, more data scores higher, accuracy metric."""

from __future__ import annotations

import numpy as np
import pytest

from mechsim.errors import ParameterError
from mechsim.valuation.learned import learner_game


def test_r2_game_rises_with_data() -> None:
    rng = np.random.default_rng(0)
    w = rng.standard_normal(5)
    xs = [rng.standard_normal((m, 5)) for m in (4, 30, 60)]
    parts = [(x, x @ w + 0.3 * rng.standard_normal(len(x))) for x in xs]
    xt = rng.standard_normal((200, 5))
    g = learner_game(parts, xt, xt @ w, metric="r2")
    assert g(set()) == 0.0
    assert g({0}) < g({1}) < g({0, 1, 2}) <= 1.0


def test_accuracy_metric_and_bad_metric() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((80, 2))
    y = (x[:, 0] > 0).astype(int)
    g = learner_game([(x[:40], y[:40]), (x[40:], y[40:])], x, y, metric="accuracy")
    assert g({0, 1}) > 0.3  # accuracy minus the majority rate (about 0.5)
    with pytest.raises(ParameterError, match="'metric' parameter of LearnerUtility"):
        learner_game([(x, y)], x, y, metric="f1")
