"""Ledger plots: cumulative payouts, payout against contribution, gas against payees.

Each function takes tables or arrays and an output path, draws on the Agg canvas and
returns the path written. Inputs are what the ledger produces:
:func:`mechsim.ledger.settlements_table` (tidy ``epoch, account, contribution, amount``
rows, amounts in tokens) and the gas table of ``benchmarks/bench_gas.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mechsim.core.table import Table
from mechsim.errors import ParameterError
from mechsim.metrics.fairness import pearson, spearman
from mechsim.plots import figure, save

__all__ = [
    "cumulative_payouts", "plot_cumulative_payouts", "plot_payout_vs_contribution", "plot_gas_vs_payees", "plot_payouts",
    "plot_gas_per_epoch",
]


def cumulative_payouts(settlements: Table) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """From tidy ``(epoch, account, amount)`` rows: the epochs and each account's running total.

    Returns ``(epochs, {account: cumulative amount at each epoch})``; an account with no
    row in an epoch received 0 in it.
    """
    for column in ("epoch", "account", "amount"):
        if column not in settlements.schema:
            raise ParameterError(f"the settlements table needs the {column!r} column. Got {list(settlements.schema)}.")
    epochs = np.unique(settlements["epoch"])
    index = {e: i for i, e in enumerate(epochs.tolist())}
    per_epoch: dict[str, np.ndarray] = {}
    for row in settlements.rows():
        series = per_epoch.setdefault(row["account"], np.zeros(epochs.size))
        series[index[row["epoch"]]] += row["amount"]
    return epochs, {account: np.cumsum(series) for account, series in per_epoch.items()}


def plot_cumulative_payouts(
    settlements: Table | Mapping[str, Sequence[float]],
    path: str | Path,
    *,
    epochs: Sequence[int] | None = None,
    max_lines: int = 20,
    title: str = "cumulative payout per agent",
) -> Path:
    """Cumulative payout of each agent over epochs (the ``max_lines`` largest final totals).

    Parameters
    ----------
    settlements : Table of ``(epoch, account, amount)`` rows, or ``{account: per-epoch amounts}``
    path : output file
    epochs : x values when ``settlements`` is a mapping (default ``0..T-1``)
    """
    if isinstance(settlements, Table):
        xs, curves = cumulative_payouts(settlements)
    else:
        curves = {str(a): np.cumsum(np.asarray(v, dtype=float)) for a, v in settlements.items()}
        length = max((c.size for c in curves.values()), default=0)
        xs = np.arange(length) if epochs is None else np.asarray(epochs)
    fig, ax = figure()
    ranked = sorted(curves.items(), key=lambda kv: kv[1][-1] if kv[1].size else 0.0, reverse=True)
    for account, curve in ranked[:max_lines]:
        ax.plot(xs[: curve.size], curve, marker=".", label=account)
    ax.set_xlabel("epoch")
    ax.set_ylabel("cumulative payout (tokens)")
    ax.set_title(title + (f" (top {max_lines} of {len(curves)})" if len(curves) > max_lines else ""))
    if ranked:
        ax.legend(fontsize="x-small", ncols=2)
    ax.grid(True, alpha=0.3)
    return Path(save(fig, path))


def plot_payout_vs_contribution(
    contribution: Any,
    payout: Any,
    path: str | Path,
    *,
    labels: Sequence[str] | None = None,
    title: str = "payout vs contribution",
) -> Path:
    """Each agent's share of the payouts against its share of the contributions.

    Points on the diagonal are paid exactly in proportion to contribution (the
    reward-driven rule). The title reports Pearson and Spearman correlations.
    """
    c = np.asarray(contribution, dtype=float)
    p = np.asarray(payout, dtype=float)
    if c.shape != p.shape or c.ndim != 1:
        raise ParameterError(
            f"contribution and payout must be 1-D arrays of one length. Got shapes {c.shape} and {p.shape} instead."
        )
    c_share = c / c.sum() if c.sum() > 0 else c
    p_share = p / p.sum() if p.sum() > 0 else p
    fig, ax = figure(figsize=(5.2, 4.8))
    ax.scatter(c_share, p_share, s=18, alpha=0.8)
    top = float(max(c_share.max(initial=0.0), p_share.max(initial=0.0))) * 1.05 or 1.0
    ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1, label="proportional")
    if labels is not None:
        for x, y, text in zip(c_share, p_share, labels):
            ax.annotate(str(text), (x, y), fontsize="x-small", xytext=(2, 2), textcoords="offset points")
    r, rho = pearson(c, p), spearman(c, p)
    ax.set_xlabel("share of contribution")
    ax.set_ylabel("share of payout")
    ax.set_title(f"{title}\nPearson {r:.3f}, Spearman {rho:.3f}" if c.size > 1 else title)
    ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    return Path(save(fig, path))


def plot_gas_vs_payees(gas: Table, path: str | Path, *, epoch: int | None = None, title: str = "gas per epoch") -> Path:
    """Operator gas per epoch and gas per payee against the number of payees, one line per pattern.

    ``gas`` has columns ``pattern``, ``n_payees``, ``operator_gas`` and optionally
    ``claim_gas_mean`` and ``epoch`` (the table of ``benchmarks/bench_gas.py``); with an
    ``epoch`` column, ``epoch`` (default: the first) selects the rows.
    """
    for column in ("pattern", "n_payees", "operator_gas"):
        if column not in gas.schema:
            raise ParameterError(f"the gas table needs the {column!r} column. Got {list(gas.schema)}.")
    if "epoch" in gas.schema:
        gas = gas.where(epoch=int(gas["epoch"].min()) if epoch is None else epoch)
    has_claims = "claim_gas_mean" in gas.schema
    fig, axes = figure(ncols=2 if has_claims else 1, figsize=(10.0 if has_claims else 6.4, 4.2))
    axes = np.atleast_1d(axes)
    for pattern in gas.unique("pattern"):
        sub = gas.where(pattern=pattern)
        order = np.argsort(sub["n_payees"])
        n = sub["n_payees"][order]
        operator = sub["operator_gas"][order].astype(float)
        axes[0].plot(n, operator, marker="o", label=pattern)
        if has_claims:
            per_payee = operator / n + sub["claim_gas_mean"][order]
            (line,) = axes[1].plot(n, per_payee, marker="o", label=f"{pattern}: operator/n + claim")
            axes[1].plot(
                n,
                sub["claim_gas_mean"][order],
                marker=".",
                linestyle=":",
                color=line.get_color(),
                label=f"{pattern}: claim",
            )
    axes[0].set_title(title)
    axes[0].set_ylabel("operator gas per epoch")
    if has_claims:
        axes[1].set_title("gas per payee")
        axes[1].set_ylabel("gas")
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("payees per epoch")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="x-small")
    return Path(save(fig, path))


def plot_gas_per_epoch(gas: Table, path: str | Path, *, title: str = "gas per epoch") -> Path:
    """Operator and total claim gas per epoch, one line pair per variant (mean over replications).

    ``gas`` is a run's ``ledger_gas`` table (:data:`mechsim.ledger.payout.LEDGER_GAS_SCHEMA`).
    """
    fig, ax = figure()
    for i, label in enumerate(gas.unique("variant")):
        sub = gas.where(variant=label)
        epochs = np.unique(sub["epoch"])
        op = np.array([sub["operator_gas"][sub["epoch"] == e].astype(float).mean() for e in epochs])
        cl = np.array([sub["claim_gas"][sub["epoch"] == e].astype(float).mean() for e in epochs])
        ax.plot(epochs, op, marker="o", color=f"C{i % 10}", label=f"{label}: operator")
        ax.plot(epochs, cl, marker=".", linestyle=":", color=f"C{i % 10}", label=f"{label}: claims")
    n_reps = len(np.unique(gas["replication"])) if len(gas) else 0
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"gas (mean over {n_reps} replication{'s' if n_reps != 1 else ''})")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="x-small")
    return Path(save(fig, path))


def plot_payouts(payouts: Table, figdir: Path, *, title: str = "", gas: Table | None = None) -> list[Path]:
    """Cumulative token payout per agent over epochs, and payout against contribution (replication 0,
    as the titles say); with ``gas`` (a ``ledger_gas`` table holding non-zero gas) also ``gas.png``."""
    from mechsim.ledger.summary import agent_totals

    paths = []
    for label in payouts.unique("variant"):
        rows = payouts.where(variant=label, replication=0)
        per_agent = {f"agent {i}": rows["amount"][rows["agent"] == i] for i in np.unique(rows["agent"])}
        epochs = np.unique(rows["epoch"])
        paths.append(
            plot_cumulative_payouts(
                per_agent, figdir / f"payouts_{label}.png", epochs=epochs, title=f"{title}: {label}, cumulative payout (replication 0)"
            )
        )
        nodes = np.unique(rows["agent"])
        contribution = agent_totals(rows, "contribution")
        amount = agent_totals(rows, "amount")
        paths.append(
            plot_payout_vs_contribution(
                contribution, amount, figdir / f"payout_vs_contribution_{label}.png", labels=[str(i) for i in nodes],
                title=f"{title}: {label}, payout vs contribution (replication 0)",
            )
        )
    if gas is not None and len(gas) and (np.any(gas["operator_gas"] > 0) or np.any(gas["claim_gas"] > 0)):
        paths.append(plot_gas_per_epoch(gas, figdir / "gas.png", title=f"{title}: gas per epoch"))
    return paths


def payout_figures(tables: Mapping[str, Table], figdir: Path, *, title: str = "") -> list[Path]:
    """Every family's payout figures: :func:`plot_payouts` of a run's ``payouts`` and
    ``ledger_gas`` tables, or nothing when the run has no ``[payout]`` section."""
    payouts = tables.get("payouts")
    if payouts is None or not len(payouts):
        return []
    return plot_payouts(payouts, figdir, title=title, gas=tables.get("ledger_gas"))
