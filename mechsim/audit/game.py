"""Audit games built from (mechanism, agent type, profile): no per-family adapter.

A family declares its agents' :class:`~mechsim.core.strategy.AgentType` (what they
know, report and value, and their deviation space); :class:`MechanismGame` turns a
mechanism factory, a profile of behaviours and an instance into an
:class:`~mechsim.audit.base.AuditGame`: each seed draws the instance's private
information and the mechanism's randomness from fixed streams (common random
numbers), plays ``n_rounds`` rounds with the deviating agent on its deviation and
everyone else on the profile, and averages the agent's utility per round.

The same object serves the conformance checks (:func:`mechsim.testing.check_mechanism`):
:meth:`MechanismGame.play` returns the truthful rounds' outcomes, utilities and
outside options, from which budget balance and individual rationality are read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechsim.audit.base import Deviation
from mechsim.core.mechanism import Mechanism, Outcome
from mechsim.core.seeding import SeedTree
from mechsim.core.strategy import AgentType, Behaviour, parse_behaviour
from mechsim.errors import ParameterError

__all__ = ["MechanismGame", "PlayedRound", "behaviour_deviations"]


@dataclass(frozen=True)
class PlayedRound:
    """One round of a played game: the outcome, every agent's utility and outside option."""

    t: int
    outcome: Outcome
    utility: np.ndarray
    outside: np.ndarray


def behaviour_deviations(behaviours: Sequence[Behaviour | str]) -> list[Deviation]:
    """Audit deviations for zoo behaviours (name = the behaviour's text form)."""
    out = []
    for b in behaviours:
        b = parse_behaviour(b)
        out.append(Deviation(name=b.name, value=b))
    return out


class MechanismGame:
    """A mechanism played by agents of one type, as an :class:`~mechsim.audit.base.AuditGame`.

    Parameters
    ----------
    name : label of the game
    make_mechanism : () -> Mechanism, a fresh mechanism per play
    agent_type : the agents' type: private information, reports, utility, deviations
    n_agents : number of agents N
    types : the agents' fixed types, or a callable ``rng -> types`` drawn per seed
    n_rounds : rounds per play; utilities are averaged per round
    seeds : seed-tree node of the game's random numbers
    profile : behaviour per agent (default: everyone truthful)
    context : extra ``reset`` keywords of the mechanism, or a callable ``(types) -> mapping``
    n_seeds : default number of CRN seeds for the auditor
    agent_names : labels (default ``agent0 .. agent<N-1>``)
    """

    def __init__(
        self,
        *,
        name: str,
        make_mechanism: Callable[[], Mechanism],
        agent_type: AgentType,
        n_agents: int,
        types: Any = None,
        n_rounds: int = 1,
        seeds: SeedTree,
        profile: Sequence[Behaviour | str] | None = None,
        context: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None = None,
        n_seeds: int = 32,
        agent_names: Sequence[str] | None = None,
    ) -> None:
        self.name = name
        self.make_mechanism = make_mechanism
        self.agent_type = agent_type
        self.n_agents = int(n_agents)
        self.types = types
        self.n_rounds = int(n_rounds)
        self.seeds = seeds
        self.profile = [parse_behaviour(b) for b in (profile or ["truthful"] * self.n_agents)]
        if len(self.profile) != self.n_agents:
            raise ParameterError(f"MechanismGame {name!r}: the profile lists {len(self.profile)} behaviours for {self.n_agents} agents.")
        self.context = context
        self.n_seeds = int(n_seeds)
        self.utility_unit = agent_type.utility_unit
        self._names = list(agent_names) if agent_names is not None else [f"agent{i}" for i in range(self.n_agents)]

    # -- AuditGame -------------------------------------------------------------

    def agents(self) -> list[str]:
        return list(self._names)

    def _index(self, agent: str) -> int:
        if agent not in self._names:
            raise ParameterError(f"unknown agent {agent!r} in game {self.name!r}. Agents: {', '.join(self._names)}.")
        return self._names.index(agent)

    def deviations(self, agent: str) -> list[Deviation]:
        i = self._index(agent)
        own = self.profile[i].name
        return [d for d in behaviour_deviations(self.agent_type.deviations()) if d.name != own]

    #: turns a deviation's value (or text) into a behaviour; a family with its own
    #: behaviour objects (signal maps, ...) overrides it
    parse = staticmethod(parse_behaviour)

    def utility(self, agent: str, strategies: Sequence[Deviation | None], seeds: np.ndarray) -> np.ndarray:
        i = self._index(agent)
        out = np.empty((len(strategies), len(seeds)))
        for p, d in enumerate(strategies):
            profile = list(self.profile)
            if d is not None:
                profile[i] = self.parse(d.value if d.value is not None else d.name)
            for c, j in enumerate(seeds):
                rounds = self.play(int(j), profile)
                out[p, c] = float(np.mean([r.utility[i] for r in rounds]))
        return out

    # -- playing -----------------------------------------------------------------

    def _types(self, node: SeedTree) -> Any:
        return self.types(node.generator("types")) if callable(self.types) else self.types

    def play(self, seed: int, profile: Sequence[Behaviour] | None = None, *, mechanism_seed: int | None = None) -> list[PlayedRound]:
        """Play ``n_rounds`` rounds on CRN seed ``seed``; everyone truthful unless ``profile`` says otherwise.

        ``mechanism_seed`` keeps the private information of ``seed`` but gives the mechanism
        another generator (the ``randomized=False`` check).
        """
        profile = self.profile if profile is None else list(profile)
        node = self.seeds.child("seed", seed)
        types = self._types(node)
        ctx = self.context(types) if callable(self.context) else dict(self.context or {})
        mech = self.make_mechanism()
        mrng = node.generator("mechanism") if mechanism_seed is None else node.generator("mechanism", "other", mechanism_seed)
        mech.reset(n_agents=self.n_agents, rng=mrng, **ctx)
        private_rng, report_rng = node.generator("private"), node.generator("reports")
        at = self.agent_type
        rounds = []
        for t in range(self.n_rounds):
            private = at.draw(t, types, private_rng)
            truthful = at.truthful(t, private)
            reports = at.apply(t, profile, truthful, report_rng)
            outcome = mech.step(t, reports)
            rounds.append(PlayedRound(t, outcome, np.asarray(at.utility(t, private, reports, outcome), dtype=float), np.asarray(at.outside_option(t, private), dtype=float)))
        return rounds
