"""Weight maps from final scores, and the stake-weighted Yuma consensus of several validators.

``power`` (v0.2.88 ``min_power_normalization``): w = F^gamma / sum F^gamma over F > 0,
all zeros when that sum is <= 1e-8. ``gather_reserve`` (HEAD v2.1.3): a ``burn_rate``
share is burned; of the rest 75 % goes to the top 20 positive peers on a linear 2:1
ramp and 25 % to the next 10 on a geometric 0.5 decay, scaled down so that the largest
reserve weight is at most half the smallest gather weight; then all is renormalised to 1 - burn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["map_weights", "power_weights", "gather_reserve_weights", "yuma_incentive"]


def power_weights(F: np.ndarray, gamma: float, floor: float = 1e-8) -> np.ndarray:
    """(..., N) F^gamma normalised over positive F (zeros if the sum is <= ``floor``)."""
    pos = np.where(F > 0, F, 0.0) ** gamma
    tot = pos.sum(axis=-1, keepdims=True)
    return np.divide(pos, tot, out=np.zeros_like(pos), where=tot > floor)


def gather_reserve_weights(F: np.ndarray, burn_rate: float, n_gather: int = 20, n_reserve: int = 10) -> np.ndarray:
    """(..., N) HEAD's piecewise emission (shares of the miner emission; the burn is not paid)."""
    out = np.zeros(F.shape)
    flat, res = F.reshape(-1, F.shape[-1]), out.reshape(-1, F.shape[-1])
    for r in range(flat.shape[0]):
        pos = np.flatnonzero(flat[r] > 0)
        order = pos[np.argsort(-flat[r, pos], kind="stable")]
        g, rv = order[:n_gather], order[n_gather : n_gather + n_reserve]
        if g.size == 0:
            continue
        ramp = np.linspace(2.0, 1.0, g.size) if g.size > 1 else np.ones(1)
        wg = 0.75 * ramp / ramp.sum()
        wr = 0.25 * 0.5 ** np.arange(rv.size)
        if rv.size:
            wr = wr / wr.sum() * 0.25
            if wr.max() > 0.5 * wg.min():  # cap: largest reserve <= half the smallest gather weight
                wr *= 0.5 * wg.min() / wr.max()
        tot = wg.sum() + wr.sum()
        res[r, g] = wg / tot * (1 - burn_rate)
        res[r, rv] = wr / tot * (1 - burn_rate)
    return out


def map_weights(F: np.ndarray, s: Mapping[str, Any]) -> np.ndarray:
    if s["weight_map"] == "power":
        return power_weights(F, s["gamma"], s["weight_floor"])
    return gather_reserve_weights(F, s["burn_rate"])


def yuma_incentive(W: np.ndarray, stake: np.ndarray, kappa: float = 0.5) -> np.ndarray:
    """Miner incentive from validators' weight rows (spec section 2.3, simplified Yuma).

    Parameters
    ----------
    W : (V, N) each validator's weights (rows normalised to sum 1, or all zero)
    stake : (V,) validator stakes
    kappa : the stake quantile of the consensus (0.5 = stake-weighted median)

    Returns
    -------
    (N,) incentive I_j = R_j / sum R with R_j = sum_i S_i min(W_ij, C_j), where C_j is the
    largest weight w such that validators holding at least ``kappa`` of the stake put
    weight >= w on j.
    """
    W = np.asarray(W, dtype=float)
    S = np.asarray(stake, dtype=float) / np.sum(stake)
    order = np.argsort(-W, axis=0, kind="stable")  # per miner, validators by weight descending
    ws = np.take_along_axis(W, order, axis=0)
    cs = np.cumsum(S[order], axis=0)
    first = np.argmax(cs >= kappa - 1e-12, axis=0)
    C = ws[first, np.arange(W.shape[1])]
    Rk = (S[:, None] * np.minimum(W, C[None, :])).sum(axis=0)
    tot = Rk.sum()
    return Rk / tot if tot > 0 else np.zeros_like(Rk)
