"""Ledgers: where value moves, in memory or through Vyper contracts on an EVM.

``MemoryLedger`` (default, fast) and ``EvmLedger`` (``contracts/*.vy`` on titanoboa's
EVM, with gas) share one interface and one set of rules: the same inputs settle to the
same balances on both. Amounts are integer base units of an 18-decimals token
(:data:`UNIT`); :func:`to_units` and :func:`split_units` turn float rewards into them
exactly. Importing this package does not import titanoboa.
"""

from __future__ import annotations

from mechsim.ledger.accounts import Account, address_of, canonical_account, role_address
from mechsim.ledger.base import (
    GAS_SCHEMA,
    MAX_BATCH,
    MAX_PARTICIPANTS,
    PATTERNS,
    Ledger,
    LedgerTotals,
    Settlement,
    settlements_table,
)
from mechsim.ledger.evm import EvmLedger
from mechsim.ledger.memory import MemoryLedger
from mechsim.ledger.units import DECIMALS, UNIT, from_units, split_units, to_units

__all__ = [
    "Account",
    "address_of",
    "canonical_account",
    "role_address",
    "GAS_SCHEMA",
    "MAX_BATCH",
    "MAX_PARTICIPANTS",
    "PATTERNS",
    "Ledger",
    "LedgerTotals",
    "Settlement",
    "settlements_table",
    "EvmLedger",
    "MemoryLedger",
    "DECIMALS",
    "UNIT",
    "from_units",
    "split_units",
    "to_units",
    "make_ledger",
]


def make_ledger(backend: str = "memory", pattern: str = "batched") -> Ledger:
    """A ledger by name: ``backend`` is ``"memory"`` or ``"evm"``."""
    from mechsim.errors import ParameterError

    if backend == "memory":
        return MemoryLedger(pattern)
    if backend == "evm":
        return EvmLedger(pattern)
    raise ParameterError(
        f"The 'backend' parameter of make_ledger must be one of 'memory', 'evm'. Got {backend!r} instead."
    )
