"""Sweep figures: each metric against the first grid parameter, mean and CI over seeds.

Metric columns named ``<series>.<metric>`` (the bandits family writes
``ucb1.pseudo_regret``) are grouped by ``<metric>``: one figure per metric, one
line per series and per combination of the other grid parameters. A column
without a dot is its own group with one series.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mechsim.core.table import Table
from mechsim.metrics import mean_ci
from mechsim.plots import figure, save

__all__ = ["metric_groups", "sweep_curves", "plot_sweep"]

_STYLES = ["-", "--", ":", "-."]
_MARKERS = ["o", "s", "^", "D", "v", "P"]


def metric_groups(columns: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """``{metric: [(series label, column), ...]}`` in column order."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for col in columns:
        series, dot, metric = col.rpartition(".")
        groups.setdefault(metric if dot else col, []).append((series, col))
    return groups


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def sweep_curves(
    table: Table, column: str, x: str | None, by: Sequence[str] = (), level: float = 0.95
) -> list[dict[str, Any]]:
    """Mean and CI of ``column`` over seeds at each value of ``x``, per combination of ``by``.

    Returns one dict per combination: ``{"by": {key: value}, "x": [...], "mean", "low",
    "high", "n"}`` (arrays aligned with ``x``; numeric ``x`` sorted, others in table order).
    """
    n = len(table)
    combos: dict[tuple[Any, ...], None] = {}
    by_cols = [table[k] for k in by]
    for i in range(n):
        combos.setdefault(tuple(c[i] for c in by_cols), None)
    if x is None:
        xs: list[Any] = [None]
    else:
        xs = table.unique(x)
        if table.schema[x] in ("int", "float"):
            xs = sorted(xs)
    out = []
    for combo in combos:
        mask = np.ones(n, dtype=bool)
        for col, v in zip(by_cols, combo):
            mask &= col == v
        means, lows, highs, counts = [], [], [], []
        for xv in xs:
            m = mask if x is None else mask & (table[x] == xv)
            vals = table[column][m].astype(float)
            if vals.size == 0:
                means.append(np.nan), lows.append(np.nan), highs.append(np.nan), counts.append(0)
                continue
            mu, lo, hi = mean_ci(vals, level=level)
            means.append(float(mu)), lows.append(float(lo)), highs.append(float(hi)), counts.append(int(vals.size))
        out.append(
            {
                "by": {k: (v.item() if hasattr(v, "item") else v) for k, v in zip(by, combo)},
                "x": xs,
                "mean": np.array(means),
                "low": np.array(lows),
                "high": np.array(highs),
                "n": np.array(counts),
            }
        )
    return out


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "metric"


def plot_sweep(
    table: Table,
    grid_keys: Sequence[str],
    figdir: str | Path,
    *,
    title: str = "",
    level: float = 0.95,
) -> list[Path]:
    """One ``<metric>.png`` per metric group in ``figdir``; returns the paths written.

    The x axis is the first grid key (numeric: a line with a CI band, log-scaled when the
    values span two decades or more; otherwise categories with error bars). Lines are
    series x combinations of the other grid keys. Without grid keys each series is a
    category.
    """
    figdir = Path(figdir)
    figdir.mkdir(parents=True, exist_ok=True)
    skip = set(grid_keys) | {"seed"}
    # show only what varied: a grid key with one value is a constant, not an axis or a line
    grid_keys = [k for k in grid_keys if len(table.unique(k)) > 1] or list(grid_keys)[:1]
    metric_cols = [c for c in table.schema if c not in skip]
    n_seeds = len(table.unique("seed")) if "seed" in table.schema else 1
    x = grid_keys[0] if grid_keys else None
    others = grid_keys[1:]
    numeric = x is not None and table.schema[x] in ("int", "float")
    paths = []
    for group, members in metric_groups(metric_cols).items():
        lines = []  # (label, series index, combination index, curve)
        for si, (series, col) in enumerate(members):
            for ci, curve in enumerate(sweep_curves(table, col, x, others, level)):
                parts = [series] if series else []
                parts += [f"{k}={_fmt(v)}" for k, v in curve["by"].items()]
                lines.append((", ".join(parts) or group, si, ci, curve))
        outside = x is not None and len(lines) > 4
        fig, ax = figure(figsize=(9.6, 4.8) if outside else (6.4, 4.2))
        # colour = series (e.g. policy), line style and marker = combination of the other grid keys
        colours = [f"C{i % 10}" for i in range(len(members))]

        def style(si: int, ci: int) -> dict[str, Any]:
            return {"color": colours[si], "linestyle": _STYLES[ci % len(_STYLES)], "marker": _MARKERS[ci % len(_MARKERS)]}

        if x is None:
            pos = np.arange(len(lines))
            for i, (label, si, ci, c) in enumerate(lines):
                ax.errorbar(pos[i], c["mean"][0], yerr=[[c["mean"][0] - c["low"][0]], [c["high"][0] - c["mean"][0]]],
                            fmt="o", capsize=4, color=colours[si])
            rotate = len(lines) > 3
            ax.set_xticks(pos, [label for label, *_ in lines], rotation=20 if rotate else 0, ha="right" if rotate else "center")
        elif numeric:
            for label, si, ci, c in lines:
                xv = np.asarray(c["x"], dtype=float)
                ax.plot(xv, c["mean"], label=label, **style(si, ci))
                ax.fill_between(xv, c["low"], c["high"], color=colours[si], alpha=0.15, linewidth=0)
            xv_all = np.asarray(table.unique(x), dtype=float)
            if xv_all.size and np.all(xv_all > 0) and xv_all.max() / xv_all.min() >= 100:
                ax.set_xscale("log")
            ax.set_xlabel(x)
        else:
            cats = lines[0][3]["x"] if lines else []
            pos = np.arange(len(cats), dtype=float)
            width = 0.5 / max(1, len(lines))
            for i, (label, si, ci, c) in enumerate(lines):
                shift = (i - (len(lines) - 1) / 2) * width
                ax.errorbar(pos + shift, c["mean"], yerr=[c["mean"] - c["low"], c["high"] - c["mean"]],
                            capsize=4, label=label, **style(si, ci))
            ax.set_xticks(pos, [_fmt(v) for v in cats])
            ax.set_xlabel(x)
        ax.set_ylabel(f"{group.replace('_', ' ')}\n(mean, {level:.0%} CI over {n_seeds} seed{'s' if n_seeds != 1 else ''})")
        ax.set_title(f"{title}: {group}" + (f" vs {x}" if x else "") if title else group + (f" vs {x}" if x else ""), fontsize=10, wrap=True)
        if x is not None and lines:
            if outside:
                ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
            else:
                ax.legend(fontsize="small")
        ax.grid(True, alpha=0.3)
        paths.append(save(fig, figdir / f"{_safe_name(group)}.png"))
    return paths
