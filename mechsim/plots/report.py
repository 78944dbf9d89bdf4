"""Runs side by side (``mechsim compare``) and one self-contained HTML page per run (``mechsim report``).

The page embeds everything (figures as base64 PNG data, tables as HTML, the summary as
a grouped table and as JSON), so it can be mailed or archived as one file and opened
offline. Tables are cut to their first rows in the page; the full ones stay in the
results folder.
"""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mechsim.core.fileio import atomic_write
from mechsim.metrics.display import format_grid, summary_rows

__all__ = ["compare_rows", "plot_compare", "write_report", "REPORT_ROWS"]

REPORT_ROWS = 50


def compare_rows(named: Sequence[tuple[str, Any]]):
    """``(metrics, columns, cells)`` for several runs: columns ``<run>:<variant>``, metrics in first-seen order."""
    metrics: dict[str, None] = {}
    columns: list[str] = []
    cells: dict[tuple[str, str], Any] = {}
    for name, results in named:
        ms, cols, cs = summary_rows(results.summary)
        for m in ms:
            metrics.setdefault(m, None)
        for c in cols:
            col = f"{name}:{c}"
            columns.append(col)
            for m in ms:
                if (m, c) in cs:
                    cells[(m, col)] = cs[(m, c)]
    return list(metrics), columns, cells


def plot_compare(named: Sequence[tuple[str, Any]], path: str | os.PathLike, *, max_metrics: int = 6) -> Path:
    """One panel per metric (the first ``max_metrics`` with a mean in every column): mean and 95% CI bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics, columns, cells = compare_rows(named)
    shown = [m for m in metrics if all(cells.get((m, c)) and cells[(m, c)]["mean"] is not None for c in columns)]
    shown = shown[:max_metrics] or metrics[:1]
    n = max(1, len(shown))
    fig, axes = plt.subplots(n, 1, figsize=(max(6.0, 0.9 * len(columns) + 2), 2.6 * n), squeeze=False)
    colours = plt.get_cmap("tab10")
    runs = list(dict.fromkeys(c.split(":", 1)[0] for c in columns))
    for ax, m in zip(axes[:, 0], shown):
        means, errs = [], [[], []]
        for c in columns:
            cell = cells.get((m, c)) or {}
            mu = cell.get("mean")
            mu = np.nan if mu is None else mu
            lo, hi = cell.get("ci_low"), cell.get("ci_high")
            means.append(mu)
            errs[0].append(0 if lo is None or np.isnan(lo) else mu - lo)
            errs[1].append(0 if hi is None or np.isnan(hi) else hi - mu)
        x = np.arange(len(columns))
        ax.bar(x, means, yerr=errs, capsize=3, color=[colours(runs.index(c.split(":", 1)[0]) % 10) for c in columns])
        ax.set_xticks(x, [c.split(":", 1)[1] for c in columns], rotation=30, ha="right", fontsize=8)
        ax.set_title(m, fontsize=10)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours(i % 10)) for i in range(len(runs))]
    fig.legend(handles, runs, loc="upper right", fontsize=8, title="run")
    fig.suptitle("runs side by side: mean and 95% CI over replications", fontsize=11)
    fig.tight_layout(rect=(0, 0, 0.85, 0.96))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _table_html(table: Any, rows: int = REPORT_ROWS) -> str:
    cols = list(table.schema)
    n = len(table)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = []
    for i in range(min(rows, n)):
        cells = []
        for c in cols:
            v = table.columns[c][i]
            text = f"{float(v):.6g}" if table.schema[c] == "float" else str(v.item() if hasattr(v, "item") else v)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = f"<p class='note'>first {min(rows, n)} of {n} rows; the full table is in the results folder.</p>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def write_report(results: Any, path: str | os.PathLike | None = None) -> Path:
    """Write ``report.html`` (default: in the results folder) and return its path."""
    from mechsim.core.results import jsonable

    folder = Path(results.path) if results.path is not None else None
    out = Path(path) if path is not None else (folder / "report.html" if folder is not None else Path("report.html"))
    scn = results.scenario
    figs = []
    figdir = folder / "figures" if folder is not None else None
    if figdir is not None and figdir.is_dir() and not figdir.is_symlink():
        for png in sorted(figdir.glob("*.png")):
            data = base64.b64encode(png.read_bytes()).decode("ascii")
            figs.append(
                f"<figure><img alt='{html.escape(png.stem)}' src='data:image/png;base64,{data}'>"
                f"<figcaption>{html.escape(png.name)}</figcaption></figure>"
            )
    grid = format_grid(*summary_rows(results.summary))
    manifest = getattr(results, "manifest", {}) or {}
    meta = {k: manifest.get(k) for k in ("run_id", "command", "git_commit", "wall_time_s", "versions", "host") if k in manifest}
    tables = "".join(
        f"<h3>{html.escape(name)} <span class='note'>({len(t)} rows)</span></h3>{_table_html(t)}" for name, t in results.tables.items()
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>mechsim report: {html.escape(scn.name)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }}
th, td {{ border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }}
th {{ background: #f3f3f3; }}
pre {{ background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }}
figure {{ display: inline-block; margin: 0.5em; }} img {{ max-width: 100%; }}
.note {{ color: #666; font-size: 0.85em; }}
</style></head><body>
<h1 id="title">{html.escape(scn.name)}</h1>
<p>{html.escape(scn.description)}</p>
<p class="note">family {html.escape(scn.family)}, seed {scn.seed}, {'complete' if results.complete else 'INCOMPLETE (interrupted)'} run</p>
<h2>Summary</h2>
<pre id="summary-table">{html.escape(grid)}</pre>
<h2>Figures</h2>
<div id="figures">{''.join(figs) or "<p class='note'>no figures in the folder (run mechsim plot first)</p>"}</div>
<h2>Tables</h2>
<div id="tables">{tables}</div>
<h2>Summary (JSON)</h2>
<pre id="summary-json">{html.escape(json.dumps(jsonable(results.summary), indent=2, sort_keys=True))}</pre>
<h2>How this run was made</h2>
<pre id="manifest">{html.escape(json.dumps(jsonable(meta), indent=2))}</pre>
<h2>Scenario</h2>
<pre id="scenario">{html.escape(scn.to_toml())}</pre>
<script>
// set once everything has loaded: how many embedded figures decoded (a headless check reads it)
window.addEventListener("load", function () {{
  var imgs = document.querySelectorAll("#figures img");
  var ok = 0;
  imgs.forEach(function (im) {{ if (im.complete && im.naturalWidth > 0) ok += 1; }});
  document.body.setAttribute("data-figures-loaded", String(ok));
  document.body.setAttribute("data-figures", String(imgs.length));
}});
</script>
</body></html>
"""
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, page)
    return out
