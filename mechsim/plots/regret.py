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
    """Mean cumulative regret per policy with a 95% CI band across replications.

    Each policy keeps its colour in every figure of a run (colours follow the order of the
    ``variant`` column). The log-log figure carries dashed reference slopes T^(1/2), T^(2/3)
    and T, anchored at the median final regret, so growth rates can be read off.
    """
    curves = regret_curves(rounds, metric)
    n_reps = len(np.unique(rounds["replication"])) if len(rounds) else 0
    fig, ax = figure()
    for i, (label, c) in enumerate(curves.items()):
        t, m = c["t"], c["mean"]
        if loglog:
            keep = (m > 0) & (t > 0)
            t, m, lo, hi = t[keep], m[keep], np.maximum(c["low"][keep], m[keep] * 1e-3), c["high"][keep]
        else:
            lo, hi = c["low"], c["high"]
        (line,) = ax.plot(t, m, label=label, color=f"C{i % 10}")
        if n_reps > 1:
            ax.fill_between(t, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
    if loglog:
        ax.set_xscale("log")
        ax.set_yscale("log")
        finals = [c["mean"][-1] for c in curves.values() if c["mean"].size and c["mean"][-1] > 0]
        ts = np.concatenate([c["t"] for c in curves.values()]) if curves else np.array([])
        ts = ts[ts > 0]
        if finals and ts.size:
            t_max, anchor = float(ts.max()), float(np.median(finals))
            tt = np.geomspace(max(1.0, float(ts.min())), t_max, 50)
            for power, name in ((0.5, "T^1/2"), (2 / 3, "T^2/3"), (1.0, "T")):
                ax.plot(tt, anchor * (tt / t_max) ** power, color="0.55", linestyle="--", linewidth=0.8)
                ax.annotate(f"∝ {name}", (tt[0], anchor * (tt[0] / t_max) ** power), fontsize=7, color="0.4",
                            xytext=(2, 0), textcoords="offset points", va="center")
    ax.set_xlabel("round t")
    ax.set_ylabel(metric.replace("_", " ") + " (cumulative)")
    ax.set_title(title or ("cumulative regret" + (" (log-log)" if loglog else "")), fontsize=10)
    band = f"band: 95% CI over {n_reps} replications" if n_reps > 1 else "one replication: no band"
    ax.text(0.99, 0.01, band, transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color="0.35")
    ax.legend(fontsize="small")
    ax.grid(True, which="both", alpha=0.3)
    return save(fig, path)
