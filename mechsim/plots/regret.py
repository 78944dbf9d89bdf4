"""Regret curves with confidence bands (linear and log-log)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mechsim.core.table import Table
from mechsim.metrics.summary import mean_ci
from mechsim.plots import figure, save

__all__ = ["regret_curves", "plot_regret"]


def regret_curves(rounds: Table, metric: str = "pseudo_regret", level: float = 0.95) -> dict[str, dict[str, np.ndarray]]:
    """Per policy: ``{"t", "mean", "low", "high"}`` of cumulative regret across replications."""
    out = {}
    for label in rounds.unique("variant"):
        sub = rounds.where(variant=label)
        ts = np.unique(sub["t"])
        reps = np.unique(sub["replication"])
        order = np.lexsort((sub["replication"], sub["t"]))
        values = sub[metric][order].reshape(ts.size, reps.size)
        m, lo, hi = mean_ci(values, axis=1, level=level)
        out[label] = {"t": ts, "mean": m, "low": lo, "high": hi}
    return out


def plot_regret(rounds: Table, path: str | Path, *, metric: str = "pseudo_regret", loglog: bool = False, title: str = "") -> Path:
    """Mean cumulative regret per policy with a 95% band across replications."""
    curves = regret_curves(rounds, metric)
    fig, ax = figure()
    for label, c in curves.items():
        t, m = c["t"], c["mean"]
        if loglog:
            keep = m > 0
            t, m, lo, hi = t[keep], m[keep], np.maximum(c["low"][keep], m[keep] * 1e-3), c["high"][keep]
        else:
            lo, hi = c["low"], c["high"]
        (line,) = ax.plot(t, m, label=label)
        ax.fill_between(t, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
    if loglog:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("round t")
    ax.set_ylabel(metric.replace("_", " ") + " (cumulative)")
    ax.set_title(title or ("cumulative regret" + (" (log-log)" if loglog else "")))
    ax.legend(fontsize="small")
    ax.grid(True, which="both", alpha=0.3)
    return save(fig, path)
