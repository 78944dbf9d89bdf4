"""Information acquisition (spec bandits.md §3): a receiver, informed senders, the optimal
incentive-compatible mechanism as an LP, and its online learning under full and bandit feedback."""

from __future__ import annotations

from mechsim.infoacq import agents, audit, family, instances, mechanisms, online  # noqa: F401  (registers components)
from mechsim.infoacq.game import InfoGame, conditionally_independent, named_game, random_game, sanity_game
from mechsim.infoacq.lp import MechanismTable, coefficients, ic_gains, receiver_value, solve_ic_lp, violation

__all__ = [
    "InfoGame",
    "conditionally_independent",
    "named_game",
    "random_game",
    "sanity_game",
    "MechanismTable",
    "coefficients",
    "ic_gains",
    "receiver_value",
    "solve_ic_lp",
    "violation",
]
