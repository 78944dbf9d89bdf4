"""One run: nature draws (state, signals), senders report, the mechanism acts and learns.

The mechanism in force changes only at its solve rounds, so the protocol plays whole
blocks ``[t, mechanism.block_end(t))`` at once (draws, reports, actions and feedback as
arrays) and yields once per block to the SimPy engine. Per block it records one row of the
``epochs`` table:

``value``          the receiver's expected utility of the mechanism under truthful reports
                   (the paper's accounting);
``violation``      its largest IC violation, ex-ante scale (the LP's epsilon scale;
                   ``violation_interim`` divides by P(s_i = t));
``regret``         ``(OPT - value) * rounds`` of the block (OPT = the exact IC optimum of the
                   true game with the same payment setting);
``realised``       the receiver's realised utility summed over the block, under the senders'
                   actual reports (``u_R(a_t, θ_t) - Σ_i pay_i``), where misreports show.

Nature's draws come from the replication's streams, shared by every variant (common
random numbers): states and profiles are drawn once for the horizon, and one uniform per
(round, sender, action) for the Bernoulli utility samples.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechsim.core.strategy import Observation
from mechsim.infoacq.lp import coefficients, receiver_value, solve_cached, violation

__all__ = ["EPOCHS_SCHEMA", "Run", "optimum", "simulate", "run_process"]

EPOCHS_SCHEMA = dict(
    variant="str",
    replication="int",
    n_rounds="int",
    epoch="int",
    t_start="int",
    t_end="int",
    epsilon="float",
    value="float",
    violation="float",
    violation_interim="float",
    regret="float",
    realised="float",
    realised_regret="float",
    cum_regret="float",
    cum_violation="float",
    cum_realised_regret="float",
    strategic="bool",
)


def optimum(game: Any, payments: bool) -> float:
    """The exact IC optimum of ``game`` (with or without transfers)."""
    return solve_cached(coefficients(game), payments=payments).value


@dataclass
class Run:
    """Where a run stands (rounds done, cumulative sums) and its rows so far."""

    rows: list[dict[str, Any]]
    t: int = 0
    cum_regret: float = 0.0
    cum_violation: float = 0.0
    cum_realised_regret: float = 0.0


def simulate(
    game: Any,
    mechanism: Any,
    senders: Any,
    n_rounds: int,
    *,
    nature: np.random.Generator,
    mechanism_rng: np.random.Generator,
    senders_rng: np.random.Generator,
    opt: float | None = None,
    labels: dict[str, Any] | None = None,
) -> Generator[int, None, Run]:
    """Play ``n_rounds`` rounds; yields the length of every block, returns the :class:`Run`."""
    n = game.n_senders
    coef = coefficients(game)
    payments = bool(getattr(mechanism, "payments", False))
    opt = optimum(game, payments) if opt is None else opt
    mechanism.reset(n_agents=n, rng=mechanism_rng, game=game, n_rounds=n_rounds)
    senders.reset(n_agents=n, n_replications=1, types=game, rng=senders_rng)
    states, profiles = game.sample(n_rounds, nature)
    signals = game.profiles(profiles)
    run = Run(rows=[])
    strategic = bool(getattr(senders, "strategic", False))
    epoch = 0
    while run.t < n_rounds:
        t = run.t
        mechanism.prepare(t)
        end = max(t + 1, min(n_rounds, mechanism.block_end(t)))
        table = mechanism.table_
        sl = slice(t, end)
        reports = senders.act(Observation(t=t, truthful=signals[sl], info={"game": game, "table": table}))
        actions, pay, _ = mechanism.play_block(t, reports)
        u = nature.random((end - t, n, game.n_actions))
        means = np.moveaxis(game.u_senders[:, :, states[sl]], 2, 0)  # (B, n, A)
        samples = (u < means).astype(float)
        if mechanism.feedback == "bandit":
            samples = samples[np.arange(end - t), :, actions]
        mechanism.observe_block(t, states[sl], profiles[sl], actions, samples)
        B = end - t
        value = receiver_value(coef, table)
        viol = violation(coef, table)
        realised = float(game.u_receiver[actions, states[sl]].sum() - pay.sum())
        run.cum_regret += (opt - value) * B
        run.cum_violation += viol * B
        run.cum_realised_regret += opt * B - realised
        run.rows.append(
            dict(
                **(labels or {}),
                n_rounds=n_rounds,
                epoch=epoch,
                t_start=t,
                t_end=end,
                epsilon=float(mechanism.epsilon_),
                value=value,
                violation=viol,
                violation_interim=violation(coef, table, scale="interim"),
                regret=(opt - value) * B,
                realised=realised,
                realised_regret=opt * B - realised,
                cum_regret=run.cum_regret,
                cum_violation=run.cum_violation,
                cum_realised_regret=run.cum_realised_regret,
                strategic=strategic,
            )
        )
        run.t = end
        epoch += 1
        yield B
    return run


def run_process(engine: Any, recorder: Any, bar: Any, sim: Generator[int, None, Run]) -> Generator:
    """Drive :func:`simulate` on the SimPy engine (one timeout per block) and record its rows."""
    try:
        while True:
            B = next(sim)
            if bar is not None:
                bar.update(B)
            yield engine.timeout(B)
    except StopIteration as stop:
        run: Run = stop.value
        cols = {k: [r[k] for r in run.rows] for k in run.rows[0]}
        recorder.extend("epochs", **cols)
