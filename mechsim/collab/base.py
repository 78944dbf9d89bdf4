"""The contracts of the collab family: what a mechanism sees and returns each round.

A round ``t`` of collaborative learning, driven by :mod:`mechsim.collab.protocol`::

    plan    = mechanism.select(t, available)        # who trains, who gets the global model
    ...       nodes in plan.sync receive θ_t (their reward), nodes in plan.train
              train E local steps on their new data chunk and send back g_i
    outcome = mechanism.step(t, Submission(...))    # aggregate, rewards, contributions
    θ_{t+1} = θ_t + outcome.aggregate

Collab mechanisms implement the shared contract :class:`mechsim.core.mechanism.Mechanism`
(with the extra ``select`` hook before training) and return a collab
:class:`Outcome`, a subclass of the shared one. Their :class:`~mechsim.core.mechanism.Claims`
use ``fair`` and ``randomized`` and the collab-specific ``extra`` properties:

``asymptotically_equal``     every node that keeps participating is refreshed with the
                             global model infinitely often, so all nodes' performance
                             converges to the same value;
``equal``                    every available node receives the same model every round;
``estimates_contributions``  ``Outcome.scores`` holds a contribution estimate.

A mechanism works on flat ``float64`` parameter vectors of length ``P`` and knows
nothing of torch, Flower or SimPy: the protocol turns messages into arrays. Its
settings are keyword arguments stored verbatim by ``__init__`` and validated in
``reset`` against ``_parameter_constraints``; accumulated state ends in ``_``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from mechsim.core import mechanism as core
from mechsim.core.mechanism import Claims

__all__ = ["Claims", "Plan", "Submission", "Outcome", "Mechanism", "REWARD_KINDS"]

#: What a node receives: ``"global-model"`` (every round), ``"model-refresh"`` (the
#: global model, when selected; stale otherwise) or ``"sparsified-gradient"`` (a share
#: of the aggregate update added to its own model).
REWARD_KINDS = ("global-model", "model-refresh", "sparsified-gradient")


@dataclass(frozen=True)
class Plan:
    """The nodes a round involves, decided before training (Flower's ``configure_train``).

    train : (N,) bool
        Nodes asked to train this round.
    sync : (N,) bool
        Nodes sent the current global model ``θ_t`` before training; it replaces
        their own model. Nodes that train without ``sync`` start from their own model.
    """

    train: np.ndarray
    sync: np.ndarray


@dataclass(frozen=True)
class Submission:
    """What the server holds after a round's training (Flower's ``aggregate_train`` input).

    Attributes
    ----------
    round : int
    updates : (N, P) float64
        ``g_i = θ_i^local - θ_i^start``; zero rows for nodes that did not report.
    reported : (N,) bool
        Nodes that trained and whose update arrived before the deadline.
    trained : (N,) bool
        Nodes that were asked to train (``plan.train`` restricted to available nodes).
    available : (N,) bool
        Nodes online at the start of the round.
    weights : (N,) float
        Data shares ``n_i / Σ_j n_j`` over all nodes (sum to one).
    params : (P,) float64
        The global model ``θ_t`` at the start of the round.
    evaluate : callable or None
        ``evaluate(params) -> float``: the server's validation utility of a flat
        parameter vector (the negative validation loss; higher is better). Used by
        valuation utilities that score coalition models.
    """

    round: int
    updates: np.ndarray
    reported: np.ndarray
    trained: np.ndarray
    available: np.ndarray
    weights: np.ndarray
    params: np.ndarray
    evaluate: Callable[[np.ndarray], float] | None = None


@dataclass(frozen=True, kw_only=True)
class Outcome(core.Outcome):
    """What a collab mechanism decides at the end of a round (the shared outcome, plus the model update).

    Attributes
    ----------
    payments : (N,) float
        Zero: collab mechanisms reward with models, not money (token payouts are the
        ledger's job, from ``scores`` or ``info["contributions"]``).
    aggregate : (P,) float64
        Update added to the global model: ``θ_{t+1} = θ_t + aggregate``.
    allocation : (N,) bool
        Nodes rewarded this round (sent the global model, or a gradient share).
    rewards : (N,) float
        Reward value: 1 for a node that received the full global model, the
        quota ``q_i`` in [0, 1] for a gradient share, 0 otherwise.
    scores : (N,) float
        The running contribution estimate (``ψ̂`` of FAIR-EQUAL, the CGSV reputation);
        ``nan`` for mechanisms that estimate none.
    reward_updates : (N, P) float64 or None
        Per-node deltas added to the nodes' own models after aggregation
        (CGSV); ``None`` when rewards are delivered as ``Plan.sync``.
    info : mapping
        ``"contributions"`` ((N,) float, this round's per-node contribution, ``nan``
        when not estimated), ``"stage"`` (int) and mechanism-specific extras
        (``"p_value"`` of the stopping test).
    """

    payments: np.ndarray | None = None  # type: ignore[assignment]
    aggregate: np.ndarray
    rewards: np.ndarray
    reward_updates: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.payments is None:
            object.__setattr__(self, "payments", np.zeros(np.shape(self.allocation)[-1]))


class Mechanism(core.Mechanism):
    """Base class of collab mechanisms: ``reset``, then ``select`` and ``step`` each round."""

    #: what a node receives (one of :data:`REWARD_KINDS`)
    reward_kind: ClassVar[str] = "global-model"

    def reset(  # type: ignore[override]
        self,
        *,
        n_agents: int,
        rng: np.random.Generator,
        n_params: int,
        weights: np.ndarray,
        layer_sizes: tuple[int, ...] | None = None,
    ) -> None:
        """Start a run of ``n_agents`` nodes on a model of ``n_params`` parameters.

        ``weights`` are the data shares (N,); ``layer_sizes`` (summing to
        ``n_params``) tell layer-wise rules where the layers of the flat vector are.
        """
        raise NotImplementedError

    def select(self, t: int, available: np.ndarray) -> Plan:
        raise NotImplementedError

    def step(self, t: int, submission: Submission) -> Outcome:  # type: ignore[override]
        raise NotImplementedError

    # -- helpers shared by the mechanisms ------------------------------------------

    def _start(self, n_nodes: int, n_params: int, weights: np.ndarray, layer_sizes: tuple[int, ...] | None) -> dict[str, Any]:
        params = self.get_params()
        self.n_nodes_ = int(n_nodes)
        self.n_params_ = int(n_params)
        self.weights_ = np.asarray(weights, dtype=float).copy()
        self.layer_sizes_ = tuple(layer_sizes) if layer_sizes is not None else (int(n_params),)
        return params

    def _nan_scores(self) -> np.ndarray:
        return np.full(self.n_nodes_, np.nan)
