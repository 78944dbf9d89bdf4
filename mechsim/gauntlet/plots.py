"""Gauntlet figures; they only read results tables.

- emission share by behaviour over time (one panel per variant);
- weight concentration (top-5 share and HHI) over time;
- ordinal and B trajectories of a few peers of each behaviour;
- canonical-model excess loss per variant (e.g. gauntlet vs honest-only vs aggregate-all).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mechsim.plots import figure, save
from mechsim.plots.ledger import payout_figures

__all__ = ["standard_figures", "plot_shares", "plot_concentration", "plot_trajectories", "plot_loss"]


def _col(t: Any, c: str) -> np.ndarray:
    return np.asarray(t[c])


def _mean_by(t: Any, key: str, val: str, where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k, v = _col(t, key)[where], _col(t, val)[where].astype(float)
    u = np.unique(k)
    return u, np.array([v[k == x].mean() for x in u])


def plot_shares(shares: Any, path: Path, title: str = "") -> Path:
    variants = list(shares.unique("variant"))
    fig, axes = figure(nrows=1, ncols=len(variants), figsize=(4.2 * len(variants), 3.4), squeeze=False, sharey=True)
    for ax, v in zip(axes[0], variants):
        m = _col(shares, "variant") == v
        for b in sorted(set(_col(shares, "behaviour")[m].tolist())):
            mb = m & (_col(shares, "behaviour") == b)
            x, y = _mean_by(shares, "window", "emission_share", mb)
            ax.plot(x, y, label=b)
        ax.set_title(str(v))
        ax.set_xlabel("window")
    axes[0][0].set_ylabel("emission share")
    axes[0][-1].legend(fontsize=7)
    fig.suptitle(title)
    return save(fig, path)


def plot_concentration(loss: Any, path: Path, title: str = "") -> Path:
    fig, axes = figure(nrows=1, ncols=2, figsize=(9, 3.4))
    for v in loss.unique("variant"):
        m = _col(loss, "variant") == v
        for ax, metric in zip(axes, ("top5_share", "hhi")):
            x, y = _mean_by(loss, "window", metric, m)
            ax.plot(x, y, label=str(v))
            ax.set_ylabel(metric)
            ax.set_xlabel("window")
    axes[1].legend(fontsize=7)
    fig.suptitle(title)
    return save(fig, path)


def plot_trajectories(peers: Any, path: Path, variant: str, title: str = "", per_behaviour: int = 2) -> Path:
    fig, axes = figure(nrows=1, ncols=2, figsize=(9, 3.4))
    m = (_col(peers, "variant") == variant) & (_col(peers, "replication") == 0)
    beh = _col(peers, "behaviour")
    colours: dict[str, Any] = {}
    for b in sorted(set(beh[m].tolist()) - {"spare"}):
        agents = np.unique(_col(peers, "agent")[m & (beh == b)])[:per_behaviour]
        for a in agents:
            ma = m & (_col(peers, "agent") == a)
            for ax, metric in zip(axes, ("ordinal", "B")):
                line = ax.plot(_col(peers, "window")[ma], _col(peers, metric)[ma], color=colours.get(b), lw=1,
                               label=b if a == agents[0] and metric == "B" else None)
                colours.setdefault(b, line[0].get_color())
    axes[0].set_ylabel("OpenSkill ordinal")
    axes[1].set_ylabel("B (binary moving average)")
    for ax in axes:
        ax.set_xlabel("window")
    axes[1].legend(fontsize=7)
    fig.suptitle(title)
    return save(fig, path)


def plot_loss(loss: Any, path: Path, title: str = "") -> Path:
    fig, ax = figure(figsize=(5.5, 3.4))
    for v in loss.unique("variant"):
        x, y = _mean_by(loss, "window", "excess_loss", _col(loss, "variant") == v)
        ax.plot(x, y, label=str(v))
    ax.set_yscale("log")
    ax.set_xlabel("window")
    ax.set_ylabel("canonical excess loss")
    ax.legend(fontsize=7)
    ax.set_title(title)
    return save(fig, path)


def standard_figures(results: Any, figdir: Path) -> list[Path]:
    figdir = Path(figdir)
    figdir.mkdir(parents=True, exist_ok=True)
    t, name = results.tables, results.scenario.name
    out = [plot_shares(t["shares"], figdir / "emission_shares.png", f"{name}: emission share by behaviour"),
           plot_concentration(t["loss"], figdir / "concentration.png", f"{name}: weight concentration"),
           plot_loss(t["loss"], figdir / "loss.png", f"{name}: canonical model")]
    if len(t["peers"]):
        v = str(t["peers"].unique("variant")[0])
        out.append(plot_trajectories(t["peers"], figdir / "trajectories.png", v, f"{name} ({v}): ordinal and B"))
    return out + payout_figures(t, figdir, title=name)
