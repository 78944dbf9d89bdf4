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


def _replications(rounds: Table, mechanism: str, replication: int | None) -> list[int]:
    if replication is not None:
        return [int(replication)]
    return [int(r) for r in rounds.where(variant=mechanism).unique("replication")]


def _what(reps: list[int]) -> str:
    return f"replication {reps[0]}" if len(reps) == 1 else f"mean over {len(reps)} replications (band: 95% CI)"


def plot_node_performance(
    rounds: Table, path: str | Path, *, mechanism: str, replication: int | None = None, title: str = ""
) -> Path:
    """Every node's performance over rounds (colour: node index, the same in every figure of a run).

    ``replication=None`` (default) draws the mean over all replications, as ``summary.json``
    pools them, with a 95% CI band; an int draws that replication alone. The figure says which.
    """
    from mechsim.metrics.summary import mean_ci

    reps = _replications(rounds, mechanism, replication)
    stack = np.stack([_matrix(rounds, "perf", mechanism, r) for r in reps])  # (R, T, n)
    with np.errstate(all="ignore"):
        mean, lo, hi = mean_ci(stack, axis=0)
    fig, ax = figure()
    n = mean.shape[1]
    cmap = _cmap()
    t = np.arange(mean.shape[0])
    for i in range(n):
        colour = cmap(i / max(n - 1, 1))
        ax.plot(t, mean[:, i], color=colour, linewidth=0.9, alpha=0.85)
        if len(reps) > 1:
            ax.fill_between(t, lo[:, i], hi[:, i], color=colour, alpha=0.12, linewidth=0)
    ax.set_xlabel("round t")
    ax.set_ylabel("node performance (validation)")
    ax.set_title(title or f"{mechanism}: per-node performance", fontsize=10)
    ax.text(0.01, 0.01, _what(reps), transform=ax.transAxes, fontsize=8, color="0.3")
    ax.grid(True, alpha=0.3)
    sm = _scalar_mappable(cmap, n)
    fig.colorbar(sm, ax=ax, label="node")
    return save(fig, path)


def plot_contribution_vs_reward(
    tables: Mapping[str, Table], path: str | Path, *, mechanism: str, replication: int | None = None, title: str = ""
) -> Path:
    """Final contribution estimate vs realised reward (mean performance over rounds), with both correlations.

    ``replication=None`` (default): one point per (node, replication), and the correlations
    are the mean over replications of each replication's correlation, the numbers
    ``summary.json`` reports as ``fairness_pearson`` / ``fairness_spearman``. Mechanisms
    without a contribution estimate (FedAvg) are drawn against the ground-truth quality
    ``-noise`` instead.
    """
    reps = _replications(tables["rounds"], mechanism, replication)
    xs, ys, colours, rs, rss = [], [], [], [], []
    xlabel = "contribution estimate ψ̂ (final)"
    for rep in reps:
        perf = _matrix(tables["rounds"], "perf", mechanism, rep)
        with np.errstate(all="ignore"):
            reward = np.nanmean(perf, axis=0)
        nodes = tables["nodes"].where(variant=mechanism, replication=rep)
        order = np.argsort(nodes["node"])
        score, noise = nodes["score"][order], nodes["noise"][order]
        if np.all(np.isfinite(score)):
            x = score
        else:
            x, xlabel = -noise, "ground-truth quality (-noise level)"
        xs.append(x)
        ys.append(reward)
        colours.append(np.arange(x.size))
        ok = np.isfinite(reward)
        rs.append(pearson(x[ok], reward[ok]) if ok.sum() >= 2 else np.nan)
        rss.append(spearman(x[ok], reward[ok]) if ok.sum() >= 2 else np.nan)
    fig, ax = figure()
    n = max(len(c) for c in colours)
    ax.scatter(np.concatenate(xs), np.concatenate(ys), c=np.concatenate(colours), cmap=_cmap(), vmin=0, vmax=max(n - 1, 1),
               alpha=0.8 if len(reps) == 1 else 0.5, s=18)
    with np.errstate(all="ignore"):
        r, rsp = float(np.nanmean(rs)) if np.any(np.isfinite(rs)) else np.nan, float(np.nanmean(rss)) if np.any(np.isfinite(rss)) else np.nan
    fmt = lambda v: "N.A." if not np.isfinite(v) else f"{v:.2f}"  # noqa: E731
    ax.set_title(title or mechanism, fontsize=10)
    what = f"replication {reps[0]}" if len(reps) == 1 else f"mean of {len(reps)} replications' correlations, as in summary.json"
    ax.text(0.02, 0.97, f"Pearson {fmt(r)}   Spearman {fmt(rsp)}\n({what})", transform=ax.transAxes, va="top", fontsize=8)
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
    ax.set_title(title or "performance gap across nodes", fontsize=10)
    ax.legend(fontsize="small", title="band: range over replications", title_fontsize="x-small")
    ax.grid(True, alpha=0.3)
    return save(fig, path)


def _cmap():
    from matplotlib import colormaps

    return colormaps["viridis"]


def _scalar_mappable(cmap, n: int):
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    return ScalarMappable(norm=Normalize(0, max(n - 1, 1)), cmap=cmap)
