"""The ``timeaware`` scenario family: time-aware fair rewards for parties that join late.

Seed paper: Chen et al., "Incentivizing Time-Aware Fairness in Data Sharing" (NeurIPS 2025).
Tables: ``rewards`` (variant, replication, episode, agent: join time, standalone value,
Shapley value, reward value, reward-model dose and quality), ``fchecks`` (F1-F8 per
episode), ``intervals`` (parties present, coalition value and the shared model's R^2
per interval) and, with a ``[payout]``, ``payouts`` / ``ledger_gas``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mechsim.core.family import FamilySpec, Section, Setting, register_family
from mechsim.core.params import Boolean, Integer, IntArray, Nullable, Options, Real, RealArray
from mechsim.core.results import Results
from mechsim.core.scenario import Scenario
from mechsim.core.skeleton import finish, run_jobs, variant_jobs, variant_sweep_metrics
from mechsim.core.strategy import BehaviourTable, assign_behaviours
from mechsim.errors import ScenarioError
from mechsim.ledger.payout import LEDGER_GAS_SCHEMA, PAYOUTS_SCHEMA
from mechsim.metrics.fairness import pearson, spearman
from mechsim.metrics.summary import ci_dict, kind_of
from mechsim.timeaware.protocol import FCHECKS_SCHEMA, INTERVALS_SCHEMA, REWARDS_SCHEMA, job_process
from mechsim.timeaware.world import REALISATIONS, VALUATIONS, World, build_world

__all__ = ["run", "summarize", "plot", "check_scenario", "base_join_times", "SPEC"]


def check_scenario(scenario: Scenario) -> None:
    """Cross-key rules of a timeaware scenario (lengths per party, sweep, learner size)."""
    s = scenario.settings
    n = s["n_agents"]
    for key in ("party_sizes", "party_noise", "join_times"):
        if s[key] is not None and len(s[key]) != n:
            raise ScenarioError(f"must list one value per party (n_agents = {n}); got {len(s[key])}", file=scenario.source, key=f"scenario.{key}")
    if s["sweep_agent"] is not None and (s["sweep_agent"] >= n or s["sweep_join_times"] is None):
        raise ScenarioError(f"needs an agent index < {n} and 'sweep_join_times'", file=scenario.source, key="scenario.sweep_agent")
    if n > 12 and s["valuation"].startswith("learner"):
        raise ScenarioError("learner valuations train 2**n models; use n_agents <= 12", file=scenario.source, key="scenario.valuation")


def base_join_times(scenario: Scenario, seeds: Any) -> np.ndarray:
    """The replication's join times (set, or drawn uniformly in [0, join_time_max]), capped at H - 1."""
    s = scenario.settings
    if s["join_times"] is not None:
        join = np.array(s["join_times"], dtype=float)
    else:
        join = seeds.generator("join").integers(0, s["join_time_max"] + 1, s["n_agents"]).astype(float)
    return np.minimum(join, s["n_rounds"] - 1)


def run(scenario: Scenario, ctx: Any) -> Results:
    check_scenario(scenario)
    s = scenario.settings
    n = s["n_agents"]
    for name, schema in (("rewards", REWARDS_SCHEMA), ("fchecks", FCHECKS_SCHEMA), ("intervals", INTERVALS_SCHEMA)):
        ctx.recorder.declare(name, **schema)
    payout_cfg = scenario.sections.get("payout")
    if payout_cfg is not None:
        ctx.recorder.declare("payouts", **PAYOUTS_SCHEMA)
        ctx.recorder.declare("ledger_gas", **LEDGER_GAS_SCHEMA)
    behaviours = assign_behaviours(n, s["behaviours"] or {}, owner="timeaware")
    jobs = variant_jobs(scenario, ctx, section="mechanisms")
    worlds: dict[int, tuple[World, np.ndarray]] = {}
    n_episodes = len(s["sweep_join_times"]) if s["sweep_agent"] is not None else 1

    def world_of(job: Any) -> tuple[World, np.ndarray]:
        if job.replication not in worlds:
            worlds[job.replication] = (build_world(s, job.seeds.generator("data")), base_join_times(scenario, job.seeds))
        return worlds[job.replication]

    def process(job: Any) -> Any:
        world, join = world_of(job)
        payout = None
        if payout_cfg is not None:
            payout = payout_cfg.build()
            payout.reset(n_agents=n, n_rounds=n_episodes)
        return job_process(ctx.engine, job, world=world, settings=s, base_join=join, behaviours=behaviours, recorder=ctx.recorder, payout=payout)

    run_jobs(ctx, jobs, process, units=n_episodes, desc=scenario.name)
    results = finish(scenario, ctx, summarize)
    results.summary["axioms"] = {str(r): (w.axioms.rows() if w.axioms is not None else None) for r, (w, _) in worlds.items()}
    return results


def summarize(scenario: Scenario, tables: Mapping[str, Any]) -> dict[str, Any]:
    """Per variant (mean and CI over replications): IR rate and margin, F1-F8 holding rates,
    rewards of every agent in the last episode, the swept agent's reward drop, and the
    rank correlation of reward value with reward-model quality (MNLP negated), and the
    fairness Pearson correlation of data value (Shapley) with reward across parties (mean over episodes)."""
    s = scenario.settings
    rw, fc = tables["rewards"], tables["fchecks"]
    agent = s["sweep_agent"]
    out: dict[str, Any] = {"n_agents": s["n_agents"], "n_intervals": s["n_rounds"], "variants": {}}
    for label in rw.unique("variant"):
        per: dict[str, list[float]] = {}
        for rep in rw.where(variant=label).unique("replication"):
            sub = rw.where(variant=label, replication=rep)
            m = sub["ir_margin"]
            vals = {"ir_rate": float(np.mean(m >= -1e-9)), "min_ir_margin": float(m.min())}
            last = sub.where(episode=int(sub["episode"].max()))
            for i, r in zip(last["agent"], last["reward"], strict=True):
                vals[f"reward_agent{i}"] = float(r)
            if agent is not None:
                a = sub.where(agent=agent)
                vals["sweep_agent_drop"] = float(a["reward"][0] - a["reward"][-1])
            sign = -1.0 if "mnlp" in set(sub["quality_metric"]) else 1.0
            q = sign * sub["quality"]
            ok = np.isfinite(q)
            vals["quality_spearman"] = float(spearman(sub["reward"][ok], q[ok])) if ok.sum() >= 3 else float("nan")
            vals["fairness_pearson"] = float(np.nanmean([pearson(e["shapley"], e["reward"]) for e in (sub.where(episode=k) for k in sub.unique("episode"))]))
            f = fc.where(variant=label, replication=rep)
            for cond in sorted(set(f["condition"])):
                h = f.where(condition=cond)["holds"]
                app = h[h != "n/a"]
                vals[cond] = float(np.mean(app == "yes")) if app.size else float("nan")
            for k, v in vals.items():
                per.setdefault(k, []).append(v)
        # F1..F8 are shares of episodes in which the condition holds
        out["variants"][str(label)] = {k: ci_dict(np.array(v), kind="proportion" if k[:1] == "F" and k[1:].isdigit() else kind_of(k)) for k, v in per.items()}
    return out


def plot(results: Results, figdir: Path) -> list[Path]:
    from mechsim.timeaware import plots

    return plots.standard_figures(results, figdir)


SPEC = register_family(
    FamilySpec(
        name="timeaware",
        doc="Time-aware fair rewards (Chen et al. 2025): reward cumulation, time-aware valuation, Shapley and the naive rule, with model rewards.",
        settings={
            "n_agents": Setting(Integer(2, 16), 3, "parties n"),
            "n_rounds": Setting(Integer(1, None), 6, "collaboration intervals H (tau = 0 .. H-1); join times are capped at H-1"),
            "n_replications": Setting(Integer(1, None), 1, "replications (fresh data each)"),
            "dataset": Setting(Options(("friedman", "diabetes")), "friedman", "sklearn make_friedman1, or the diabetes data shipped with sklearn"),
            "party_sizes": Setting(IntArray(1, None), doc="training points per party"),
            "party_noise": Setting(Nullable(RealArray(0.0, None)), None, "extra label-noise std per party (affects learners and MNLP, not IG)"),
            "n_test": Setting(Integer(10, None), 200, "held-out test points"),
            "features": Setting(Options(("poly2", "linear")), "poly2", "inputs: standardised, plus degree-2 monomials"),
            "friedman_noise": Setting(Real(0.0, None), 1.0, "noise std of make_friedman1"),
            "valuation": Setting(Options(VALUATIONS), "dual_ig", "dual_ig (A1-A3), ig, learner (Ridge R^2) or its dual"),
            "prior_var": Setting(Real(0.0, None, closed="neither"), 1.0, "BLR prior variance"),
            "noise_var": Setting(Real(0.0, None, closed="neither"), 1.0, "BLR noise variance (standardised targets)"),
            "join_times": Setting(Nullable(IntArray(0, None)), None, "join interval per party; None draws them uniformly in [0, join_time_max]"),
            "join_time_max": Setting(Integer(0, None), 3, "largest drawn join time"),
            "sweep_agent": Setting(Nullable(Integer(0, None)), None, "party whose join time is swept (one episode per value)"),
            "sweep_join_times": Setting(Nullable(IntArray(0, None)), None, "the swept party's join times"),
            "behaviours": Setting(Nullable(BehaviourTable()), None, "zoo behaviours per party; 'late:d' joins d intervals later"),
            "model_rewards": Setting(Options(REALISATIONS), "auto", "auto: tempering for BLR valuations, subset selection for learners"),
            "train_intervals": Setting(Nullable(Boolean()), None, "train the shared SGD model per interval (default: learner valuations)"),
            "f8_premise": Setting(Options(("synergy", "value")), "synergy", "F8's premise (see mechsim.timeaware.conditions)"),
        },
        sections={
            "mechanisms": Section(kind="timeaware.mechanism", many=True, doc="labelled reward schemes"),
            "payout": Section(kind="payout", required=False, doc="optional token payout of the reward values (basis = payments)"),
        },
        run=run,
        plot=plot,
        sweep_metrics=variant_sweep_metrics,
    )
)
