"""Collaborative learning rounds in simulated time: one SimPy process per (mechanism, replication).

Round ``t`` starting at simulated time ``s``::

    available = nodes online at s (late joiners, dropouts)
    plan      = mechanism.select(t, available)
    nodes in plan.sync receive θ_t; nodes in plan.train train on their chunk of round t
    latencies = every node's round trip, drawn from its resources
    yield timeout(round duration)          # the deadline, or the last reply
    outcome   = mechanism.step(t, Submission(updates of the on-time nodes, ...))
    θ_{t+1}   = θ_t + outcome.aggregate; per-node reward deltas delivered (CGSV)
    every node holding a model evaluates it on the validation set; rows recorded
    at the end of a payout epoch: the epoch's contributions settle through the ledger

Messages go through a :class:`~mechsim.collab.transport.Transport` (in-process or
Flower's grid); wall time spent in training never advances the simulated clock.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np

from mechsim.collab.base import Mechanism, Outcome, Plan, Submission
from mechsim.collab.learner import flatten, unflatten
from mechsim.collab.resources import NodeResources
from mechsim.collab.transport import Transport
from mechsim.collab.world import World
from mechsim.core.engine import Engine
from mechsim.core.recorder import Recorder
from mechsim.core.seeding import SeedTree
from mechsim.errors import MechsimError

__all__ = ["ROUNDS_SCHEMA", "SERVER_SCHEMA", "NODES_SCHEMA", "collab_process", "declare_tables"]

ROUNDS_SCHEMA = {
    "variant": "str",
    "replication": "int",
    "round": "int",
    "time": "float",
    "node": "int",
    "available": "bool",
    "trained": "bool",
    "reported": "bool",
    "synced": "bool",
    "rewarded": "bool",
    "reward": "float",
    "perf": "float",
    "loss": "float",
    "contribution": "float",
    "score": "float",
    "staleness": "int",
}
SERVER_SCHEMA = {
    "variant": "str",
    "replication": "int",
    "round": "int",
    "time": "float",
    "stage": "int",
    "n_available": "int",
    "n_trained": "int",
    "n_reported": "int",
    "server_perf": "float",
    "server_loss": "float",
    "p_value": "float",
}
NODES_SCHEMA = {
    "variant": "str",
    "replication": "int",
    "node": "int",
    "noise": "float",
    "size": "int",
    "slowness": "float",
    "join_time": "float",
    "drop_time": "float",
    "score": "float",
    "n_trained": "int",
    "n_reported": "int",
    "n_synced": "int",
}


def declare_tables(recorder: Recorder, *, payouts: bool = False) -> None:
    recorder.declare("rounds", **ROUNDS_SCHEMA)
    recorder.declare("server", **SERVER_SCHEMA)
    recorder.declare("nodes", **NODES_SCHEMA)
    if payouts:
        from mechsim.ledger.payout import LEDGER_GAS_SCHEMA, PAYOUTS_SCHEMA

        recorder.declare("payouts", **PAYOUTS_SCHEMA)
        recorder.declare("ledger_gas", **LEDGER_GAS_SCHEMA)


def _mask(x: Any, n: int, what: str, label: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.shape != (n,) or arr.dtype != bool:
        raise MechsimError(f"mechanism {label!r}: {what} must be a bool array of shape ({n},); got {arr.dtype} {arr.shape}")
    return arr


def _check_outcome(out: Outcome, n: int, p: int, label: str) -> None:
    if not isinstance(out, Outcome):
        raise MechsimError(f"mechanism {label!r}: step must return an Outcome; got {type(out).__name__}")
    agg = np.asarray(out.aggregate)
    if agg.shape != (p,) or not np.all(np.isfinite(agg)):
        raise MechsimError(f"mechanism {label!r}: the aggregate must be {p} finite floats; got shape {agg.shape}")
    _mask(out.allocation, n, "Outcome.allocation", label)
    if out.reward_updates is not None and np.shape(out.reward_updates) != (n, p):
        raise MechsimError(f"mechanism {label!r}: reward_updates must have shape ({n}, {p})")


def train_seeds(seeds: SeedTree, nodes: np.ndarray, t: int) -> np.ndarray:
    """Minibatch seeds of the nodes' local training at round ``t`` (common to all mechanisms)."""
    return np.array(
        [int(seeds.sequence("train", int(i), int(t)).generate_state(1, np.uint64)[0] >> np.uint64(1)) for i in nodes],
        dtype=np.int64,
    )


def collab_process(
    engine: Engine,
    *,
    label: str,
    replication: int,
    task_key: str,
    world: World,
    mechanism: Mechanism,
    resources: NodeResources,
    transport: Transport,
    recorder: Recorder,
    seeds: SeedTree,
    payout: Any = None,
    bar: Any = None,
) -> Generator[Any, Any, None]:
    """SimPy process: ``n_rounds`` rounds of ``mechanism`` on ``world`` (see the module docstring).

    ``seeds`` is the replication's node of the seed tree: data, resources and local
    training draw from streams common to every mechanism; the mechanism gets its own.
    """
    task = world.task
    n, n_rounds = task.n_nodes, task.n_rounds
    shapes = world.learner.shapes
    theta = flatten(world.init_params())
    p = theta.size
    mechanism.reset(
        n_agents=n,
        n_params=p,
        weights=world.weights.copy(),
        rng=seeds.generator("mechanism", label),
        layer_sizes=tuple(int(np.prod(s)) for s in shapes),
    )
    resources.reset(n_nodes=n, rng=seeds.generator("resources"))
    if payout is not None:
        payout.reset(n_agents=n, n_rounds=n_rounds)
    state = f"{label}/{replication}"
    has_model = np.zeros(n, dtype=bool)
    last_sync = np.full(n, -1, dtype=np.int64)
    n_trained = np.zeros(n, dtype=np.int64)
    n_reported = np.zeros(n, dtype=np.int64)
    n_synced = np.zeros(n, dtype=np.int64)
    scores = np.full(n, np.nan)
    nodes = np.arange(n)

    def utility(flat: np.ndarray) -> float:
        return -world.learner.evaluate(unflatten(flat, shapes))[1]

    for t in range(n_rounds):
        start = engine.now
        available = resources.available(start)
        plan = mechanism.select(t, available.copy())
        if not isinstance(plan, Plan):
            raise MechsimError(f"mechanism {label!r}: select must return a Plan; got {type(plan).__name__}")
        train = _mask(plan.train, n, "Plan.train", label) & available
        sync = (_mask(plan.sync, n, "Plan.sync", label) | (train & ~has_model)) & available
        latencies = resources.latencies(task.local_steps)
        layers = unflatten(theta, shapes)
        sync_only = np.flatnonzero(sync & ~train)
        if sync_only.size:
            transport.reward(task=task_key, state=state, nodes=sync_only, arrays=[layers] * sync_only.size, replace=True)
        trainers = np.flatnonzero(train)
        replies = None
        if trainers.size:
            replies = transport.train(
                task=task_key,
                state=state,
                round=t,
                nodes=trainers,
                sync=sync[trainers],
                params=layers,
                seeds=train_seeds(seeds, trainers, t),
            )
        has_model |= sync
        last_sync[sync] = t
        on_time, duration = resources.round_outcome(start, latencies, train)
        yield engine.timeout(duration)

        updates = np.zeros((n, p))
        if replies is not None:
            updates[trainers] = replies.updates
        updates[~on_time] = 0.0
        submission = Submission(
            round=t,
            updates=updates,
            reported=on_time.copy(),
            trained=train.copy(),
            available=available.copy(),
            weights=world.weights.copy(),
            params=theta.copy(),
            evaluate=utility,
        )
        out = mechanism.step(t, submission)
        _check_outcome(out, n, p, label)
        theta = theta + np.asarray(out.aggregate, dtype=float)
        allocation = np.asarray(out.allocation, dtype=bool)
        if out.reward_updates is not None:
            receive = np.flatnonzero(allocation & has_model & resources.available(engine.now))
            if receive.size:
                deltas = [unflatten(out.reward_updates[i], shapes) for i in receive]
                transport.reward(task=task_key, state=state, nodes=receive, arrays=deltas)

        holders = np.flatnonzero(has_model)
        perf, loss = np.full(n, np.nan), np.full(n, np.nan)
        if holders.size:
            ev = transport.evaluate(task=task_key, state=state, round=t, nodes=holders)
            perf[holders], loss[holders] = ev.perf, ev.loss
        server_perf, server_loss = world.learner.evaluate(unflatten(theta, shapes))

        n_trained += train
        n_reported += on_time
        n_synced += sync
        scores = np.asarray(out.scores, dtype=float)
        info = out.info or {}
        contributions = np.asarray(info.get("contributions", np.full(n, np.nan)), dtype=float)
        recorder.extend(
            "rounds",
            variant=label,
            replication=replication,
            round=t,
            time=engine.now,
            node=nodes,
            available=available,
            trained=train,
            reported=on_time,
            synced=sync,
            rewarded=allocation,
            reward=np.asarray(out.rewards, dtype=float),
            perf=perf,
            loss=loss,
            contribution=contributions,
            score=scores,
            staleness=np.where(last_sync >= 0, t - last_sync, -1),
        )
        recorder.append(
            "server",
            variant=label,
            replication=replication,
            round=t,
            time=engine.now,
            stage=int(info.get("stage", 0)),
            n_available=int(available.sum()),
            n_trained=int(train.sum()),
            n_reported=int(on_time.sum()),
            server_perf=server_perf,
            server_loss=server_loss,
            p_value=float(info.get("p_value", math.nan)),
        )
        if payout is not None:
            settlement = payout.observe_outcome(t, out)
            if settlement is not None:
                tag = {"variant": label, "replication": replication}
                recorder.extend("payouts", **tag, round=t, time=engine.now, **payout.node_rows(settlement))
                recorder.append("ledger_gas", **tag, **payout.gas_row(settlement))
        if bar is not None:
            bar.update(1)

    recorder.extend(
        "nodes",
        variant=label,
        replication=replication,
        node=nodes,
        noise=world.quality,
        size=world.sizes,
        slowness=resources.slowness_,
        join_time=resources.join_time_,
        drop_time=resources.drop_time_,
        score=scores,
        n_trained=n_trained,
        n_reported=n_reported,
        n_synced=n_synced,
    )
