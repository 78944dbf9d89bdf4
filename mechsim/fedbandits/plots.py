"""Figures of a fedbandits run (they only read results).

- ``over_time.png``: cumulative regret, communication (scalars), payments and social
  cost against iterations, one line per mechanism with a 95% band;
- ``utility_vs_report.png``: a client's utility against its reported cost (first
  round of replication 0), with its true cost and critical value marked;
- ``beta_tradeoff.png``: final regret, payments and social cost against ``beta`` for
  the variants that have one (a beta sweep);
- with a payout section, the shared payout figures (:func:`mechsim.plots.ledger.payout_figures`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mechsim.core.table import Table
from mechsim.metrics.summary import mean_ci
from mechsim.plots import figure, save
from mechsim.plots.ledger import payout_figures

__all__ = ["curves", "plot_over_time", "plot_utility_curve", "plot_beta_tradeoff", "standard_figures"]

_PANELS = (("regret", "cumulative regret"), ("comm_scalars", "communication (scalars)"), ("payments", "payments"), ("social_cost", "social cost"))


def curves(steps: Table, metric: str) -> dict[str, dict[str, np.ndarray]]:
    """Per variant ``{"t", "mean", "low", "high"}`` of ``metric`` across replications."""
    out = {}
    for label in steps.unique("variant"):
        sub = steps.where(variant=label)
        ts, reps = np.unique(sub["t"]), np.unique(sub["replication"])
        order = np.lexsort((sub["replication"], sub["t"]))
        vals = sub[metric][order].reshape(ts.size, reps.size)
        m, lo, hi = mean_ci(vals, axis=1)
        if metric != "payments":
            lo = np.maximum(lo, 0.0)
        out[str(label)] = {"t": ts, "mean": m, "low": lo, "high": hi}
    return out


def plot_over_time(steps: Table, path: Path, *, title: str = "") -> Path:
    fig, axes = figure(nrows=2, ncols=2, figsize=(10, 7))
    for ax, (metric, name) in zip(axes.ravel(), _PANELS, strict=True):
        for label, c in curves(steps, metric).items():
            (line,) = ax.plot(c["t"], c["mean"], label=label)
            ax.fill_between(c["t"], c["low"], c["high"], color=line.get_color(), alpha=0.2, linewidth=0)
        ax.set_xlabel("iteration t")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
    axes[0, 0].legend(fontsize="small")
    fig.suptitle(title or "fedbandits: over time")
    return save(fig, path)


def plot_utility_curve(curve: Table, path: Path, *, max_agents: int = 3, title: str = "") -> Path:
    """Utility against reported cost, one panel per recorded client (up to ``max_agents``), one line per mechanism.

    The dashed line is the true cost; dotted lines are Truth-FedBan's critical values.
    """
    agents = list(dict.fromkeys(int(a) for a in curve["agent"]))[:max_agents]
    fig, axes = figure(ncols=len(agents), figsize=(4.6 * len(agents), 3.9), squeeze=False)
    for ax, agent in zip(axes[0], agents, strict=True):
        sub = curve.where(agent=agent)
        cost = float(sub["cost"][0])
        for label in sub.unique("variant"):
            c = sub.where(variant=label)
            order = np.argsort(c["report"])
            ax.plot(c["report"][order], c["utility"][order], marker=".", label=str(label))
            crit = c["critical"][np.isfinite(c["critical"])]
            if crit.size:
                ax.axvline(float(np.max(crit)), linestyle=":", linewidth=1, color="grey")
        ax.axvline(cost, color="k", linestyle="--", linewidth=1, label="true cost")
        ax.set_xlabel("reported cost")
        ax.set_ylabel("utility (incentive - cost)")
        ax.set_title(f"client {agent} (cost {cost:.3f})")
        ax.grid(True, alpha=0.3)
    axes[0, 0].legend(fontsize="small")
    fig.suptitle(title or "utility against reported cost (one round, others truthful)")
    return save(fig, path)


def beta_points(summary: dict[str, Any]) -> dict[str, dict[str, list[float]]]:
    """``{mechanism id: {"beta", "regret", "payments", "social_cost"}}`` of the variants with a beta, sorted by beta."""
    out: dict[str, dict[str, list[float]]] = {}
    for block in summary.get("variants", {}).values():
        if "beta" not in block:
            continue
        d = out.setdefault(block["id"].split("/")[-1], {"beta": [], "regret": [], "payments": [], "social_cost": []})
        d["beta"].append(block["beta"])
        for m in ("regret", "payments", "social_cost"):
            d[m].append(block[m]["mean"])
    for d in out.values():
        order = np.argsort(d["beta"])
        for k in d:
            d[k] = [d[k][i] for i in order]
    return out


def plot_beta_tradeoff(summary: dict[str, Any], path: Path, *, title: str = "") -> Path:
    fig, axes = figure(ncols=3, figsize=(12, 3.8))
    for mech, d in beta_points(summary).items():
        for ax, m in zip(axes, ("regret", "payments", "social_cost"), strict=True):
            ax.plot(d["beta"], d[m], marker="o", label=mech)
            ax.set_xlabel("beta")
            ax.set_ylabel(m.replace("_", " "))
            ax.grid(True, alpha=0.3)
    axes[1].set_yscale("symlog")
    axes[0].legend(fontsize="small")
    fig.suptitle(title or "beta trade-off")
    return save(fig, path)


def standard_figures(results: Any, figdir: Path) -> list[Path]:
    figdir = Path(figdir)
    figdir.mkdir(parents=True, exist_ok=True)
    name = results.scenario.name
    t = results.tables
    out = [plot_over_time(t["steps"], figdir / "over_time.png", title=f"{name}: regret, communication, payments, social cost")]
    if "utility_curve" in t and len(t["utility_curve"]):
        out.append(plot_utility_curve(t["utility_curve"], figdir / "utility_vs_report.png"))
    if len(beta_points(results.summary)) and any(len(d["beta"]) > 1 for d in beta_points(results.summary).values()):
        out.append(plot_beta_tradeoff(results.summary, figdir / "beta_tradeoff.png", title=f"{name}: beta trade-off"))
    return out + payout_figures(t, figdir, title=name)
