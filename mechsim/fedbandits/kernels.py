"""Vectorised LinUCB kernels of the federated clients: Sherman-Morrison and incremental log-det.

The clients of every replication form one batch of ``B = R * N`` rows. Arm
selection and the rank-one inverse update are the bandits family's own
:class:`~mechsim.bandits.policies.linucb.LinUCB` kernels (``select`` and
``update``, imported, not copied): :class:`ClientBatch` binds them to the batch's
arrays and replaces the single scalar exploration width by one width per row,
because every client has seen a different number of observations after its
downloads. The log-determinant is kept incrementally by the matrix determinant
lemma, ``log det(A + x x^T) = log det A + log(1 + x^T A^-1 x)``, so a client step
costs O(d^2) instead of the reference code's ``inv`` and ``det`` (O(d^3)).
"""

from __future__ import annotations

import math

import numpy as np

from mechsim.bandits.base import argmax_first
from mechsim.bandits.policies.linucb import LinUCB

__all__ = ["ClientBatch", "confidence_width", "logdet_spd", "quad_form", "argmax_first"]


def logdet_spd(a: np.ndarray) -> np.ndarray:
    """``log det`` of symmetric positive definite matrices (..., d, d) by Cholesky; shape (...)."""
    chol = np.linalg.cholesky(a)
    return 2.0 * np.log(np.diagonal(chol, axis1=-2, axis2=-1)).sum(axis=-1)


def quad_form(a_inv: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``x^T A^-1 x`` per row: ``a_inv`` (B, d, d), ``x`` (B, d) -> (B,)."""
    return np.einsum("bi,bij,bj->b", x, a_inv, x)


def confidence_width(n_obs: np.ndarray, *, dim: int, reg: float, noise: float, delta: float, scale: float) -> np.ndarray:
    """DisLinUCB's width ``scale * (sigma sqrt(d log(1 + n/(d lambda)) + 2 log(1/delta)) + sqrt(lambda))``.

    ``n_obs`` (B,) observations in each client's statistics; returns (B,).
    """
    n = np.asarray(n_obs, dtype=float)
    radius = noise * np.sqrt(dim * np.log1p(n / (dim * reg)) + 2.0 * math.log(1.0 / delta))
    return scale * (radius + math.sqrt(reg))


class ClientBatch(LinUCB):
    """LinUCB state of ``B`` clients at once, stepping with the bandits family's kernels.

    Attributes (all batch-leading, written in place)
    ------------------------------------------------
    v_inv_ : (B, d, d) ``A_i^-1 = (V_i + reg I)^-1``
    b_ : (B, d) ``b_i``
    logdet_ : (B,) ``log det A_i``
    n_rows_ : (B,) observations in ``V_i`` (downloaded plus local)
    width_ : (B,) exploration width of the current step (per row)
    """

    def bind(self, *, dim: int, n_rows: int, reg: float, noise: float, delta: float, scale: float) -> ClientBatch:
        """Fresh statistics for ``n_rows`` clients: ``A = reg I``, ``b = 0``."""
        self.params_ = {"alpha": None, "reg": reg, "delta": delta, "noise": noise, "theta_bound": 1.0, "context_bound": 1.0}
        self.dim_ = dim
        self.width_scale_ = scale
        self.rows_ = np.arange(n_rows)
        self.v_inv_ = np.broadcast_to(np.eye(dim) / reg, (n_rows, dim, dim)).copy()
        self.b_ = np.zeros((n_rows, dim))
        self.chosen_x_ = np.zeros((n_rows, dim))
        self.logdet_ = np.full(n_rows, dim * math.log(reg))
        self.n_rows_ = np.zeros(n_rows)
        self.n_obs_ = 0
        return self

    def beta(self) -> np.ndarray:  # type: ignore[override]
        """One width per row, shape (B, 1), so that ``LinUCB.select`` broadcasts it over the arms."""
        p = self.params_
        w = confidence_width(self.n_rows_, dim=self.dim_, reg=p["reg"], noise=p["noise"], delta=p["delta"], scale=self.width_scale_)
        return w[:, None]

    def step(self, contexts: np.ndarray, rewards_of: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Select, observe and update every active row.

        Parameters
        ----------
        contexts : (B, K, d) the arm features each client faces
        rewards_of : (B, K) the reward each arm would give (noise included)
        active : (B,) bool, rows that act this step (idle rows are left unchanged)

        Returns
        -------
        arms : (B,) int, the chosen arm per row
        x : (B, d) the chosen features (zero on idle rows)
        gain : (B,) ``log(1 + x^T A^-1 x)``, the log-det increment of the step (0 on idle rows)
        """
        arms = self.select(0, contexts)  # LinUCB's index, one width per row
        x = self.chosen_x_ * active[:, None]
        self.chosen_x_ = x
        y = rewards_of[self.rows_, arms] * active
        gain = self.rank_one(x, y)
        self.logdet_ += gain
        self.n_rows_ += active
        return arms, x, gain

    def rank_one(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Sherman-Morrison ``A^-1 <- A^-1 - A^-1 x x^T A^-1 / (1 + x^T A^-1 x)`` and ``b += y x``, in place.

        The same update as ``LinUCB.update`` (tested equal), fused with the log-det
        increment and with the outer product as a broadcast instead of a stacked
        ``matmul`` of (d, 1) by (1, d) blocks, which numpy runs about 10x slower at
        B = 200, d = 25 (``benchmarks/bench_fedbandits.py`` measures both).
        Returns the increments ``log(1 + x^T A^-1 x)`` (B,).
        """
        vx = np.einsum("bij,bj->bi", self.v_inv_, x)
        q = np.einsum("bi,bi->b", x, vx)
        self.v_inv_ -= (vx / (1.0 + q)[:, None])[:, :, None] * vx[:, None, :]
        self.b_ += y[:, None] * x
        self.n_obs_ += 1
        return np.log1p(q)

    def load(self, rows: np.ndarray, gram: np.ndarray, b: np.ndarray, n_obs: np.ndarray) -> None:
        """Replace rows' statistics (a download): ``V_i = gram`` (k, d, d) without the ridge, ``b`` (k, d)."""
        a = gram + self.params_["reg"] * np.eye(self.dim_)
        self.v_inv_[rows] = np.linalg.inv(a)
        self.b_[rows] = b
        self.logdet_[rows] = logdet_spd(a)
        self.n_rows_[rows] = n_obs
