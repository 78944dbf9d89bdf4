"""The statistics of FAIR-EQUAL: the Hotelling T² stopping test and softmax selection.

Lin, Xu, Ng, Foo, Low, "Fair yet Asymptotically Equal Collaborative Learning"
(ICML 2023); official code ``utils.py`` (``multivariate_ttest`` call at L998-1032,
``softmax`` L484, ``selection_proba_processing`` L1034-1050).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from mechsim.errors import ParameterError

__all__ = ["hotelling_t2", "hotelling_stop", "selection_probabilities"]


def hotelling_t2(x: np.ndarray, mu0: np.ndarray) -> tuple[float, float, float]:
    """One-sample Hotelling T² test of ``H0: E[x] = mu0``.

    ``T² = n (x̄ - μ0)ᵀ S⁺ (x̄ - μ0)`` with ``S`` the sample covariance (``ddof=1``)
    and ``S⁺`` its pseudo-inverse (near-constant columns make ``S`` singular);
    ``F = (n - d) / (d (n - 1)) T²`` follows ``F(d, n - d)`` under ``H0``.

    Parameters
    ----------
    x : (n, d) float array, n > d >= 1
    mu0 : (d,) float array

    Returns
    -------
    (T², F, p-value) : tuple of float
        ``p = P[F(d, n - d) > F]``; ``p = 1`` when ``x̄ = μ0`` exactly.
    """
    x = np.asarray(x, dtype=float)
    mu0 = np.asarray(mu0, dtype=float)
    if x.ndim != 2 or mu0.shape != (x.shape[1],):
        raise ParameterError(
            f"The 'x' and 'mu0' parameters of hotelling_t2 must have shapes (n, d) and (d,). "
            f"Got {x.shape} and {mu0.shape} instead."
        )
    n, d = x.shape
    if n <= d:
        raise ParameterError(f"The 'x' parameter of hotelling_t2 must have more rows than columns. Got shape {x.shape} instead.", parameter="x")
    diff = x.mean(axis=0) - mu0
    cov = np.atleast_2d(np.cov(x, rowvar=False, ddof=1))
    t2 = float(n * diff @ np.linalg.pinv(cov, hermitian=True) @ diff)
    t2 = max(t2, 0.0)
    f = (n - d) / (d * (n - 1)) * t2
    p = float(stats.f.sf(f, d, n - d)) if t2 > 0 else 1.0
    return t2, f, p


def hotelling_stop(history: np.ndarray, window: int, alpha: float) -> tuple[bool, float]:
    """The exploration stopping rule of FAIR-EQUAL.

    ``history`` holds the per-round contributions of the ``d`` tracked nodes, one
    row per exploration round so far (n rows). The reference mean ``μ0`` is the mean
    of the first ``n - window`` rows (the estimate ``window`` rounds ago); the test
    uses all ``n`` rows. Exploration stops when the test cannot reject that the two
    agree, ``p > alpha``: the estimate has stabilised. A larger ``alpha`` stops later.

    No stop (and ``p = nan``) while ``n <= window`` or ``n <= d``.

    Returns
    -------
    (stop, p_value)
    """
    history = np.asarray(history, dtype=float)
    n, d = history.shape
    if n <= window or n <= d:
        return False, math.nan
    mu0 = history[: n - window].mean(axis=0)
    _, _, p = hotelling_t2(history, mu0)
    return p > alpha, p


def selection_probabilities(
    scores: np.ndarray, beta: float, available: np.ndarray, score_type: str = "proportion"
) -> np.ndarray:
    """Selection probabilities ``p = softmax(β ψ̂)`` over the available nodes.

    ``p_i = exp(β (ψ̂_i - max ψ̂)) / Σ_j exp(β (ψ̂_j - max ψ̂))``; a ``nan`` result
    falls back to uniform; ``1e-30`` is added before normalising so that
    sampling ``k`` nodes without replacement never runs out of non-zero entries
    (as the official code). Unavailable nodes get probability 0.

    ``score_type`` (the code's ablations): ``"proportion"`` (the above),
    ``"reverse"`` (the probabilities handed out in reverse rank order, so the worst
    contributors are favoured) or ``"uniform"``.

    Returns
    -------
    (N,) float array summing to one (all zeros when no node is available).
    """
    scores = np.asarray(scores, dtype=float)
    available = np.asarray(available, dtype=bool)
    p = np.zeros(scores.size)
    idx = np.flatnonzero(available)
    if idx.size == 0:
        return p
    s = scores[idx]
    if score_type == "uniform" or not np.all(np.isfinite(s)):
        q = np.full(idx.size, 1.0 / idx.size)
    else:
        z = beta * (s - s.max())
        q = np.exp(z)
        q = q / q.sum()
        if not np.all(np.isfinite(q)):
            q = np.full(idx.size, 1.0 / idx.size)
        if score_type == "reverse":
            # The node with the k-th largest score gets the k-th smallest probability.
            order = np.argsort(-s, kind="stable")
            q_sorted = np.sort(q)
            rev = np.empty_like(q)
            rev[order] = q_sorted
            q = rev
    q = q + 1e-30
    p[idx] = q / q.sum()
    return p
