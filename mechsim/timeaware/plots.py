"""Figures of a time-aware run (they only read the results' tables)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mechsim.plots import figure, save
from mechsim.plots.ledger import payout_figures

__all__ = ["standard_figures", "plot_reward_vs_join", "plot_reward_vs_value", "plot_quality_vs_reward", "plot_fcheck_table"]


def _mean_by(table: Any, keys: tuple[str, ...], col: str) -> dict[tuple, float]:
    acc: dict[tuple, list[float]] = {}
    for row in table.rows():
        acc.setdefault(tuple(row[k] for k in keys), []).append(row[col])
    return {k: float(np.mean(v)) for k, v in acc.items()}


def plot_reward_vs_join(results: Any, path: Path) -> Path:
    """Reward value of every party against the swept party's join time, one panel per scheme."""
    rw = results.tables["rewards"]
    variants = rw.unique("variant")
    fig, axes = figure(nrows=1, ncols=len(variants), figsize=(3.2 * len(variants), 3.0), sharey=True, squeeze=False)
    means = _mean_by(rw, ("variant", "sweep_join", "agent"), "reward")
    base = _mean_by(rw, ("variant", "sweep_join", "agent"), "standalone")
    agent = results.scenario.settings["sweep_agent"]
    for ax, v in zip(axes[0], variants, strict=True):
        xs = sorted({k[1] for k in means if k[0] == v})
        for a in sorted({k[2] for k in means if k[0] == v}):
            ys = [means[(v, x, a)] for x in xs]
            ax.plot(xs, ys, marker="o", lw=2.0 if a == agent else 1.0, label=f"party {a}")
            ax.plot(xs, [base[(v, x, a)] for x in xs], ls=":", color=ax.lines[-1].get_color(), lw=0.8)
        ax.set_title(v, fontsize=9)
        ax.set_xlabel(f"join time of party {agent}" if agent is not None else "episode")
    axes[0][0].set_ylabel("reward value (dotted: standalone)")
    axes[0][-1].legend(fontsize=7)
    return save(fig, path)


def plot_reward_vs_value(results: Any, path: Path) -> Path:
    """Reward value against the party's Shapley value (data value), every episode, per scheme."""
    rw = results.tables["rewards"]
    fig, ax = figure(figsize=(4.5, 3.5))
    for v in rw.unique("variant"):
        sub = rw.where(variant=v)
        ax.scatter(sub["shapley"], sub["reward"], s=12, label=v, alpha=0.7)
    lim = float(max(rw["shapley"].max(), rw["reward"].max()))
    ax.plot([0, lim], [0, lim], color="grey", lw=0.8, ls="--")
    ax.set_xlabel("data value (Shapley)")
    ax.set_ylabel("reward value")
    ax.legend(fontsize=7)
    return save(fig, path)


def plot_quality_vs_reward(results: Any, path: Path) -> Path:
    """Reward-model quality (MNLP or R^2) against the reward value."""
    rw = results.tables["rewards"]
    metric = str(rw["quality_metric"][0]) if len(rw) else "quality"
    fig, ax = figure(figsize=(4.5, 3.5))
    for v in rw.unique("variant"):
        sub = rw.where(variant=v)
        ax.scatter(sub["reward"], sub["quality"], s=12, label=v, alpha=0.7)
    ax.set_xlabel("reward value")
    ax.set_ylabel(f"reward model {metric}" + (" (lower is better)" if metric == "mnlp" else ""))
    ax.legend(fontsize=7)
    return save(fig, path)


def fcheck_matrix(results: Any) -> tuple[list[str], list[str], np.ndarray]:
    """(variants, conditions, share of applicable episodes where the condition holds; nan = n/a)."""
    fc = results.tables["fchecks"]
    variants = [str(v) for v in fc.unique("variant")]
    conds = sorted({str(c) for c in fc["condition"]})
    m = np.full((len(variants), len(conds)), np.nan)
    for a, v in enumerate(variants):
        for b, c in enumerate(conds):
            h = fc.where(variant=v, condition=c)["holds"]
            h = h[h != "n/a"]
            if h.size:
                m[a, b] = np.mean(h == "yes")
    return variants, conds, m


def plot_fcheck_table(results: Any, path: Path) -> Path:
    """The F-check table: share of episodes in which each condition holds (blank: no case)."""
    variants, conds, m = fcheck_matrix(results)
    fig, ax = figure(figsize=(0.7 * len(conds) + 2.5, 0.45 * len(variants) + 1.2))
    ax.imshow(np.nan_to_num(m, nan=0.5), cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    for a in range(len(variants)):
        for b in range(len(conds)):
            ax.text(b, a, "n/a" if np.isnan(m[a, b]) else f"{m[a, b]:.2f}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(conds)), conds)
    ax.set_yticks(range(len(variants)), variants)
    ax.set_title("share of episodes where F holds", fontsize=9)
    return save(fig, path)


def standard_figures(results: Any, figdir: Path) -> list[Path]:
    figdir = Path(figdir)
    figdir.mkdir(parents=True, exist_ok=True)
    return [
        plot_reward_vs_join(results, figdir / "reward_vs_join.png"),
        plot_reward_vs_value(results, figdir / "reward_vs_value.png"),
        plot_quality_vs_reward(results, figdir / "quality_vs_reward.png"),
        plot_fcheck_table(results, figdir / "fchecks.png"),
        *payout_figures(results.tables, figdir, title=results.scenario.name),
    ]
