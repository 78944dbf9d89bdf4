"""The click-bandit's deviation space, for :mod:`mechsim.audit` and the epsilon-NE report.

Agents are the arms (``arm0`` .. ``arm<K-1>``); a deviation is a click-rate on the
grid ``{0, 1/(G-1), ..., 1}``; an arm's utility is its expected clicks per round,
``s_i n_i(T) / T``, measured against the committed learner with common random
numbers (seed ``j`` of every deviation uses the draws of node ``audit/seed/<j>``).

The audited profile of a learner is the scenario's: ``s*`` for truthful arms, the
given profile for fixed arms, and for learning arms the profile the dynamics
settled on (the mean over replications and the last ``tail`` epochs).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mechsim.audit.base import Deviation, register_audit_builder
from mechsim.clickbandit.game import ClickGame
from mechsim.clickbandit.strategies import ArmTypes
from mechsim.clickbandit.world import World, game_name, horizons, simulate
from mechsim.core.progress import Progress
from mechsim.core.scenario import Scenario
from mechsim.core.seeding import SeedTree
from mechsim.errors import ParameterError

__all__ = ["ClickAuditGame", "build_audit_games", "settled_profile"]


class ClickAuditGame:
    """The arms of a :class:`ClickGame` at a fixed profile, as an :class:`~mechsim.audit.AuditGame`.

    Parameters
    ----------
    game : the committed learner and the world
    profile : (K,) click-rates every arm plays unless it deviates
    grid : number of deviation click-rates (0 to 1 inclusive)
    n_seeds : default number of CRN seeds
    seeds : the seed-tree node of the audit's random numbers
    name : label of the game
    """

    utility_unit = "clicks per round"

    def __init__(self, game: ClickGame, profile: np.ndarray, *, grid: int, n_seeds: int, seeds: SeedTree, name: str) -> None:
        self.game = game
        self.profile = np.asarray(profile, dtype=float)
        self.grid = grid
        self.n_seeds = n_seeds
        self.seeds = seeds
        self.name = name

    @classmethod
    def from_scenario(cls, scenario: Scenario, game: ClickGame, profile: np.ndarray, seeds: SeedTree, name: str) -> ClickAuditGame:
        """The audit game a scenario's settings describe (``deviation_grid``, ``audit_seeds``; seeds under ``audit``)."""
        s = scenario.settings
        return cls(game, profile, grid=s["deviation_grid"], n_seeds=s["audit_seeds"], seeds=seeds.child("audit"), name=name)

    def agents(self) -> list[str]:
        return [f"arm{i}" for i in range(self.game.n_arms)]

    def _arm(self, agent: str) -> int:
        names = self.agents()
        if agent not in names:
            raise ParameterError(f"unknown agent {agent!r} in game {self.name!r}. Agents: {', '.join(names)}.")
        return names.index(agent)

    def deviations(self, agent: str) -> list[Deviation]:
        self._arm(agent)
        return [Deviation(name=f"s={v:.3f}", value=float(v), doc="play click-rate v") for v in np.linspace(0.0, 1.0, self.grid)]

    def utility(self, agent: str, strategies: Sequence[Deviation | None], seeds: np.ndarray) -> np.ndarray:
        i = self._arm(agent)
        cand = np.tile(self.profile, (len(strategies), 1))
        for p, d in enumerate(strategies):
            if d is not None:
                cand[p, i] = d.value
        nodes = [[self.seeds.child("seed", int(j)) for j in seeds]]
        ev = self.game.evaluate(cand[None], nodes)
        return ev.expected_clicks[0, :, :, i] / self.game.horizon


def settled_profile(scenario: Scenario, game: ClickGame, label: str, seeds: SeedTree) -> np.ndarray:
    """The profile the scenario's arms play against ``game`` (running the dynamics if they learn)."""
    strategy = scenario["strategy"].build()
    if not strategy.dynamic:
        strategy.reset(n_agents=game.n_arms, n_replications=1, types=ArmTypes(game.mu, game.s_star), rng=seeds.generator("dynamics", "init"))
        return strategy.profiles_[0]
    traj, epochs = simulate(scenario, game, label, seeds)
    for _ in epochs:
        pass
    return traj.tail_profile(scenario.settings["tail"])


def build_audit_games(scenario: Scenario, seeds: SeedTree, progress: Progress) -> list[ClickAuditGame]:
    """One audit game per (learner, horizon) of a click-bandit scenario."""
    world = World.from_scenario(scenario, seeds)
    hs = horizons(scenario)
    games = []
    for label, cfg in scenario["learners"].items():
        for horizon in hs:
            game = world.game(cfg, horizon)
            profile = settled_profile(scenario, game, label, seeds)
            games.append(ClickAuditGame.from_scenario(scenario, game, profile, seeds, game_name(label, horizon, hs)))
    return games


register_audit_builder("clickbandit", build_audit_games)
