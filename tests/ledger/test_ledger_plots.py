"""Ledger plots write non-empty PNGs from ledger tables (no EVM needed)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="matplotlib not installed")

from mechsim.core.table import Table  # noqa: E402
from mechsim.errors import ParameterError  # noqa: E402
from mechsim.ledger import UNIT, MemoryLedger, settlements_table  # noqa: E402
from mechsim.plots.ledger import (  # noqa: E402
    cumulative_payouts,
    plot_cumulative_payouts,
    plot_gas_vs_payees,
    plot_payout_vs_contribution,
)


@pytest.fixture(scope="module")
def settled():
    ledger = MemoryLedger("reward_driven")
    for epoch in range(4):
        ledger.fund(epoch, 10 * UNIT)
        ledger.settle(epoch, {a: a + 1 + epoch for a in range(5)})
    return ledger, settlements_table(ledger.settlements)


def _is_png(path):
    return path.stat().st_size > 1000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cumulative_payouts_from_settlements(settled, tmp_path):
    ledger, table = settled
    epochs, curves = cumulative_payouts(table)
    assert list(epochs) == [0, 1, 2, 3]
    final = {a: ledger.balances()[int(a)] / UNIT for a in curves}
    assert all(np.isclose(curves[a][-1], final[a]) for a in curves)
    assert all(np.all(np.diff(c) >= 0) for c in curves.values())
    assert _is_png(plot_cumulative_payouts(table, tmp_path / "cum.png"))
    assert _is_png(plot_cumulative_payouts({"a": [1, 2], "b": [3, 0]}, tmp_path / "cum2.png"))


def test_payout_vs_contribution(settled, tmp_path):
    ledger, table = settled
    c = [sum(s.contributions[a] for s in ledger.settlements) for a in range(5)]
    p = [ledger.balances()[a] for a in range(5)]
    assert _is_png(plot_payout_vs_contribution(c, p, tmp_path / "pc.png", labels=[str(a) for a in range(5)]))
    with pytest.raises(ParameterError, match="1-D arrays of one length"):
        plot_payout_vs_contribution([1, 2], [1], tmp_path / "bad.png")


def test_gas_vs_payees(tmp_path):
    gas = Table(
        {"pattern": "str", "n_payees": "int", "epoch": "int", "operator_gas": "int", "claim_gas_mean": "float"},
        {
            "pattern": ["batched"] * 3 + ["merkle"] * 3,
            "n_payees": [16, 64, 256] * 2,
            "epoch": [0] * 6,
            "operator_gas": [5e5, 1.7e6, 6.5e6, 1.15e5, 1.15e5, 1.15e5],
            "claim_gas_mean": [4.6e4] * 3 + [9.2e4] * 3,
        },
    )
    assert _is_png(plot_gas_vs_payees(gas, tmp_path / "gas.png"))
    with pytest.raises(ParameterError, match="needs the 'operator_gas' column"):
        plot_gas_vs_payees(Table({"pattern": "str", "n_payees": "int"}), tmp_path / "bad.png")


def test_gas_figure_where_gas_is_tabulated(tmp_path):
    """Issue 13, item 8: a run whose ledger_gas table holds gas gets a gas figure; a gasless one does not."""
    from mechsim.core.table import Table
    from mechsim.ledger.payout import LEDGER_GAS_SCHEMA, PAYOUTS_SCHEMA
    from mechsim.plots.ledger import plot_payouts

    payouts = Table(PAYOUTS_SCHEMA, {c: [] for c in PAYOUTS_SCHEMA})
    rows = {"variant": ["a", "a"], "replication": [0, 0], "epoch": [0, 1], "pattern": ["batched"] * 2,
            "n_payees": [3, 3], "operator_gas": [90000, 80000], "claim_gas": [60000, 60000]}
    paths = plot_payouts(payouts, tmp_path, title="t", gas=Table(LEDGER_GAS_SCHEMA, rows))
    assert [p.name for p in paths] == ["gas.png"]
    zero = {**rows, "operator_gas": [0, 0], "claim_gas": [0, 0]}
    assert plot_payouts(payouts, tmp_path, title="t", gas=Table(LEDGER_GAS_SCHEMA, zero)) == []
