"""Click-bandit figures: click-rates against s*, regret per epoch, final regret vs T.

Each function reads the family's tables (``rounds``, ``learner``) and writes one PNG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mechsim.clickbandit.metrics import tail_means
from mechsim.core.table import Table
from mechsim.metrics.summary import mean_ci
from mechsim.plots import figure, save

__all__ = ["epoch_curves", "plot_click_rates", "plot_epoch_regret", "final_regret", "plot_regret_vs_horizon"]


def epoch_curves(table: Table, value: str, *, band: str = "range", level: float = 0.95) -> dict[str, np.ndarray]:
    """``{"epoch", "mean", "low", "high"}`` of ``value`` per epoch across replications.

    ``band="range"``: low/high are the min and max over replications (readable with the
    few replications dynamics usually have); ``"ci"``: a Student-t confidence band.
    """
    epochs = np.unique(table["epoch"])
    reps = np.unique(table["replication"])
    order = np.lexsort((table["replication"], table["epoch"]))
    values = table[value][order].reshape(epochs.size, reps.size)
    if band == "ci":
        m, lo, hi = mean_ci(values, axis=1, level=level)
    else:
        m, lo, hi = values.mean(axis=1), values.min(axis=1), values.max(axis=1)
    return {"epoch": epochs, "mean": m, "low": lo, "high": hi}


def _largest_horizon(table: Table) -> Table:
    return table.where(horizon=int(table["horizon"].max()))


def plot_click_rates(rounds: Table, path: str | Path, *, title: str = "") -> Path:
    """One panel per learner: each arm's click-rate over epochs (mean; band: range over replications), s* dashed."""
    rounds = _largest_horizon(rounds)
    labels = rounds.unique("variant")
    fig, axes = figure(ncols=len(labels), figsize=(4.2 * len(labels), 3.8), squeeze=False, sharey=True)
    for ax, label in zip(axes[0], labels):
        sub = rounds.where(variant=label)
        for arm in np.unique(sub["arm"]):
            a = sub.where(arm=int(arm))
            c = epoch_curves(a, "s")
            (line,) = ax.plot(c["epoch"], c["mean"], label=f"arm {arm} (mu={a['mu'][0]:.2f})")
            ax.fill_between(c["epoch"], c["low"], c["high"], color=line.get_color(), alpha=0.2, linewidth=0)
            ax.axhline(a["s_star"][0], color=line.get_color(), linestyle="--", linewidth=0.9)
        ax.set_title(f"{label} (T={int(sub['horizon'][0])})", fontsize="medium")
        ax.set_xlabel("epoch")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("click-rate s (dashed: s*)")
    axes[0][-1].legend(fontsize="x-small", loc="lower right", title="band: range over replications", title_fontsize="x-small")
    if title:
        fig.suptitle(title)
    return save(fig, path)


def plot_epoch_regret(learner: Table, path: str | Path, *, title: str = "") -> Path:
    """The learner's regret per round in each epoch, one line per learner (largest horizon; band: range over replications)."""
    learner = _largest_horizon(learner)
    fig, ax = figure()
    for label in learner.unique("variant"):
        c = epoch_curves(learner.where(variant=label), "regret_per_round")
        (line,) = ax.plot(c["epoch"], c["mean"], label=label, marker="." if c["epoch"].size < 30 else None)
        ax.fill_between(c["epoch"], c["low"], c["high"], color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("regret / T")
    ax.set_title(title or "learner regret per epoch", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small", title="band: range over replications", title_fontsize="x-small")
    return save(fig, path)


def final_regret(learner: Table, tail: int = 10) -> dict[str, dict[str, np.ndarray]]:
    """Per learner: ``{"horizon", "mean", "low", "high"}`` of the regret averaged over the last
    ``tail`` epochs; low/high are the min and max over replications."""
    out = {}
    for label in learner.unique("variant"):
        hs = np.unique(learner.where(variant=label)["horizon"])
        per_rep = [tail_means(learner, "regret", tail, variant=label, horizon=int(h)) for h in hs]
        out[label] = {
            "horizon": hs,
            "mean": np.array([r.mean() for r in per_rep]),
            "low": np.array([r.min() for r in per_rep]),
            "high": np.array([r.max() for r in per_rep]),
        }
    return out


def plot_regret_vs_horizon(learner: Table, path: str | Path, *, tail: int = 10, title: str = "") -> Path:
    """Final regret against T (log-log; band: range over replications), with slope-1/2 and slope-1 guides."""
    curves = final_regret(learner, tail)
    fig, ax = figure()
    for label, c in curves.items():
        keep = c["mean"] > 0
        h, m = c["horizon"][keep], c["mean"][keep]
        lo = np.maximum(c["low"][keep], m * 1e-3)
        (line,) = ax.plot(h, m, marker="o", label=label)
        ax.fill_between(h, lo, c["high"][keep], color=line.get_color(), alpha=0.2, linewidth=0)
    all_h = np.unique(learner["horizon"]).astype(float)
    if all_h.size > 1:
        ref = max((c["mean"][0] for c in curves.values() if c["mean"][0] > 0), default=1.0)
        for slope, style in ((1.0, ":"), (0.5, "-.")):
            ax.plot(all_h, ref * (all_h / all_h[0]) ** slope, color="grey", linestyle=style, linewidth=0.8, label=f"slope {slope:g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("horizon T")
    ax.set_ylabel(f"regret (mean of the last {tail} epochs)")
    ax.set_title(title or "final regret vs T", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", title="band: range over replications", title_fontsize="x-small")
    return save(fig, path)
