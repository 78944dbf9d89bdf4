"""The ``gauntlet`` scenario family: settings, sections, run, summary and plots."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mechsim.core.family import FamilySpec, Section, Setting, register_family
from mechsim.core.params import Boolean, Integer, Real, RealArray
from mechsim.core.results import Results
from mechsim.core.runner import RunContext
from mechsim.core.scenario import Scenario
from mechsim.core.skeleton import finish, run_jobs, variant_jobs, variant_sweep_metrics
from mechsim.core.strategy import assign_behaviours
from mechsim.core.table import Table
from mechsim.gauntlet.learner import QuadraticLearner
from mechsim.gauntlet.peers import draw_types
from mechsim.gauntlet.protocol import LOSS_SCHEMA, PEERS_SCHEMA, SHARES_SCHEMA, WorldConfig, gauntlet_process
from mechsim.metrics.summary import ci_dict

__all__ = ["run", "summarize", "plot", "SPEC", "world_config", "population", "make_payouts"]


def world_config(s: Mapping[str, Any]) -> WorldConfig:
    return WorldConfig(
        n_agents=s["n_agents"], n_rounds=s["n_rounds"], n_replications=s["n_replications"], block_s=s["block_s"],
        blocks_per_window=s["blocks_per_window"], validator_offset=s["validator_offset"], tempo_windows=s["tempo_windows"],
        emission_per_tempo=s["emission_per_tempo"], record_every=s["record_every"], record_peers=s["record_peers"],
        validator_stakes=tuple(s["validator_stakes"]), copy_delay_s=s["copy_delay_s"], jitter_s=s["latency_jitter_s"],
    )


def population(scenario: Scenario, ctx: RunContext) -> tuple[list, Any]:
    """The agents' behaviours (from ``[population]``) and their drawn types."""
    s = scenario.settings
    n = s["n_agents"]
    spec = scenario.sections.get("population")
    table = dict(spec.params).get("behaviours") if spec is not None else None
    default = dict(spec.params).get("default", "truthful") if spec is not None else "truthful"
    behaviours = assign_behaviours(n, table or {}, default=default or "truthful")
    types = draw_types(n, ctx.seeds.generator("types"), compute_low=s["compute_low"], compute_high=s["compute_high"],
                       latency_s=s["latency_s"], join_spread=s["join_spread"], leave_p=s["leave_p"], n_rounds=s["n_rounds"])
    return behaviours, types


def make_payouts(scenario: Scenario, n_agents: int, n_rounds: int, n_replications: int) -> list | None:
    """One reset ``[payout]`` component per replication (None without the section)."""
    cfg = scenario.sections.get("payout")
    if cfg is None:
        return None
    out = []
    for _ in range(n_replications):
        po = cfg.build()
        po.reset(n_agents=n_agents, n_rounds=n_rounds)
        out.append(po)
    return out


def run(scenario: Scenario, ctx: RunContext) -> Results:
    s = scenario.settings
    cfg = world_config(s)
    ctx.recorder.declare("shares", **SHARES_SCHEMA)
    ctx.recorder.declare("loss", **LOSS_SCHEMA)
    ctx.recorder.declare("peers", **PEERS_SCHEMA)
    has_payout = scenario.sections.get("payout") is not None
    if has_payout:
        from mechsim.ledger.payout import LEDGER_GAS_SCHEMA, PAYOUTS_SCHEMA

        ctx.recorder.declare("payouts", **PAYOUTS_SCHEMA)
        ctx.recorder.declare("ledger_gas", **LEDGER_GAS_SCHEMA)
    behaviours, types = population(scenario, ctx)
    learner_cfg = scenario.sections.get("learner")
    jobs = variant_jobs(scenario, ctx, section="mechanisms", n_replications=1)

    def process(job: Any) -> Any:
        learner = learner_cfg.build() if learner_cfg is not None else QuadraticLearner()
        payouts = make_payouts(scenario, cfg.n_agents, cfg.n_rounds, cfg.n_replications) if has_payout else None
        return gauntlet_process(ctx.engine, job, cfg=cfg, learner=learner, behaviours=behaviours, types=types,
                                recorder=ctx.recorder, payouts=payouts)

    run_jobs(ctx, jobs, process, units=cfg.n_rounds, desc=scenario.name)
    return finish(scenario, ctx, summarize)


def _ci(x: np.ndarray, lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    d = ci_dict(np.asarray(x, dtype=float))
    for k in ("mean", "ci_low", "ci_high"):
        if lo is not None:
            d[k] = max(lo, d[k])
        if hi is not None:
            d[k] = min(hi, d[k])
    return d


def summarize(scenario: Scenario, tables: Mapping[str, Table]) -> dict[str, Any]:
    """Per variant: emission share of each behaviour from window ``measure_from * n_rounds`` on
    (default: the second half), concentration, loss, and the Spearman correlation of honest
    compute with honest emission."""
    from scipy.stats import spearmanr

    shares, loss, peers = tables["shares"], tables["loss"], tables["peers"]
    n_rounds = scenario.settings["n_rounds"]
    half = int(scenario.settings["measure_from"] * n_rounds)
    out: dict[str, Any] = {"n_rounds": n_rounds, "n_agents": scenario.settings["n_agents"], "variants": {}}
    for v in shares.unique("variant"):
        sv = shares.where(variant=v)
        w = np.asarray(sv["window"]) >= half
        block: dict[str, Any] = {}
        reps = sorted(set(np.asarray(sv["replication"]).tolist()))
        for b in sorted(set(np.asarray(sv["behaviour"]).tolist())):
            m = w & (np.asarray(sv["behaviour"], dtype=object) == b)
            x = [np.mean(np.asarray(sv["emission_share"])[m & (np.asarray(sv["replication"]) == r)]) for r in reps]
            block[f"share.{b}"] = _ci(x, 0.0, 1.0)
        lv = loss.where(variant=v)
        lw = np.asarray(lv["window"]) >= half
        lrep = np.asarray(lv["replication"])
        for metric, hi in (("excess_loss", None), ("top5_share", 1.0), ("hhi", 1.0)):
            x = [np.mean(np.asarray(lv[metric])[lw & (lrep == r)]) for r in reps]
            block[metric] = _ci(x, 0.0, hi)
        if len(peers):
            pv = peers.where(variant=v)
            rho = []
            for r in reps:
                m = (np.asarray(pv["replication"]) == r) & (np.asarray(pv["window"]) >= half) & (np.asarray(pv["behaviour"], dtype=object) == "truthful")
                ag = np.asarray(pv["agent"])[m]
                if ag.size == 0:
                    continue
                em = np.bincount(ag, weights=np.asarray(pv["emission"])[m])
                cp = np.bincount(ag, weights=np.asarray(pv["compute"])[m]) / np.maximum(np.bincount(ag), 1)
                keep = np.bincount(ag) > 0
                if keep.sum() > 2 and np.ptp(em[keep]) > 0:
                    rho.append(spearmanr(cp[keep], em[keep]).correlation)
            if rho:
                block["honest_compute_spearman"] = _ci(np.nan_to_num(rho), -1.0, 1.0)
        out["variants"][str(v)] = block
    return out


def plot(results: Results, figdir: Path) -> list[Path]:
    from mechsim.gauntlet import plots

    return plots.standard_figures(results, figdir)


SPEC = register_family(
    FamilySpec(
        name="gauntlet",
        doc="Permissionless pseudo-gradient peers in timed windows scored by templar's Gauntlet validator (v0.2.88).",
        settings={
            "n_agents": Setting(Integer(2, None), doc="peer slots (UIDs), including spare 'intermittent:0' slots"),
            "n_rounds": Setting(Integer(1, None), doc="windows"),
            "n_replications": Setting(Integer(1, None), 1, "replications, vectorised"),
            "block_s": Setting(Real(0.0, None, closed="neither"), 12.0, "seconds per block"),
            "blocks_per_window": Setting(Integer(1, None), 8, "blocks per window (8 at v0.2.88)"),
            "validator_offset": Setting(Integer(0, None), 2, "validator lag in windows"),
            "tempo_windows": Setting(Integer(1, None), 45, "windows per tempo (360 blocks / 8)"),
            "emission_per_tempo": Setting(Real(0.0, None), 1.0, "miner emission per tempo, tokens"),
            "record_every": Setting(Integer(1, None), 50, "windows between recorded rows"),
            "record_peers": Setting(Boolean(), True, "record per-peer rows (weights, F, B, ordinal)"),
            "validator_stakes": Setting(RealArray(0.0, None), (1.0,), "stakes of the validators (first = highest, posts peer lists)"),
            "compute_low": Setting(Real(0.0, None, closed="neither"), 1.0, "fewest batches per window of a peer"),
            "compute_high": Setting(Real(0.0, None, closed="neither"), 16.0, "most batches per window (log-uniform)"),
            "latency_s": Setting(Real(0.0, None), 3.0, "mean upload latency after the window end, seconds"),
            "latency_jitter_s": Setting(Real(0.0, None), 1.0, "sd of the per-window latency jitter, seconds"),
            "copy_delay_s": Setting(Real(0.0, None), 2.0, "download + re-upload time of a copier, seconds"),
            "join_spread": Setting(Integer(0, None), 0, "peers join uniformly in windows [0, join_spread]"),
            "leave_p": Setting(Real(0.0, 1.0), 0.0, "probability that a peer leaves in the second half"),
            "measure_from": Setting(Real(0.0, 1.0, closed="left"), 0.5, "summary metrics average windows from this fraction of the run on"),
            "audit_rounds": Setting(Integer(1, None), 300, "windows per play in `mechsim audit`"),
            "audit_seeds": Setting(Integer(2, None), 8, "CRN seeds in `mechsim audit`"),
        },
        sections={
            "mechanisms": Section(kind="gauntlet.mechanism", many=True, doc="labelled validator configurations"),
            "learner": Section(kind="gauntlet.learner", required=False, doc="the learning problem (default: the cheap quadratic one)"),
            "population": Section(kind="strategy", required=False, doc="behaviours by agent or by share (core/population-v1)"),
            "payout": Section(kind="payout", required=False, doc="settle the emissions through a ledger (ledger/token-payout-v1, basis 'payments')"),
        },
        run=run,
        plot=plot,
        sweep_metrics=variant_sweep_metrics,
    )
)
