"""Top-k compression with error feedback, payload validation and the index-overlap measure.

A parameter vector of length ``d`` is cut into ``n_chunks = d // chunk`` contiguous
chunks (the cheap stand-in for DeMo's 64 x 64 DCT blocks; the DCT itself is left
out). A payload keeps, per chunk row, the ``topk`` coordinates of largest magnitude:
``idx`` (..., n_chunks, topk) int64 indices *within the chunk* and ``vals`` of the
same shape. ``count`` (...,) is the number of indices per row the peer claims to send
(``topk`` for a well-formed payload), so that the validator's count check sees a
malformed payload without ragged arrays.
"""

from __future__ import annotations

import numpy as np

__all__ = ["probe_indices", "topk_compress", "decode", "ef_step", "valid_payload", "index_overlap", "row_normalise"]


def probe_indices(d: int, chunk: int) -> np.ndarray:
    """The debug slice: elements [10:12] of every 'tensor' (one tensor per chunk)."""
    starts = np.arange(0, d, chunk)
    return (starts[:, None] + np.array([10, 11])[None, :] % chunk).ravel()


def topk_compress(x: np.ndarray, chunk: int, topk: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the ``topk`` largest-magnitude entries per chunk.

    Parameters
    ----------
    x : (..., d) float, ``d`` a multiple of ``chunk``

    Returns
    -------
    idx : (..., d // chunk, topk) int64, sorted within each row
    vals : (..., d // chunk, topk) float, ``x`` at those indices
    """
    rows = x.reshape(*x.shape[:-1], x.shape[-1] // chunk, chunk)
    key = np.abs(rows)
    np.negative(key, out=key)  # -|x| without a second temporary
    idx = np.argpartition(key, topk - 1, axis=-1)[..., :topk]
    idx.sort(axis=-1)
    return idx.astype(np.int64), np.take_along_axis(rows, idx, axis=-1)


def decode(idx: np.ndarray, vals: np.ndarray, chunk: int) -> np.ndarray:
    """Dense (..., n_chunks * chunk) vector from a payload (zeros elsewhere)."""
    out = np.zeros((*idx.shape[:-1], chunk), dtype=np.result_type(vals, np.float32))
    np.put_along_axis(out, np.clip(idx, 0, chunk - 1), vals, axis=-1)
    return out.reshape(*idx.shape[:-2], -1)


def ef_step(e: np.ndarray, g: np.ndarray, decay: float, scale: float, chunk: int, topk: int) -> tuple[np.ndarray, np.ndarray]:
    """One DeMo-style error-feedback step, in place on ``e``: e <- decay e + scale g; send top-k; e -= sent."""
    e *= decay
    if scale == 1.0:
        e += g  # 1.0 * g == g: skips a temporary
    else:
        e += scale * g
    idx, vals = topk_compress(e, chunk, topk)
    rows = e.reshape(*e.shape[:-1], e.shape[-1] // chunk, chunk)
    np.put_along_axis(rows, idx, 0.0, axis=-1)
    return idx, vals


def valid_payload(idx: np.ndarray, vals: np.ndarray, count: np.ndarray, chunk: int, topk: int) -> np.ndarray:
    """(...,) bool: claimed count == topk, every index in [0, chunk), every value finite."""
    in_range = ((idx >= 0) & (idx < chunk)).all(axis=(-1, -2))
    finite = np.isfinite(vals).all(axis=(-1, -2))
    return (np.asarray(count) == topk) & in_range & finite


def row_normalise(vals: np.ndarray) -> np.ndarray:
    """Values divided by their L2 norm per chunk row (rows of zeros stay zero)."""
    n = np.sqrt(np.sum(vals * vals, axis=-1, keepdims=True))
    return np.divide(vals, n, out=np.zeros_like(vals), where=n > 0)


def index_overlap(idx: np.ndarray, chunk: int) -> np.ndarray:
    """(..., P, P) mean per-chunk fraction of shared top-k indices between payloads.

    ``idx`` is (..., P, n_chunks, topk); the result's diagonal is 1.
    """
    topk = idx.shape[-1]
    onehot = np.zeros((*idx.shape[:-1], chunk), dtype=np.float32)
    np.put_along_axis(onehot, np.clip(idx, 0, chunk - 1), 1.0, axis=-1)
    # (..., n_chunks, P, chunk) @ (..., n_chunks, chunk, P) -> shared counts per chunk
    a = np.moveaxis(onehot, -3, -2)
    shared = a @ np.swapaxes(a, -1, -2)
    return shared.mean(axis=-3) / topk
