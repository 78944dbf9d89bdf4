"""Means with confidence intervals over replications."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["mean_ci", "ci_dict"]


def mean_ci(x: np.ndarray, axis: int = 0, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and Student-t confidence band of ``x`` along ``axis``.

    Returns ``(mean, low, high)``. With one replication the band collapses to the mean.
    """
    x = np.asarray(x, dtype=float)
    n = x.shape[axis]
    mean = x.mean(axis=axis)
    if n < 2:
        return mean, mean.copy(), mean.copy()
    sem = x.std(axis=axis, ddof=1) / np.sqrt(n)
    half = stats.t.ppf(0.5 + level / 2, df=n - 1) * sem
    return mean, mean - half, mean + half


def ci_dict(x: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """``{"mean", "ci_low", "ci_high", "std", "n"}`` of a 1-D sample."""
    x = np.asarray(x, dtype=float).ravel()
    m, lo, hi = mean_ci(x, level=level)
    return {
        "mean": float(m),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "std": float(x.std(ddof=1)) if x.size > 1 else 0.0,
        "n": int(x.size),
    }
