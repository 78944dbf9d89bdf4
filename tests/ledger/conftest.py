"""Shared fixtures of the ledger tests.

EVM test modules are marked ``pytest.mark.evm`` and skip, with a reason, where
titanoboa is absent. Contract-level fixtures deploy on the global ``boa.env``, which
titanoboa's pytest plugin snapshots around every fixture and test: module-scoped
deployments are cheap and each test starts from the fixture's state.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

BOA_MISSING = "titanoboa not installed: pip install 'mechsim[chain]'"
MAX_UINT = 2**256 - 1


@pytest.fixture(scope="module")
def chain() -> Any:
    """Roles, a token and a deployer for each payout contract, on the global boa env."""
    boa = pytest.importorskip("boa", reason=BOA_MISSING)
    from mechsim.ledger.evm import contract_deployer

    env = boa.env
    names = ("funder", "operator", "alice", "bob", "carol", "mallory")
    roles = SimpleNamespace(**{r: env.generate_address(r) for r in names})
    token = contract_deployer("token").deploy("Reward", "RWD", sender=roles.funder)
    token.mint(roles.funder, 10**30, sender=roles.funder)

    # one contract per pattern, deployed once: titanoboa's storage pretty-printer (used in
    # revert messages) trips over a slot trace left by a different contract at the same
    # address, which redeploying after a snapshot revert would create
    payouts = {}
    for pattern in ("batched", "merkle", "reward_driven"):
        payouts[pattern] = contract_deployer(pattern).deploy(token.address, roles.operator, sender=roles.funder)
        token.approve(payouts[pattern].address, MAX_UINT, sender=roles.funder)
    return SimpleNamespace(boa=boa, env=env, roles=roles, token=token, payout=payouts.__getitem__)
