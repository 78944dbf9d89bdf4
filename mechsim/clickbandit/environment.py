"""Nature in the click-bandit: the arms' post-click reward distributions.

An environment (kind ``clickbandit.environment``) fixes the means ``mu`` (shape
``(K,)``, one per arm, unknown to the learner and not chosen by the arms) and turns
uniform draws into post-click rewards. Rewards are produced from uniforms so that a
run can be replayed with common random numbers (see :mod:`mechsim.clickbandit.draws`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mechsim.core.params import Constraint, Integer, Real, RealArray, validate_params
from mechsim.core.registry import register
from mechsim.errors import ParameterError

__all__ = ["ClickEnvironment", "BernoulliRewards", "RandomBernoulliRewards"]


class ClickEnvironment:
    """Base class: ``reset(rng) -> mu`` and ``rewards(u, mu_pulled) -> rewards``."""

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}

    def reset(self, *, rng: np.random.Generator) -> np.ndarray:
        """Fix the means for a run; returns ``mu`` of shape ``(K,)`` in [0, 1]."""
        raise NotImplementedError

    def rewards(self, u: np.ndarray, mu: np.ndarray) -> np.ndarray:
        """Post-click rewards from uniforms ``u`` for arms of mean ``mu`` (same shapes)."""
        return (u < mu).astype(float)

    def get_params(self) -> dict[str, Any]:
        return validate_params(self)


@register("clickbandit/bernoulli-v1", kind="clickbandit.environment")
class BernoulliRewards(ClickEnvironment):
    """Bernoulli post-click rewards with fixed means.

    Parameters
    ----------
    mu : list of float in [0, 1], length K >= 2
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {"mu": RealArray(0.0, 1.0, min_len=2)}

    def __init__(self, *, mu: Any = (0.8, 0.7, 0.6, 0.5, 0.4)) -> None:
        self.mu = mu

    def reset(self, *, rng: np.random.Generator) -> np.ndarray:
        return np.asarray(self.get_params()["mu"], dtype=float)


@register("clickbandit/random-bernoulli-v1", kind="clickbandit.environment")
class RandomBernoulliRewards(ClickEnvironment):
    """Bernoulli post-click rewards with means drawn once per run, uniformly in [low, high].

    Parameters
    ----------
    n_arms : int >= 2, default 5
    low, high : float in [0, 1], low < high, defaults 0.1 and 0.9
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "n_arms": Integer(2, None),
        "low": Real(0.0, 1.0),
        "high": Real(0.0, 1.0),
    }

    def __init__(self, *, n_arms: int = 5, low: float = 0.1, high: float = 0.9) -> None:
        self.n_arms = n_arms
        self.low = low
        self.high = high

    @classmethod
    def check_config(cls, params: dict) -> None:
        if not params["low"] < params["high"]:
            raise ParameterError(
                f"The 'low' parameter of {cls.__name__} must be below 'high'. "
                f"Got low={params['low']!r}, high={params['high']!r} instead."
            )

    def reset(self, *, rng: np.random.Generator) -> np.ndarray:
        p = self.get_params()
        self.check_config(p)
        return rng.uniform(p["low"], p["high"], size=p["n_arms"])
