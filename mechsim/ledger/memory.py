"""MemoryLedger: pure-Python integer accounting with exactly the contracts' rules.

Every check of ``contracts/*.vy`` is repeated here in the same order with the same
revert reason, so a run settles to the same balances and fails at the same step with
the same message as :class:`~mechsim.ledger.evm.EvmLedger`. Each operation checks
everything before it changes anything, like a reverted transaction. No gas is spent.
"""

from __future__ import annotations

from mechsim.ledger.base import (
    CONTRACT_ADDRESSES,
    MAX_BATCH,
    MAX_PARTICIPANTS,
    MAX_UINT256,
    Entry,
    Ledger,
    LedgerTotals,
    Posted,
    refused,
)

__all__ = ["MemoryLedger"]


class MemoryLedger(Ledger):
    """The default ledger: the payout contracts' rules as Python integer accounting.

    Parameters
    ----------
    pattern : {"batched", "merkle", "reward_driven"}, default "batched"
        Which contract's rules apply (see :mod:`mechsim.ledger.base`).
    """

    def _reset_backend(self) -> None:
        self._supply = 0  # token supply: only funding mints
        self._funded = 0
        self._allocated_total = 0
        self._paid_total = 0
        self._epoch_budget: dict[int, int] = {}
        self._epoch_allocated: dict[int, int] = {}
        self._closed: set[int] = set()
        self._paid: dict[str, int] = {}  # token balance per address
        self._claimable: dict[str, int] = {}  # batched, reward_driven
        self._pending: dict[str, dict[int, int]] = {}  # merkle: address -> {epoch: amount}
        self._epoch_paid: dict[int, int] = {}  # merkle
        self._contribution: dict[int, dict[str, int]] = {}  # reward_driven, in first-record order
        self._total_contribution: dict[int, int] = {}
        self._epoch_recovered: dict[int, int] = {}
        self._recovered_total = 0
        self._stray = 0

    # -- funding --------------------------------------------------------------
    def _fund(self, epoch: int, amount: int) -> int:
        # RewardToken.mint, then <payout>.fund
        if amount > MAX_UINT256 - self._supply:
            raise refused("fund", "supply overflow")
        if amount == 0:
            raise refused("fund", "zero amount")
        if epoch in self._closed:
            raise refused("fund", "epoch closed")
        if self.pattern == "reward_driven":
            c_total = self._total_contribution.get(epoch, 0)
            if c_total and self._epoch_budget.get(epoch, 0) + amount > MAX_UINT256 // c_total:
                raise refused("fund", "reward overflow")
        self._supply += amount
        self._epoch_budget[epoch] = self._epoch_budget.get(epoch, 0) + amount
        self._funded += amount
        return self._epoch_budget[epoch]

    # -- posting --------------------------------------------------------------
    def _settle(self, epoch: int, round: int, entries: list[Entry]) -> Posted:
        if self.pattern == "batched":
            return self._post_batches(epoch, entries)
        if self.pattern == "merkle":
            return self._post_root(epoch, entries)
        if entries:
            self._check_record(epoch, entries, "settle")
        return self._settle_contributions(epoch, entries)

    def _post_batches(self, epoch: int, entries: list[Entry]) -> Posted:
        # PayoutBatched.post, once per chunk of MAX_BATCH; the last chunk closes the epoch
        if epoch in self._closed:
            raise refused("settle", "epoch closed")
        room = self._epoch_budget.get(epoch, 0) - self._epoch_allocated.get(epoch, 0)
        for start in range(0, max(len(entries), 1), MAX_BATCH):
            total = 0
            for _, address, amount in entries[start : start + MAX_BATCH]:
                if address in CONTRACT_ADDRESSES:
                    raise refused("settle", "contract payee")
                if amount == 0:
                    raise refused("settle", "zero amount")
                if amount > MAX_UINT256 - total:
                    raise refused("settle", "amount overflow")
                total += amount
                if total > room:
                    raise refused("settle", "over budget")
            room -= total
        allocation: dict[str, int] = {}
        for _, address, amount in entries:
            self._claimable[address] = self._claimable.get(address, 0) + amount
            allocation[address] = amount
        return self._close(epoch, allocation)

    def _post_root(self, epoch: int, entries: list[Entry]) -> Posted:
        # PayoutMerkle.post_root
        total = sum(amount for _, _, amount in entries)
        if epoch in self._closed:
            raise refused("settle", "epoch closed")
        if total > self._epoch_budget.get(epoch, 0):
            raise refused("settle", "over budget")
        allocation: dict[str, int] = {}
        for _, address, amount in entries:
            self._pending.setdefault(address, {})[epoch] = amount
            allocation[address] = amount
        return self._close(epoch, allocation)

    def _close(
        self, epoch: int, allocation: dict[str, int], contributions: dict[str, int] | None = None, dust: int = 0
    ) -> Posted:
        total = sum(allocation.values())
        self._epoch_allocated[epoch] = self._epoch_allocated.get(epoch, 0) + total
        self._allocated_total += total
        self._closed.add(epoch)
        return Posted(self._epoch_budget.get(epoch, 0), allocation, contributions, dust)

    # -- reward_driven ----------------------------------------------------------
    def _check_record(self, epoch: int, entries: list[Entry], op: str) -> None:
        # RewardDrivenFL.record, once per chunk of MAX_BATCH
        if epoch in self._closed:
            raise refused(op, "epoch closed")
        total = self._total_contribution.get(epoch, 0)
        seen = self._contribution.get(epoch, {})
        n_participants = len(seen)
        new: set[str] = set()
        budget = self._epoch_budget.get(epoch, 0)
        for i, (_, address, c) in enumerate(entries):
            if address in CONTRACT_ADDRESSES:
                raise refused(op, "contract payee")
            if c == 0:
                raise refused(op, "zero amount")
            if c > MAX_UINT256 - total:
                raise refused(op, "contribution overflow")
            total += c
            if address not in seen and address not in new:
                if n_participants >= MAX_PARTICIPANTS:
                    raise refused(op, "too many participants")
                n_participants += 1
                new.add(address)
            if (i + 1) % MAX_BATCH == 0 or i + 1 == len(entries):  # the end of one record() call
                if total and budget > MAX_UINT256 // total:
                    raise refused(op, "reward overflow")

    def _apply_record(self, epoch: int, entries: list[Entry]) -> None:
        contribution = self._contribution.setdefault(epoch, {})
        for _, address, c in entries:
            contribution[address] = contribution.get(address, 0) + c
        self._total_contribution[epoch] = self._total_contribution.get(epoch, 0) + sum(c for _, _, c in entries)

    def _record(self, epoch: int, round: int, entries: list[Entry]) -> None:
        if not entries:  # nothing to send: no transaction, so no check either
            return
        self._check_record(epoch, entries, "record")
        self._apply_record(epoch, entries)

    def _settle_contributions(self, epoch: int, entries: list[Entry]) -> Posted:
        # RewardDrivenFL.settle (after recording `entries`, all or nothing)
        if epoch in self._closed:
            raise refused("settle", "epoch closed")
        budget = self._epoch_budget.get(epoch, 0)
        merged = dict(self._contribution.get(epoch, {}))
        for _, address, c in entries:
            merged[address] = merged.get(address, 0) + c
        c_total = sum(merged.values())
        if c_total and budget > MAX_UINT256 // c_total:
            raise refused("settle", "reward overflow")
        self._apply_record(epoch, entries)
        if c_total == 0:
            return self._close(epoch, {}, {}, 0)
        bases = {a: budget * c // c_total for a, c in merged.items()}
        dust = budget - sum(bases.values())
        rewards = {a: base + (1 if i < dust else 0) for i, (a, base) in enumerate(bases.items())}
        for address, reward in rewards.items():
            if reward:
                self._claimable[address] = self._claimable.get(address, 0) + reward
        return self._close(epoch, rewards, merged, dust)

    # -- claiming -------------------------------------------------------------
    def _claim(self, address: str, epoch: int) -> tuple[int, int]:
        if self.pattern == "merkle":
            pending = self._pending.pop(address, {})
            if not pending:
                raise refused("claim", "nothing to claim")
            for e, amount in pending.items():
                self._epoch_paid[e] = self._epoch_paid.get(e, 0) + amount
            amount = sum(pending.values())
        else:
            amount = self._claimable.pop(address, 0)
            if amount == 0:
                raise refused("claim", "nothing to claim")
        self._paid[address] = self._paid.get(address, 0) + amount
        self._paid_total += amount
        return amount, 0

    # -- recovery -------------------------------------------------------------
    def _recoverable(self, epoch: int) -> int:
        if epoch not in self._closed:
            return 0
        return self._epoch_budget.get(epoch, 0) - self._epoch_allocated.get(epoch, 0) - self._epoch_recovered.get(epoch, 0)

    def _recover(self, epoch: int, to: str) -> int:
        # <payout>.recover
        if epoch not in self._closed:
            raise refused("recover", "epoch open")
        amount = self._recoverable(epoch)
        if amount == 0:
            raise refused("recover", "nothing to recover")
        self._epoch_recovered[epoch] = self._epoch_recovered.get(epoch, 0) + amount
        self._recovered_total += amount
        self._paid[to] = self._paid.get(to, 0) + amount
        return amount

    def _recover_stray(self, to: str) -> int:
        if self._stray == 0:
            raise refused("recover_stray", "nothing to recover")
        amount, self._stray = self._stray, 0
        self._paid[to] = self._paid.get(to, 0) + amount
        return amount

    def _transfer_in(self, amount: int) -> None:
        # RewardToken.mint to a stranger, then RewardToken.transfer to the payout contract
        if amount > MAX_UINT256 - self._supply:
            raise refused("transfer_in", "supply overflow")
        self._supply += amount
        self._stray += amount

    def _cancel(self, epoch: int) -> None:
        if epoch in self._closed:
            raise refused("cancel", "epoch closed")
        self._closed.add(epoch)

    def _is_closed(self, epoch: int) -> bool:
        return epoch in self._closed

    # -- reading --------------------------------------------------------------
    def _balances(self, addresses: list[str]) -> list[int]:
        return [self._paid.get(a, 0) for a in addresses]

    def _owed(self, addresses: list[str]) -> list[int]:
        if self.pattern == "merkle":
            return [sum(self._pending.get(a, {}).values()) for a in addresses]
        return [self._claimable.get(a, 0) for a in addresses]

    def _budget(self, epoch: int) -> int:
        return self._epoch_budget.get(epoch, 0)

    def _totals(self) -> LedgerTotals:
        return LedgerTotals(
            funded=self._funded,
            allocated=self._allocated_total,
            paid=self._paid_total,
            held=self._funded - self._paid_total - self._recovered_total + self._stray,
            recovered=self._recovered_total,
            stray=self._stray,
        )
