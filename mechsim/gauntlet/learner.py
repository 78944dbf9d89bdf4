"""The cheap faithful learning problem of spec section 10.1, vectorised over replications and peers.

Model: a parameter vector theta in R^d. Shard ``D`` has its own optimum
``theta*_t + xi_D`` with ``xi_D ~ N(0, shard_sd^2 I)``, and

    L(theta, D) = 0.5 * mean((theta - theta*_t - xi_D)^2) + loss_floor.

The common optimum ``theta*_t`` drifts (a random walk of step ``drift`` per window),
so that, as in LLM pre-training, there is always something left to learn and quality
differences keep showing in the random-shard improvement. The two properties the
mechanism relies on hold by construction: (a) a step computed on shard D lowers
L(., D) more than L(., D') for a fresh shard D' (the xi_D part), and (b) peers that
average more batches (less gradient noise) improve random shards more.

Shards are regenerated from the seed of ``(window, replication, uid)`` as the
validator regenerates a peer's pages: :meth:`own_shards` is a pure function of the
window (one stream per window, drawn for every (replication, uid) at once).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mechsim.core.params import Integer, Real, validate_params
from mechsim.core.registry import register
from mechsim.errors import ParameterError

__all__ = ["QuadraticLearner"]


@register("gauntlet/quadratic-learner-v1", kind="gauntlet.learner")
class QuadraticLearner:
    """Shards with their own optima around a drifting common optimum (spec section 10.1).

    Parameters
    ----------
    dim : int, default 1024
        d, a multiple of ``chunk``.
    chunk : int, default 256
        Compression chunk length (stand-in for a 64 x 64 DCT block).
    topk : int, default 32
        Coordinates sent per chunk.
    shard_sd : float, default 0.05
        Spread of the shard optima around theta*.
    drift : float, default 2e-3
        Per-window random-walk step of theta* (per coordinate).
    init_sd : float, default 0.05
        Initial distance: theta*_0 ~ N(0, init_sd^2 I), theta_0 = 0.
    batch_noise_sd : float, default 0.5
        Gradient noise of one batch; a peer averaging b batches has noise sd / sqrt(b).
    loss_floor : float, default 1e-3
        L0, so that relative improvements are well defined.
    momentum_decay : float, default 0.999
        Error-feedback decay of the peers' DeMo accumulator.
    """

    _parameter_constraints: ClassVar[dict] = {
        "dim": Integer(1, None),
        "chunk": Integer(1, None),
        "topk": Integer(1, None),
        "shard_sd": Real(0.0, None),
        "drift": Real(0.0, None),
        "init_sd": Real(0.0, None),
        "batch_noise_sd": Real(0.0, None),
        "loss_floor": Real(0.0, None, closed="neither"),
        "momentum_decay": Real(0.0, 1.0),
    }

    def __init__(
        self,
        *,
        dim: int = 1024,
        chunk: int = 256,
        topk: int = 32,
        shard_sd: float = 0.05,
        drift: float = 2e-3,
        init_sd: float = 0.05,
        batch_noise_sd: float = 0.5,
        loss_floor: float = 1e-3,
        momentum_decay: float = 0.999,
    ) -> None:
        self.dim = dim
        self.chunk = chunk
        self.topk = topk
        self.shard_sd = shard_sd
        self.drift = drift
        self.init_sd = init_sd
        self.batch_noise_sd = batch_noise_sd
        self.loss_floor = loss_floor
        self.momentum_decay = momentum_decay

    def reset(self, *, n_replications: int, n_agents: int, seeds: Any) -> None:
        """Start: theta*_0 per replication; ``seeds`` is a SeedTree node for nature's draws."""
        p = validate_params(self)
        if p["dim"] % p["chunk"]:
            raise ParameterError(f"The 'dim' parameter of QuadraticLearner must be a multiple of chunk={p['chunk']}. Got {p['dim']} instead.")
        if p["topk"] > p["chunk"]:
            raise ParameterError(f"The 'topk' parameter of QuadraticLearner must be at most chunk={p['chunk']}. Got {p['topk']} instead.")
        self.p_ = p
        self.R_, self.N_, self.d_ = n_replications, n_agents, p["dim"]
        self.shard_dim = p["dim"]  # a shard is described by its xi (length of own_shards' last axis)
        self.seeds_ = seeds
        self.star_ = (p["init_sd"] * seeds.generator("theta-star").standard_normal((n_replications, p["dim"]))).astype(np.float32)
        self.drift_rng_ = seeds.generator("drift")
        self.cache_: tuple[int, np.ndarray] | None = None

    @property
    def n_chunks(self) -> int:
        return self.d_ // self.p_["chunk"]

    def own_shards(self, t: int) -> np.ndarray:
        """(R, N, d) float32 xi of every peer's assigned shard in window ``t`` (cached per window)."""
        if self.cache_ is None or self.cache_[0] != t:
            rng = self.seeds_.generator("shards", t)
            xi = rng.standard_normal((self.R_, self.N_, self.d_), dtype=np.float32)
            xi *= np.float32(self.p_["shard_sd"])
            self.cache_ = (t, xi)
        return self.cache_[1]

    def shared_shard(self, t: int) -> np.ndarray:
        """(R, d) xi of the public data set that wrong-data trainers use (one per window)."""
        return self.p_["shard_sd"] * self.seeds_.generator("public", t).standard_normal((self.R_, self.d_), dtype=np.float32)

    def random_shard(self, rng: np.random.Generator) -> np.ndarray:
        """(R, d) xi of the validator's random pages (seed U{1000 .. 1e7}: never a peer's)."""
        return self.p_["shard_sd"] * rng.standard_normal((self.R_, self.d_), dtype=np.float32)

    def gradient(self, theta: np.ndarray, xi: np.ndarray, batches: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """(R, N, d) noisy gradient of L(., D) at ``theta`` (R, N, d) for shards ``xi``; ``batches`` (R, N) >= 0."""
        # in place, same operations in the same order as theta - star - xi + noise * sd (bitwise equal)
        g = np.subtract(theta, self.star_[:, None, :], dtype=np.float32)
        g -= xi
        noise = rng.standard_normal(g.shape, dtype=np.float32)
        sd = self.p_["batch_noise_sd"] / np.sqrt(np.maximum(batches, 1e-12))
        noise *= sd[..., None].astype(np.float32)
        g += noise
        return g

    def loss(self, theta: np.ndarray, xi: np.ndarray) -> np.ndarray:
        """L(theta, D) over the last axis (shapes broadcast against theta*[:, None])."""
        star = self.star_.reshape(self.R_, *([1] * (theta.ndim - 2)), self.d_)
        diff = np.asarray(theta, dtype=np.float64) - star - xi  # float64: a 0.2 lr step changes L by ~1e-6
        return 0.5 * np.mean(diff * diff, axis=-1) + self.p_["loss_floor"]

    def excess_loss(self, theta: np.ndarray) -> np.ndarray:
        """(R,) expected loss on a fresh shard minus its minimum: 0.5 mean((theta - theta*)^2)."""
        diff = theta - self.star_
        return 0.5 * np.mean(diff * diff, axis=-1)

    def advance(self) -> None:
        """End of a window: theta* takes its random-walk step."""
        if self.p_["drift"] > 0:
            self.star_ += np.float32(self.p_["drift"]) * self.drift_rng_.standard_normal(self.star_.shape, dtype=np.float32)
