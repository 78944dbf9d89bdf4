"""Parties joining in simulated time, one episode per join profile, and the rewards at its end.

Per job (variant x replication) and per episode (one value of the swept party's join
time): one SimPy process per party waits until its join time (its behaviour's
``late:d`` delays it) and joins; the mediator runs the intervals ``tau = 0 .. H-1``
and, at the middle of each, trains the shared model on the data of the parties
present — so a party that joins late also trains late (an SGD regressor fed one
pass per interval over the present data) — and records the interval's coalition
value ``v(J_tau)``. At the end the mechanism turns the *observed* join times into
reward values, each party's reward model is realised and scored, and the F1-F8
report is recorded.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import Any

import numpy as np

from mechsim.core.strategy import Behaviour
from mechsim.timeaware.agents import apply_join_behaviours
from mechsim.timeaware.conditions import check_conditions
from mechsim.timeaware.rewards import subset_reward, target_fraction, tempered_blr_reward
from mechsim.timeaware.world import World

__all__ = ["REWARDS_SCHEMA", "FCHECKS_SCHEMA", "INTERVALS_SCHEMA", "episode_process", "job_process"]

REWARDS_SCHEMA = {
    "variant": "str", "replication": "int", "episode": "int", "sweep_join": "int", "agent": "int", "join_time": "float",
    "standalone": "float", "shapley": "float", "reward": "float", "ir_margin": "float", "fraction": "float",
    "dose": "float", "quality": "float", "quality_metric": "str", "clipped": "bool",
}
FCHECKS_SCHEMA = {
    "variant": "str", "replication": "int", "episode": "int", "sweep_join": "int", "condition": "str", "n_cases": "int",
    "holds": "str", "margin": "float",
}
INTERVALS_SCHEMA = {
    "variant": "str", "replication": "int", "episode": "int", "t": "int", "n_present": "int", "coalition_value": "float",
    "model_r2": "float",
}


def _realise(world: World, how: str, r: np.ndarray, rng: np.random.Generator) -> list[tuple[float, float, float, str, bool]]:
    """Per party: (fraction, dose, quality, metric, clipped)."""
    n = world.n
    if how == "auto":
        how = "tempering" if world.valuation in ("dual_ig", "ig") else "subset"
    out = []
    vn, vi = float(world.values[-1]), world.standalone
    m_others = [sum(len(world.data.parts[j][1]) for j in range(n) if j != i) for i in range(n)]
    for i in range(n):
        f, clipped = target_fraction(float(r[i]), float(vi[i]), vn)
        if how == "none":
            out.append((f, np.nan, np.nan, "none", clipped))
        elif how == "tempering":
            kappa, _, _, mnlp = tempered_blr_reward(world.blr, world.data.parts, i, f, world.data.x_test, world.data.y_test)
            out.append((f, kappa, mnlp, "mnlp", clipped))
        else:
            order = rng.permutation(m_others[i])
            share, _, _, score = subset_reward(world.util, i, f, order)
            out.append((f, share, score, "r2", clipped))
    return out


def episode_process(
    env: Any, *, world: World, planned: np.ndarray, n_intervals: int, train: bool, rng: np.random.Generator,
    record_interval: Any,
) -> Generator:
    """Parties join at ``planned`` times; the mediator runs ``n_intervals`` intervals. Returns observed join times."""
    start = env.now
    n = world.n
    joined = np.full(n, np.nan)

    def party(i: int) -> Generator:
        yield env.timeout(float(planned[i]))
        joined[i] = env.now - start

    for i in range(n):
        env.process(party(i))
    sgd = None
    if train:
        from sklearn.linear_model import SGDRegressor

        sgd = SGDRegressor(learning_rate="constant", eta0=0.01, random_state=int(rng.integers(2**31 - 1)))
    for tau in range(n_intervals):
        yield env.timeout(start + tau + 0.5 - env.now)
        present = ~np.isnan(joined)
        mask = int(sum(1 << int(i) for i in np.flatnonzero(present)))
        r2 = np.nan
        if sgd is not None and mask:
            x, y = world.util.pooled(np.flatnonzero(present).tolist())
            sgd.partial_fit(x, y)
            r2 = world.util.score_model(sgd)
        record_interval(t=tau, n_present=int(present.sum()), coalition_value=float(world.values[mask]), model_r2=float(r2))
    yield env.timeout(start + n_intervals - env.now)
    return joined


def job_process(
    env: Any, job: Any, *, world: World, settings: Mapping[str, Any], base_join: np.ndarray, behaviours: Sequence[Behaviour],
    recorder: Any, payout: Any = None,
) -> Generator:
    """Every episode of one (variant, replication); records rewards, F-checks, intervals (and payouts)."""
    s = settings
    n, h = world.n, s["n_rounds"]
    mech = job.build()
    mech.reset(n_agents=n, rng=job.own.generator("mechanism"), values=world.values, n_intervals=h)
    agent = s["sweep_agent"]
    sweep = list(s["sweep_join_times"]) if agent is not None else [int(base_join[0])]
    train = s["train_intervals"] if s["train_intervals"] is not None else world.valuation.startswith("learner")
    key = {"variant": job.variant, "replication": job.replication}
    for k, sj in enumerate(sweep):
        join = base_join.copy()
        if agent is not None:
            join[agent] = sj
        planned = apply_join_behaviours(behaviours, np.minimum(join, h - 1), h)
        ep_rng = job.seeds.generator("episode", k)

        def record_interval(**row: Any) -> None:
            recorder.append("intervals", **key, episode=k, **row)

        proc = env.process(episode_process(env, world=world, planned=planned, n_intervals=h, train=train, rng=ep_rng, record_interval=record_interval))
        observed = yield proc
        outcome = mech.step(k, observed)
        r = outcome.allocation
        real = _realise(world, s["model_rewards"], r, job.seeds.generator("realise", k))
        recorder.extend(
            "rewards", **key, episode=k, sweep_join=int(sj), agent=np.arange(n), join_time=observed, standalone=world.standalone,
            shapley=outcome.scores, reward=r, ir_margin=r - world.standalone, fraction=[x[0] for x in real],
            dose=[x[1] for x in real], quality=[x[2] for x in real], quality_metric=np.array([x[3] for x in real], dtype=object),
            clipped=[x[4] for x in real],
        )
        report = check_conditions(world.values, observed, r, recompute=mech.rewards, tol=1e-9, premise=s["f8_premise"])
        rows = report.rows()
        recorder.extend(
            "fchecks", **key, episode=k, sweep_join=int(sj), condition=np.array([x["condition"] for x in rows], dtype=object),
            n_cases=[x["n_cases"] for x in rows], holds=np.array(["n/a" if x["holds"] is None else ("yes" if x["holds"] else "no") for x in rows], dtype=object),
            margin=[x["margin"] for x in rows],
        )
        if payout is not None:
            settlement = payout.observe_outcome(k, outcome)
            if settlement is not None:
                recorder.extend("payouts", **key, round=k, time=float(env.now), **payout.node_rows(settlement))
                recorder.append("ledger_gas", **key, **payout.gas_row(settlement))
        if job.bar is not None:
            job.bar.update(1)
