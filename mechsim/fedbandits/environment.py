"""Nature of the federated linear bandit: a shared ``theta*`` and an item pool the arm sets come from.

Follows the group's synthetic setting (spec §2.1, ``FedGLB-UCB/RunSyntheticDataset.py``):
``theta* ~ N(0, I_d)`` normalised to unit norm; a pool of items whose first ``d - 1``
coordinates are Gaussians normalised onto the unit sphere and whose last
coordinate is a bias of 1 (scaled by ``1/sqrt(2)`` so that ``||x|| <= 1``); each
client step draws ``n_arms`` candidates from the pool; rewards are
``x^T theta* + N(0, noise^2)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from mechsim.core.params import Integer, Real, validate_params
from mechsim.core.registry import register

__all__ = ["ArmPool", "PoolWorld", "ArmDraw"]


@dataclass(frozen=True)
class ArmDraw:
    """One step's arm sets of N clients: ``contexts`` (N, K, d), ``rewards`` (N, K) with noise,
    ``means`` (N, K) without."""

    contexts: np.ndarray
    rewards: np.ndarray
    means: np.ndarray


@dataclass
class PoolWorld:
    """One replication's ``theta*`` (d,) and item pool (P, d), with its own generator."""

    theta: np.ndarray
    pool: np.ndarray
    n_arms: int
    noise: float
    rng: np.random.Generator

    def draw(self, n_agents: int) -> ArmDraw:
        """The next step's arm sets (the same draws whichever clients act: common random numbers)."""
        idx = self.rng.integers(0, self.pool.shape[0], size=(n_agents, self.n_arms))
        noise = self.noise * self.rng.standard_normal((n_agents, self.n_arms))
        ctx = self.pool[idx]
        means = self.pool_means[idx]
        return ArmDraw(ctx, means + noise, means)

    def draw_items(self, n_agents: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The same draws as :meth:`draw` (same generator calls, same order) without the feature gather:
        ``idx`` (N, K) pool items, ``rewards`` (N, K), ``means`` (N, K). The numba path gathers in its kernel."""
        idx = self.rng.integers(0, self.pool.shape[0], size=(n_agents, self.n_arms))
        noise = self.noise * self.rng.standard_normal((n_agents, self.n_arms))
        means = self.pool_means[idx]
        return idx, means + noise, means

    def __post_init__(self) -> None:
        self.pool_means = self.pool @ self.theta


@register("fedbandits/arm-pool-v1", kind="fedbandits.environment")
class ArmPool:
    """Linear rewards on arm sets drawn from a fixed item pool.

    Parameters
    ----------
    dim : int >= 2, default 10
        Feature dimension d (the last coordinate is the bias).
    pool_size : int >= 1, default 1000
    n_arms : int >= 1, default 25
        Candidates per client step (drawn with replacement from the pool).
    noise : float >= 0, default 0.1
        Standard deviation of the Gaussian reward noise.
    """

    _parameter_constraints: ClassVar[dict] = {
        "dim": Integer(2, None),
        "pool_size": Integer(1, None),
        "n_arms": Integer(1, None),
        "noise": Real(0.0, None),
    }

    def __init__(self, *, dim: int = 10, pool_size: int = 1000, n_arms: int = 25, noise: float = 0.1) -> None:
        self.dim = dim
        self.pool_size = pool_size
        self.n_arms = n_arms
        self.noise = noise

    def get_params(self) -> dict:
        return validate_params(self)

    def world(self, rng: np.random.Generator) -> PoolWorld:
        """A replication's world: ``theta*`` and the pool from ``rng``, which then drives the arm draws."""
        p = self.get_params()
        d = p["dim"]
        theta = rng.standard_normal(d)
        theta /= np.linalg.norm(theta)
        z = rng.standard_normal((p["pool_size"], d - 1))
        z /= np.linalg.norm(z, axis=1, keepdims=True)
        pool = np.hstack([z, np.ones((p["pool_size"], 1))]) / np.sqrt(2.0)
        return PoolWorld(theta=theta, pool=pool, n_arms=p["n_arms"], noise=p["noise"], rng=rng)
