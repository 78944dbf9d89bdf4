"""The ``infoacq`` scenario family: a receiver, informed senders, IC mechanisms offline and online.

A scenario names an ``[instance]`` (a game, drawn per replication), labelled
``[mechanisms.<label>]`` and optionally ``[senders]`` (default: truthful). Every mechanism
plays ``n_rounds`` rounds (and each of ``horizons``, when given, for regret-vs-T curves)
against the same nature draws; the ``epochs`` table has one row per block on which the
mechanism is fixed, the ``games`` table one row per replication with the instance's IC
optimum (with and without payments), first best and no-information value.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mechsim.core.family import FamilySpec, Section, Setting, register_family
from mechsim.core.params import IntArray, Integer, Nullable
from mechsim.core.results import Results
from mechsim.core.scenario import Scenario
from mechsim.core.skeleton import finish, run_jobs, variant_jobs, variant_sweep_metrics
from mechsim.infoacq.agents import Senders
from mechsim.infoacq.protocol import EPOCHS_SCHEMA, optimum, run_process, simulate
from mechsim.metrics.summary import ci_dict

__all__ = ["run", "summarize", "plot", "SPEC", "horizons_of", "slope"]

GAMES_SCHEMA = dict(replication="int", opt_payments="float", opt_no_payments="float", first_best="float", no_information="float", n_profiles="int")


def horizons_of(scenario: Scenario) -> list[int]:
    """The horizons every variant plays: ``horizons`` (sorted) or ``[n_rounds]``."""
    hs = scenario.settings.get("horizons")
    return sorted(set(int(h) for h in hs)) if hs else [int(scenario.settings["n_rounds"])]


def run(scenario: Scenario, ctx: Any) -> Results:
    horizons = horizons_of(scenario)
    ctx.recorder.declare("epochs", **EPOCHS_SCHEMA)
    ctx.recorder.declare("games", **GAMES_SCHEMA)
    jobs = variant_jobs(scenario, ctx, section="mechanisms")
    sender_cfg = scenario.sections.get("senders")
    games: dict[int, Any] = {}

    def game_of(job: Any) -> Any:
        if job.replication not in games:
            g = scenario["instance"].build().build(job.seeds.generator("instance"))
            games[job.replication] = g
            ctx.recorder.append(
                "games",
                replication=job.replication,
                opt_payments=optimum(g, True),
                opt_no_payments=optimum(g, False),
                first_best=g.first_best(),
                no_information=g.no_information(),
                n_profiles=g.n_profiles,
            )
        return games[job.replication]

    def process(job: Any):
        game = game_of(job)
        for T in horizons:
            senders = sender_cfg.build() if sender_cfg is not None else Senders()
            sim = simulate(
                game,
                job.build(),
                senders,
                T,
                nature=job.seeds.generator("nature", T),
                mechanism_rng=job.own.generator("mechanism", T),
                senders_rng=job.own.generator("senders", T),
                labels={"variant": job.variant, "replication": job.replication},
            )
            yield from run_process(ctx.engine, ctx.recorder, job.bar, sim)

    run_jobs(ctx, jobs, process, units=sum(horizons), desc=scenario.name)
    return finish(scenario, ctx, summarize)


def slope(T: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of log|y| on log T (nan with fewer than two positive points)."""
    T, y = np.asarray(T, dtype=float), np.abs(np.asarray(y, dtype=float))
    ok = (T > 0) & (y > 0)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(T[ok]), np.log(y[ok]), 1)[0])


def final_rows(epochs: Any) -> Any:
    """The last block of every (variant, replication, n_rounds) run: cumulative totals."""
    from mechsim.core.table import Table

    last = epochs["t_end"] == epochs["n_rounds"]
    return Table(epochs.schema, {c: a[last] for c, a in epochs.columns.items()})


def summarize(scenario: Scenario, tables: Mapping[str, Any]) -> dict[str, Any]:
    """Per variant at the largest horizon: cumulative regret, violation, realised regret,
    average value (truthful accounting) and realised value per round (CIs over
    replications); across horizons the log-log slopes of |regret| and violation."""
    epochs, games = tables["epochs"], tables["games"]
    fin = final_rows(epochs)
    T = max(horizons_of(scenario))
    out: dict[str, Any] = {"n_rounds": T, "horizons": horizons_of(scenario), "variants": {}}
    out["game"] = {k: ci_dict(np.asarray(games[k], dtype=float)) for k in ("opt_payments", "opt_no_payments", "first_best", "no_information")}
    for label in fin.unique("variant"):
        sub = fin.where(variant=label)
        atT = sub.where(n_rounds=T)
        ep = epochs.where(variant=label, n_rounds=T)
        reps = sorted(set(ep["replication"].tolist()))
        w = ep["t_end"] - ep["t_start"]
        value = [float(np.sum((ep["value"] * w)[ep["replication"] == r]) / T) for r in reps]
        realised = [float(np.sum(ep["realised"][ep["replication"] == r]) / T) for r in reps]
        block: dict[str, Any] = {
            "regret": ci_dict(atT["cum_regret"]),
            "violation": ci_dict(atT["cum_violation"]),
            "realised_regret": ci_dict(atT["cum_realised_regret"]),
            "value": ci_dict(np.array(value)),
            "realised_value": ci_dict(np.array(realised)),
        }
        hs = sorted(set(sub["n_rounds"].tolist()))
        if len(hs) >= 2:
            mr = [float(np.mean(sub.where(n_rounds=h)["cum_regret"])) for h in hs]
            mv = [float(np.mean(sub.where(n_rounds=h)["cum_violation"])) for h in hs]
            block["regret_slope"] = slope(np.array(hs), np.array(mr))
            block["regret_sign"] = float(np.sign(mr[-1]))
            block["violation_slope"] = slope(np.array(hs), np.array(mv))
        out["variants"][str(label)] = block
    return out


def plot(results: Results, figdir: Path) -> list[Path]:
    from mechsim.infoacq.plots import plot_loglog, plot_values

    name = results.scenario.name
    paths = [plot_values(results, figdir / "value.png", title=f"{name}: receiver value")]
    if len(horizons_of(results.scenario)) >= 2 or int(results.scenario.settings["n_rounds"]) >= 100:
        paths.append(plot_loglog(results, figdir / "regret_loglog.png", metric="cum_regret", title=f"{name}: |cumulative regret|"))
        paths.append(plot_loglog(results, figdir / "violation_loglog.png", metric="cum_violation", title=f"{name}: cumulative violation"))
    return paths


SPEC = register_family(
    FamilySpec(
        name="infoacq",
        doc="Information acquisition: a receiver buys truthful reports from informed senders; optimal IC mechanism (LP) and its online learning.",
        settings={
            "n_rounds": Setting(Integer(1, None), 1000, "rounds T of every run (the largest horizon when horizons are given)"),
            "n_replications": Setting(Integer(1, None), 4, "independent replications (a new random instance each, for random instances)"),
            "horizons": Setting(Nullable(IntArray(1, None)), None, "several horizons T for regret and violation against T (None: n_rounds only)"),
        },
        sections={
            "instance": Section(kind="infoacq.instance", doc="the game: states, signals, actions, utilities"),
            "mechanisms": Section(kind="infoacq.mechanism", many=True, doc="labelled mechanisms to compare"),
            "senders": Section(kind="infoacq.senders", required=False, doc="the senders' behaviours (default truthful)"),
        },
        run=run,
        plot=plot,
        sweep_metrics=variant_sweep_metrics,
    )
)
