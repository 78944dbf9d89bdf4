"""``mechsim audit`` for timeaware scenarios: does any party gain by joining later?

One :class:`~mechsim.audit.game.MechanismGame` per labelled mechanism, on the
scenario's first replication (its data, valuation table and join times; the swept
party at its first sweep value). Deviations are the zoo's ``late:1`` and ``late:2``
(join one or two intervals later); utility is the reward value. The rewards are
deterministic given the world, so every seed gives the same gain.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mechsim.audit.base import register_audit_builder
from mechsim.audit.game import MechanismGame
from mechsim.core.scenario import Scenario
from mechsim.core.seeding import SeedTree
from mechsim.timeaware.agents import JoiningParty
from mechsim.timeaware.family import base_join_times, check_scenario
from mechsim.timeaware.world import build_world

__all__ = ["build_audit_games"]


def build_audit_games(scenario: Scenario, seeds: SeedTree, progress: Any = None) -> list[MechanismGame]:
    check_scenario(scenario)
    s = scenario.settings
    node = seeds.child("replication", 0)
    world = build_world(s, node.generator("data"))
    join = base_join_times(scenario, node)
    if s["sweep_agent"] is not None:
        join[s["sweep_agent"]] = min(s["sweep_join_times"][0], s["n_rounds"] - 1)
    types = {"values": world.values, "join": join}
    games = []
    for label, cfg in scenario["mechanisms"].items():
        games.append(
            MechanismGame(
                name=f"{scenario.name}/{label}",
                make_mechanism=lambda cfg=cfg: cfg.build(),
                agent_type=JoiningParty(n_intervals=s["n_rounds"]),
                n_agents=s["n_agents"],
                types=types,
                n_rounds=1,
                seeds=seeds.child("audit", label),
                context={"values": world.values, "n_intervals": s["n_rounds"]},
                n_seeds=2,
                agent_names=[f"party{i}" for i in range(s["n_agents"])],
            )
        )
    return games


register_audit_builder("timeaware", build_audit_games)
