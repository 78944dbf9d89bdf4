"""Heterogeneity profiles: how the nodes' data streams differ in quality and quantity.

Each profile gives every node ``i = 0 .. N-1`` a corruption *level* (node 0 is the
cleanest, richest node unless ``order = "shuffled"``), corrupts each fresh chunk
accordingly, and reports the ground-truth ``quality`` vector (a noise level: higher
is worse) that estimated contributions should anti-correlate with. Levels rise
linearly across nodes, ``level_i = max_noise * i / (N - 1)`` (the official code of
Lin et al. 2023 uses ``i / N``; ours reaches ``max_noise`` at the last node).

============================  ==========================================================
id                            what it does to a chunk (fraction ``level_i`` of samples)
============================  ==========================================================
``collab/clean-v1``           nothing
``collab/label-noise-v1``     relabel uniformly at random (regression: replace the
                              target by N(0, 1) noise, the targets' own scale)
``collab/feature-noise-v1``   add N(0, noise_std²) to every feature
``collab/missing-values-v1``  zero each feature with probability ``missing_prob``
``collab/powerlaw-v1``        no corruption; chunk sizes follow power-law quantiles
``collab/nonstationary-v1``   label noise whose level ramps up or down for one node
============================  ==========================================================
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mechsim.collab.data import DataInfo
from mechsim.core.params import Constraint, Integer, Nullable, Options, Real, validate_params
from mechsim.core.registry import register
from mechsim.errors import ParameterError

__all__ = [
    "Heterogeneity",
    "Clean",
    "LabelNoise",
    "FeatureNoise",
    "MissingValues",
    "PowerLaw",
    "NonStationaryNoise",
    "linear_levels",
]

_ORDER = Options(("ascending", "shuffled"))


def linear_levels(n_nodes: int, max_noise: float) -> np.ndarray:
    """``max_noise * i / (N - 1)`` for ``i = 0 .. N-1`` (all zero for one node)."""
    if n_nodes == 1:
        return np.zeros(1)
    return max_noise * np.arange(n_nodes) / (n_nodes - 1)


class Heterogeneity:
    """Base class of heterogeneity profiles.

    After ``reset``: ``sizes_`` (N,) int, the samples per chunk of every node.
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}

    def reset(self, *, n_nodes: int, n_rounds: int, chunk_size: int, rng: np.random.Generator) -> None:
        self.params_ = self.get_params()
        self.n_nodes_, self.n_rounds_ = int(n_nodes), int(n_rounds)
        self.sizes_ = np.full(self.n_nodes_, int(chunk_size), dtype=np.int64)
        self.base_ = self._arrange(self._base_levels(), rng)

    def _base_levels(self) -> np.ndarray:
        return np.zeros(self.n_nodes_)

    def _arrange(self, levels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.params_.get("order") == "shuffled":
            return levels[rng.permutation(levels.size)]
        return levels

    def levels(self, t: int) -> np.ndarray:
        """Corruption level of every node at round ``t``; shape (N,)."""
        return self.base_

    def quality(self) -> np.ndarray:
        """Ground-truth noise level of every node (higher is worse); shape (N,)."""
        return np.mean([self.levels(t) for t in range(self.n_rounds_)], axis=0) if self.n_rounds_ else self.base_

    def corrupt(self, node: int, t: int, x: np.ndarray, y: np.ndarray, *, info: DataInfo, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Corrupt node ``node``'s chunk of round ``t`` (copies; the pool is untouched)."""
        return x, y

    def get_params(self) -> dict[str, Any]:
        return validate_params(self)


@register("collab/clean-v1", kind="collab.heterogeneity")
class Clean(Heterogeneity):
    """No heterogeneity: equal chunk sizes, clean data everywhere."""

    def __init__(self) -> None:
        pass


class _FractionNoise(Heterogeneity):
    """A fraction ``level_i`` of every chunk's samples is corrupted by ``_apply``."""

    def _base_levels(self) -> np.ndarray:
        return linear_levels(self.n_nodes_, self.params_["max_noise"])

    def corrupt(self, node, t, x, y, *, info, rng):
        level = float(self.levels(t)[node])
        mask = rng.random(len(y)) < level
        if not mask.any():
            return x, y
        return self._apply(x.copy(), y.copy(), mask, info, rng)

    def _apply(self, x, y, mask, info, rng):  # pragma: no cover - abstract
        raise NotImplementedError


def _noisy_labels(y: np.ndarray, mask: np.ndarray, info: DataInfo, rng: np.random.Generator) -> np.ndarray:
    k = int(mask.sum())
    if info.task == "classification":
        y[mask] = rng.integers(0, info.n_outputs, size=k)
    else:
        y[mask] = rng.standard_normal(k).astype(y.dtype)
    return y


@register("collab/label-noise-v1", kind="collab.heterogeneity")
class LabelNoise(_FractionNoise):
    """Label noise rising across nodes: node ``i`` relabels a fraction ``max_noise * i/(N-1)``.

    Parameters
    ----------
    max_noise : float in [0, 1], default 0.8
    order : {"ascending", "shuffled"}, default "ascending"
        ``"shuffled"`` hands the levels to the nodes in a random order.
    """

    _parameter_constraints: ClassVar[dict] = {"max_noise": Real(0.0, 1.0), "order": _ORDER}

    def __init__(self, *, max_noise: float = 0.8, order: str = "ascending") -> None:
        self.max_noise = max_noise
        self.order = order

    def _apply(self, x, y, mask, info, rng):
        return x, _noisy_labels(y, mask, info, rng)


@register("collab/feature-noise-v1", kind="collab.heterogeneity")
class FeatureNoise(_FractionNoise):
    """Feature noise rising across nodes: N(0, noise_std²) added to a fraction of samples.

    Parameters
    ----------
    max_noise : float in [0, 1], default 0.8
    noise_std : float > 0, default 1.2 (features are standardised)
    order : {"ascending", "shuffled"}, default "ascending"
    """

    _parameter_constraints: ClassVar[dict] = {
        "max_noise": Real(0.0, 1.0),
        "noise_std": Real(0.0, None, closed="neither"),
        "order": _ORDER,
    }

    def __init__(self, *, max_noise: float = 0.8, noise_std: float = 1.2, order: str = "ascending") -> None:
        self.max_noise = max_noise
        self.noise_std = noise_std
        self.order = order

    def _apply(self, x, y, mask, info, rng):
        x[mask] += (self.params_["noise_std"] * rng.standard_normal((int(mask.sum()), x.shape[1]))).astype(x.dtype)
        return x, y


@register("collab/missing-values-v1", kind="collab.heterogeneity")
class MissingValues(_FractionNoise):
    """Missing values rising across nodes: a fraction of samples has features zeroed.

    Parameters
    ----------
    max_noise : float in [0, 1], default 0.8
    missing_prob : float in [0, 1], default 0.5
        Probability that a feature of a selected sample is missing (set to 0, the mean).
    order : {"ascending", "shuffled"}, default "ascending"
    """

    _parameter_constraints: ClassVar[dict] = {
        "max_noise": Real(0.0, 1.0),
        "missing_prob": Real(0.0, 1.0),
        "order": _ORDER,
    }

    def __init__(self, *, max_noise: float = 0.8, missing_prob: float = 0.5, order: str = "ascending") -> None:
        self.max_noise = max_noise
        self.missing_prob = missing_prob
        self.order = order

    def _apply(self, x, y, mask, info, rng):
        keep = rng.random((int(mask.sum()), x.shape[1])) >= self.params_["missing_prob"]
        x[mask] = x[mask] * keep
        return x, y


@register("collab/powerlaw-v1", kind="collab.heterogeneity")
class PowerLaw(Heterogeneity):
    """Quantity skew: chunk sizes proportional to power-law quantiles (node 0 the largest).

    Sizes ``∝ linspace(F⁻¹(0.3), F⁻¹(0.99), N)`` for ``F`` the power-law distribution
    with exponent ``a`` (scipy ``powerlaw``), reversed so that node 0 is the richest,
    rescaled to a mean of ``chunk_size`` (at least one sample). The ground-truth
    "noise level" is minus the relative size, as in the official code.

    Parameters
    ----------
    a : float > 0, default 1.659
    order : {"ascending", "shuffled"}, default "ascending"
    """

    _parameter_constraints: ClassVar[dict] = {"a": Real(0.0, None, closed="neither"), "order": _ORDER}

    def __init__(self, *, a: float = 1.659, order: str = "ascending") -> None:
        self.a = a
        self.order = order

    def reset(self, *, n_nodes, n_rounds, chunk_size, rng) -> None:
        from scipy.stats import powerlaw

        super().reset(n_nodes=n_nodes, n_rounds=n_rounds, chunk_size=chunk_size, rng=rng)
        a = self.params_["a"]
        shares = np.linspace(powerlaw.ppf(0.3, a), powerlaw.ppf(0.99, a), self.n_nodes_)[::-1]
        shares = self._arrange(shares / shares.sum(), rng)
        self.sizes_ = np.maximum(1, np.round(shares * chunk_size * self.n_nodes_)).astype(np.int64)
        self.base_ = np.zeros(self.n_nodes_)

    def quality(self) -> np.ndarray:
        return -self.sizes_ / self.sizes_.sum()


@register("collab/nonstationary-v1", kind="collab.heterogeneity")
class NonStationaryNoise(_FractionNoise):
    """Label noise rising across nodes, with one node's level changing over time.

    The other nodes keep the stationary profile ``max_noise * i/(N-1)``. Node
    ``node`` ramps linearly over ``ramp_rounds`` rounds: ``"inc"`` from 0 to
    ``max_noise``, ``"dec"`` from ``max_noise`` to 0, ``"both"`` up to ``max_noise``
    at mid-ramp and back to 0. Its ground-truth quality is its mean level over the run.

    Parameters
    ----------
    max_noise : float in [0, 1], default 0.8
    node : int >= 0, default 0
        The drifting node (must be < n_nodes).
    direction : {"inc", "dec", "both"}, default "inc"
    ramp_rounds : int >= 1 or None, default None (half the run)
    order : {"ascending", "shuffled"}, default "ascending"
    """

    _parameter_constraints: ClassVar[dict] = {
        "max_noise": Real(0.0, 1.0),
        "node": Integer(0, None),
        "direction": Options(("inc", "dec", "both")),
        "ramp_rounds": Nullable(Integer(1, None)),
        "order": _ORDER,
    }

    def __init__(
        self,
        *,
        max_noise: float = 0.8,
        node: int = 0,
        direction: str = "inc",
        ramp_rounds: int | None = None,
        order: str = "ascending",
    ) -> None:
        self.max_noise = max_noise
        self.node = node
        self.direction = direction
        self.ramp_rounds = ramp_rounds
        self.order = order

    def reset(self, *, n_nodes, n_rounds, chunk_size, rng) -> None:
        super().reset(n_nodes=n_nodes, n_rounds=n_rounds, chunk_size=chunk_size, rng=rng)
        if self.params_["node"] >= self.n_nodes_:
            raise ParameterError(
                f"The 'node' parameter of {type(self).__name__} must be a node index < n_nodes={self.n_nodes_}. "
                f"Got {self.params_['node']} instead.", parameter="node")
        self.ramp_ = self.params_["ramp_rounds"] or max(1, self.n_rounds_ // 2)

    def levels(self, t: int) -> np.ndarray:
        p = self.params_
        s = min(1.0, t / self.ramp_)
        level = {"inc": s, "dec": 1.0 - s, "both": 1.0 - abs(2.0 * s - 1.0)}[p["direction"]] * p["max_noise"]
        out = self.base_.copy()
        out[p["node"]] = level
        return out

    def _apply(self, x, y, mask, info, rng):
        return x, _noisy_labels(y, mask, info, rng)
