"""The Gauntlet deviation space for :mod:`mechsim.audit`: peers switching to copying,
free-riding, lazy work, a Sybil split or late uploads.

Each labelled ``[mechanisms.*]`` validator of a scenario is one
:class:`~mechsim.audit.game.MechanismGame`: the scenario's population (one spare slot
added for Sybil identities), its types fixed across seeds (so agents keep their
compute), the learner and randomness drawn per CRN seed. A peer's utility is its share
of the window's miner emission (its slots' on-chain weights), averaged over
``audit_rounds`` windows. The audited agents are the honest peers with the most and
the median compute.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mechsim.audit.base import register_audit_builder
from mechsim.audit.game import MechanismGame
from mechsim.core.scenario import Scenario
from mechsim.core.seeding import SeedTree
from mechsim.core.strategy import assign_behaviours
from mechsim.gauntlet.learner import QuadraticLearner
from mechsim.gauntlet.peers import PeerType, draw_types

__all__ = ["DEVIATIONS", "GauntletGame", "build_audit_games", "peer_game"]

#: the declared deviations (spec section 7 rows 3, 1, 7, 15, 9)
DEVIATIONS = ("copy_best", "free_ride", "lazy:0.5", "sybil:2", "late:15")


class GauntletGame(MechanismGame):
    """A :class:`MechanismGame` whose audited agents are a chosen subset of the slots."""

    def __init__(self, *, audited: list[int], **kw: Any) -> None:
        super().__init__(**kw)
        self.audited = audited

    def agents(self) -> list[str]:
        names = super().agents()
        return [names[i] for i in self.audited]


def peer_game(*, name: str, make_mechanism: Any, behaviours: list[str], types: Any, n_rounds: int, seeds: SeedTree,
              learner: dict[str, Any] | None = None, n_seeds: int = 8, deviations: tuple[str, ...] = DEVIATIONS,
              audited: list[int] | None = None) -> GauntletGame:
    """A Gauntlet audit game of ``behaviours`` (spare ``intermittent:0`` slots included)."""
    at = PeerType(learner_factory=lambda: QuadraticLearner(**(learner or {})), deviations=deviations)

    def draw(rng: np.random.Generator) -> dict[str, Any]:
        return {"types": types, "seed": int(rng.integers(2**31))}

    honest = [i for i, b in enumerate(behaviours) if b == "truthful"]
    if audited is None:
        order = sorted(honest, key=lambda i: -types.compute[i])
        audited = sorted({order[0], order[len(order) // 2]}) if order else [0]
    return GauntletGame(name=name, make_mechanism=at.bind(make_mechanism), agent_type=at, n_agents=len(behaviours),
                        types=draw, n_rounds=n_rounds, seeds=seeds, profile=behaviours, context=at.context,
                        n_seeds=n_seeds, audited=audited)


def build_audit_games(scenario: Scenario, seeds: SeedTree, progress: Any) -> list[GauntletGame]:
    s = scenario.settings
    spec = scenario.sections.get("population")
    params = dict(spec.params) if spec is not None else {}
    beh = [b.name for b in assign_behaviours(s["n_agents"], params.get("behaviours") or {}, default=params.get("default") or "truthful")]
    if "intermittent:0" not in beh:
        beh.append("intermittent:0")  # a spare slot for the Sybil split
    types = draw_types(len(beh), seeds.generator("types"), compute_low=s["compute_low"], compute_high=s["compute_high"],
                       latency_s=s["latency_s"])
    lcfg = scenario.sections.get("learner")
    learner = dict(lcfg.params) if lcfg is not None else {}
    games = []
    for label, cfg in scenario["mechanisms"].items():
        games.append(peer_game(name=label, make_mechanism=cfg.build, behaviours=beh, types=types, n_rounds=s["audit_rounds"],
                               seeds=seeds.child("audit", label), learner=learner, n_seeds=s["audit_seeds"]))
    return games


register_audit_builder("gauntlet", build_audit_games)
