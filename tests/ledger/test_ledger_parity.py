"""MemoryLedger and EvmLedger: same inputs, same balances, same refusals; gas and atomicity on the EVM."""

from __future__ import annotations

import numpy as np
import pytest

BOA_MISSING = "titanoboa not installed: pip install 'mechsim[chain]'"

boa = pytest.importorskip("boa", reason=BOA_MISSING)
pytestmark = pytest.mark.evm

from mechsim.errors import LedgerError  # noqa: E402
from mechsim.ledger import MAX_BATCH, PATTERNS, EvmLedger, MemoryLedger, split_units  # noqa: E402

AGENTS = [0, 1, 2, 3, "dora", "eve", 6, "0x" + "5a" * 20]


def _script(pattern: str, seed: int, n_epochs: int = 5) -> list[tuple]:
    """A random but fixed sequence of ledger operations, including some that must be refused."""
    rng = np.random.default_rng(seed)
    ops: list[tuple] = []
    for epoch in range(n_epochs):
        budget = int(rng.integers(1, 10**9)) * 10**12 + int(rng.integers(0, 10**12))
        ops.append(("fund", epoch, budget))
        if rng.random() < 0.3:
            extra = int(rng.integers(1, 10**18))
            ops.append(("fund", epoch, extra))
            budget += extra
        payees = [AGENTS[i] for i in rng.choice(len(AGENTS), size=int(rng.integers(1, len(AGENTS))), replace=False)]
        weights = rng.random(len(payees))
        if pattern == "reward_driven":
            contributions = {a: int(w * 1000) + 1 for a, w in zip(payees, weights)}
            half = dict(list(contributions.items())[: len(payees) // 2])
            if half:
                ops.append(("record", epoch, half))
            rest = dict(list(contributions.items())[len(payees) // 2 :])
            ops.append(("settle", epoch, rest, bool(rng.random() < 0.7)))
        else:
            if rng.random() < 0.3:  # one unit too many: refused everywhere, with the same reason
                ops.append(("settle", epoch, dict(zip(payees, split_units(budget + 1, weights))), True))
            spend = budget - int(rng.integers(0, 3))  # sometimes leaves a little unallocated
            allocation = dict(zip(payees, split_units(max(spend, 0), weights)))
            ops.append(("settle", epoch, allocation, bool(rng.random() < 0.7)))
        ops.append(("settle", epoch, {payees[0]: 1}, True))  # epoch closed
        ops.append(("fund", epoch, 5))  # epoch closed
        ops.append(("claim", AGENTS[int(rng.integers(len(AGENTS)))]))
    return ops


def _drive(ledger, ops) -> list:
    out = []
    for op, *args in ops:
        try:
            if op == "settle":
                epoch, allocation, claim = args
                s = ledger.settle(epoch, allocation, claim=claim)
                out.append((s.epoch, s.budget, s.allocation, s.contributions, s.dust, s.claimed))
            else:
                out.append(getattr(ledger, op)(*args))
        except LedgerError as err:
            out.append(str(err))
        out.append((ledger.balances(), ledger.owed(), ledger.totals()))
    return out


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("seed", [1, 2])
def test_same_operations_give_identical_results(pattern, seed):
    ops = _script(pattern, seed)
    memory = _drive(MemoryLedger(pattern), ops)
    evm_ledger = EvmLedger(pattern)
    evm = _drive(evm_ledger, ops)
    assert evm == memory
    assert any(isinstance(x, str) and "refused" in x for x in memory)  # the script did exercise refusals
    totals = evm_ledger.totals()
    assert totals.conserved and totals.held == evm_ledger.token.balanceOf(evm_ledger.payout.address)


@pytest.mark.parametrize("pattern", ["batched", "reward_driven"])
def test_multi_batch_settlement_is_all_or_nothing(pattern):
    n = MAX_BATCH + 10  # two transactions; the second one fails
    allocation = {i: 1 for i in range(n)}
    ledgers = [MemoryLedger(pattern), EvmLedger(pattern)]
    for ledger in ledgers:
        ledger.fund(0, n)
        ledger.fund(1, 1)
        if pattern == "batched":
            allocation[n - 1] = 2  # one unit over budget, in the last batch
            with pytest.raises(LedgerError, match="settle refused: over budget"):
                ledger.settle(0, allocation)
        else:
            allocation[n - 1] = 2**256 - 1  # overflows the epoch's total contribution
            with pytest.raises(LedgerError, match="settle refused: contribution overflow"):
                ledger.settle(0, allocation)
        assert ledger.totals().allocated == 0 and ledger.balances() == {} and ledger.budget(0) == n
        s = ledger.settle(0, {i: 1 for i in range(n)})
        assert len(s.allocation) == n and ledger.totals().paid == n
    rows = ledgers[1].gas_report().rows()
    assert [r["n_items"] for r in rows if r["op"] in ("post", "record")] == [MAX_BATCH, 10]  # failed ones dropped


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("backend", [MemoryLedger, EvmLedger])
def test_what_if_branches_are_undone(backend, pattern):
    ledger = backend(pattern)
    ledger.fund(0, 100)
    before = (ledger.balances(), ledger.owed(), ledger.totals(), len(ledger.gas_report()))
    with ledger.branch():
        s = ledger.settle(0, {1: 60, 2: 40}, claim=False)
        assert s.allocation == {1: 60, 2: 40} and ledger.totals().allocated == 100
    assert (ledger.balances(), ledger.owed(), ledger.totals(), len(ledger.gas_report())) == before
    assert ledger.settlements == ()
    s = ledger.settle(0, {1: 30, 2: 70})  # the real branch
    assert ledger.balances() == {1: 30, 2: 70} and s.claimed == {1: 30, 2: 70}


def test_gas_report_and_settlement_gas():
    ledger = EvmLedger("merkle")
    ledger.fund(0, 1000)
    s = ledger.settle(0, {1: 600, 2: 400})
    table = ledger.gas_report()
    assert list(table["op"]) == ["mint", "fund", "post_root", "claim", "claim"]
    assert list(table["sender"]) == ["funder", "funder", "operator", "payee", "payee"]
    assert s.operator_gas == table.where(op="post_root")["gas"][0] > 21000
    assert set(s.claim_gas) == {1, 2} and all(g > 21000 for g in s.claim_gas.values())
    rows = list(table.rows())
    assert all(r["gas"] == r["exec_gas"] + r["intrinsic_gas"] - r["refund"] for r in rows)


def test_merkle_operator_gas_is_flat_in_the_number_of_payees():
    gas = {}
    for n in (4, 64):
        ledger = EvmLedger("merkle")
        ledger.fund(0, 10**6)
        gas[n] = ledger.settle(0, {i: 7 for i in range(n)}, claim=False).operator_gas
    assert abs(gas[64] - gas[4]) < 200  # only the n_payees argument's calldata differs


def test_merkle_ledger_keeps_proofs_that_the_contract_accepts():
    ledger = EvmLedger("merkle")
    ledger.fund(0, 100)
    ledger.settle(0, {"a": 30, "b": 70}, claim=False)
    amount, proof = ledger.proof("b", 0)
    from mechsim.ledger import address_of

    assert amount == 70 and ledger.payout.verify(0, address_of("b"), 70, proof)
    assert ledger.claim("b") == 70
    with pytest.raises(LedgerError, match="no unclaimed Merkle leaf"):
        ledger.proof("b", 0)
    with pytest.raises(LedgerError, match="claim refused: nothing to claim"):
        ledger.claim("b")


def test_gas_benchmark_runs_and_writes_its_table(tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    from mechsim.core.table import Table

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_gas.py"
    spec = importlib.util.spec_from_file_location("bench_gas", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main([str(tmp_path / "gas.csv"), "--sizes", "2", "5"]) == 0
    table = Table.from_csv(tmp_path / "gas.csv", bench.SCHEMA)
    assert len(table) == 3 * 2 * 2 and "merkle operator gas" in capsys.readouterr().out
    merkle = table.where(pattern="merkle", epoch=0)["operator_gas"]
    assert merkle[0] == merkle[1]  # flat in the number of payees
    batched = table.where(pattern="batched", epoch=0)["operator_gas"]
    assert batched[1] > batched[0]


def test_gas_is_charged_per_transaction_not_per_session():
    """Each operation ends like a mined transaction: a returning payee's claim pays for cold,
    clean storage (2100 + 2900 per written slot), not titanoboa's 'dirty since deploy' 100."""
    ledger = EvmLedger("batched")
    for epoch in range(2):
        ledger.fund(epoch, 100)
        s = ledger.settle(epoch, {1: 60, 2: 40})
    # claimable (cleared), total_paid, payout's and payee's token balances: 4 cold slots
    # rewritten (2100 + 2900 each), one cold call (2600), at most two clearing refunds (4800)
    floor = 21000 + 2600 + 4 * (2100 + 2900) - 2 * 4800
    assert all(g >= floor for g in s.claim_gas.values()), s.claim_gas
