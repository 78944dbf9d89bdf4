"""The parties' type for the auditor and the conformance checks: when they can join.

A party's private information is its earliest possible join time; its truthful
action is to join then. Of the shared behaviour zoo, ``late:d`` maps to joining
``d`` intervals later (capped at the last interval); every other behaviour leaves
the join time as is (data reports are not part of this game). Utility is the
reward value ``r_i`` (``Outcome.allocation``); the outside option is the
standalone value ``v_i`` (individual rationality).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from mechsim.core.strategy import AgentType, Behaviour, parse_behaviour

__all__ = ["JoiningParty", "apply_join_behaviours"]


def apply_join_behaviours(behaviours: Sequence[Behaviour], join_times: np.ndarray, n_intervals: int) -> np.ndarray:
    """Join times after behaviours: ``late:d`` adds ``d`` (capped at ``n_intervals - 1``)."""
    t = np.asarray(join_times, dtype=float).copy()
    for i, b in enumerate(behaviours):
        b = parse_behaviour(b)
        if b.kind == "late":
            t[i] = min(t[i] + round(b.delay), n_intervals - 1)
    return t


class JoiningParty(AgentType):
    """Types: ``{"values": (2**n,) table, "join": (n,) earliest join times, "n_intervals": H}``; ``late`` is capped at ``n_intervals - 1``."""

    utility_unit: ClassVar[str] = "reward value (valuation units)"

    def __init__(self, n_intervals: int = 10**9) -> None:
        self.n_intervals = int(n_intervals)

    def truthful(self, t: int, private: Any) -> np.ndarray:
        return np.asarray(private["join"], dtype=float)

    def apply(self, t: int, behaviours: Sequence[Behaviour], truthful: np.ndarray, rng: np.random.Generator) -> Any:
        rng.random(len(truthful))  # one draw per agent and round, whatever the behaviours (CRN)
        return truthful if all(b.kind != "late" for b in behaviours) else apply_join_behaviours(behaviours, truthful, self.n_intervals)

    def utility(self, t: int, private: Any, reports: Any, outcome: Any) -> np.ndarray:
        return np.asarray(outcome.allocation, dtype=float)

    def outside_option(self, t: int, private: Any) -> np.ndarray:
        v = np.asarray(private["values"], dtype=float)
        n = len(private["join"])
        return v[1 << np.arange(n)]

    def deviations(self) -> Sequence[Behaviour]:
        return [parse_behaviour("late:1"), parse_behaviour("late:2")]
