"""Fairness, equality and performance of a collab run, computed from its tables.

Per mechanism and replication (the formulas are :mod:`mechsim.metrics`'):

- **fairness**: Pearson and Spearman correlation of the mechanism's final
  contribution estimate ``ψ̂_i`` (``Outcome.scores``) with the realised reward, the
  node's performance averaged over all rounds (the official code's
  ``cor_shapley_acc``). ``nan`` ("N.A.") when undefined: FedAvg estimates no
  contributions and gives every node the same model. ``fairness_quality_*``
  correlates the same reward with the ground-truth quality ``-noise_i`` instead,
  which is defined for every mechanism that differentiates its nodes;
  ``fairness_loss_pearson`` uses minus the mean validation loss as the reward (the
  code's ``cor_shapley_loss``, sign flipped), a smoother reward than accuracy.
- **contribution vs noise**: correlation of ``ψ̂`` with the injected noise level
  (expected strongly negative).
- **equality**: per round, over the nodes holding a model, the max-min gap, std,
  Gini and Jain's index of performance (Gini and Jain are ``nan`` for a round
  with a negative performance, e.g. R² < 0). ``gap_first`` averages the gap over a
  window of ``w = max(1, T // 10)`` rounds starting when the mechanism begins to
  differentiate nodes (after exploration for FAIR-EQUAL, round 0 otherwise),
  ``gap_last`` over the last ``w`` rounds, ``gap_peak`` is the largest
  ``w``-round mean; asymptotic equality shows as ``gap_last`` far below ``gap_peak``.
- **performance**: mean final node performance, final server performance, and the
  area under the curve (mean over rounds of the mean node performance).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from mechsim.core.table import Table
from mechsim.metrics.summary import kind_of
from mechsim.metrics import ci_dict, fairness_report, gini, jain, max_min_gap, pearson, spearman, std

__all__ = ["EQUALITY_SCHEMA", "node_matrix", "equality_table", "run_metrics", "summarize_runs", "HEADLINE"]

EQUALITY_SCHEMA = {
    "variant": "str",
    "replication": "int",
    "round": "int",
    "n_nodes": "int",
    "mean_perf": "float",
    "gap": "float",
    "std": "float",
    "gini": "float",
    "jain": "float",
}

#: the metrics summarised (mean and CI over replications) for every mechanism
HEADLINE = (
    "fairness_pearson",
    "fairness_spearman",
    "fairness_quality_pearson",
    "fairness_quality_spearman",
    "fairness_loss_pearson",
    "contribution_noise_pearson",
    "contribution_noise_spearman",
    "gap_first",
    "gap_peak",
    "gap_last",
    "gap_at_25pct",
    "gap_at_50pct",
    "gap_at_100pct",
    "final_std",
    "final_gini",
    "final_jain",
    "final_perf",
    "server_perf",
    "auc",
    "explore_rounds",
    "mean_staleness",
)


def node_matrix(rounds: Table, column: str, mechanism: str, replication: int) -> np.ndarray:
    """The (T, N) matrix of a per-node column for one run (rows: rounds, columns: nodes)."""
    sub = rounds.where(variant=mechanism, replication=replication)
    t, node = sub["round"], sub["node"]
    out = np.full((int(t.max()) + 1, int(node.max()) + 1), np.nan)
    out[t, node] = sub[column]
    return out


def _row_metrics(row: np.ndarray) -> tuple[int, float, float, float, float, float]:
    x = row[np.isfinite(row)]
    if x.size == 0:
        return 0, math.nan, math.nan, math.nan, math.nan, math.nan
    non_negative = bool(np.all(x >= 0))
    return (
        int(x.size),
        float(x.mean()),
        float(max_min_gap(x)),
        float(std(x)),
        float(gini(x)) if non_negative else math.nan,
        float(jain(x)) if non_negative else math.nan,
    )


def equality_table(rounds: Table) -> Table:
    """Per (mechanism, replication, round): the equality of node performance (see the module docstring)."""
    cols: dict[str, list[Any]] = {c: [] for c in EQUALITY_SCHEMA}
    for label in rounds.unique("variant"):
        for rep in rounds.where(variant=label).unique("replication"):
            perf = node_matrix(rounds, "perf", label, rep)
            for t, row in enumerate(perf):
                values = _row_metrics(row)
                for c, v in zip(("variant", "replication", "round", *list(EQUALITY_SCHEMA)[3:]), (label, rep, t, *values)):
                    cols[c].append(v)
    return Table(EQUALITY_SCHEMA, cols)


def _window_means(x: np.ndarray, w: int) -> np.ndarray:
    if x.size < w:
        return np.array([np.nanmean(x)]) if x.size else np.array([math.nan])
    c = np.cumsum(np.insert(np.nan_to_num(x), 0, 0.0))
    return (c[w:] - c[:-w]) / w


def run_metrics(tables: Mapping[str, Table], mechanism: str, replication: int) -> dict[str, float]:
    """The headline metrics of one run (see :data:`HEADLINE` and the module docstring)."""
    rounds, server, nodes = tables["rounds"], tables["server"], tables["nodes"]
    perf = node_matrix(rounds, "perf", mechanism, replication)
    n_rounds = perf.shape[0]
    nd = nodes.where(variant=mechanism, replication=replication)
    order = np.argsort(nd["node"])
    score, noise = nd["score"][order], nd["noise"][order]
    n_synced = nd["n_synced"][order]
    with np.errstate(all="ignore"):
        avg_perf = np.nanmean(np.where(np.isfinite(perf), perf, np.nan), axis=0)
    valid = np.isfinite(avg_perf)
    out: dict[str, float] = {}
    fair = fairness_report(score[valid], avg_perf[valid]) if np.all(np.isfinite(score[valid])) else None
    out["fairness_pearson"] = fair["pearson"] if fair else math.nan
    out["fairness_spearman"] = fair["spearman"] if fair else math.nan
    loss = node_matrix(rounds, "loss", mechanism, replication)
    with np.errstate(all="ignore"):
        avg_loss = np.nanmean(loss, axis=0)
    out["fairness_loss_pearson"] = float(pearson(score[valid], -avg_loss[valid])) if fair else math.nan
    fq = fairness_report(-noise[valid], avg_perf[valid])
    out["fairness_quality_pearson"], out["fairness_quality_spearman"] = fq["pearson"], fq["spearman"]
    if np.all(np.isfinite(score)):
        out["contribution_noise_pearson"] = float(pearson(score, noise))
        out["contribution_noise_spearman"] = float(spearman(score, noise))
    else:
        out["contribution_noise_pearson"] = out["contribution_noise_spearman"] = math.nan

    gaps = np.array([_row_metrics(row)[2] for row in perf])
    sv = server.where(variant=mechanism, replication=replication)
    sv_order = np.argsort(sv["round"])
    stage = sv["stage"][sv_order]
    explore = int(np.sum(stage == 1))
    w = max(1, n_rounds // 10)
    start = min(explore, max(0, n_rounds - w))
    out["gap_first"] = float(np.nanmean(gaps[start : start + w]))
    out["gap_peak"] = float(np.nanmax(_window_means(gaps[start:], w)))
    out["gap_last"] = float(np.nanmean(gaps[-w:]))
    for h in (25, 50, 100):
        # the row convention of mechsim.metrics.equality_report: ceil(h T) - 1
        row = min(max(math.ceil(h / 100 * n_rounds) - 1, 0), n_rounds - 1)
        out[f"gap_at_{h}pct"] = float(gaps[row])
    final = perf[-1][np.isfinite(perf[-1])]
    out["final_std"] = float(std(final)) if final.size else math.nan
    out["final_gini"] = float(gini(final)) if final.size and np.all(final >= 0) else math.nan
    out["final_jain"] = float(jain(final)) if final.size and np.all(final >= 0) else math.nan
    out["final_perf"] = float(final.mean()) if final.size else math.nan
    out["server_perf"] = float(sv["server_perf"][sv_order][-1])
    with np.errstate(all="ignore"):
        out["auc"] = float(np.nanmean(np.nanmean(perf, axis=1)))
    out["explore_rounds"] = float(explore) if explore else math.nan
    with np.errstate(divide="ignore"):
        stale = np.where(n_synced > 0, n_rounds / np.maximum(n_synced, 1), math.nan)
    out["mean_staleness"] = float(np.nanmean(stale)) if np.any(np.isfinite(stale)) else math.nan
    return out


def summarize_runs(tables: Mapping[str, Table], mechanisms: Mapping[str, str]) -> dict[str, Any]:
    """Per mechanism label: its id, every headline metric as mean/CI over replications, and the per-replication values."""
    out: dict[str, Any] = {}
    rounds = tables["rounds"]
    for label, cid in mechanisms.items():
        reps = rounds.where(variant=label).unique("replication")
        per_rep = [run_metrics(tables, label, r) for r in reps]
        entry: dict[str, Any] = {"id": cid}
        for key in HEADLINE:
            values = np.array([m[key] for m in per_rep], dtype=float)
            entry[key] = ci_dict(values, kind=kind_of(key)) if np.all(np.isfinite(values)) else {"mean": float(np.mean(values)) if values.size else math.nan, "n": int(values.size)}
        entry["fairness_defined"] = bool(np.all(np.isfinite([m["fairness_pearson"] for m in per_rep])))
        entry["replications"] = per_rep
        out[label] = entry
    return out
