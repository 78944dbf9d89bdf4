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

from mechsim.bandits import kernels as _bk
from mechsim.bandits.base import argmax_first
from mechsim.bandits.policies.linucb import LinUCB

__all__ = ["ClientBatch", "confidence_width", "logdet_spd", "quad_form", "argmax_first", "fused_client_step"]


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
        self.kernel_ = _bk.resolve()  # the bandits family's switch, MECHSIM_BANDIT_KERNEL
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

    def step_fused(self, pools: np.ndarray, idx: np.ndarray, rewards_of: np.ndarray, active: np.ndarray,
                   up_v: np.ndarray, up_b: np.ndarray, up_n: np.ndarray, trig_n: np.ndarray, n_agents: int) -> tuple[np.ndarray, np.ndarray]:
        """The numba path of one client step of every row (:func:`fused_client_step`), buffers included.

        ``pools`` (R, P, d) the replications' item pools, ``idx`` (B, K) the pool items each row faces
        (the kernel gathers the features itself), ``rewards_of`` (B, K). Updates this batch and the
        protocol's upload buffers ``up_v, up_b, up_n`` and the trigger count ``trig_n`` in place.
        Returns ``arms`` (B,) (0 on idle rows) and ``gain`` (B,) ``log1p(x^T A^-1 x)`` (0 on idle rows),
        the logarithm taken by numpy on the kernel's ``q`` (rule 2 of :mod:`mechsim.bandits.kernels`).
        """
        p = self.params_
        width = confidence_width(self.n_rows_, dim=self.dim_, reg=p["reg"], noise=p["noise"], delta=p["delta"], scale=self.width_scale_)
        n = idx.shape[0]
        arms = np.zeros(n, dtype=np.int64)
        q = np.zeros(n)
        fused_client_step(pools, idx, rewards_of, active, width, self.v_inv_, self.b_, self.n_rows_, up_v, up_b, up_n, trig_n,
                          n_agents, arms, q)
        self.n_obs_ += 1
        gain = np.log1p(q)
        self.logdet_ += gain
        return arms, gain


@_bk._jit
def _einsum_dot(a, b):  # noqa: ANN001, ANN202
    # numpy's DOUBLE_sum_of_products_contig_contig_outstride0_two (the loop np.einsum runs for a
    # reduction over a contiguous last axis), at its SSE2 baseline: two lanes, blocks of eight
    # accumulated from the last pair to the first, the tail in pairs padded with zero, the lanes
    # added at the end, then added to the zeroed output. Rounded multiply then add (no FMA), so
    # the sum is bit-identical to np.einsum's (checked in tests/fedbandits/test_fedbandits_kernels.py).
    n = a.shape[0]
    v0 = 0.0
    v1 = 0.0
    i = 0
    while n - i >= 8:
        v0 = a[i + 6] * b[i + 6] + v0
        v1 = a[i + 7] * b[i + 7] + v1
        v0 = a[i + 4] * b[i + 4] + v0
        v1 = a[i + 5] * b[i + 5] + v1
        v0 = a[i + 2] * b[i + 2] + v0
        v1 = a[i + 3] * b[i + 3] + v1
        v0 = a[i] * b[i] + v0
        v1 = a[i + 1] * b[i + 1] + v1
        i += 8
    while i < n:
        v0 = a[i] * b[i] + v0
        if i + 1 < n:
            v1 = a[i + 1] * b[i + 1] + v1
        else:
            v1 = 0.0 * 0.0 + v1
        i += 2
    return 0.0 + (v0 + v1)


@_bk._jit
def fused_client_step(pools, idx, rew, active, width, v_inv, b, n_rows, up_v, up_b, up_n, trig_n, n_agents, arms, q):  # noqa: ANN001, ANN201
    """One client step of every row in one pass: LinUCB's index over the K arms, the arm (ties to the
    lowest index), Sherman-Morrison on ``A^-1``, ``b``, the upload buffers and ``q = x^T A^-1 x``.

    The same operations as :meth:`ClientBatch.step` plus ``FedRun.client_step``'s buffers, in the same
    expression order. Every ``np.einsum`` reduction of the numpy path (the index's mean and width,
    ``A^-1 x``, ``q``) is summed in einsum's own order (:func:`_einsum_dot`), and the elementwise
    updates are the same single roundings. The product ``X A^-1`` over the K arms is numpy's
    ``matmul``, a BLAS dgemm; here it is numba's ``np.dot``, also a dgemm (through scipy's BLAS).
    Where both reach the same dgemm kernel (checked in the tests on this machine: bit-identical),
    every quantity is bit-identical to the numpy path. Where the two BLAS builds differ, the UCB
    index can differ in the last bits, which changes an arm only on a last-bit tie between
    different items; ``A^-1``, ``b`` and ``q`` stay bit-identical for the same arms. At
    ``A = I / reg`` (every client's first step, where unit-norm items tie exactly) the product is
    exact on any BLAS, so those ties are broken the same way.
    Idle rows are left unchanged. No transcendental function is evaluated here.
    """
    n, k_arms = idx.shape
    d = v_inv.shape[1]
    xv = np.empty((k_arms, d))
    xs = np.empty((k_arms, d))
    vx = np.empty(d)
    for row in range(n):
        if not active[row]:
            continue
        pool = pools[row // n_agents]
        m = v_inv[row]
        br = b[row]
        # xv = X A^-1 over the K arms: numba's np.dot is a BLAS dgemm, as numpy's matmul is
        for k in range(k_arms):
            xs[k, :] = pool[idx[row, k]]
        np.dot(xs, m, xv)
        w = width[row]
        best = 0.0
        bk = 0
        for k in range(k_arms):
            mean = _einsum_dot(xv[k], br)
            w2 = _einsum_dot(xv[k], xs[k])
            val = mean + w * np.sqrt(max(w2, 0.0))
            if k == 0 or val > best:
                best = val
                bk = k
        arms[row] = bk
        x = pool[idx[row, bk]]
        y = rew[row, bk]
        # Sherman-Morrison as ClientBatch.rank_one: vx = A^-1 x, q = x^T vx, A^-1 -= (vx / (1 + q)) vx^T
        for i in range(d):
            vx[i] = _einsum_dot(m[i], x)
        qq = _einsum_dot(x, vx)
        den = 1.0 + qq
        for i in range(d):
            a = vx[i] / den
            for j in range(d):
                m[i, j] -= a * vx[j]
        for i in range(d):
            yx = y * x[i]
            br[i] += yx
            up_b[row, i] += yx
            for j in range(d):
                up_v[row, i, j] += x[i] * x[j]
        q[row] = qq
        n_rows[row] += 1.0
        up_n[row] += 1.0
        trig_n[row] += 1.0
