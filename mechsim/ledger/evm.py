"""EvmLedger: the payout contracts deployed and driven on titanoboa's EVM (py-evm).

Each ledger runs on its own private chain (a fresh ``boa.Env``), so ledgers never see
each other's state and the global ``boa.env`` is left alone. ``with ledger.branch():``
runs a what-if branch (chain and records restored on exit); ``ledger.env`` is the chain. Roles are fixed
addresses (:func:`~mechsim.ledger.accounts.role_address`): the *funder* deploys and owns
the token, mints each epoch's budget and funds the payout contract (which pulls it with
``transferFrom``); the *operator* is the mechanism, the only address allowed to post.

Gas: titanoboa runs calls, not transactions: left alone, py-evm would treat every
storage slot as "dirty" since deployment (a later write costs 100 instead of 2900, and
restoring a slot refunds 19900) and every slot touched once as warm forever. So each
ledger operation ends like a mined transaction (``state.lock_changes()``: storage
originals are fixed, warm sets emptied) and every transaction starts with cold warm sets
(EIP-2929). Inside one operation made of several transactions (mint + fund, more than
MAX_BATCH payees, record + settle, a claim over several Merkle epochs) the later ones
see the earlier ones' writes as dirty, so their gas is slightly low; inside
:meth:`~Ledger.branch` nothing is locked (the branch must be undoable), so gas there is
approximate. Each row of :meth:`~Ledger.gas_report` adds the intrinsic cost (21000 plus
calldata) and subtracts the refund (capped at a fifth, EIP-3529) to py-evm's execution
gas. Good for comparing patterns; not a mainnet quote.

titanoboa is imported when the ledger is first used; without it
:class:`~mechsim.errors.BackendUnavailableError` says how to install it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mechsim.errors import BackendUnavailableError, LedgerError
from mechsim.ledger.accounts import address_of, role_address
from mechsim.ledger.base import MAX_BATCH, MAX_UINT256, Entry, Ledger, LedgerTotals, Posted, refused

__all__ = ["EvmLedger", "CONTRACTS_DIR", "CONTRACT_FILES", "load_boa", "contract_deployer", "revert_reason"]

#: Where the Vyper sources live (the repository's ``contracts/`` folder).
CONTRACTS_DIR = Path(__file__).resolve().parents[2] / "contracts"
CONTRACT_FILES = {
    "token": "RewardToken.vy",
    "batched": "PayoutBatched.vy",
    "merkle": "PayoutMerkle.vy",
    "reward_driven": "RewardDrivenFL.vy",
}
_INSTALL_HINT = "pip install 'mechsim[chain]'"
_DEPLOYERS: dict[Path, Any] = {}  # compiled once per process


def load_boa() -> Any:
    """Import titanoboa, checking that the installed vyper satisfies the contracts' pragma."""
    try:
        import boa
        import vyper
    except ImportError as exc:
        raise BackendUnavailableError(
            f"EvmLedger needs titanoboa and vyper 0.4.3, which are not installed: {_INSTALL_HINT}"
        ) from exc
    version = tuple(int(p) for p in vyper.__version__.split("+")[0].split(".")[:3] if p.isdigit())
    if not (0, 4, 3) <= version < (0, 5, 0):
        # a mismatched pragma makes titanoboa download a compiler, which fails offline
        raise BackendUnavailableError(
            f"the contracts pin '# pragma version ~=0.4.3' but vyper {vyper.__version__} is installed: {_INSTALL_HINT}"
        )
    return boa


def contract_deployer(name: str, contracts_dir: str | Path | None = None) -> Any:
    """The compiled contract ``name`` (a key of :data:`CONTRACT_FILES`) as a boa deployer."""
    boa = load_boa()
    path = Path(contracts_dir or CONTRACTS_DIR) / CONTRACT_FILES[name]
    if path not in _DEPLOYERS:
        if not path.is_file():
            raise BackendUnavailableError(
                f"contract source {path} not found; pass contracts_dir= pointing at mechsim's contracts/ folder"
            )
        _DEPLOYERS[path] = boa.load_partial(str(path))
    return _DEPLOYERS[path]


def revert_reason(error: Exception) -> str:
    """The revert reason string of a ``boa.BoaError`` (or a short description)."""
    frame = getattr(getattr(error, "stack_trace", None), "last_frame", None)
    vm_error = getattr(frame, "vm_error", None)
    data = vm_error.args[0] if vm_error is not None and vm_error.args else b""
    if isinstance(data, bytes) and data[:4] == bytes.fromhex("08c379a0"):
        from eth_abi import decode

        return str(decode(["string"], data[4:])[0])
    detail = getattr(frame, "error_detail", None)
    return str(detail) if detail else type(vm_error or error).__name__


def _intrinsic_gas(calldata: bytes) -> int:
    zeros = calldata.count(0)
    return 21000 + 4 * zeros + 16 * (len(calldata) - zeros)


class EvmLedger(Ledger):
    """The payout contracts on a real EVM (titanoboa + vyper 0.4.3), with gas.

    Parameters
    ----------
    pattern : {"batched", "merkle", "reward_driven"}, default "batched"
        Which contract is deployed (see :mod:`mechsim.ledger.base`).
    contracts_dir : str or Path, optional
        Folder holding the ``.vy`` sources; default :data:`CONTRACTS_DIR`.

    Attributes (after first use)
    ----------------------------
    env : boa.Env
        The ledger's private chain.
    token, payout : boa contracts
        The deployed ``RewardToken`` and payout contract.
    operator, funder : str
        The role addresses.
    """

    _metered = True
    _not_copied = frozenset({"env", "token", "payout", "_boa_error"})

    def __init__(self, pattern: str = "batched", *, contracts_dir: str | Path | None = None) -> None:
        self.pattern = pattern
        self.contracts_dir = contracts_dir

    # -- life cycle -----------------------------------------------------------
    def _reset_backend(self) -> None:
        boa = load_boa()
        self._boa_error = boa.BoaError
        self.env = boa.Env()
        self.operator = role_address("operator")
        self.funder = role_address("funder")
        token_d = contract_deployer("token", self.contracts_dir)
        payout_d = contract_deployer(self.pattern, self.contracts_dir)
        self.token = token_d.deploy("mechsim reward", "MSR", env=self.env, sender=self.funder)
        self.payout = payout_d.deploy(self.token.address, self.operator, env=self.env, sender=self.funder)
        # one infinite approval, so each funding is mint + fund
        self.token.approve(self.payout.address, MAX_UINT256, sender=self.funder)
        self._proofs: dict[str, dict[int, tuple[int, list[bytes]]]] = {}  # merkle: address -> {epoch: leaf}
        self._branch_depth = 0
        self._lock()

    @contextlib.contextmanager
    def _chain_anchor(self) -> Iterator[None]:
        self._branch_depth += 1
        try:
            with self.env.anchor():
                yield
        finally:
            self._branch_depth -= 1

    def _lock(self) -> None:
        """End a "transaction": fix storage originals and cool every slot (not inside a branch)."""
        if self._branch_depth == 0:
            self.env.evm.vm.state.lock_changes()

    # -- transactions -----------------------------------------------------------
    def _tx(
        self,
        contract: Any,
        fn_name: str,
        *args: Any,
        sender: str,
        role: str,
        epoch: int,
        account: str = "",
        n_items: int = 1,
    ) -> tuple[Any, int]:
        fn = getattr(contract, fn_name)
        self._cold_start()
        result = fn(*args, sender=sender)
        exec_gas = contract._computation.get_gas_used()
        intrinsic = _intrinsic_gas(fn.prepare_calldata(*args))
        refund = min(contract._computation.get_gas_refund(), (exec_gas + intrinsic) // 5)
        gas = self._log_gas(epoch, fn_name, role, account, n_items, exec_gas, intrinsic, refund)
        return result, gas

    def _cold_start(self) -> None:
        """Forget which accounts and slots were touched, as a new transaction does (EIP-2929).

        ``boa.Env.reset_gas_used`` would do it by replacing py-evm's access journal, which
        breaks every open snapshot (ours and ``env.anchor()``); a journaled clear keeps them.
        """
        with contextlib.suppress(AttributeError):
            self.env.evm.vm.state._account_db._journal_accessed_state.clear()

    @contextlib.contextmanager
    def _atomic(self, op: str) -> Iterator[None]:
        """All transactions inside succeed, or none happened (and no gas row is kept)."""
        state = self.env.evm.vm.state
        snapshot = state.snapshot()
        n_rows = len(self._gas_rows)
        operator_gas = dict(self._operator_gas)
        try:
            yield
        except self._boa_error as err:
            state.revert(snapshot)
            del self._gas_rows[n_rows:]
            self._operator_gas = operator_gas
            raise refused(op, revert_reason(err)) from None
        except BaseException:
            state.revert(snapshot)
            del self._gas_rows[n_rows:]
            self._operator_gas = operator_gas
            raise
        else:
            state.commit(snapshot)
            self._lock()

    # -- funding --------------------------------------------------------------
    def _fund(self, epoch: int, amount: int) -> int:
        with self._atomic("fund"):
            self._tx(self.token, "mint", self.funder, amount, sender=self.funder, role="funder", epoch=epoch)
            self._tx(self.payout, "fund", epoch, amount, sender=self.funder, role="funder", epoch=epoch)
        return self.payout.budget(epoch)

    # -- posting --------------------------------------------------------------
    def _settle(self, epoch: int, round: int, entries: list[Entry]) -> Posted:
        with self._atomic("settle"):
            if self.pattern == "batched":
                return self._post_batches(epoch, entries)
            if self.pattern == "merkle":
                return self._post_root(epoch, entries)
            if entries:
                self._send_records(epoch, round, entries)
            return self._settle_contributions(epoch)
        raise AssertionError("unreachable")  # pragma: no cover

    def _post_batches(self, epoch: int, entries: list[Entry]) -> Posted:
        chunks = [entries[i : i + MAX_BATCH] for i in range(0, len(entries), MAX_BATCH)] or [[]]
        for k, chunk in enumerate(chunks):
            payees = [address for _, address, _ in chunk]
            amounts = [amount for _, _, amount in chunk]
            self._tx(
                self.payout,
                "post",
                epoch,
                payees,
                amounts,
                k == len(chunks) - 1,
                sender=self.operator,
                role="operator",
                epoch=epoch,
                n_items=len(chunk),
            )
        return Posted(self.payout.budget(epoch), {address: amount for _, address, amount in entries})

    def _post_root(self, epoch: int, entries: list[Entry]) -> Posted:
        from mechsim.ledger.merkle import MerkleTree, leaf_hash

        tree = MerkleTree([leaf_hash(epoch, address, amount) for _, address, amount in entries])
        total = sum(amount for _, _, amount in entries)
        self._tx(
            self.payout,
            "post_root",
            epoch,
            tree.root,
            total,
            len(entries),
            sender=self.operator,
            role="operator",
            epoch=epoch,
            n_items=len(entries),
        )
        for i, (_, address, amount) in enumerate(entries):
            self._proofs.setdefault(address, {})[epoch] = (amount, tree.proof(i))
        return Posted(self.payout.budget(epoch), {address: amount for _, address, amount in entries})

    def _send_records(self, epoch: int, round: int, entries: list[Entry]) -> None:
        for i in range(0, len(entries), MAX_BATCH):
            chunk = entries[i : i + MAX_BATCH]
            agents = [address for _, address, _ in chunk]
            values = [c for _, _, c in chunk]
            self._tx(
                self.payout,
                "record",
                epoch,
                round,
                agents,
                values,
                sender=self.operator,
                role="operator",
                epoch=epoch,
                n_items=len(chunk),
            )

    def _record(self, epoch: int, round: int, entries: list[Entry]) -> None:
        with self._atomic("record"):
            self._send_records(epoch, round, entries)

    def _settle_contributions(self, epoch: int) -> Posted:
        n = self.payout.n_participants(epoch)
        self._tx(self.payout, "settle", epoch, sender=self.operator, role="operator", epoch=epoch, n_items=n)
        rewards: dict[str, int] = {}
        contributions: dict[str, int] = {}
        dust = 0
        for event in self.payout.get_logs():
            name = type(event).__name__
            if name == "Rewarded":
                address = str(event.agent).lower()
                rewards[address] = int(event.amount)
                contributions[address] = int(event.contribution)
            elif name == "Settled":
                dust = int(event.dust)
        return Posted(self.payout.budget(epoch), rewards, contributions, dust)

    # -- claiming -------------------------------------------------------------
    def _claim(self, address: str, epoch: int) -> tuple[int, int]:
        label = self._account_label(address)
        if self.pattern != "merkle":
            with self._atomic("claim"):
                amount, gas = self._tx(self.payout, "claim", sender=address, role="payee", epoch=epoch, account=label)
            return int(amount), gas
        pending = self._proofs.get(address, {})
        if not pending:
            raise refused("claim", "nothing to claim")
        received = gas = 0
        with self._atomic("claim"):
            for e in sorted(pending):
                amount, proof = pending[e]
                got, g = self._tx(
                    self.payout, "claim", e, amount, proof, sender=address, role="payee", epoch=e, account=label
                )
                received += int(got)
                gas += g
        del self._proofs[address]
        return received, gas

    # -- reading --------------------------------------------------------------
    def _balances(self, addresses: list[str]) -> list[int]:
        return [int(self.token.balanceOf(a)) for a in addresses]

    def _owed(self, addresses: list[str]) -> list[int]:
        if self.pattern == "merkle":
            return [sum(amount for amount, _ in self._proofs.get(a, {}).values()) for a in addresses]
        return [int(self.payout.claimable(a)) for a in addresses]

    def _budget(self, epoch: int) -> int:
        return int(self.payout.budget(epoch))

    def _totals(self) -> LedgerTotals:
        return LedgerTotals(
            funded=int(self.payout.total_funded()),
            allocated=int(self.payout.total_allocated()),
            paid=int(self.payout.total_paid()),
            held=int(self.token.balanceOf(self.payout.address)),
            recovered=int(self.payout.total_recovered()),
            stray=int(self.payout.stray()),
        )

    # -- recovery -------------------------------------------------------------
    def _recoverable(self, epoch: int) -> int:
        return int(self.payout.recoverable(epoch))

    def _recover(self, epoch: int, to: str) -> int:
        with self._atomic("recover"):
            amount, _ = self._tx(self.payout, "recover", epoch, to, sender=self.operator, role="operator", epoch=epoch)
        return int(amount)

    def _recover_stray(self, to: str) -> int:
        with self._atomic("recover_stray"):
            amount, _ = self._tx(self.payout, "recover_stray", to, sender=self.operator, role="operator", epoch=-1)
        return int(amount)

    def _transfer_in(self, amount: int) -> None:
        stranger = role_address("stranger")
        with self._atomic("transfer_in"):
            self._tx(self.token, "mint", stranger, amount, sender=self.funder, role="funder", epoch=-1)
            self._tx(self.token, "transfer", self.payout.address, amount, sender=stranger, role="stranger", epoch=-1)

    def _cancel(self, epoch: int) -> None:
        with self._atomic("cancel"):
            self._tx(self.payout, "cancel", epoch, sender=self.operator, role="operator", epoch=epoch)

    def _is_closed(self, epoch: int) -> bool:
        return bool(self.payout.closed(epoch))

    def proof(self, account: Any, epoch: int) -> tuple[int, list[bytes]]:
        """``merkle`` only: the unclaimed ``(amount, proof)`` of ``account`` in ``epoch``."""
        self._ensure()
        try:
            return self._proofs[address_of(account)][epoch]
        except KeyError:
            raise LedgerError(f"no unclaimed Merkle leaf for account {account!r} in epoch {epoch}") from None
