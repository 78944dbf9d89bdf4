"""Summaries as grouped tables: metrics as rows, variants (or runs) as columns, CIs in the cells.

Used by the terminal summary of ``mechsim run``, by ``mechsim compare`` and by the HTML
report. A cell is ``mean [ci_low, ci_high]``; a value that is not defined prints as
``n/a`` and the footnotes say why (no interval for n < 2, a metric a variant lacks, a
statistic that is ``nan`` in the run).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["summary_rows", "format_grid", "format_summary", "Cell"]

Cell = dict[str, Any]  # {"mean", "ci_low", "ci_high", "n", "why"}

_SKIP = {"id", "replications"}


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x)


def _cell(v: Any) -> Cell | None:
    if isinstance(v, Mapping) and "mean" in v:
        m = _num(v.get("mean"))
        lo, hi = _num(v.get("ci_low")), _num(v.get("ci_high"))
        why = None
        if m is None or math.isnan(m):
            why = "nan"
        elif v.get("n_too_small") or (isinstance(v.get("n"), int) and v["n"] < 2):
            why = "n<2"
        return {"mean": m, "ci_low": lo, "ci_high": hi, "n": v.get("n"), "why": why}
    if v is None:
        return {"mean": None, "ci_low": None, "ci_high": None, "n": None, "why": "nan"}
    x = _num(v)
    if x is None:
        return None
    return {"mean": x, "ci_low": None, "ci_high": None, "n": None, "why": "nan" if math.isnan(x) else None}


def _flatten(block: Mapping[str, Any], prefix: str = "") -> dict[str, Cell]:
    out: dict[str, Cell] = {}
    for k, v in block.items():
        if k in _SKIP:
            continue
        name = f"{prefix}{k}"
        c = _cell(v)
        if c is not None:
            out[name] = c
        elif isinstance(v, Mapping):
            out.update(_flatten(v, name + "."))
    return out


def summary_rows(summary: Mapping[str, Any]) -> tuple[list[str], list[str], dict[tuple[str, str], Cell]]:
    """``(metrics, columns, cells)`` of a summary: its ``variants`` block, plus payout and gas blocks.

    Columns are the variants; metrics keep first-seen order; ``cells[(metric, variant)]``.
    Top-level blocks whose name says payouts or gas (``payouts``, ``gas``, ``ledger``) are
    added as rows of a column ``(run)`` when they are not per variant.
    """
    variants = summary.get("variants") if isinstance(summary.get("variants"), Mapping) else {}
    columns = [str(v) for v in variants]
    metrics: dict[str, None] = {}
    cells: dict[tuple[str, str], Cell] = {}
    for label, block in variants.items():
        if not isinstance(block, Mapping):
            continue
        for m, c in _flatten(block).items():
            metrics.setdefault(m, None)
            cells[(m, str(label))] = c
    for key, block in summary.items():
        if key == "variants" or not isinstance(block, Mapping):
            continue
        if any(w in key for w in ("payout", "gas", "ledger")):
            per_variant = [lbl for lbl in block if str(lbl) in columns and isinstance(block[lbl], Mapping)]
            for lbl in per_variant:  # payouts.<variant>.<metric>: a row payouts.<metric> in that variant's column
                for m, c in _flatten(block[lbl], key + ".").items():
                    metrics.setdefault(m, None)
                    cells[(m, str(lbl))] = c
            rest = {k: v for k, v in block.items() if k not in per_variant}
            for m, c in _flatten(rest, key + ".").items():
                if "(run)" not in columns:
                    columns.append("(run)")
                metrics.setdefault(m, None)
                cells[(m, "(run)")] = c
    return list(metrics), columns, cells


def _fmt(x: float | None) -> str:
    if x is None or math.isnan(x):
        return "n/a"
    return f"{x:.4g}"


def _text(c: Cell | None) -> tuple[str, str | None]:
    if c is None:
        return "-", "absent"
    if c["why"] == "nan":
        return "n/a", "nan"
    s = _fmt(c["mean"])
    if c["ci_low"] is not None and c["ci_high"] is not None and not math.isnan(c["ci_low"]):
        s += f" [{_fmt(c['ci_low'])}, {_fmt(c['ci_high'])}]"
    elif c["why"] == "n<2":
        s += " (n<2)"
        return s, "n<2"
    return s, None


_NOTES = {
    "nan": "n/a: the statistic is not defined in this run (nan, e.g. a correlation of constant values or no payouts)",
    "n<2": "(n<2): one replication, no confidence interval",
    "absent": "-: the column does not report this metric",
}


def format_grid(metrics: Sequence[str], columns: Sequence[str], cells: Mapping[tuple[str, str], Cell], *, level: str = "95%") -> str:
    """Aligned text: one row per metric, one column per variant or run; footnotes for n/a."""
    if not metrics or not columns:
        return ""
    used: dict[str, None] = {}
    body = []
    for m in metrics:
        row = [m]
        for col in columns:
            text, why = _text(cells.get((m, col)))
            if why:
                used.setdefault(why, None)
            row.append(text)
        body.append(row)
    header = [f"metric (mean [{level} CI])", *columns]
    widths = [max(len(r[j]) for r in [header, *body]) for j in range(len(header))]
    lines = ["  ".join(h.ljust(w) if j == 0 else h.rjust(w) for j, (h, w) in enumerate(zip(header, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for r in body:
        lines.append("  ".join(v.ljust(w) if j == 0 else v.rjust(w) for j, (v, w) in enumerate(zip(r, widths))))
    for why in used:
        lines.append(_NOTES[why])
    return "\n".join(lines)


def format_summary(summary: Mapping[str, Any]) -> str:
    """The grouped table of one run's summary (variants as columns)."""
    return format_grid(*summary_rows(summary))
