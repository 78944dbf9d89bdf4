"""What a click-bandit scenario builds: the means, the utility, the games, the dynamics."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechsim.clickbandit.environment import ClickEnvironment
from mechsim.clickbandit.game import ClickGame
from mechsim.clickbandit.protocol import Trajectory, dynamics
from mechsim.clickbandit.utility import check_utility
from mechsim.core.recorder import Recorder
from mechsim.core.scenario import ComponentConfig, Scenario
from mechsim.core.seeding import SeedTree
from mechsim.errors import ScenarioError

__all__ = ["World", "horizons", "game_name", "simulate"]


def horizons(scenario: Scenario) -> tuple[int, ...]:
    """The ``horizon`` setting as a tuple (one int or a list of ints)."""
    h = scenario.settings["n_rounds"]
    return (h,) if isinstance(h, int) else tuple(h)


def game_name(label: str, horizon: int, all_horizons: tuple[int, ...]) -> str:
    """``label``, or ``label/T=<horizon>`` when the scenario has several horizons."""
    return label if len(all_horizons) == 1 else f"{label}/T={horizon}"


@dataclass(frozen=True)
class World:
    """The scenario's nature and learner utility (shared by every learner)."""

    mu: np.ndarray
    utility: Any
    environment: ClickEnvironment

    @classmethod
    def from_scenario(cls, scenario: Scenario, seeds: SeedTree) -> World:
        env = scenario["environment"].build()
        mu = np.asarray(env.reset(rng=seeds.generator("environment")), dtype=float)
        utility = scenario["utility"].build()
        check_utility(utility, owner=f"utility {scenario['utility'].id!r}")
        return cls(mu=mu, utility=utility, environment=env)

    def game(self, learner: ComponentConfig, horizon: int) -> ClickGame:
        return ClickGame(learner=learner.build, mu=self.mu, utility=self.utility, horizon=horizon, environment=self.environment)


def simulate(
    scenario: Scenario,
    game: ClickGame,
    label: str,
    seeds: SeedTree,
    *,
    recorder: Recorder | None = None,
) -> tuple[Trajectory, Iterator[int]]:
    """The scenario's arm dynamics against ``game``: a trajectory and the epoch iterator filling it."""
    s = scenario.settings
    strategy = scenario["strategy"].build()
    k = game.n_arms
    for key in ("s", "init_s"):
        value = scenario["strategy"].params.get(key)
        if value is not None and len(value) != k:
            raise ScenarioError(
                f"expected one click-rate per arm ({k} arms); got {len(value)}", file=scenario.source, key=f"strategy.{key}"
            )
    traj = Trajectory(label=label, horizon=game.horizon)
    it = dynamics(
        game,
        strategy,
        epochs=s["epochs"],
        n_replications=s["n_replications"],
        seeds=seeds.child("dynamics"),
        trajectory=traj,
        recorder=recorder,
    )
    return traj, it
