"""MemoryLedger rules, account mapping and input checks (no EVM needed)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from mechsim.errors import BackendUnavailableError, LedgerError, ParameterError
from mechsim.ledger import (
    PATTERNS,
    EvmLedger,
    MemoryLedger,
    address_of,
    make_ledger,
    role_address,
    settlements_table,
)
from mechsim.ledger.base import MAX_UINT256


# -- accounts ------------------------------------------------------------------
def test_addresses_are_deterministic_distinct_and_typed():
    by_hand = "0x" + hashlib.sha256(b"mechsim.ledger.account/int:3").digest()[-20:].hex()
    assert address_of(3) == address_of(np.int64(3)) == by_hand
    assert address_of(3) != address_of("3")
    assert len({address_of(i) for i in range(1000)}) == 1000
    hex_addr = "0x" + "Ab" * 20
    assert address_of(hex_addr) == hex_addr.lower()
    assert role_address("operator") != role_address("funder")


@pytest.mark.parametrize("bad", [True, 1.0, None, (1,)])
def test_bad_accounts_are_refused(bad):
    with pytest.raises(LedgerError, match="int or a str agent id"):
        MemoryLedger().settle(0, {bad: 1})


# -- input checks ----------------------------------------------------------------
def test_float_amounts_are_refused_with_a_hint():
    ledger = MemoryLedger()
    ledger.fund(0, 10)
    with pytest.raises(LedgerError, match="to_units"):
        ledger.settle(0, {1: 2.5})
    with pytest.raises(LedgerError, match=r"in \[0, 2\*\*256\)"):
        ledger.settle(0, {1: -1})
    with pytest.raises(LedgerError, match=r"in \[0, 2\*\*256\)"):
        ledger.fund(0, 2**256)


def test_allocation_shapes():
    ledger = MemoryLedger()
    ledger.fund(0, 10)
    s = ledger.settle(0, (np.array([1, 2, 1]), np.array([3, 4, 2])))  # duplicates add up
    assert s.allocation == {1: 5, 2: 4}
    with pytest.raises(LedgerError, match="as many accounts as amounts"):
        ledger.settle(1, ([1, 2], [1]))
    with pytest.raises(LedgerError, match="mapping"):
        ledger.settle(1, [1, 2])


def test_zero_amounts_are_skipped_and_the_zero_address_refused():
    ledger = MemoryLedger()
    ledger.fund(0, 10)
    with pytest.raises(LedgerError, match="zero address"):
        ledger.settle(0, {"0x" + "00" * 20: 1})
    s = ledger.settle(0, {1: 0, 2: 3})
    assert s.allocation == {2: 3} and ledger.balances() == {2: 3}


def test_pattern_is_validated_on_first_use():
    ledger = MemoryLedger("escrow")  # __init__ only stores
    with pytest.raises(ParameterError, match=r"The 'pattern' parameter of MemoryLedger must be one of"):
        ledger.fund(0, 1)
    with pytest.raises(ParameterError, match="'backend' parameter of make_ledger"):
        make_ledger("chain")
    assert isinstance(make_ledger("memory", "merkle"), MemoryLedger)


def test_record_needs_the_reward_driven_pattern():
    with pytest.raises(LedgerError, match="needs the 'reward_driven' pattern"):
        MemoryLedger("batched").record(0, {1: 1})


# -- rules shared by every pattern -------------------------------------------------
@pytest.mark.parametrize("pattern", PATTERNS)
def test_refusals_change_nothing_and_conservation_holds(pattern):
    ledger = MemoryLedger(pattern)
    with pytest.raises(LedgerError, match="fund refused: zero amount"):
        ledger.fund(0, 0)
    ledger.fund(0, 100)
    ledger.fund(1, 50)
    if pattern != "reward_driven":
        with pytest.raises(LedgerError, match="settle refused: over budget"):
            ledger.settle(0, {1: 60, 2: 41})
    before = (ledger.balances(), ledger.owed(), ledger.totals())
    assert before[2].funded == 150 and before[2].paid == 0
    ledger.settle(0, {1: 60, 2: 40})
    with pytest.raises(LedgerError, match="settle refused: epoch closed"):
        ledger.settle(0, {1: 1})
    with pytest.raises(LedgerError, match="fund refused: epoch closed"):
        ledger.fund(0, 1)
    with pytest.raises(LedgerError, match="claim refused: nothing to claim"):
        ledger.claim(1)
    assert ledger.balances() == {1: 60, 2: 40}
    ledger.settle(1, {3: 7}, claim=False)
    totals = ledger.totals()
    assert totals.conserved and totals.held == totals.owed + totals.unallocated
    expected_owed = 50 if pattern == "reward_driven" else 7
    assert ledger.owed()[3] == expected_owed and ledger.claim(3) == expected_owed


def test_supply_overflow_is_refused():
    ledger = MemoryLedger()
    ledger.fund(0, MAX_UINT256)
    with pytest.raises(LedgerError, match="fund refused: supply overflow"):
        ledger.fund(1, 1)


def test_merkle_totals_past_uint256_are_refused():
    ledger = MemoryLedger("merkle")
    with pytest.raises(LedgerError, match="settle refused: amount overflow"):
        ledger.settle(0, {1: MAX_UINT256, 2: 1})


# -- reward_driven: the seed paper's proportional rule ----------------------------------
@pytest.mark.parametrize(
    ("budget", "contributions"),
    [
        (10, {"a": 1, "b": 1, "c": 1}),
        (10**18 + 7, {i: i + 1 for i in range(13)}),
        (5, {"x": 3}),
        (3, {1: 5, 2: 5, 3: 5, 4: 1}),
    ],
)
def test_reward_driven_rule_against_exact_shares(budget, contributions):
    ledger = MemoryLedger("reward_driven")
    ledger.fund(0, budget)
    accounts = list(contributions)
    ledger.record(0, {a: contributions[a] for a in accounts[::2]})
    s = ledger.settle(0, {a: contributions[a] for a in accounts[1::2]})
    order = accounts[::2] + accounts[1::2]  # first-recorded order
    total = sum(contributions.values())
    exact = {a: Fraction(budget * contributions[a], total) for a in contributions}
    assert sum(s.allocation.values()) == budget  # the whole budget, exactly
    assert s.dust == budget - sum(budget * c // total for c in contributions.values())
    for i, a in enumerate(order):
        floor = budget * contributions[a] // total
        assert s.allocation[a] == floor + (1 if i < s.dust else 0)
        assert abs(s.allocation[a] - exact[a]) < 1
    assert s.contributions == contributions and ledger.balances() == {a: s.allocation[a] for a in order}


def test_reward_driven_refusals():
    ledger = MemoryLedger("reward_driven")
    ledger.fund(0, 10**30)
    # budget x total contribution past 2**256: refused when recording or funding (issue 13), never at settle
    with pytest.raises(LedgerError, match="record refused: reward overflow"):
        ledger.record(0, {1: 2**200})
    ledger.record(0, {1: 2**100})
    with pytest.raises(LedgerError, match="fund refused: reward overflow"):
        ledger.fund(0, 2**200)
    with pytest.raises(LedgerError, match="record refused: contribution overflow"):
        ledger.record(0, {2: MAX_UINT256})
    with pytest.raises(LedgerError, match="record refused: too many participants"):
        ledger.record(1, {i: 1 for i in range(1025)})
    empty = ledger.settle(2)  # no contributions: nothing allocated, budget stays
    assert empty.allocation == {} and empty.unallocated == 0


def test_settlements_table_is_tidy():
    ledger = MemoryLedger("reward_driven")
    ledger.fund(0, 3 * 10**18)
    ledger.settle(0, {"a": 2, "b": 1})
    table = settlements_table(ledger.settlements)
    assert list(table["account"]) == ["'a'", "'b'"]
    assert list(table["amount"]) == [2.0, 1.0] and list(table["contribution"]) == [2.0, 1.0]
    assert list(table["amount_units"]) == [str(2 * 10**18), str(10**18)]
    assert len(MemoryLedger().gas_report()) == 0


# -- optional backend ----------------------------------------------------------------
def test_evm_ledger_without_titanoboa_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "boa", None)  # makes `import boa` fail
    with pytest.raises(BackendUnavailableError, match=r"pip install 'mechsim\[chain\]'"):
        EvmLedger("batched").fund(0, 1)


def test_importing_the_ledger_does_not_import_titanoboa():
    code = "import sys, mechsim.ledger; assert 'boa' not in sys.modules and 'vyper' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
