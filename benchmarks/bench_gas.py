"""Gas of each payout pattern on titanoboa's EVM, at 16, 64 and 256 payees.

For every pattern and size, one ledger pays the same payees in two epochs: epoch 0 is a
first payout (payees' token balances start at zero, which costs a fresh storage slot),
epoch 1 a steady-state payout to returning payees. Each epoch is funded with ``n``
tokens, split by fixed random weights (``reward_driven``: the weights are the
contributions, the contract splits the budget), and every payee claims.

Columns: operator gas per epoch (all posts; records + settle for ``reward_driven``),
the same per payee, mean/min/max gas of one payee's claim, and operator plus claims per
payee. Gas is the per-transaction estimate of :meth:`mechsim.ledger.Ledger.gas_report`
(py-evm execution gas from cold storage + intrinsic - capped refund): good for comparing
patterns, not a mainnet quote.

Usage::

    python benchmarks/bench_gas.py [CSV] [--sizes 16 64 256] [--seed 0]

Default CSV: ``benchmarks/results/gas.csv``. Needs ``mechsim[chain]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from mechsim.core.table import Table
from mechsim.ledger import PATTERNS, UNIT, EvmLedger, split_units

SCHEMA = {
    "pattern": "str",
    "n_payees": "int",
    "epoch": "int",
    "operator_gas": "int",
    "operator_gas_per_payee": "float",
    "claim_gas_mean": "float",
    "claim_gas_min": "int",
    "claim_gas_max": "int",
    "total_gas_per_payee": "float",
    "wall_s": "float",
}
DEFAULT_CSV = Path(__file__).resolve().parent / "results" / "gas.csv"


def measure(pattern: str, n: int, *, seed: int = 0, n_epochs: int = 2) -> list[dict]:
    """Rows of :data:`SCHEMA` for one pattern and number of payees."""
    rng = np.random.default_rng([seed, n])
    weights = rng.integers(1, 1000, size=n)
    payees = list(range(n))
    ledger = EvmLedger(pattern).reset()  # compile and deploy outside the timings
    rows = []
    for epoch in range(n_epochs):
        budget = n * UNIT
        start = time.perf_counter()
        ledger.fund(epoch, budget)
        if pattern == "reward_driven":
            allocation = dict(zip(payees, (int(w) for w in weights)))
        else:
            allocation = dict(zip(payees, split_units(budget, weights)))
        s = ledger.settle(epoch, allocation)
        wall = time.perf_counter() - start
        claims = np.array(list(s.claim_gas.values()), dtype=np.int64)
        rows.append(
            {
                "pattern": pattern,
                "n_payees": n,
                "epoch": epoch,
                "operator_gas": s.operator_gas,
                "operator_gas_per_payee": s.operator_gas / n,
                "claim_gas_mean": float(claims.mean()),
                "claim_gas_min": int(claims.min()),
                "claim_gas_max": int(claims.max()),
                "total_gas_per_payee": (s.operator_gas + int(claims.sum())) / n,
                "wall_s": wall,
            }
        )
    return rows


def run(sizes: list[int], *, seed: int = 0) -> Table:
    rows = [row for pattern in PATTERNS for n in sizes for row in measure(pattern, n, seed=seed)]
    return Table(SCHEMA, {c: [r[c] for r in rows] for c in SCHEMA})


def format_table(table: Table) -> str:
    head = (
        f"{'pattern':<14}{'payees':>7}{'epoch':>6}{'operator gas':>14}{'op/payee':>10}"
        f"{'claim mean':>12}{'claim max':>11}{'total/payee':>13}{'wall s':>8}"
    )
    lines = [head, "-" * len(head)]
    for r in table.rows():
        lines.append(
            f"{r['pattern']:<14}{r['n_payees']:>7}{r['epoch']:>6}{r['operator_gas']:>14,}"
            f"{r['operator_gas_per_payee']:>10,.0f}{r['claim_gas_mean']:>12,.0f}{r['claim_gas_max']:>11,}"
            f"{r['total_gas_per_payee']:>13,.0f}{r['wall_s']:>8.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", nargs="?", default=str(DEFAULT_CSV), help="output CSV (default: %(default)s)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    table = run(args.sizes, seed=args.seed)
    print(format_table(table))
    merkle = table.where(pattern="merkle", epoch=0)
    if len(merkle) > 1:
        ops = merkle["operator_gas"]
        print(
            f"\nmerkle operator gas from {merkle['n_payees'][0]} to {merkle['n_payees'][-1]} payees: "
            f"{ops[0]:,} -> {ops[-1]:,} ({ops[-1] / ops[0]:.3f}x)"
        )
    out = Path(args.csv)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out)
    print(f"wrote {out}")
    from mechsim.plots.ledger import plot_gas_vs_payees

    for epoch in (0, 1):
        fig = plot_gas_vs_payees(table, out.with_name(f"{out.stem}_epoch{epoch}.png"), epoch=epoch, title=f"operator gas per epoch (epoch {epoch})")
        print(f"wrote {fig}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
