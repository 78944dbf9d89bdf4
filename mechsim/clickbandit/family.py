"""The ``clickbandit`` scenario family: settings, sections, run, summary and plots.

A scenario names the post-click reward environment, the learner's utility, the arms'
strategy and the learners to compare; for every (learner, horizon) the arms' dynamics
run for ``epochs`` epochs in ``replications`` independent replications. Tables:

``rounds``       per (learner, horizon, replication, epoch, arm): the click-rate played,
                 ``s*``, mean pulls, expected clicks and screened fraction over seeds;
``learner``      per (learner, horizon, replication, epoch): the learner's regret;
``equilibrium``  with ``equilibrium = true``: every arm's gain from each grid
                 deviation at the settled profile (the epsilon-NE report; the
                 :mod:`mechsim.audit` table).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mechsim.audit import audit_game, gains_table, game_summary
from mechsim.clickbandit.audit import ClickAuditGame
from mechsim.clickbandit.game import ClickGame
from mechsim.clickbandit.metrics import regret_slope, tail_means
from mechsim.clickbandit.protocol import LEARNER_SCHEMA, ROUNDS_SCHEMA, Trajectory
from mechsim.clickbandit.utility import u_star
from mechsim.clickbandit.world import World, game_name, horizons, simulate
from mechsim.core.engine import Engine
from mechsim.core.family import FamilySpec, Section, Setting, register_family
from mechsim.core.params import AnyOf, Boolean, Integer, IntArray
from mechsim.core.results import Results
from mechsim.core.runner import RunContext
from mechsim.core.scenario import Scenario
from mechsim.core.table import Table
from mechsim.metrics.summary import ci_dict

__all__ = ["run", "summarize", "plot", "sweep_metrics", "SPEC"]


def _epochs_process(engine: Engine, epochs: Any, bar: Any):
    for _ in epochs:
        bar.update(1)
        yield engine.timeout(1)


def run(scenario: Scenario, ctx: RunContext) -> Results:
    s = scenario.settings
    hs = horizons(scenario)
    world = World.from_scenario(scenario, ctx.seeds)
    ctx.recorder.declare("rounds", **ROUNDS_SCHEMA)
    ctx.recorder.declare("learner", **LEARNER_SCHEMA)
    learners = scenario["learners"]
    bar = ctx.progress.bar(total=s["epochs"] * len(learners) * len(hs), desc=scenario.name)
    runs: list[tuple[str, ClickGame, Trajectory]] = []
    for label, cfg in learners.items():
        for horizon in hs:
            game = world.game(cfg, horizon)
            traj, epochs = simulate(scenario, game, label, ctx.seeds, recorder=ctx.recorder)
            runs.append((label, game, traj))
            ctx.engine.process(_epochs_process(ctx.engine, epochs, bar))
    try:
        ctx.engine.run()
    finally:
        bar.close()
    tables = ctx.recorder.tables()
    audits = []
    if s["equilibrium"]:
        for label, game, traj in runs:
            name = game_name(label, game.horizon, hs)
            audits.append(audit_game(ClickAuditGame.from_scenario(scenario, game, traj.tail_profile(s["tail"]), ctx.seeds, name)))
        tables["equilibrium"] = gains_table(audits)
    summary = summarize(scenario, tables, world=world)
    for a in audits:
        summary["equilibrium"][a.name] = game_summary(a)
    return Results(scenario=scenario, tables=tables, summary=summary)


def summarize(scenario: Scenario, tables: Mapping[str, Table], *, world: World) -> dict[str, Any]:
    """Per learner and horizon: tail-mean regret and click-rate gaps (CIs over replications); regret slopes.

    ``best_arm`` is the learner's best arm under truthful play, ``argmax_i u*(mu_i)``.
    """
    s = scenario.settings
    hs = horizons(scenario)
    rounds, learner = tables["rounds"], tables["learner"]
    mu = world.mu
    s_star = np.asarray(world.utility.s_star(mu), dtype=float)
    k = mu.size
    ustar = u_star(world.utility, mu)
    best_arm = int(np.argmax(ustar))
    out: dict[str, Any] = {
        "mu": mu,
        "s_star": s_star,
        "u_star": ustar,
        "best_arm": best_arm,
        "horizons": list(hs),
        "epochs": s["epochs"],
        "variants": {},
        "equilibrium": {},
    }
    tail = s["tail"]
    for label in scenario["learners"]:
        per_h: dict[str, Any] = {}
        finals = []
        for h in hs:
            regret = tail_means(learner, "regret", tail, variant=label, horizon=h)
            gaps = np.stack([tail_means(rounds, "s", tail, variant=label, horizon=h, arm=i) - s_star[i] for i in range(k)])
            first_epoch = learner.where(variant=label, horizon=h, epoch=0)["regret"]
            finals.append(regret.mean())
            per_h[str(h)] = {
                "regret": ci_dict(regret),
                "regret_per_round": float(regret.mean() / h),
                "regret_first_epoch": ci_dict(first_epoch),
                "click_gap": gaps.mean(axis=1),
                "best_arm_gap": ci_dict(gaps[best_arm]),
                "profile": s_star + gaps.mean(axis=1),
                "profile_spread": gaps.std(axis=1, ddof=1) if gaps.shape[1] > 1 else np.zeros(k),
                "screened": np.array([tail_means(rounds, "screened", tail, variant=label, horizon=h, arm=i).mean() for i in range(k)]),
            }
        out["variants"][label] = {
            "id": scenario["learners"][label].id,
            "horizons": per_h,
            "regret_slope": regret_slope(np.array(hs), np.array(finals)) if len(hs) > 1 else None,
        }
    return out


def sweep_metrics(summary: Mapping[str, Any]) -> dict[str, float]:
    """The largest horizon's tail regret, best-arm gap and epsilon per learner."""
    out = {}
    h = str(summary["horizons"][-1])
    for label, d in summary["variants"].items():
        v = d["horizons"][h]
        out[f"{label}.regret_per_round"] = v["regret_per_round"]
        out[f"{label}.best_arm_gap"] = v["best_arm_gap"]["mean"]
        if d.get("regret_slope") is not None:
            out[f"{label}.regret_slope"] = d["regret_slope"]
    for name, e in summary.get("equilibrium", {}).items():
        out[f"{name}.epsilon"] = e["epsilon"]
    return out


def plot(results: Results, figdir: Path) -> list[Path]:
    from mechsim.clickbandit.plots import plot_click_rates, plot_epoch_regret, plot_regret_vs_horizon

    t = results.tables
    name = results.scenario.name
    paths = [
        plot_click_rates(t["rounds"], figdir / "click_rates.png", title=f"{name}: click-rates against s*"),
        plot_epoch_regret(t["learner"], figdir / "regret_per_epoch.png", title=f"{name}: learner regret per epoch"),
    ]
    if len(results.summary.get("horizons", [])) > 1:
        paths.append(plot_regret_vs_horizon(t["learner"], figdir / "regret_vs_horizon.png", tail=results.scenario.settings["tail"], title=f"{name}: final regret vs T"))
    return paths


SPEC = register_family(
    FamilySpec(
        name="clickbandit",
        doc="Strategic arms choose click-rates against UCB-S, incentive-unaware UCB or the (s, mu)-oracle.",
        settings={
            "n_rounds": Setting(AnyOf((Integer(1, None), IntArray(1, None))), doc="rounds T per epoch (one int, or a list for regret vs T)"),
            "epochs": Setting(Integer(1, None), 1, "epochs of the arms' dynamics (a fresh learner each epoch)"),
            "n_replications": Setting(Integer(1, None), 4, "independent replications of the dynamics R"),
            "tail": Setting(Integer(1, None), 10, "final epochs averaged for the settled profile and final regret"),
            "equilibrium": Setting(Boolean(), False, "measure every arm's best unilateral gain at the settled profile"),
            "audit_seeds": Setting(Integer(2, None), 64, "CRN seeds per deviation (equilibrium report and mechsim audit)"),
            "deviation_grid": Setting(Integer(2, None), 21, "deviation click-rates 0, 1/(G-1), ..., 1"),
        },
        sections={
            "environment": Section(kind="clickbandit.environment", doc="post-click reward distributions"),
            "utility": Section(kind="clickbandit.utility", doc="the learner's utility u(s, mu) and s*(mu)"),
            "strategy": Section(kind="clickbandit.strategy", doc="how the arms choose click-rates"),
            "learners": Section(kind="clickbandit.learner", many=True, doc="labelled learners to compare"),
        },
        run=run,
        plot=plot,
        sweep_metrics=sweep_metrics,
    )
)
