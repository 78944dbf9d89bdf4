"""Summaries of a run's payouts (any family): tokens per agent, payout against weight, gas."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mechsim.core.table import Table
from mechsim.metrics import pearson, spearman

__all__ = ["agent_totals", "summarize_payouts"]


def agent_totals(rows: Table, column: str) -> np.ndarray:
    """Sum of ``column`` per agent, in ascending agent order (rows of one variant and replication)."""
    nodes, index = np.unique(rows["agent"], return_inverse=True)
    return np.bincount(index, weights=rows[column], minlength=nodes.size)


def summarize_payouts(payouts: Table, gas: Table) -> dict[str, Any]:
    """Per mechanism: tokens paid per agent, how closely payout follows contribution, gas.

    ``payout_pearson`` / ``payout_spearman`` correlate each agent's total contribution
    with its total payout (per replication, then averaged).
    """
    out: dict[str, Any] = {}
    for label in payouts.unique("variant"):
        sub = payouts.where(variant=label)
        reps = sub.unique("replication")
        totals, contribs, r_p, r_s, paid = [], [], [], [], []
        for r in reps:
            rows = sub.where(replication=r)
            amount = agent_totals(rows, "amount")
            contribution = agent_totals(rows, "contribution")
            totals.append(amount)
            contribs.append(contribution)
            r_p.append(pearson(contribution, amount))
            r_s.append(spearman(contribution, amount))
            paid.append(float(rows["balance"][rows["epoch"] == rows["epoch"].max()].sum()))
        g = gas.where(variant=label)
        out[label] = {
            "epochs": int(sub["epoch"].max()) + 1 if len(sub) else 0,
            "paid_per_agent": np.mean(totals, axis=0).tolist(),
            "contribution_per_agent": np.mean(contribs, axis=0).tolist(),
            "total_paid": float(np.mean(paid)),
            "payout_pearson": float(np.nanmean(r_p)) if np.any(np.isfinite(r_p)) else math.nan,
            "payout_spearman": float(np.nanmean(r_s)) if np.any(np.isfinite(r_s)) else math.nan,
            "operator_gas_total": int(g["operator_gas"].sum()),
            "claim_gas_total": int(g["claim_gas"].sum()),
        }
    return out
