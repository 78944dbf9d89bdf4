"""Bandit environments: stochastic (Bernoulli, Gaussian), oblivious adversarial, linear.

All are vectorised over replications and draw the full reward table of a round
(shape ``(R, K)``) from their own generator, so two policies run against two copies
of an environment with the same seed see the same rewards (common random numbers).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mechsim.bandits.base import BanditEnvironment, EnvInfo, Round
from mechsim.core.params import Integer, Options, Real, RealArray
from mechsim.core.registry import register
from mechsim.errors import ParameterError

__all__ = ["BernoulliBandit", "GaussianBandit", "AdversarialBandit", "LinearBandit"]


class _FixedMeans(BanditEnvironment):
    """Stochastic bandits whose arms keep the means of the ``means`` setting."""

    def reset(self, *, n_replications: int, horizon: int, rng: np.random.Generator) -> EnvInfo:
        p = self.get_params()
        self.means_ = np.asarray(p["means"], dtype=float)
        self.n_replications_ = n_replications
        self.rng_ = rng
        return EnvInfo(n_arms=self.means_.size)


def _repeat(means: np.ndarray, n: int) -> np.ndarray:
    """The round means (K,) of ``n`` rounds as a contiguous (n, K) array."""
    return np.ascontiguousarray(np.broadcast_to(means, (n, means.size)))


@register("bandits/bernoulli-v1", kind="bandits.environment")
class BernoulliBandit(_FixedMeans):
    """Stochastic bandit with Bernoulli rewards of fixed means.

    Parameters
    ----------
    means : list of float in [0, 1], length K >= 2
    """

    _parameter_constraints: ClassVar[dict] = {"means": RealArray(0.0, 1.0, min_len=2)}

    def __init__(self, *, means: Any = (0.9, 0.8)) -> None:
        self.means = means

    def step(self, t: int) -> Round:
        u = self.rng_.random((self.n_replications_, self.means_.size))
        return Round(means=self.means_, rewards=(u < self.means_).astype(float))

    def step_block(self, t0: int, n: int) -> Round:
        u = self.rng_.random((n, self.n_replications_, self.means_.size))  # the stream of n (R, K) draws
        return Round(means=_repeat(self.means_, n), rewards=(u < self.means_).astype(float))


@register("bandits/gaussian-v1", kind="bandits.environment")
class GaussianBandit(_FixedMeans):
    """Stochastic bandit with Gaussian rewards N(mean_k, sigma^2).

    Parameters
    ----------
    means : list of float, length K >= 2
    sigma : float > 0, default 1.0
    """

    _parameter_constraints: ClassVar[dict] = {
        "means": RealArray(min_len=2),
        "sigma": Real(0.0, None, closed="neither"),
    }

    def __init__(self, *, means: Any = (1.0, 0.5), sigma: float = 1.0) -> None:
        self.means = means
        self.sigma = sigma

    def step(self, t: int) -> Round:
        z = self.rng_.standard_normal((self.n_replications_, self.means_.size))
        return Round(means=self.means_, rewards=self.means_ + self.sigma * z)

    def step_block(self, t0: int, n: int) -> Round:
        z = self.rng_.standard_normal((n, self.n_replications_, self.means_.size))
        return Round(means=_repeat(self.means_, n), rewards=self.means_ + self.sigma * z)


@register("bandits/adversarial-v1", kind="bandits.environment")
class AdversarialBandit(BanditEnvironment):
    """Oblivious adversary: Bernoulli rewards whose means switch over time.

    The adversary fixes the whole sequence of means before the game (it does not
    react to the policy). ``pattern`` chooses the sequence:

    - ``"switching"``: the best arm changes every ``period`` rounds, cycling through
      the arms; the rotating arm has mean ``high``, the others ``low``. Stochastic
      policies that lock on an arm suffer; the best fixed arm in hindsight is the one
      that is best most often.
    - ``"drift"``: arm ``k`` has mean ``0.5 + 0.4 * sin(2 pi t / period + 2 pi k / K)``.

    Regret is measured against the best fixed arm in hindsight (``benchmark =
    "fixed_arm"``).
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_arms": Integer(2, None),
        "pattern": Options(("switching", "drift")),
        "period": Integer(1, None),
        "high": Real(0.0, 1.0),
        "low": Real(0.0, 1.0),
        "bias": RealArray(-1.0, 1.0, min_len=2),
    }
    benchmark: ClassVar[str] = "fixed_arm"

    def __init__(
        self,
        *,
        n_arms: int = 4,
        pattern: str = "switching",
        period: int = 500,
        high: float = 0.8,
        low: float = 0.3,
        bias: Any = (0.05, 0.0),
    ) -> None:
        self.n_arms = n_arms
        self.pattern = pattern
        self.period = period
        self.high = high
        self.low = low
        self.bias = bias

    @classmethod
    def check_config(cls, params: dict) -> None:
        if len(params["bias"]) not in (2, params["n_arms"]):
            raise ParameterError(
                f"The 'bias' parameter of {cls.__name__} must have length n_arms={params['n_arms']} "
                f"(or 2, padded with zeros). Got {len(params['bias'])} instead."
            )

    def reset(self, *, n_replications: int, horizon: int, rng: np.random.Generator) -> EnvInfo:
        p = self.get_params()
        self.check_config(p)
        k = p["n_arms"]
        bias = np.zeros(k)
        bias[: len(p["bias"])] = p["bias"]
        self.bias_ = bias
        self.n_replications_ = n_replications
        self.rng_ = rng
        self.params_ = p
        return EnvInfo(n_arms=k)

    def mean_at(self, t: int) -> np.ndarray:
        p, k = self.params_, self.params_["n_arms"]
        if p["pattern"] == "switching":
            m = np.full(k, p["low"])
            m[(t // p["period"]) % k] = p["high"]
        else:
            m = 0.5 + 0.4 * np.sin(2 * np.pi * t / p["period"] + 2 * np.pi * np.arange(k) / k)
        return np.clip(m + self.bias_, 0.0, 1.0)

    def step(self, t: int) -> Round:
        m = self.mean_at(t)
        u = self.rng_.random((self.n_replications_, m.size))
        return Round(means=m, rewards=(u < m).astype(float))

    def step_block(self, t0: int, n: int) -> Round:
        m = np.stack([self.mean_at(t) for t in range(t0, t0 + n)])  # (n, K)
        u = self.rng_.random((n, self.n_replications_, m.shape[1]))
        return Round(means=m, rewards=(u < m[:, None, :]).astype(float))


@register("bandits/linear-v1", kind="bandits.environment")
class LinearBandit(BanditEnvironment):
    """Linear contextual bandit: y = x^T theta* + N(0, noise^2).

    Every round each replication sees ``n_arms`` fresh context vectors drawn
    uniformly from the unit sphere in R^dim; ``theta*`` is drawn once (unit norm)
    from the environment's stream, shared by all replications.
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_arms": Integer(2, None),
        "dim": Integer(1, None),
        "noise": Real(0.0, None),
    }
    has_contexts: ClassVar[bool] = True

    def __init__(self, *, n_arms: int = 10, dim: int = 5, noise: float = 0.1) -> None:
        self.n_arms = n_arms
        self.dim = dim
        self.noise = noise

    def reset(self, *, n_replications: int, horizon: int, rng: np.random.Generator) -> EnvInfo:
        p = self.get_params()
        self.params_ = p
        theta = rng.standard_normal(p["dim"])
        self.theta_ = theta / np.linalg.norm(theta)
        self.n_replications_ = n_replications
        self.rng_ = rng
        self._x: np.ndarray | None = None
        return EnvInfo(n_arms=p["n_arms"], dim=p["dim"])

    def contexts(self, t: int) -> np.ndarray:
        x = self.rng_.standard_normal((self.n_replications_, self.params_["n_arms"], self.params_["dim"]))
        x /= np.linalg.norm(x, axis=2, keepdims=True)
        self._x = x
        return x

    def step(self, t: int) -> Round:
        if self._x is None:
            self.contexts(t)
        means = self._x @ self.theta_
        self._x = None
        noise = self.params_["noise"] * self.rng_.standard_normal(means.shape)
        return Round(means=means, rewards=means + noise)
