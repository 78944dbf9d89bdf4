"""Token payouts for any family: payments, scores or contributions settled through a ledger.

Family-independent (kind ``payout``): a family's protocol hands every round's
:class:`~mechsim.core.mechanism.Outcome` to :meth:`TokenPayout.observe_outcome`, and
the payout settles at each epoch end. ``basis`` says what is paid for: the
outcome's ``payments`` (positive transfers to the agents), its ``scores``, or its
per-round contributions ``info["contributions"]``.

The seed paper's setting ("Federated Learning using Smart Contracts on Blockchains,
based on Reward Driven Approach"): each agent's reward is proportional to its
accumulated "federated contribution", and the payout is transparent and verifiable
on chain. :class:`TokenPayout` watches a mechanism's per-round outcomes and, at the end of every epoch of ``epoch_rounds`` rounds, funds the epoch
with ``budget_per_epoch`` tokens and settles it through a :mod:`mechsim.ledger`
ledger (``MemoryLedger`` or ``EvmLedger``, the same rules on both):

- ``pattern = "batched"`` / ``"merkle"``: mechsim splits the epoch budget in
  proportion to the epoch's accumulated positive contributions (exact integer
  largest-remainder split, :func:`mechsim.ledger.split_units`) and posts the
  allocation;
- ``pattern = "reward_driven"``: every round's contributions are recorded on chain
  (as integers, ``round(c * contribution_scale)``), and the contract itself splits
  the budget in proportion to the accumulated records when the epoch settles.

Negative and undefined (``nan``) weights count as zero. An epoch in which no
one contributed allocates nothing; its budget stays unallocated in the contract.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mechsim.core.params import Integer, Options, Real, validate_params
from mechsim.core.registry import register
from mechsim.errors import ParameterError
from mechsim.ledger import PATTERNS, Ledger, Settlement, from_units, make_ledger, split_units, to_units

__all__ = ["TokenPayout", "PAYOUTS_SCHEMA", "LEDGER_GAS_SCHEMA", "BASES"]

#: What a payout may be proportional to.
BASES = ("contribution", "score", "payments")

#: One row per (epoch, agent): what the agent earned and holds.
PAYOUTS_SCHEMA = {
    "variant": "str",
    "replication": "int",
    "epoch": "int",
    "round": "int",  # last round of the epoch
    "time": "float",  # simulated time of the settlement
    "agent": "int",
    "contribution": "float",  # the epoch's accumulated weight (contribution, score or payment)
    "amount": "float",  # tokens allocated in the epoch
    "amount_units": "str",  # the same, in exact integer base units
    "balance": "float",  # tokens the node holds after the epoch's claims
}
#: One row per settled epoch: the operator's and the payees' gas (0 in memory).
LEDGER_GAS_SCHEMA = {
    "variant": "str",
    "replication": "int",
    "epoch": "int",
    "pattern": "str",
    "n_payees": "int",
    "operator_gas": "int",
    "claim_gas": "int",
}


@register("ledger/token-payout-v1", kind="payout")
class TokenPayout:
    """Pay contributors in tokens every epoch, in proportion to their contributions.

    Parameters
    ----------
    backend : {"memory", "evm"}, default "memory"
        ``"evm"`` deploys the Vyper contracts on titanoboa's EVM (``mechsim[chain]``).
    pattern : {"batched", "merkle", "reward_driven"}, default "reward_driven"
        The payout contract (see :mod:`mechsim.ledger.base`).
    budget_per_epoch : float > 0, default 100.0
        Tokens funded for each epoch.
    epoch_rounds : int >= 1, default 10
        Rounds per epoch; a last, shorter epoch settles at the final round.
    basis : {"contribution", "score", "payments"}, default "contribution"
        What is paid for: the round's contribution estimate (``info["contributions"]``),
        the mechanism's running score (``Outcome.scores``) or its payments to the agents
        (``Outcome.payments``).
    contribution_scale : int >= 1, default 1_000_000
        ``reward_driven`` only: contributions are recorded on chain as
        ``round(c * contribution_scale)``.
    """

    _parameter_constraints: ClassVar[dict] = {
        "backend": Options(("memory", "evm")),
        "pattern": Options(PATTERNS),
        "budget_per_epoch": Real(0.0, None, closed="neither"),
        "epoch_rounds": Integer(1, None),
        "basis": Options(BASES),
        "contribution_scale": Integer(1, None),
    }

    def __init__(
        self,
        *,
        backend: str = "memory",
        pattern: str = "reward_driven",
        budget_per_epoch: float = 100.0,
        epoch_rounds: int = 10,
        basis: str = "contribution",
        contribution_scale: int = 1_000_000,
    ) -> None:
        self.backend = backend
        self.pattern = pattern
        self.budget_per_epoch = budget_per_epoch
        self.epoch_rounds = epoch_rounds
        self.basis = basis
        self.contribution_scale = contribution_scale

    def reset(self, *, n_agents: int, n_rounds: int) -> None:
        p = validate_params(self)
        self.params_ = p
        self.n_agents_ = n_agents
        self.n_rounds_ = n_rounds
        self.ledger_: Ledger = make_ledger(p["backend"], p["pattern"]).reset()
        self.budget_units_ = to_units([p["budget_per_epoch"]])[0]
        self.epoch_ = 0
        self.weights_ = np.zeros(n_agents)

    def _clean(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=float)
        return np.where(np.isfinite(v) & (v > 0), v, 0.0)

    def observe_outcome(self, t: int, outcome: Any) -> Settlement | None:
        """Take round ``t``'s :class:`~mechsim.core.mechanism.Outcome`; settle at the epoch's end."""
        basis = self.params_["basis"]
        if basis == "contribution":
            values = outcome.info.get("contributions", np.full(self.n_agents_, np.nan))
        else:
            values = outcome.scores if basis == "score" else outcome.payments
        return self.observe(t, np.asarray(values, dtype=float).reshape(-1))

    def observe(self, t: int, weights: np.ndarray) -> Settlement | None:
        """Take round ``t``'s per-agent weights; settle and return the epoch's record when it ends."""
        c = self._clean(weights)
        self.weights_ += c
        if self.params_["pattern"] == "reward_driven":
            scale = self.params_["contribution_scale"]
            scaled = np.rint(c * float(scale))
            if scaled.size and not np.max(scaled) < 2.0**63:
                top = float(np.max(c))
                raise ParameterError(
                    f"The 'contribution_scale' parameter of TokenPayout (scenario key payout.contribution_scale) is too "
                    f"large: contribution {top:.6g} x contribution_scale {scale} = {top * float(scale):.6g} does not "
                    f"fit an int64 contribution record (at most 2**63-1). Lower payout.contribution_scale.",
                    parameter="contribution_scale",
                    owner="TokenPayout",
                    section="payout",
                )
            ints = scaled.astype(np.int64)
            if ints.any():
                self.ledger_.record(self.epoch_, {int(i): int(ints[i]) for i in np.flatnonzero(ints)})
        last = t + 1 == self.n_rounds_
        if (t + 1) % self.params_["epoch_rounds"] and not last:
            return None
        return self._settle()

    def _settle(self) -> Settlement:
        epoch, ledger = self.epoch_, self.ledger_
        ledger.fund(epoch, self.budget_units_)
        if self.params_["pattern"] == "reward_driven":
            settlement = ledger.settle(epoch)
        elif self.weights_.sum() > 0:
            shares = split_units(self.budget_units_, self.weights_.tolist())
            settlement = ledger.settle(epoch, {i: s for i, s in enumerate(shares) if s > 0})
        else:
            settlement = ledger.settle(epoch, {})
        self.epoch_ += 1
        self.last_weights_ = self.weights_.copy()
        self.weights_ = np.zeros(self.n_agents_)
        return settlement

    def node_rows(self, settlement: Settlement) -> dict[str, Any]:
        """Columns of the epoch's ``payouts`` rows (one per agent)."""
        units = [int(settlement.allocation.get(i, 0)) for i in range(self.n_agents_)]
        balances = self.ledger_.balances()
        return {
            "epoch": settlement.epoch,
            "agent": np.arange(self.n_agents_),
            "contribution": self.last_weights_,
            "amount": np.array([from_units(u) for u in units]),
            "amount_units": np.array([str(u) for u in units], dtype=object),
            "balance": np.array([from_units(int(balances.get(i, 0))) for i in range(self.n_agents_)]),
        }

    def gas_row(self, settlement: Settlement) -> dict[str, Any]:
        return {
            "epoch": settlement.epoch,
            "pattern": settlement.pattern,
            "n_payees": settlement.n_payees,
            "operator_gas": int(settlement.operator_gas),
            "claim_gas": int(sum(settlement.claim_gas.values())),
        }
