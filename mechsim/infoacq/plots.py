"""Figures of the ``infoacq`` family (they only read results)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_loglog", "plot_values", "reference_slopes"]


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def reference_slopes(scenario: Any, label: str) -> tuple[float, float] | None:
    """The theory's (regret, violation) exponents of a variant, from its component id."""
    cfg = scenario["mechanisms"][label]
    if cfg.id == "infoacq/full-feedback-v1":
        return 0.5, 0.5
    if cfg.id == "infoacq/explore-commit-v1":
        a = float(cfg.params["alpha"])
        return a, 1.0 - a / 2.0
    return None


def plot_loglog(results: Any, path: Path, *, metric: str = "cum_regret", title: str = "") -> Path:
    """Cumulative |metric| against T, log-log, per variant, with dashed reference slopes.

    With several horizons: the final value of every horizon's run (means over
    replications), since explore-then-commit plans for its T; with one horizon: the
    anytime curve of that run. Negative regret (the relaxed mechanism beating the IC
    optimum on truthful reports) is drawn by its absolute value, hollow markers.
    """
    plt = _plt()
    ep = results.tables["epochs"]
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    which = 0 if metric == "cum_regret" else 1
    for k, label in enumerate(ep.unique("variant")):
        c = colours[k % len(colours)]
        sub = ep.where(variant=label)
        hs = np.array(sorted(set(sub["n_rounds"].tolist())))
        if hs.size >= 2:
            # regret against T: the final value of every horizon's run (each run plans for its T)
            xs = hs
            ys = np.array([np.mean(sub.where(n_rounds=h, t_end=h)[metric]) for h in hs])
        else:
            # one horizon: the anytime curve of that run (mean over replications at every block end)
            big = sub.where(n_rounds=int(hs[0]))
            xs = np.array(sorted(set(big["t_end"].tolist())))
            ys = np.array([np.mean(big.where(t_end=e)[metric]) for e in xs])
        ok = np.abs(ys) > 0
        if not ok.any():
            continue
        x, y = xs[ok], ys[ok]
        ax.plot(x, np.abs(y), color=c, lw=1.2, label=str(label))
        if hs.size >= 2:
            ax.scatter(x[y >= 0], y[y >= 0], s=28, color=c)
            ax.scatter(x[y < 0], -y[y < 0], s=28, edgecolors=c, facecolors="none")
        ref = reference_slopes(results.scenario, label)
        if ref is not None:
            sl = ref[which]
            mid = len(x) // 2
            xr = np.array([x[0], x[-1]], dtype=float)
            ax.plot(xr, np.abs(y[mid]) * (xr / x[mid]) ** sl, ls="--", color=c, lw=0.9, alpha=0.7, label=f"T^{sl:.2f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("T (rounds)")
    ax.set_ylabel(("|cumulative regret|" if metric == "cum_regret" else "cumulative violation (ex-ante)"))
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_values(results: Any, path: Path, *, title: str = "") -> Path:
    """Average receiver value per round of each variant (truthful accounting and realised
    under the scenario's senders, with 95% CIs) against the first best, the IC optimum
    and the no-information value of the instance (means over replications)."""
    plt = _plt()
    s = results.summary
    labels = list(s["variants"])
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(max(5.0, 1.1 * len(labels) + 2) + 2.2, 4.2))
    for off, key, name in ((-0.18, "value", "value (truthful reports)"), (0.18, "realised_value", "realised (scenario's senders)")):
        m = np.array([s["variants"][lb][key]["mean"] for lb in labels])
        lo = np.array([s["variants"][lb][key]["ci_low"] for lb in labels])
        hi = np.array([s["variants"][lb][key]["ci_high"] for lb in labels])
        ax.bar(x + off, m, width=0.34, yerr=np.vstack([m - lo, hi - m]), capsize=3, label=name)
    g = s["game"]
    for key, name, ls in (("first_best", "first best", "-"), ("opt_payments", "IC optimum", "--"), ("no_information", "no information", ":")):
        ax.axhline(g[key]["mean"], color="k", ls=ls, lw=1, label=f"{name} {g[key]['mean']:.4f}")
    ax.set_xticks(x, labels, rotation=20, fontsize=8)
    ax.set_ylabel("receiver utility per round")
    ax.set_title(title, fontsize=10)
    lo_all = min(g["no_information"]["mean"], *(s["variants"][lb]["realised_value"]["ci_low"] for lb in labels))
    ax.set_ylim(max(0.0, lo_all - 0.1), min(1.05, g["first_best"]["mean"] + 0.1))
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
