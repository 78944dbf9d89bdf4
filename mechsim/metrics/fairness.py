"""Collaborative fairness: correlation of contributions with rewards.

``contribution`` (for example ψ̂, Shapley values, standalone accuracy, or the negated
noise level) and ``reward`` (a node's model accuracy, -loss, reward value, -staleness)
have shape ``(n,)``, or ``(..., n)`` with nodes on the last axis (for example one row
per replication); a ``(n,)`` contribution broadcasts against a ``(R, n)`` reward.

When either side is constant across nodes the correlation is undefined and the
result is ``nan``: FedAvg, where every node gets the same model, has *no* fairness
score, which is not the same as a score of 0. Report it as "N.A." (§4 of the
fairness spec).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from mechsim.errors import ParameterError
from mechsim.metrics.equality import _as_node_array, _out

__all__ = ["pearson", "spearman", "fairness_report"]


def _pair(contribution: Any, reward: Any, owner: str) -> tuple[np.ndarray, np.ndarray]:
    c = _as_node_array(contribution, "contribution", owner)
    x = _as_node_array(reward, "reward", owner)
    try:
        c, x = np.broadcast_arrays(c, x)
    except ValueError:
        raise ParameterError(
            f"The 'reward' parameter of {owner} must have the shape of 'contribution' {c.shape} "
            f"(nodes on the last axis). Got shape {x.shape} instead."
        ) from None
    return c, x


def _pearson(c: np.ndarray, x: np.ndarray) -> np.ndarray:
    # Constancy is tested exactly (max == min): the mean of equal floats may differ
    # from them in the last bit, which would turn rounding noise into a ±1.
    constant = (c.max(axis=-1) == c.min(axis=-1)) | (x.max(axis=-1) == x.min(axis=-1))
    cc = c - c.mean(axis=-1, keepdims=True)
    xc = x - x.mean(axis=-1, keepdims=True)
    denominator = np.sqrt((cc * cc).sum(axis=-1) * (xc * xc).sum(axis=-1))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (cc * xc).sum(axis=-1) / denominator
    return np.where(constant, np.nan, np.clip(r, -1.0, 1.0))


def pearson(contribution: Any, reward: Any) -> float | np.ndarray:
    """Pearson correlation of contribution and reward across nodes.

    ``ρ = Σ (c_i - c̄)(x_i - x̄) / sqrt(Σ (c_i - c̄)² Σ (x_i - x̄)²)``.

    Parameters
    ----------
    contribution, reward : (n,) or (..., n) array-like of float
        Broadcast against each other; nodes on the last axis.

    Returns
    -------
    float or (...,) array
        In ``[-1, 1]``; ``nan`` where ``contribution`` or ``reward`` is constant
        across nodes (the correlation is undefined; this includes ``n = 1``) or
        holds ``nan``.
    """
    c, x = _pair(contribution, reward, "pearson")
    return _out(_pearson(c, x))


def spearman(contribution: Any, reward: Any) -> float | np.ndarray:
    """Spearman rank correlation of contribution and reward across nodes.

    The Pearson correlation of the ranks, ties given their average rank (as
    ``scipy.stats.spearmanr``).

    Parameters
    ----------
    contribution, reward : (n,) or (..., n) array-like of float
        Broadcast against each other; nodes on the last axis.

    Returns
    -------
    float or (...,) array
        In ``[-1, 1]``; ``nan`` where either side is constant across nodes (all
        ranks tie) or holds ``nan``.
    """
    c, x = _pair(contribution, reward, "spearman")
    return _out(_pearson(stats.rankdata(c, axis=-1), stats.rankdata(x, axis=-1)))


def fairness_report(contribution: Any, reward: Any) -> dict[str, Any]:
    """Fairness numbers of one run.

    Parameters
    ----------
    contribution, reward : (n,) array-like of float

    Returns
    -------
    dict
        ``n_nodes``; ``pearson`` and ``spearman`` (``nan`` when undefined, see
        :func:`pearson`); ``defined``, false when the Pearson correlation is
        undefined (report "N.A.", not 0).
    """
    owner = "fairness_report"
    c, x = _pair(contribution, reward, owner)
    if c.ndim != 1:
        raise ParameterError(
            f"The 'contribution' and 'reward' parameters of {owner} must be of shape (n,). "
            f"Got shape {c.shape} instead."
        )
    rho = float(_pearson(c, x))
    return {
        "n_nodes": int(c.size),
        "pearson": rho,
        "spearman": float(_pearson(stats.rankdata(c), stats.rankdata(x))),
        "defined": not np.isnan(rho),
    }
