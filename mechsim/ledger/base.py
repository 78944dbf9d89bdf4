"""The ledger interface: where value moves, with the same rules in memory and on an EVM.

A :class:`Ledger` follows one of three payout patterns, each a contract in
``contracts/``:

``"batched"`` (``PayoutBatched.vy``)
    The operator posts each epoch's ``{payee: amount}`` in batches of at most
    :data:`MAX_BATCH`; payees pull everything they are owed with one claim.
``"merkle"`` (``PayoutMerkle.vy``)
    The operator posts one Merkle root and the epoch total; each payee claims its leaf
    of each epoch with a proof. Operator gas does not grow with the number of payees.
``"reward_driven"`` (``RewardDrivenFL.vy``, the seed paper's contract)
    The operator records contributions (one call per round); settling splits the
    epoch's budget in proportion to the accumulated contributions, on chain.

Epoch life cycle (identical on every backend): anyone may :meth:`~Ledger.fund` an open
epoch; :meth:`~Ledger.settle` posts the epoch's allocation (or, for ``reward_driven``,
its contributions) and closes it; payees :meth:`~Ledger.claim`, which ``settle`` does
for every payee by default. A refused operation raises :class:`LedgerError` with the
contract's revert reason, ``"<op> refused: <reason>"``, and changes nothing.

Amounts are ``int`` base units (see :mod:`mechsim.ledger.units`); accounts are agent
ids (see :mod:`mechsim.ledger.accounts`).
"""

from __future__ import annotations

import contextlib
import copy
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mechsim.core.params import Options, validate_params
from mechsim.core.table import Table
from mechsim.errors import LedgerError
from mechsim.ledger.accounts import ZERO_ADDRESS, Account, address_of, canonical_account
from mechsim.ledger.units import from_units

__all__ = [
    "PATTERNS",
    "MAX_UINT256",
    "MAX_BATCH",
    "MAX_PARTICIPANTS",
    "GAS_SCHEMA",
    "Settlement",
    "LedgerTotals",
    "Ledger",
    "Entry",
    "Posted",
    "refused",
    "settlements_table",
    "CONTRACT_ADDRESSES",
]

PATTERNS = ("batched", "merkle", "reward_driven")
MAX_UINT256 = 2**256 - 1
#: Entries per ``post``/``record`` transaction (the contracts' ``MAX_BATCH``).
MAX_BATCH = 256
#: Contributors per epoch in ``RewardDrivenFL.vy``.
MAX_PARTICIPANTS = 1024

#: Columns of :meth:`Ledger.gas_report`: one row per transaction.
GAS_SCHEMA = {
    "epoch": "int",  # -1 for a claim made outside a settlement of the batched/reward_driven patterns
    "op": "str",  # mint, fund, post, post_root, record, settle, claim
    "sender": "str",  # funder, operator or payee
    "account": "str",  # the payee's account id (repr) for claims, "" otherwise
    "n_items": "int",  # entries in the call (payees, contributions); 1 for fund and claim
    "exec_gas": "int",  # execution gas on py-evm, each transaction starting with cold storage
    "intrinsic_gas": "int",  # 21000 + calldata (4 per zero byte, 16 per non-zero byte)
    "refund": "int",  # refund applied, capped at a fifth of the gas used (EIP-3529)
    "gas": "int",  # exec_gas + intrinsic_gas - refund: the transaction's gas estimate
}

Entry = tuple[Account, str, int]  # (account, address, amount)


def refused(op: str, reason: str) -> LedgerError:
    """The one message form of a refused ledger operation."""
    return LedgerError(f"{op} refused: {reason}")


def _uint(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise LedgerError(
            f"{what} must be an int in [0, 2**256). Got {value!r} instead "
            "(convert float amounts with mechsim.ledger.to_units or split_units)."
        )
    v = int(value)
    if not 0 <= v <= MAX_UINT256:
        raise LedgerError(f"{what} must be an int in [0, 2**256). Got {v} instead.")
    return v


@dataclass(frozen=True)
class Posted:
    """What a backend reports after posting an epoch (keyed by address)."""

    budget: int
    allocation: dict[str, int]
    contributions: dict[str, int] | None = None
    dust: int = 0


@dataclass(frozen=True)
class Settlement:
    """The record of one settled epoch.

    Attributes
    ----------
    epoch, pattern : the epoch and the ledger's pattern
    budget : int
        Base units funded for the epoch.
    allocation : dict
        Account to base units allocated in the epoch (for ``reward_driven``: the
        rewards computed on settlement, zero rewards included).
    contributions : dict or None
        ``reward_driven`` only: the epoch's accumulated contribution per account.
    dust : int
        ``reward_driven`` only: units handed out one by one after flooring the shares.
    claimed : dict
        Account to units received by claims made during ``settle`` (a claim pays
        everything owed, so this may include earlier epochs).
    operator_gas : int
        Gas of the operator's transactions for the epoch (all posts; for
        ``reward_driven`` all records and the settlement). 0 in memory.
    claim_gas : dict
        Account to gas of its claim transactions during ``settle``. Empty in memory.
    """

    epoch: int
    pattern: str
    budget: int
    allocation: dict[Account, int]
    contributions: dict[Account, int] | None
    dust: int
    claimed: dict[Account, int]
    operator_gas: int
    claim_gas: dict[Account, int] = field(default_factory=dict)

    @property
    def allocated(self) -> int:
        return sum(self.allocation.values())

    @property
    def unallocated(self) -> int:
        return self.budget - self.allocated

    @property
    def n_payees(self) -> int:
        return sum(1 for v in self.allocation.values() if v > 0)


@dataclass(frozen=True)
class LedgerTotals:
    """Ledger-wide sums in base units.

    ``held`` is what the payout contract holds (its token balance on the EVM);
    ``recovered`` went back to the operator from closed epochs' unallocated budgets;
    ``stray`` is held beyond the books (tokens transferred in directly, recoverable).
    Conservation: ``funded == paid + recovered + held - stray`` and
    ``held == owed + unallocated + stray``: every token held is claimable by a payee,
    in an epoch's unallocated budget (allocatable while open, recoverable once closed),
    or stray (recoverable).
    """

    funded: int
    allocated: int
    paid: int
    held: int
    recovered: int = 0
    stray: int = 0

    @property
    def owed(self) -> int:
        return self.allocated - self.paid

    @property
    def unallocated(self) -> int:
        return self.funded - self.allocated - self.recovered

    @property
    def conserved(self) -> bool:
        non_negative = min(self.paid, self.held, self.owed, self.unallocated, self.recovered, self.stray) >= 0
        return (
            non_negative
            and self.funded == self.paid + self.recovered + self.held - self.stray
            and self.held == self.owed + self.unallocated + self.stray
        )


#: The token and payout contract addresses every ledger deploys (CREATE from the funder's
#: first two nonces; checked against the EVM in the tests). Allocations to them are refused.
CONTRACT_ADDRESSES = frozenset(
    {"0x7ac056146019054d5b6b55301acb974dd5a1b2c5", "0xea39fb852364d68ece8f2ff16a5d20bb46f66620"}
)


class Ledger(ABC):
    """A payout ledger (abstract). Subclasses: :class:`MemoryLedger`, :class:`EvmLedger`.

    Parameters
    ----------
    pattern : {"batched", "merkle", "reward_driven"}, default "batched"
        Which payout contract's rules apply.

    The ledger is built on first use (or by :meth:`reset`, which starts it afresh).
    """

    _parameter_constraints: ClassVar[dict] = {"pattern": Options(PATTERNS)}

    def __init__(self, pattern: str = "batched") -> None:
        self.pattern = pattern

    # -- life cycle -----------------------------------------------------------
    def reset(self) -> Ledger:
        """Validate the settings and start an empty ledger; returns ``self``."""
        validate_params(self)
        self._known: dict[Account, str] = {}
        self._by_address: dict[str, Account] = {}
        self._rounds: dict[int, int] = {}
        self._settlements: list[Settlement] = []
        self._gas_rows: list[tuple] = []
        self._operator_gas: dict[int, int] = {}
        self._reset_backend()
        self._ready = True
        return self

    def _ensure(self) -> None:
        if not getattr(self, "_ready", False):
            self.reset()

    # -- operations -----------------------------------------------------------
    def fund(self, epoch: int, amount: int) -> int:
        """Add ``amount`` base units to ``epoch``'s budget; returns the epoch's budget.

        The funder mints the tokens and the payout contract pulls them. Refused for a
        zero amount, a closed (settled) epoch, or a token supply past 2**256 - 1.
        """
        self._ensure()
        return self._fund(_uint(epoch, "epoch"), _uint(amount, "amount"))

    def record(self, epoch: int, contributions: Any, *, round: int | None = None) -> None:
        """``reward_driven`` only: record one round of contributions for ``epoch``.

        ``contributions`` is a mapping ``{account: int}`` or a pair ``(accounts, values)``;
        zero values are skipped. ``round`` (default: rounds recorded so far in the
        epoch) only labels the on-chain event.
        """
        self._ensure()
        if self.pattern != "reward_driven":
            raise LedgerError(f"record() needs the 'reward_driven' pattern; this ledger is {self.pattern!r}")
        e = _uint(epoch, "epoch")
        entries = self._entries(contributions, "contribution")
        r = self._next_round(e, round)
        self._record(e, r, entries)
        self._rounds[e] = r + 1
        self._register(entries)

    def settle(self, epoch: int, allocation: Any = None, *, claim: bool = True) -> Settlement:
        """Post ``epoch``'s allocation, close the epoch and (by default) pay every payee.

        Parameters
        ----------
        epoch : int
        allocation : mapping ``{account: int}`` or pair ``(accounts, amounts)``, optional
            Base units per account (duplicates add up, zeros are skipped). For
            ``reward_driven`` these are the last round's contributions (recorded
            before settling) and the rewards are computed by the contract's rule.
        claim : bool, default True
            Have every payee claim right after posting.
        """
        self._ensure()
        e = _uint(epoch, "epoch")
        what = "contribution" if self.pattern == "reward_driven" else "amount"
        entries = self._entries(allocation, what)
        if self.pattern == "merkle" and sum(amount for _, _, amount in entries) > MAX_UINT256:
            raise refused("settle", "amount overflow")
        if self.pattern == "merkle" and any(a in CONTRACT_ADDRESSES for _, a, _ in entries):
            # the contract cannot check leaves: refused here, as the other patterns refuse it on chain
            raise refused("settle", "contract payee")
        r = self._next_round(e, None)
        posted = self._settle(e, r, entries)
        if self.pattern == "reward_driven" and entries:
            self._rounds[e] = r + 1
        self._register(entries)
        claimed: dict[Account, int] = {}
        claim_gas: dict[Account, int] = {}
        if claim:
            for address, amount in posted.allocation.items():
                if amount > 0:
                    account = self._by_address[address]
                    claimed[account], claim_gas[account] = self._claim(address, e)
        by = self._by_address
        settlement = Settlement(
            epoch=e,
            pattern=self.pattern,
            budget=posted.budget,
            allocation={by[a]: v for a, v in posted.allocation.items()},
            contributions=None if posted.contributions is None else {by[a]: v for a, v in posted.contributions.items()},
            dust=posted.dust,
            claimed=claimed,
            operator_gas=self._operator_gas.get(e, 0),
            claim_gas=claim_gas if self._metered else {},
        )
        self._settlements.append(settlement)
        return settlement

    def claim(self, account: Any) -> int:
        """``account`` pulls everything it is owed; returns the base units received."""
        self._ensure()
        account = canonical_account(account)
        amount, _ = self._claim(address_of(account), -1)
        return amount

    # -- recovery ---------------------------------------------------------------
    def recoverable(self, epoch: int) -> int:
        """Base units of ``epoch`` nobody can ever claim: a closed epoch's budget - allocated - recovered."""
        self._ensure()
        return self._recoverable(_uint(epoch, "epoch"))

    def recover(self, epoch: int, to: Any = None) -> int:
        """Operator: send a closed epoch's unallocated budget to ``to`` (default: the operator); returns it.

        Refused for an open epoch ("epoch open") or when nothing is left ("nothing to
        recover"). What a payee can claim is never touched. Emits ``Recovered`` on chain.
        """
        self._ensure()
        return self._recover(_uint(epoch, "epoch"), self._recipient(to))

    def stray(self) -> int:
        """Tokens the payout contract holds beyond its books (sent to it directly)."""
        self._ensure()
        return self._totals().stray

    def recover_stray(self, to: Any = None) -> int:
        """Operator: send the stray tokens to ``to`` (default: the operator); emits ``StrayRecovered``."""
        self._ensure()
        return self._recover_stray(self._recipient(to))

    def transfer_in(self, amount: int) -> None:
        """A stranger mints ``amount`` and transfers it to the payout contract directly (not through fund)."""
        self._ensure()
        self._transfer_in(_uint(amount, "amount"))

    def cancel(self, epoch: int) -> None:
        """``reward_driven`` only: close ``epoch`` unsettled; its whole budget becomes recoverable."""
        self._ensure()
        if self.pattern != "reward_driven":
            raise LedgerError(f"cancel() needs the 'reward_driven' pattern; this ledger is {self.pattern!r}")
        self._cancel(_uint(epoch, "epoch"))

    def closed(self, epoch: int) -> bool:
        self._ensure()
        return self._is_closed(_uint(epoch, "epoch"))

    def _recipient(self, to: Any) -> str:
        """The address recovered tokens go to; an account given is listed in :meth:`balances`."""
        from mechsim.ledger.accounts import role_address

        if to is None:
            return role_address("operator")
        account = canonical_account(to)
        address = address_of(account)
        if address == ZERO_ADDRESS:
            raise LedgerError(f"account {account!r} is the zero address: tokens sent there are lost")
        self._register([(account, address, 0)])
        return address

    @contextlib.contextmanager
    def branch(self) -> Iterator[Ledger]:
        """A what-if branch: everything done inside is undone on exit.

        Restores the ledger's records (settlements, gas rows, Merkle proofs) and, on the
        EVM, the chain state (``boa.Env.anchor``). Use it to compare counterfactual
        allocations from the same state::

            with ledger.branch():
                alternative = ledger.settle(epoch, other_allocation)
        """
        self._ensure()
        saved = {k: copy.deepcopy(v) for k, v in vars(self).items() if k not in self._not_copied}
        try:
            with self._chain_anchor():
                yield self
        finally:
            vars(self).update(saved)

    # -- reading --------------------------------------------------------------
    def balances(self) -> dict[Account, int]:
        """Token balance (base units paid out) of every account the ledger has seen."""
        self._ensure()
        return dict(zip(self._known, self._balances(list(self._known.values()))))

    def owed(self) -> dict[Account, int]:
        """Base units allocated to each seen account and not yet claimed."""
        self._ensure()
        return dict(zip(self._known, self._owed(list(self._known.values()))))

    def budget(self, epoch: int) -> int:
        """Base units funded for ``epoch``."""
        self._ensure()
        return self._budget(_uint(epoch, "epoch"))

    def totals(self) -> LedgerTotals:
        """Ledger-wide funded, allocated, paid and held amounts."""
        self._ensure()
        return self._totals()

    @property
    def settlements(self) -> tuple[Settlement, ...]:
        """Every settlement so far, in order."""
        self._ensure()
        return tuple(self._settlements)

    def gas_report(self) -> Table:
        """One row per transaction (schema :data:`GAS_SCHEMA`); empty for an unmetered ledger."""
        self._ensure()
        cols = list(zip(*self._gas_rows)) if self._gas_rows else [[] for _ in GAS_SCHEMA]
        return Table(GAS_SCHEMA, dict(zip(GAS_SCHEMA, cols)))

    # -- shared helpers -------------------------------------------------------
    _metered: ClassVar[bool] = False
    _not_copied: ClassVar[frozenset[str]] = frozenset()  # attributes branch() leaves to _chain_anchor

    def _chain_anchor(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()

    def _log_gas(
        self,
        epoch: int,
        op: str,
        sender: str,
        account: str,
        n_items: int,
        exec_gas: int,
        intrinsic_gas: int,
        refund: int,
    ) -> int:
        gas = exec_gas + intrinsic_gas - refund
        self._gas_rows.append((epoch, op, sender, account, n_items, exec_gas, intrinsic_gas, refund, gas))
        if sender == "operator":
            self._operator_gas[epoch] = self._operator_gas.get(epoch, 0) + gas
        return gas

    def _next_round(self, epoch: int, round: int | None) -> int:
        return self._rounds.get(epoch, 0) if round is None else _uint(round, "round")

    def _register(self, entries: list[Entry]) -> None:
        for account, address, _ in entries:
            if account not in self._known:
                self._known[account] = address
                self._by_address[address] = account

    def _account_label(self, address: str) -> str:
        account = self._by_address.get(address)
        return repr(account) if account is not None else address

    @staticmethod
    def _entries(allocation: Any, what: str) -> list[Entry]:
        """Normalise an allocation to ``[(account, address, amount > 0)]`` in first-seen order."""
        if allocation is None:
            return []
        if isinstance(allocation, Mapping):
            pairs = list(allocation.items())
        elif isinstance(allocation, tuple) and len(allocation) == 2:
            accounts, amounts = (list(x) if not isinstance(x, Sequence) else x for x in allocation)
            if len(accounts) != len(amounts):
                raise LedgerError(
                    f"an allocation pair needs as many accounts as amounts. Got {len(accounts)} and {len(amounts)}."
                )
            pairs = list(zip(accounts, amounts))
        else:
            raise LedgerError(
                "an allocation must be a mapping {account: amount} or a pair (accounts, amounts). "
                f"Got {type(allocation).__name__} instead."
            )
        merged: dict[Account, int] = {}
        for raw, value in pairs:
            account = canonical_account(raw)
            merged[account] = merged.get(account, 0) + _uint(value, f"the {what} of account {account!r}")
        entries = []
        for account, amount in merged.items():
            amount = _uint(amount, f"the total {what} of account {account!r}")
            if amount == 0:
                continue
            address = address_of(account)
            if address == ZERO_ADDRESS:
                raise LedgerError(f"account {account!r} is the zero address: tokens sent there are lost")
            entries.append((account, address, amount))
        return entries

    # -- backend hooks --------------------------------------------------------
    @abstractmethod
    def _reset_backend(self) -> None: ...

    @abstractmethod
    def _fund(self, epoch: int, amount: int) -> int: ...

    @abstractmethod
    def _record(self, epoch: int, round: int, entries: list[Entry]) -> None: ...

    @abstractmethod
    def _settle(self, epoch: int, round: int, entries: list[Entry]) -> Posted: ...

    @abstractmethod
    def _claim(self, address: str, epoch: int) -> tuple[int, int]:
        """Claim everything owed to ``address``: ``(units received, gas)``."""

    @abstractmethod
    def _balances(self, addresses: list[str]) -> list[int]: ...

    @abstractmethod
    def _owed(self, addresses: list[str]) -> list[int]: ...

    @abstractmethod
    def _budget(self, epoch: int) -> int: ...

    @abstractmethod
    def _totals(self) -> LedgerTotals: ...

    @abstractmethod
    def _recoverable(self, epoch: int) -> int: ...

    @abstractmethod
    def _recover(self, epoch: int, to: str) -> int: ...

    @abstractmethod
    def _recover_stray(self, to: str) -> int: ...

    @abstractmethod
    def _transfer_in(self, amount: int) -> None: ...

    @abstractmethod
    def _cancel(self, epoch: int) -> None: ...

    @abstractmethod
    def _is_closed(self, epoch: int) -> bool: ...


SETTLEMENTS_SCHEMA = {
    "epoch": "int",
    "account": "str",
    "contribution": "float",  # the account's contribution (reward_driven) or nan
    "amount": "float",  # allocated, in tokens
    "amount_units": "str",  # allocated, exact base units
}


def settlements_table(settlements: Sequence[Settlement]) -> Table:
    """Tidy rows ``(epoch, account, contribution, amount, amount_units)``, one per allocation entry."""
    rows: list[tuple] = []
    for s in settlements:
        for account, units in s.allocation.items():
            c = float("nan") if s.contributions is None else float(s.contributions.get(account, 0))
            rows.append((s.epoch, repr(account), c, from_units(units), str(units)))
    cols = list(zip(*rows)) if rows else [[] for _ in SETTLEMENTS_SCHEMA]
    return Table(SETTLEMENTS_SCHEMA, dict(zip(SETTLEMENTS_SCHEMA, cols)))
