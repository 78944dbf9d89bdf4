"""The bandit protocol in simulated time: one SimPy process per policy.

Each process steps all replications of its policy at once, one round per unit of
simulated time, against its own copy of the environment (same seed for every
policy: common random numbers). At checkpoint rounds it records cumulative
pseudo-regret and realised regret per replication.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np

from mechsim.bandits import kernels
from mechsim.bandits.base import BanditEnvironment, Policy
from mechsim.core.engine import Engine
from mechsim.core.recorder import Recorder

__all__ = ["checkpoint_rounds", "RegretAccumulator", "bandit_process", "ROUNDS_SCHEMA"]

ROUNDS_SCHEMA = {
    "variant": "str",
    "replication": "int",
    "t": "int",
    "pseudo_regret": "float",
    "realised_regret": "float",
}


def checkpoint_rounds(horizon: int, n: int, spacing: str = "log") -> np.ndarray:
    """Sorted unique round counts in [1, horizon] at which regret is recorded (horizon included)."""
    if spacing == "log":
        pts = np.unique(np.round(np.logspace(0, np.log10(horizon), n)).astype(np.int64))
    else:
        pts = np.unique(np.round(np.linspace(1, horizon, n)).astype(np.int64))
    pts = pts[(pts >= 1) & (pts <= horizon)]
    return np.union1d(pts, [horizon])


class RegretAccumulator:
    """Cumulative pseudo- and realised regret of R replications.

    ``benchmark="per_round"``: regret against the best arm of each round (by mean);
    realised regret uses that arm's realised reward. ``"fixed_arm"``: against the best
    single arm in hindsight, by expected reward (pseudo) and realised reward.
    """

    def __init__(self, n_replications: int, n_arms: int, benchmark: str) -> None:
        self.benchmark = benchmark
        self.rows = np.arange(n_replications)
        self.pseudo = np.zeros(n_replications)
        self.realised = np.zeros(n_replications)
        if benchmark == "fixed_arm":
            self.sum_means = np.zeros((n_replications, n_arms))
            self.sum_rewards = np.zeros((n_replications, n_arms))
            self.got_mean = np.zeros(n_replications)
            self.got_reward = np.zeros(n_replications)

    def add(self, means: np.ndarray, rewards: np.ndarray, arms: np.ndarray) -> None:
        """One round (arms (R,), rewards (R, K)) or, from the kernel path, a block (arms (n, R), rewards (n, R, K))."""
        if arms.ndim == 2:
            self._add_block(means, rewards, arms)
            return
        chosen_reward = rewards[self.rows, arms]
        if means.ndim == 1 and self.benchmark == "per_round":
            # Means shared by all replications (stochastic environments): no (R, K) work.
            best = int(np.argmax(means))
            self.pseudo += means[best] - means[arms]
            self.realised += rewards[:, best] - chosen_reward
            return
        means = np.broadcast_to(means, rewards.shape)
        chosen_mean = means[self.rows, arms]
        if self.benchmark == "per_round":
            best = np.argmax(means, axis=1)
            self.pseudo += means[self.rows, best] - chosen_mean
            self.realised += rewards[self.rows, best] - chosen_reward
        else:
            self.sum_means += means
            self.sum_rewards += rewards
            self.got_mean += chosen_mean
            self.got_reward += chosen_reward

    def _add_block(self, means: np.ndarray, rewards: np.ndarray, arms: np.ndarray) -> None:
        # sequential over rounds, same operations as ``add``: the sums agree to the last bit
        if self.benchmark == "per_round":
            kernels.regret_per_round(self.pseudo, self.realised, means, rewards, arms)
        else:
            kernels.regret_fixed_arm(self.sum_means, self.sum_rewards, self.got_mean, self.got_reward, means, rewards, arms)

    def values(self) -> tuple[np.ndarray, np.ndarray]:
        if self.benchmark == "per_round":
            return self.pseudo.copy(), self.realised.copy()
        return self.sum_means.max(axis=1) - self.got_mean, self.sum_rewards.max(axis=1) - self.got_reward


def bandit_process(
    engine: Engine,
    *,
    label: str,
    env: BanditEnvironment,
    policy: Policy,
    n_replications: int,
    horizon: int,
    checkpoints: np.ndarray,
    recorder: Recorder,
    env_rng: np.random.Generator,
    policy_rng: np.random.Generator,
    bar: Any = None,
) -> Generator[Any, Any, None]:
    """SimPy process: run ``policy`` for ``horizon`` rounds on ``env`` (all replications).

    Policies with kernels on the ``"numba"`` path (:mod:`mechsim.bandits.kernels`) run
    blocks of rounds in one call (:func:`_run_blocks`); the others one round at a time.
    Both give the same table.
    """
    info = env.reset(n_replications=n_replications, horizon=horizon, rng=env_rng)
    policy.reset(n_replications=n_replications, n_arms=info.n_arms, horizon=horizon, rng=policy_rng, dim=info.dim)
    acc = RegretAccumulator(n_replications, info.n_arms, env.benchmark)
    reps = np.arange(n_replications)
    marks = set(int(c) for c in checkpoints)
    tick = max(1, horizon // 200)
    if _blocks_apply(policy, env):
        yield from _run_blocks(engine, label, env, policy, acc, reps, horizon, marks, tick, recorder, bar, info.n_arms)
        return
    for t in range(horizon):
        x = env.contexts(t)
        arms = policy.select(t, x)
        rnd = env.step(t)
        policy.update(t, arms, rnd.rewards[reps, arms])
        acc.add(rnd.means, rnd.rewards, arms)
        if t + 1 in marks:
            pseudo, realised = acc.values()
            recorder.extend("rounds", variant=label, replication=reps, t=t + 1, pseudo_regret=pseudo, realised_regret=realised)
        if bar is not None and (t + 1) % tick == 0:
            bar.update(tick)
        yield engine.timeout(1)


def _blocks_apply(policy: Policy, env: BanditEnvironment) -> bool:
    """Whether the kernel path runs ``policy``: it has kernels, they are on, no contexts, and
    ``select``/``update`` are those of the class that defines ``run_block`` (a subclass that
    overrides them, a plugin's variant say, keeps the round-by-round path and its overrides)."""
    if not (policy.has_kernel and policy.kernel_ == "numba") or policy.needs_contexts or env.has_contexts:
        return False
    cls = type(policy)
    owner = next(c for c in cls.__mro__ if "run_block" in c.__dict__)
    return all(getattr(cls, m) is getattr(owner, m) for m in ("select", "update", "_start"))


def _run_blocks(
    engine: Engine,
    label: str,
    env: BanditEnvironment,
    policy: Policy,
    acc: RegretAccumulator,
    reps: np.ndarray,
    horizon: int,
    marks: set[int],
    tick: int,
    recorder: Recorder,
    bar: Any,
    n_arms: int,
) -> Generator[Any, Any, None]:
    """The kernel path: blocks of rounds that end at checkpoints and progress ticks.

    A block of ``n`` rounds starting at ``t0`` is computed at simulated time ``t0``; its
    checkpoint row is recorded at time ``t0 + n - 1``, the time the round-by-round path
    records it, so processes of several policies write their rows in the same order on
    both paths.
    """
    cap = kernels.block_length(reps.size, n_arms, tick)
    t = 0
    while t < horizon:
        end = min(horizon, (t // tick + 1) * tick, t + cap)
        nxt = [m for m in marks if t < m < end]
        n = (min(nxt) if nxt else end) - t
        blk = env.step_block(t, n)
        arms = policy.run_block(t, blk.rewards)
        acc.add(blk.means, blk.rewards, arms)
        if n > 1:
            yield engine.timeout(n - 1)
        t += n
        if t in marks:
            pseudo, realised = acc.values()
            recorder.extend("rounds", variant=label, replication=reps, t=t, pseudo_regret=pseudo, realised_regret=realised)
        if bar is not None and t % tick == 0:
            bar.update(tick)
        yield engine.timeout(1)
