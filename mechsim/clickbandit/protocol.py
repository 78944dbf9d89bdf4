"""The click-bandit dynamics over epochs, and the rows they record.

One epoch = the arms commit to click-rates, the learner (fresh state) plays ``T``
rounds, the arms update. :func:`dynamics` is a plain generator that yields after
every epoch; the family wraps it in one SimPy process per (learner, horizon), one
unit of simulated time per epoch (``env.now`` is the epoch count).

Seed-tree paths (below the node handed in):

- ``init``: the initial profiles of the ``R`` replications;
- ``epoch/<e>/replication/<r>/seed/<j>``: the common random numbers of seed ``j``
  of replication ``r`` in epoch ``e``.

The paths do not name the learner or the horizon, so two learners (and two
horizons, whose draws extend each other) see the same random numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from mechsim.clickbandit.game import ClickGame, Evaluation
from mechsim.clickbandit.strategies import ArmStrategy, ArmTypes
from mechsim.core.recorder import Recorder
from mechsim.core.seeding import SeedTree
from mechsim.core.strategy import Observation

__all__ = ["ROUNDS_SCHEMA", "LEARNER_SCHEMA", "Trajectory", "dynamics"]

#: per (learner, horizon, replication, epoch, arm): the profile played and what it got
ROUNDS_SCHEMA = {
    "variant": "str",
    "horizon": "int",
    "replication": "int",
    "epoch": "int",
    "arm": "int",
    "s": "float",
    "s_star": "float",
    "mu": "float",
    "pulls": "float",
    "clicks": "float",
    "screened": "float",
}
#: per (learner, horizon, replication, epoch): the learner's regret
LEARNER_SCHEMA = {
    "variant": "str",
    "horizon": "int",
    "replication": "int",
    "epoch": "int",
    "regret": "float",
    "regret_per_round": "float",
    "all_screened": "float",
}


@dataclass
class Trajectory:
    """The profiles played, epoch by epoch: ``profiles[e]`` has shape (R, K)."""

    label: str
    horizon: int
    profiles: list[np.ndarray] = field(default_factory=list)

    def tail_profile(self, tail: int) -> np.ndarray:
        """Mean over replications and the last ``tail`` epochs (all, if fewer): the profile the dynamics settled on.

        Replications that settle on different equilibria are averaged too; the summary's
        ``profile_spread`` shows when they disagree.
        """
        return np.mean(np.stack(self.profiles[-tail:]), axis=(0, 1))


def _record(recorder: Recorder, label: str, game: ClickGame, epoch: int, profiles: np.ndarray, ev: Evaluation) -> None:
    n_rep, k = profiles.shape
    reps = np.repeat(np.arange(n_rep), k)
    arms = np.tile(np.arange(k), n_rep)
    recorder.extend(
        "rounds",
        variant=label,
        horizon=game.horizon,
        replication=reps,
        epoch=epoch,
        arm=arms,
        s=profiles.ravel(),
        s_star=np.tile(game.s_star, n_rep),
        mu=np.tile(game.mu, n_rep),
        pulls=ev.pulls[:, 0].mean(axis=1).ravel(),
        clicks=ev.expected_clicks[:, 0].mean(axis=1).ravel(),
        screened=ev.screened[:, 0].mean(axis=1).ravel(),
    )
    regret = ev.regret[:, 0].mean(axis=1)
    recorder.extend(
        "learner",
        variant=label,
        horizon=game.horizon,
        replication=np.arange(n_rep),
        epoch=epoch,
        regret=regret,
        regret_per_round=regret / game.horizon,
        all_screened=ev.screened[:, 0].all(axis=2).mean(axis=1),
    )


def dynamics(
    game: ClickGame,
    strategy: ArmStrategy,
    *,
    epochs: int,
    n_replications: int,
    seeds: SeedTree,
    trajectory: Trajectory,
    recorder: Recorder | None = None,
) -> Iterator[int]:
    """Run ``epochs`` epochs of ``strategy`` against ``game``; yields each finished epoch."""
    strategy.reset(n_agents=game.n_arms, n_replications=n_replications, types=ArmTypes(game.mu, game.s_star), rng=seeds.generator("init"))
    n_seeds = strategy.n_seeds
    for epoch in range(epochs):
        profiles = strategy.profiles_
        candidates = strategy.act(Observation(t=epoch, truthful=np.broadcast_to(game.s_star, profiles.shape)))
        nodes = [[seeds.child("epoch", epoch, "replication", r, "seed", j) for j in range(n_seeds)] for r in range(n_replications)]
        ev = game.evaluate(candidates, nodes)
        trajectory.profiles.append(profiles)
        if recorder is not None:
            _record(recorder, trajectory.label, game, epoch, profiles, ev)
        strategy.update(ev)
        yield epoch
