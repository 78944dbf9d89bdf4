"""Figures of the collab family: per-node performance, fairness scatter, max-min gap.

All three read the results tables (``rounds``, ``nodes``, ``equality``); none runs
dynamics.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from mechsim.core.table import Table
from mechsim.metrics import pearson, spearman
from mechsim.plots import figure, save

__all__ = ["plot_node_performance", "plot_contribution_vs_reward", "plot_gap_over_rounds", "gap_curves"]


def _matrix(rounds: Table, column: str, mechanism: str, replication: int) -> np.ndarray:
    from mechsim.collab.analysis import node_matrix

    return node_matrix(rounds, column, mechanism, replication)


def plot_node_performance(
    rounds: Table, path: str | Path, *, mechanism: str, replication: int = 0, title: str = ""
) -> Path:
    """Every node's performance over rounds (colour: node index; node 0 is the cleanest by default)."""
    perf = _matrix(rounds, "perf", mechanism, replication)
    fig, ax = figure()
    n = perf.shape[1]
    cmap = _cmap()
    for i in range(n):
        ax.plot(np.arange(perf.shape[0]), perf[:, i], color=cmap(i / max(n - 1, 1)), linewidth=0.9, alpha=0.85)
    ax.set_xlabel("round t")
    ax.set_ylabel("node performance (validation)")
    ax.set_title(title or f"{mechanism}: per-node performance")
    ax.grid(True, alpha=0.3)
    sm = _scalar_mappable(cmap, n)
    fig.colorbar(sm, ax=ax, label="node")
    return save(fig, path)


def plot_contribution_vs_reward(
    tables: Mapping[str, Table], path: str | Path, *, mechanism: str, replication: int = 0, title: str = ""
) -> Path:
    """Final contribution estimate vs realised reward (mean performance over rounds), with both correlations.

    Mechanisms without a contribution estimate (FedAvg) are drawn against the
    ground-truth quality ``-noise`` instead.
    """
    perf = _matrix(tables["rounds"], "perf", mechanism, replication)
    with np.errstate(all="ignore"):
        reward = np.nanmean(perf, axis=0)
    nodes = tables["nodes"].where(variant=mechanism, replication=replication)
    order = np.argsort(nodes["node"])
    score, noise = nodes["score"][order], nodes["noise"][order]
    if np.all(np.isfinite(score)):
        x, xlabel = score, "contribution estimate ψ̂ (final)"
    else:
        x, xlabel = -noise, "ground-truth quality (-noise level)"
    fig, ax = figure()
    ax.scatter(x, reward, c=np.arange(x.size), cmap=_cmap())
    r, rs = pearson(x, reward), spearman(x, reward)
    fmt = lambda v: "N.A." if not np.isfinite(v) else f"{v:.2f}"  # noqa: E731
    ax.set_title(title or mechanism)
    ax.text(0.02, 0.97, f"Pearson {fmt(r)}   Spearman {fmt(rs)}", transform=ax.transAxes, va="top")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("reward: mean node performance")
    ax.grid(True, alpha=0.3)
    return save(fig, path)


def gap_curves(equality: Table, metric: str = "gap") -> dict[str, dict[str, np.ndarray]]:
    """Per mechanism: ``{"round", "mean", "low", "high"}`` of an equality metric over replications."""
    out = {}
    for label in equality.unique("variant"):
        sub = equality.where(variant=label)
        ts = np.unique(sub["round"])
        reps = np.unique(sub["replication"])
        order = np.lexsort((sub["replication"], sub["round"]))
        values = sub[metric][order].reshape(ts.size, reps.size)
        with np.errstate(all="ignore"):
            out[label] = {
                "round": ts,
                "mean": np.nanmean(values, axis=1),
                "low": np.nanmin(values, axis=1),
                "high": np.nanmax(values, axis=1),
            }
    return out


def plot_gap_over_rounds(equality: Table, path: str | Path, *, metric: str = "gap", title: str = "") -> Path:
    """The max-min gap of node performance over rounds, one line per mechanism (band: range over replications)."""
    fig, ax = figure()
    for label, c in gap_curves(equality, metric).items():
        (line,) = ax.plot(c["round"], c["mean"], label=label)
        if not np.array_equal(c["low"], c["high"], equal_nan=True):
            ax.fill_between(c["round"], c["low"], c["high"], color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_xlabel("round t")
    ax.set_ylabel("max - min node performance" if metric == "gap" else metric)
    ax.set_title(title or "performance gap across nodes")
    ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    return save(fig, path)


def _cmap():
    from matplotlib import colormaps

    return colormaps["viridis"]


def _scalar_mappable(cmap, n: int):
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    return ScalarMappable(norm=Normalize(0, max(n - 1, 1)), cmap=cmap)
