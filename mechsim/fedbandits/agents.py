"""The clients as strategic agents: private costs, cost reports, utility and deviations.

A client's private type is its participation cost ``D_i >= 0`` (drawn from the
scenario's :class:`CostModel`). In a communication round it reports ``D^_i``; the
shared behaviour zoo maps onto reports as follows:

``truthful``        ``D^ = D``
``scaled:f``        ``D^ = f D``
``fixed:v``         ``D^ = v``
``random:lo:hi``    ``D^ ~ U[lo, hi]``
``copy:j``          ``D^ = D^_j``
``free_ride``       opts out (``D^ = inf``): only participants download, so there is
                    nothing to ride on
``intermittent:p``  present with probability p each round, otherwise opts out
``late:d``          opts out of rounds before time ``d``
``sybil:k``         not supported (one identity per client): refused

:class:`ClientType` is the :class:`~mechsim.core.strategy.AgentType` the auditor and
the conformance checks use; :class:`Clients` (``fedbandits/clients-v1``) is the
population of a run, zoo behaviours plus an optional myopic best response on a
grid of reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mechsim.core.params import Real, RealArray
from mechsim.core.registry import register
from mechsim.core.strategy import AgentType, Behaviour, BehaviourTable, Observation, Strategy, apply_behaviours, assign_behaviours, parse_behaviour
from mechsim.errors import ParameterError

__all__ = ["CostModel", "ClientType", "Clients", "reports_from_behaviours", "client_utility", "DEVIATIONS"]

#: the auditor's default deviation space: under- and over-reports, a zero bid, opting out
DEVIATIONS: tuple[str, ...] = ("scaled:0.5", "scaled:0.8", "scaled:1.25", "scaled:1.5", "scaled:2", "scaled:3", "fixed:0", "free_ride")


@dataclass(frozen=True)
class CostModel:
    """Distribution of the clients' participation costs.

    kind : "uniform" (U[low, high]), "exponential" (low + Exp(scale)) or "lognormal"
        (low + scale * LogNormal(0, 1))
    low, high, scale : floats >= 0
    """

    kind: str = "uniform"
    low: float = 0.0
    high: float = 1.0
    scale: float = 1.0

    def draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        if self.kind == "uniform":
            return self.low + (self.high - self.low) * rng.random(shape)
        if self.kind == "exponential":
            return self.low + self.scale * rng.exponential(1.0, shape)
        if self.kind == "lognormal":
            return self.low + self.scale * rng.lognormal(0.0, 1.0, shape)
        raise ParameterError(f"The 'cost_distribution' setting must be one of 'uniform', 'exponential', 'lognormal'. Got {self.kind!r} instead.")


def reports_from_behaviours(behaviours: Sequence[Behaviour], costs: np.ndarray, t: float, rng: np.random.Generator) -> np.ndarray:
    """(N,) cost reports of clients playing zoo ``behaviours`` (see the module docstring).

    Draws the same uniforms every call whatever the behaviours (common random numbers).
    """
    bids = apply_behaviours(behaviours, costs, rng)
    present = rng.random(costs.shape[-1])
    for i, b in enumerate(behaviours):
        if b.kind == "free_ride" or (b.kind == "intermittent" and present[i] >= b.p) or (b.kind == "late" and t < b.delay):
            bids[..., i] = np.inf
        elif b.kind == "sybil":
            raise ParameterError("behaviour 'sybil' is not supported by fedbandits clients (one identity per client).")
    return np.maximum(bids, 0.0)


def client_utility(costs: np.ndarray, outcome: Any) -> np.ndarray:
    """(N,) ``payment + data value - cost`` for participants, 0 for the others."""
    sel = np.asarray(outcome.allocation) > 0
    return np.where(sel, outcome.payments + outcome.data_value - costs, 0.0)


class ClientType(AgentType):
    """Clients of one round game (the auditor's and the conformance checks' agents).

    ``types`` are the costs (N,); ``draw`` makes one round instance with
    ``make_round(rng) -> RoundReports`` and ``apply`` fills in the bids of the
    behaviours (the instance drawn last is the one reported on, as
    :class:`~mechsim.audit.game.MechanismGame` draws and applies in turn).
    """

    utility_unit = "incentive - cost per round"

    def __init__(self, make_round: Callable[[np.random.Generator], Any], deviations: Sequence[str] = DEVIATIONS) -> None:
        self.make_round = make_round
        self._deviations = tuple(deviations)

    def draw(self, t: int, types: Any, rng: np.random.Generator) -> Any:
        self._round = self.make_round(rng)
        return np.asarray(types, dtype=float), self._round

    def truthful(self, t: int, private: Any) -> np.ndarray:
        return private[0].copy()

    def apply(self, t: int, behaviours: Sequence[Behaviour], truthful: np.ndarray, rng: np.random.Generator) -> Any:
        return self._round.with_bids(reports_from_behaviours(behaviours, truthful, float(t), rng))

    def utility(self, t: int, private: Any, reports: Any, outcome: Any) -> np.ndarray:
        return client_utility(private[0], outcome)

    def deviations(self) -> Sequence[Behaviour]:
        return [parse_behaviour(d) for d in self._deviations]


@register("fedbandits/clients-v1", kind="fedbandits.strategy")
class Clients(Strategy):
    """The clients of a run: zoo behaviours plus an optional myopic best response.

    Parameters
    ----------
    behaviours : list or table, default () (everyone truthful)
        Zoo behaviours per client (see :func:`mechsim.core.strategy.assign_behaviours`).
    best_response : float in [0, 1], default 0.0
        Share of clients (the last ones) that, in every round, report the grid value
        maximising this round's utility given the others' reports (myopic).
    grid : list of floats >= 0, default (0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4)
        Report multipliers of the true cost the best response tries.
    """

    _parameter_constraints: ClassVar[dict] = {"behaviours": BehaviourTable(), "best_response": Real(0.0, 1.0), "grid": RealArray(0.0, None)}

    def __init__(self, *, behaviours: Any = (), best_response: float = 0.0, grid: Sequence[float] = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0)) -> None:
        self.behaviours = behaviours
        self.best_response = best_response
        self.grid = grid

    def reset(self, *, n_agents: int, n_replications: int, types: Any = None, rng: np.random.Generator) -> None:
        p = self.get_params()
        self.assigned_ = assign_behaviours(n_agents, p["behaviours"] or {}, owner="Clients")
        if any(b.kind == "sybil" for b in self.assigned_):
            raise ParameterError("behaviour 'sybil' is not supported by fedbandits clients (one identity per client).")
        k = int(np.floor(p["best_response"] * n_agents + 1e-9))
        self.responders_ = np.arange(n_agents - k, n_agents)
        self.grid_ = np.asarray(p["grid"], dtype=float)
        self.rng_ = rng

    def labels(self) -> list[str]:
        """Behaviour label of every client (``best_response`` for the responders)."""
        out = [b.name for b in self.assigned_]
        for i in self.responders_:
            out[i] = "best_response"
        return out

    def act(self, observation: Observation) -> np.ndarray:
        """(N,) bids of one round. ``observation.info["evaluate"]``: ``bids -> (N,) utilities``."""
        costs = np.asarray(observation.truthful, dtype=float)
        bids = reports_from_behaviours(self.assigned_, costs, float(observation.info.get("time", observation.t)), self.rng_)
        evaluate = observation.info.get("evaluate")
        if self.responders_.size and evaluate is not None:
            bids[self.responders_] = costs[self.responders_]
            for i in self.responders_:
                best, best_u = costs[i], -np.inf
                for v in np.concatenate([[costs[i]], self.grid_ * costs[i]]):  # truthful first: it wins ties
                    trial = bids.copy()
                    trial[i] = v
                    u = float(evaluate(trial)[i])
                    if u > best_u + 1e-12:
                        best, best_u = v, u
                bids[i] = best
        return bids
