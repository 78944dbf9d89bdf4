"""Small vectorised kernels shared by the bandit policies.

Every array has a leading replication axis of length ``R``; arm axes have length
``K``. Nothing here loops over replications or arms in Python.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MeanTracker", "arm_major_zeros", "as_floats", "as_ints", "flat_view", "sample_categorical"]


def arm_major_zeros(n_replications: int, n_arms: int, dtype: type = float) -> np.ndarray:
    """Zeros of shape (R, K) stored arm-major (Fortran order).

    Policies reduce over the few arms of every replication (max, sum, argmax,
    cumsum over axis 1). numpy runs such reductions about ten times faster when
    each arm's column is contiguous (K passes over R values) than row by row over
    rows of K values (measured with R = 1000, K = 10: row max 5 us vs 76 us).
    Element-wise results of arm-major inputs stay arm-major.
    """
    return np.zeros((n_replications, n_arms), dtype=dtype, order="F")


class MeanTracker:
    """Pull counts and reward sums of shape (R, K), updated by scatter-add.

    Parameters
    ----------
    n_replications, n_arms : int
        ``R`` and ``K``.

    Attributes
    ----------
    counts, sums : (R, K) float, arm-major
        Number of pulls and sum of observed rewards of every arm.
    counts_flat, sums_flat : (R * K,) float
        Flat views of the same memory, indexed by :meth:`flat` (one-dimensional
        fancy indexing is about three times faster than ``a[rows, arms]``).
    rows : (R,) int
        ``arange(R)``.
    """

    def __init__(self, n_replications: int, n_arms: int) -> None:
        self.counts = arm_major_zeros(n_replications, n_arms)
        self.sums = arm_major_zeros(n_replications, n_arms)
        self.counts_flat = flat_view(self.counts)
        self.sums_flat = flat_view(self.sums)
        self.rows = np.arange(n_replications)

    def flat(self, arms: np.ndarray) -> np.ndarray:
        """Flat positions of the entries ``(r, arms[r])`` of arm-major (R, K) arrays."""
        return self.rows + arms * self.rows.size

    def add(self, arms: np.ndarray, rewards: np.ndarray) -> np.ndarray:
        """Record one pull per replication: ``arms`` (R,) int, ``rewards`` (R,) float.

        Returns the flat positions of the updated entries (see :meth:`flat`).
        """
        at = self.flat(arms)
        self.counts_flat[at] += 1.0
        self.sums_flat[at] += rewards
        return at

    def means(self, unpulled: float = 0.0) -> np.ndarray:
        """Empirical means (R, K); arms never pulled get the value ``unpulled``."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.counts > 0, self.sums / np.maximum(self.counts, 1.0), unpulled)


def flat_view(a: np.ndarray) -> np.ndarray:
    """The arm-major (R, K) array ``a`` as a flat view (entry (r, k) at ``r + k R``)."""
    view = a.ravel(order="F")
    if not np.shares_memory(view, a):
        raise ValueError("flat_view needs an arm-major (Fortran-ordered) array")
    return view


def sample_categorical(probs: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One draw per row of ``probs`` (R, K) by inverse CDF, from uniforms ``u`` (R,) in [0, 1).

    Row ``r`` gets the first arm ``k`` whose cumulative probability exceeds
    ``u[r] * sum(probs[r])``, so rows need not be normalised exactly and arms of
    probability zero are never drawn. Returns (R,) int64.
    """
    cdf = np.cumsum(probs, axis=1)
    target = u * cdf[:, -1]
    arms = np.count_nonzero(cdf <= target[:, None], axis=1)
    return np.minimum(arms, probs.shape[1] - 1).astype(np.int64, copy=False)


def as_ints(a: np.ndarray) -> np.ndarray:
    """``a`` as a contiguous int64 array (what the compiled kernels take), copied only if needed."""
    return np.ascontiguousarray(a, dtype=np.int64)


def as_floats(a: np.ndarray) -> np.ndarray:
    """``a`` as a contiguous float64 array, copied only if needed."""
    return np.ascontiguousarray(a, dtype=np.float64)
