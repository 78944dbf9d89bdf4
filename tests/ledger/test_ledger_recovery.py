"""Issue 13, item 6: no token is stuck for good; recovery is evented and never takes what a payee can claim."""

from __future__ import annotations

import pytest

from mechsim.errors import LedgerError
from mechsim.ledger import MemoryLedger
from mechsim.ledger.base import CONTRACT_ADDRESSES

BOA_MISSING = "titanoboa not installed: pip install 'mechsim[chain]'"


def _ledgers(pattern):
    out = [MemoryLedger(pattern)]
    try:
        import boa  # noqa: F401

        from mechsim.ledger import EvmLedger

        out.append(EvmLedger(pattern))
    except ImportError:
        pass
    return out


@pytest.mark.parametrize("pattern", ["batched", "merkle", "reward_driven"])
def test_unallocated_budget_is_recoverable_after_close_only(pattern):
    for ledger in _ledgers(pattern):
        ledger.fund(0, 100)
        with pytest.raises(LedgerError, match="recover refused: epoch open"):
            ledger.recover(0)
        alloc = {"a": 3, "b": 1} if pattern == "reward_driven" else {"a": 60}
        ledger.settle(0, alloc, claim=False)
        owed = ledger.owed()
        if pattern == "reward_driven":
            assert ledger.recoverable(0) == 0  # the whole budget is rewarded
            with pytest.raises(LedgerError, match="nothing to recover"):
                ledger.recover(0)
        else:
            assert ledger.recoverable(0) == 40 and ledger.recover(0) == 40
            with pytest.raises(LedgerError, match="nothing to recover"):
                ledger.recover(0)
        assert ledger.owed() == owed  # payees keep every claimable unit
        for account, units in owed.items():
            assert ledger.claim(account) == units
        assert ledger.totals().conserved and ledger.totals().held == 0


@pytest.mark.parametrize("pattern", ["batched", "merkle", "reward_driven"])
def test_direct_transfers_are_recoverable(pattern):
    for ledger in _ledgers(pattern):
        ledger.fund(0, 10)
        ledger.transfer_in(7)
        assert ledger.stray() == 7 and ledger.totals().conserved
        assert ledger.recover_stray("ops") == 7
        assert ledger.balances()["ops"] == 7 and ledger.stray() == 0
        assert ledger.budget(0) == 10  # funded tokens stay
        with pytest.raises(LedgerError, match="recover_stray refused: nothing to recover"):
            ledger.recover_stray()


def test_reward_driven_epoch_without_contributions_and_cancel():
    for ledger in _ledgers("reward_driven"):
        ledger.fund(0, 50)
        ledger.settle(0)  # no contributions: nothing allocated
        assert ledger.recover(0) == 50
        ledger.fund(1, 20)
        ledger.record(1, {"a": 1})
        ledger.cancel(1)  # an epoch that must not be settled: closed, budget recoverable
        with pytest.raises(LedgerError, match="epoch closed"):
            ledger.settle(1)
        assert ledger.recover(1) == 20


@pytest.mark.parametrize("pattern", ["batched", "merkle", "reward_driven"])
def test_allocations_to_the_contracts_are_refused_up_front(pattern):
    for ledger in _ledgers(pattern):
        ledger.fund(0, 10)
        for address in sorted(CONTRACT_ADDRESSES):
            with pytest.raises(LedgerError, match="settle refused: contract payee"):
                ledger.settle(0, {address: 5})
        assert not ledger.closed(0)


def test_contract_addresses_are_the_deployed_ones():
    pytest.importorskip("boa", reason=BOA_MISSING)
    from mechsim.ledger import EvmLedger

    for pattern in ("batched", "merkle", "reward_driven"):
        ledger = EvmLedger(pattern).reset()
        assert {ledger.token.address.lower(), ledger.payout.address.lower()} == CONTRACT_ADDRESSES


def test_recovery_is_evented_on_chain():
    pytest.importorskip("boa", reason=BOA_MISSING)
    from mechsim.ledger import EvmLedger

    ledger = EvmLedger("batched")
    ledger.fund(0, 100)
    ledger.settle(0, {"a": 1})
    ledger.recover(0, "ops")
    assert "Recovered" in [type(e).__name__ for e in ledger.payout.get_logs()]
    ledger.transfer_in(3)
    ledger.recover_stray("ops")
    assert "StrayRecovered" in [type(e).__name__ for e in ledger.payout.get_logs()]
