"""Stateful fuzzing on the EVM: random funding, allocations and claims from several accounts.

Each pattern's contract is driven through :class:`EvmLedger` next to a
:class:`MemoryLedger` shadow. After every step: both agree exactly, the chain conserves
value (funded == paid + recovered + held - stray, held == the contract's token balance ==
owed + unallocated + stray), nothing is negative, no account ever holds more than it was
allocated, and (issue 13) every token the contract holds is claimable by a payee, in an
open epoch's budget, or recoverable by the operator (a closed epoch's unallocated budget,
or tokens transferred in directly): none is stuck for good.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

BOA_MISSING = "titanoboa not installed: pip install 'mechsim[chain]'"

boa = pytest.importorskip("boa", reason=BOA_MISSING)
pytestmark = pytest.mark.evm

from mechsim.errors import LedgerError  # noqa: E402
from mechsim.ledger import EvmLedger, MemoryLedger, split_units  # noqa: E402

ACCOUNTS = [0, 1, 2, "dora", "eve"]
epochs = st.integers(0, 3)
claims = st.sampled_from([False, False, True])  # mostly leave claims to the claim rule
allocations = st.dictionaries(st.sampled_from(ACCOUNTS), st.integers(0, 400), max_size=len(ACCOUNTS))


class LedgerMachine(RuleBasedStateMachine):
    pattern = "batched"

    @initialize(budgets=st.lists(st.integers(1, 1000), min_size=2, max_size=2))
    def start(self, budgets) -> None:
        self.evm = EvmLedger(self.pattern)
        self.memory = MemoryLedger(self.pattern)
        self.allocated: dict = {}  # account -> units ever allocated to it
        for epoch, budget in enumerate(budgets):  # two funded epochs, so settlements often succeed
            self._both("fund", epoch, budget)

    def _both(self, op: str, *args, **kwargs):
        results = []
        for ledger in (self.evm, self.memory):
            try:
                results.append(getattr(ledger, op)(*args, **kwargs))
            except LedgerError as err:
                results.append(str(err))
        evm, memory = results
        event(f"{op} {'refused' if isinstance(evm, str) else 'done'}")
        if op == "settle" and not isinstance(evm, str):
            assert (evm.allocation, evm.claimed, evm.dust) == (memory.allocation, memory.claimed, memory.dust)
            for account, units in evm.allocation.items():
                self.allocated[account] = self.allocated.get(account, 0) + units
        else:
            assert evm == memory
        return evm

    @rule(epoch=epochs, amount=st.integers(0, 1000))
    def fund(self, epoch, amount):
        self._both("fund", epoch, amount)

    @rule(epoch=epochs, allocation=allocations, claim=claims)
    def settle(self, epoch, allocation, claim):
        self._both("settle", epoch, allocation, claim=claim)

    @rule(epoch=epochs, weights=allocations, percent=st.sampled_from([50, 99, 100, 101]), claim=claims)
    def settle_share_of_budget(self, epoch, weights, percent, claim):
        """Mostly feasible allocations: a share of the epoch's budget split by weights."""
        target = self.memory.budget(epoch) * percent // 100
        if self.pattern == "reward_driven" or not any(weights.values()):
            allocation = weights
        else:
            allocation = split_units(target, weights)
        self._both("settle", epoch, allocation, claim=claim)

    @rule(account=st.sampled_from(ACCOUNTS), pick_owed=st.booleans())
    def claim(self, account, pick_owed):
        owed = [a for a, units in self.memory.owed().items() if units > 0]
        if pick_owed and owed:
            account = owed[0]
        first = self._both("claim", account)
        if isinstance(first, int):  # a second claim right away finds nothing
            assert self._both("claim", account) == "claim refused: nothing to claim"

    @rule(epoch=epochs)
    def recover(self, epoch):
        self._both("recover", epoch)

    @rule(amount=st.integers(1, 500))
    def transfer_in(self, amount):
        self._both("transfer_in", amount)

    @rule()
    def recover_stray(self):
        self._both("recover_stray")

    @rule(epoch=epochs, contract=st.sampled_from(["token", "payout"]))
    def settle_to_a_contract(self, epoch, contract):
        target = (self.evm.token if contract == "token" else self.evm.payout).address.lower()
        result = self._both("settle", epoch, {target: 1, 0: 1})
        assert isinstance(result, str)  # refused up front or by the contract, on both ledgers

    @invariant()
    def every_token_is_claimable_allocatable_or_recoverable(self):
        totals = self.evm.totals()
        held = self.evm.token.balanceOf(self.evm.payout.address)
        open_budget = sum(self.evm.budget(e) for e in range(4) if not self.evm.closed(e))
        recoverable = sum(self.evm.recoverable(e) for e in range(4))
        assert [self.evm.recoverable(e) for e in range(4)] == [self.memory.recoverable(e) for e in range(4)]
        assert held == totals.owed + open_budget + recoverable + totals.stray
        assert self.evm.stray() == self.memory.stray() == totals.stray

    @invariant()
    def agree_and_conserve(self):
        balances, owed, totals = self.evm.balances(), self.evm.owed(), self.evm.totals()
        assert (balances, owed, totals) == (self.memory.balances(), self.memory.owed(), self.memory.totals())
        held = self.evm.token.balanceOf(self.evm.payout.address)
        assert totals.funded == totals.paid + totals.recovered + held - totals.stray and totals.held == held
        assert held == totals.owed + totals.unallocated + totals.stray and totals.conserved
        assert min(totals.owed, totals.unallocated, totals.paid) >= 0
        for account, paid in balances.items():  # nobody gets more than allocated, nor loses any
            assert 0 <= paid <= self.allocated.get(account, 0)
            assert paid + owed[account] == self.allocated.get(account, 0)


class RewardDrivenMachine(LedgerMachine):
    pattern = "reward_driven"

    @rule(epoch=epochs, contributions=allocations)
    def record(self, epoch, contributions):
        self._both("record", epoch, contributions)

    @rule(epoch=epochs)
    def cancel(self, epoch):
        self._both("cancel", epoch)


class MerkleMachine(LedgerMachine):
    pattern = "merkle"


# No shrink phase: shrinking EVM runs hits Hypothesis' 5-minute shrink limit; a failure
# still prints its (unshrunk) steps. Add Phase.shrink locally to minimise one.
_settings = settings(
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    max_examples=20,
    stateful_step_count=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestBatched = LedgerMachine.TestCase
TestMerkle = MerkleMachine.TestCase
TestRewardDriven = RewardDrivenMachine.TestCase
for _case in (TestBatched, TestMerkle, TestRewardDriven):
    _case.settings = _settings
del _case
