"""Accounts: mechsim agent ids mapped to EVM addresses, deterministically.

An account is an ``int`` (numpy integers are accepted) or a ``str``. A string that is
already a 20-byte hex address (``0x`` + 40 hex digits) is that address (lower-cased,
so ``"0xAB.."`` and ``"0xab.."`` are one account); any other id is
hashed: ``address = sha256(b"mechsim.ledger.account/" + tag + id)[-20:]`` with
``tag = b"int:"`` or ``b"str:"``, so ``3`` and ``"3"`` are different accounts. The same
id gives the same address in every run, process and backend. Addresses are lower-case
hex strings.
"""

from __future__ import annotations

import hashlib
import numbers
import re
from typing import Any, TypeAlias

from mechsim.errors import LedgerError

__all__ = ["Account", "ZERO_ADDRESS", "canonical_account", "address_of", "role_address"]

Account: TypeAlias = int | str

ZERO_ADDRESS = "0x" + "00" * 20
_HEX_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def canonical_account(account: Any) -> Account:
    """``account`` as a plain ``int`` or ``str``; raises :class:`LedgerError` otherwise."""
    if isinstance(account, bool) or not isinstance(account, (numbers.Integral, str)):
        raise LedgerError(f"an account must be an int or a str agent id. Got {account!r} instead.")
    if isinstance(account, str):
        return account.lower() if _HEX_ADDRESS.match(account) else account
    return int(account)


def _hashed(namespace: bytes, tag: bytes, ident: str) -> str:
    return "0x" + hashlib.sha256(namespace + tag + ident.encode("utf-8")).digest()[-20:].hex()


def address_of(account: Any) -> str:
    """The EVM address of an account (lower-case hex)."""
    account = canonical_account(account)
    if isinstance(account, str):
        if _HEX_ADDRESS.match(account):
            return account.lower()
        return _hashed(b"mechsim.ledger.account/", b"str:", account)
    return _hashed(b"mechsim.ledger.account/", b"int:", str(account))


def role_address(role: str) -> str:
    """The address of a ledger role (``"operator"``, ``"funder"``, ``"deployer"``)."""
    return _hashed(b"mechsim.ledger.role/", b"", role)
