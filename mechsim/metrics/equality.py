"""Equality of per-node performance: spread, Gini and Jain's index.

Every metric takes ``performance`` of shape ``(n,)`` (one value per node) or
``(T, n)`` (per round; any leading axes work) and reduces the last axis, returning a
float for ``(n,)`` and an array of shape ``(T,)`` for ``(T, n)``. Lower is more equal
for the gap, the standard deviation, the coefficient of variation and the Gini
coefficient; higher is more equal for Jain's index. Formulas follow §4 of the
fairness spec. "Asymptotic equality" (Lin et al. 2023) is the gap over time going
to zero: pass the (T, n) curve and read the gap at several horizons
(:func:`equality_report`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from mechsim.core.params import RealArray, check_value
from mechsim.errors import ParameterError

__all__ = ["max_min_gap", "std", "coefficient_of_variation", "gini", "jain", "equality_report"]


def _as_node_array(x: Any, name: str, owner: str) -> np.ndarray:
    """``x`` as a float array of shape (..., n), n >= 1, nodes on the last axis."""
    try:
        arr: np.ndarray | None = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.ndim < 1 or arr.size == 0:
        got = "a value that is not a float array" if arr is None else f"shape {arr.shape}"
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be a float array of shape (n,) or (T, n) with n >= 1. "
            f"Got {got} instead."
        )
    return arr


def _out(values: np.ndarray) -> float | np.ndarray:
    return float(values) if np.ndim(values) == 0 else values


def _check_non_negative(x: np.ndarray, owner: str) -> None:
    if np.any(x < 0):
        raise ParameterError(
            f"The 'performance' parameter of {owner} must hold non-negative floats (shift losses or errors "
            f"first, for example to 1 - error). Got a minimum of {np.nanmin(x)!r} instead."
        )


def max_min_gap(performance: Any) -> float | np.ndarray:
    """``max_i x_i - min_i x_i`` along the last axis; shape (n,) -> float, (T, n) -> (T,)."""
    x = _as_node_array(performance, "performance", "max_min_gap")
    return _out(x.max(axis=-1) - x.min(axis=-1))


def std(performance: Any, ddof: int = 0) -> float | np.ndarray:
    """Standard deviation across nodes (population, ``ddof=0``, by default); (n,) -> float, (T, n) -> (T,)."""
    x = _as_node_array(performance, "performance", "std")
    return _out(x.std(axis=-1, ddof=ddof))


def coefficient_of_variation(performance: Any) -> float | np.ndarray:
    """``std / mean`` across nodes (population std); ``nan`` where the mean is 0."""
    x = _as_node_array(performance, "performance", "coefficient_of_variation")
    mean = x.mean(axis=-1)
    sd = x.std(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(np.where(mean != 0, sd / np.where(mean != 0, mean, 1.0), np.nan))


def gini(performance: Any) -> float | np.ndarray:
    """Gini coefficient ``G = Σ_i Σ_j |x_i - x_j| / (2 n² x̄)`` across nodes.

    The population form (no small-sample correction): 0 when all nodes are equal,
    at most ``(n - 1) / n`` when one node holds everything. Defined for ``x >= 0``;
    an all-zero row counts as perfectly equal (0). Computed from the sorted values,
    ``G = Σ_i (2i - n - 1) x_(i) / (n Σ x)``, in ``O(n log n)``.

    Parameters
    ----------
    performance : (n,) or (T, n) array-like of float >= 0

    Returns
    -------
    float or (T,) array

    Raises
    ------
    ParameterError
        If a value is negative.
    """
    x = _as_node_array(performance, "performance", "gini")
    _check_non_negative(x, "gini")
    n = x.shape[-1]
    ranks = 2.0 * np.arange(1, n + 1) - n - 1
    numerator = (np.sort(x, axis=-1) * ranks).sum(axis=-1)
    denominator = n * x.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(np.where(denominator != 0, numerator / np.where(denominator != 0, denominator, 1.0), 0.0))


def jain(performance: Any) -> float | np.ndarray:
    """Jain's fairness index ``J = (Σ x)² / (n Σ x²)`` across nodes.

    In ``[1/n, 1]`` for ``x >= 0``: 1 when all nodes are equal (an all-zero row
    included, by convention), ``1/n`` when one node holds everything. Higher is
    more equal.

    Parameters
    ----------
    performance : (n,) or (T, n) array-like of float >= 0

    Returns
    -------
    float or (T,) array

    Raises
    ------
    ParameterError
        If a value is negative.
    """
    x = _as_node_array(performance, "performance", "jain")
    _check_non_negative(x, "jain")
    n = x.shape[-1]
    square_sum = (x * x).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(np.where(square_sum != 0, x.sum(axis=-1) ** 2 / (n * np.where(square_sum != 0, square_sum, 1.0)), 1.0))


def equality_report(performance: Any, horizons: Sequence[float] = (0.25, 0.5, 1.0)) -> dict[str, Any]:
    """Headline equality numbers of per-node performance.

    Parameters
    ----------
    performance : (n,) or (T, n) array-like of float
        Final per-node performance, or its curve over ``T`` rounds.
    horizons : sequence of float in (0, 1], default (0.25, 0.5, 1.0)
        For a (T, n) curve: fractions of the run at which to report the gap
        (row ``ceil(h T) - 1``), to show whether it closes (asymptotic equality).

    Returns
    -------
    dict
        ``n_nodes``, ``mean``, ``min``, ``max``, ``max_min_gap``, ``std``, ``cv``,
        ``gini``, ``jain`` of the final row; ``gini`` and ``jain`` are ``nan`` when
        a value is negative. For a (T, n) curve also ``n_rounds`` and
        ``max_min_gap_at_<100h>pct`` for each horizon (``max_min_gap_at_25pct``...).
    """
    owner = "equality_report"
    x = _as_node_array(performance, "performance", owner)
    if x.ndim > 2:
        raise ParameterError(
            f"The 'performance' parameter of {owner} must be of shape (n,) or (T, n). Got shape {x.shape} instead."
        )
    hs = check_value(RealArray(0, 1, closed="right"), horizons, name="horizons", owner=owner)
    final = x[-1] if x.ndim == 2 else x
    non_negative = not np.any(final < 0)
    report: dict[str, Any] = {
        "n_nodes": int(final.size),
        "mean": float(final.mean()),
        "min": float(final.min()),
        "max": float(final.max()),
        "max_min_gap": float(max_min_gap(final)),
        "std": float(std(final)),
        "cv": float(coefficient_of_variation(final)),
        "gini": float(gini(final)) if non_negative else math.nan,
        "jain": float(jain(final)) if non_negative else math.nan,
    }
    if x.ndim == 2:
        n_rounds = x.shape[0]
        gaps = np.asarray(max_min_gap(x)).reshape(n_rounds)
        report["n_rounds"] = n_rounds
        for h in hs:
            row = min(max(math.ceil(h * n_rounds) - 1, 0), n_rounds - 1)
            report[f"max_min_gap_at_{100 * h:g}pct"] = float(gaps[row])
    return report
