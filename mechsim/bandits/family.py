"""The ``bandits`` scenario family: settings, sections, run, summary and plots."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mechsim.bandits.protocol import ROUNDS_SCHEMA, bandit_process, checkpoint_rounds
from mechsim.core.family import FamilySpec, Section, Setting, register_family
from mechsim.core.params import Integer, Options
from mechsim.core.results import Results
from mechsim.core.runner import RunContext
from mechsim.core.scenario import Scenario
from mechsim.core.skeleton import Job, finish, run_jobs, variant_jobs
from mechsim.errors import ScenarioError
from mechsim.metrics.summary import ci_dict

__all__ = ["run", "summarize", "plot", "SPEC"]


def run(scenario: Scenario, ctx: RunContext) -> Results:
    s = scenario.settings
    horizon, reps = s["n_rounds"], s["n_replications"]
    checkpoints = checkpoint_rounds(horizon, s["checkpoints"], s["checkpoint_spacing"])
    ctx.recorder.declare("rounds", **ROUNDS_SCHEMA)
    env_cfg = scenario["environment"]

    def process(job: Job) -> Any:
        policy, env = job.build(), env_cfg.build()
        if policy.needs_contexts and not env.has_contexts:
            raise ScenarioError(
                f"policy {job.config.id!r} needs contexts, but environment {env_cfg.id!r} gives none "
                "(use a linear environment such as 'bandits/linear-v1')",
                file=scenario.source,
                key=f"policies.{job.variant}.id",
            )
        # every policy meets its own copy of the environment on the same stream: common random numbers
        return bandit_process(
            ctx.engine,
            label=job.variant,
            env=env,
            policy=policy,
            n_replications=reps,
            horizon=horizon,
            checkpoints=checkpoints,
            recorder=ctx.recorder,
            env_rng=ctx.seeds.generator("environment"),
            policy_rng=ctx.seeds.generator("policy", job.variant),
            bar=job.bar,
        )

    # replications are vectorised inside each policy's process: one job per policy
    run_jobs(ctx, variant_jobs(scenario, ctx, section="policies", n_replications=1), process, units=horizon, desc=scenario.name)
    return finish(scenario, ctx, summarize)


def summarize(scenario: Scenario, tables: Mapping[str, Any]) -> dict[str, Any]:
    """Final cumulative regret per policy (mean and 95% CI over replications), and regret/T."""
    rounds = tables["rounds"]
    horizon = scenario.settings["n_rounds"]
    out: dict[str, Any] = {"n_rounds": horizon, "n_replications": scenario.settings["n_replications"], "variants": {}}
    for label in rounds.unique("variant"):
        final = rounds.where(variant=label, t=horizon)
        out["variants"][label] = {
            "id": scenario["policies"][label].id,
            "pseudo_regret": ci_dict(final["pseudo_regret"]),
            "realised_regret": ci_dict(final["realised_regret"]),
            "regret_per_round": float(np.mean(final["pseudo_regret"]) / horizon),
        }
    return out


def sweep_metrics(summary: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for label, p in summary["variants"].items():
        out[f"{label}.pseudo_regret"] = p["pseudo_regret"]["mean"]
        out[f"{label}.realised_regret"] = p["realised_regret"]["mean"]
    return out


def plot(results: Results, figdir: Path) -> list[Path]:
    from mechsim.plots.regret import plot_regret

    rounds = results.tables["rounds"]
    name = results.scenario.name
    return [
        plot_regret(rounds, figdir / "regret.png", title=f"{name}: cumulative pseudo-regret"),
        plot_regret(rounds, figdir / "regret_loglog.png", loglog=True, title=f"{name}: cumulative pseudo-regret (log-log)"),
        plot_regret(rounds, figdir / "realised_regret.png", metric="realised_regret", title=f"{name}: cumulative realised regret"),
    ]


SPEC = register_family(
    FamilySpec(
        name="bandits",
        doc="Stochastic, adversarial and linear bandits with the textbook policies, vectorised over replications.",
        settings={
            "n_rounds": Setting(Integer(1, None), doc="rounds T"),
            "n_replications": Setting(Integer(1, None), 100, "independent replications R (vectorised)"),
            "checkpoints": Setting(Integer(2, None), 50, "rounds at which regret is recorded"),
            "checkpoint_spacing": Setting(Options(("log", "linear")), "log", "spacing of the checkpoints"),
        },
        sections={
            "environment": Section(kind="bandits.environment", doc="nature: reward distributions"),
            "policies": Section(kind="bandits.policy", many=True, doc="labelled policies to compare"),
        },
        run=run,
        plot=plot,
        sweep_metrics=sweep_metrics,
    )
)
