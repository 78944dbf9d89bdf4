"""Headline numbers from the click-bandit's tables (shared by the summary and the plots)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mechsim.core.table import Table

__all__ = ["tail_means", "regret_slope"]


def tail_means(table: Table, value: str, tail: int, **where: Any) -> np.ndarray:
    """Per replication, the mean of ``value`` over the last ``tail`` epochs of the rows matching ``where``.

    Returns an array of shape (R,), ordered by replication.
    """
    sub = table.where(**where)
    keep = sub["epoch"] > sub["epoch"].max() - tail
    reps, values = sub["replication"][keep], sub[value][keep]
    return np.array([values[reps == r].mean() for r in np.unique(reps)])


def regret_slope(horizons: np.ndarray, regret: np.ndarray) -> float:
    """Least-squares slope of log(regret) on log(T): about 1 for linear regret, below for sublinear.

    Horizons with non-positive regret are left out; ``nan`` when fewer than two remain.
    """
    h = np.asarray(horizons, dtype=float)
    r = np.asarray(regret, dtype=float)
    keep = r > 0
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(h[keep]), np.log(r[keep]), 1)[0])
