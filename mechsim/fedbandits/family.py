"""The ``fedbandits`` scenario family: federated linear bandits with strategic clients.

A scenario names an ``[environment]`` (default ``fedbandits/arm-pool-v1``), labelled
``[mechanisms.<label>]`` (the variants compared on common random numbers), an
optional ``[strategy]`` (default: everyone truthful) and an optional ``[payout]``
(``ledger/token-payout-v1``, basis ``payments``) that settles round payments
through a ledger.

Tables: ``steps`` (cumulative regret, communication, payments and social cost per
replication every ``record_every`` iterations), ``rounds`` (one row per
communication round), ``clients`` (one row per round and client), ``utility_curve``
(utility against reported cost in the first round of replication 0), and with a
payout ``payouts`` and ``ledger_gas``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mechsim.core.family import FamilySpec, Section, Setting, register_family
from mechsim.core.params import Integer, Options, Real
from mechsim.core.results import Results
from mechsim.core.runner import RunContext
from mechsim.core.scenario import Scenario
from mechsim.core.skeleton import finish, variant_summary, variant_sweep_metrics
from mechsim.errors import ScenarioError, ParameterError
from mechsim.fedbandits.agents import Clients, CostModel
from mechsim.fedbandits.environment import ArmPool
from mechsim.fedbandits.network import TOPOLOGIES, build_graph, hop_counts
from mechsim.fedbandits.protocol import CLIENTS_SCHEMA, CURVE_SCHEMA, ROUNDS_SCHEMA, STEPS_SCHEMA, FedConfig, FedRun, fed_process

__all__ = ["run", "summarize", "plot", "SPEC", "config_of", "build_runs"]

_METRICS = ("regret", "comm_scalars", "comm_rounds", "triggers", "payments", "social_cost", "data_value")
_NONNEG = ("regret", "comm_scalars", "comm_rounds", "triggers", "social_cost", "data_value")


def config_of(scenario: Scenario) -> FedConfig:
    s = scenario.settings
    env = environment_of(scenario)
    ep = env.get_params()
    every = s["record_every"] or max(1, s["n_rounds"] // 50)
    return FedConfig(
        n_agents=s["n_agents"], n_rounds=s["n_rounds"], n_replications=s["n_replications"], dim=ep["dim"], reg=s["reg"],
        delta=s["delta"], noise=ep["noise"], alpha_scale=s["alpha_scale"], threshold=s["threshold"], kappa=s["kappa"],
        hop_latency=s["hop_latency"], activity=s["activity"], activity_spread=s["activity_spread"], record_every=every,
        curve_points=s["curve_points"], curve_agents=s["curve_agents"],
        costs=CostModel(s["cost_distribution"], s["cost_low"], s["cost_high"], s["cost_scale"]),
    )


def environment_of(scenario: Scenario) -> ArmPool:
    cfg = scenario.sections.get("environment")
    return cfg.build() if cfg is not None else ArmPool()


def _hops(scenario: Scenario, ctx: RunContext) -> np.ndarray:
    s = scenario.settings
    seed = int(ctx.seeds.generator("graph").integers(0, 2**31 - 1))
    try:
        graph = build_graph(s["topology"], s["n_agents"], seed=seed, p=s["edge_probability"])
    except ParameterError as exc:
        raise ScenarioError(str(exc), file=scenario.source, key="scenario.topology") from None
    return hop_counts(graph)


def build_runs(scenario: Scenario, ctx: RunContext) -> list[FedRun]:
    """One :class:`FedRun` per mechanism variant; nature (pool, arm draws, costs, activity) is shared per replication."""
    cfg = config_of(scenario)
    env = environment_of(scenario)
    hops = _hops(scenario, ctx)
    strat_cfg = scenario.sections.get("strategy")
    pay_cfg = scenario.sections.get("payout")
    runs = []
    for label, mcfg in scenario["mechanisms"].items():
        worlds, mechs, strats, pays, costs, act = [], [], [], [], [], []
        for r in range(cfg.n_replications):
            node = ctx.seeds.child("replication", r)
            own = node.child("variant", label)
            worlds.append(env.world(node.generator("environment")))
            costs.append(cfg.costs.draw(node.generator("costs"), (cfg.n_agents,)))
            act.append(node.generator("activity"))
            mech = mcfg.build()
            try:
                mech.reset(n_agents=cfg.n_agents, rng=own.generator("mechanism"), kappa=cfg.kappa)
            except ParameterError as exc:
                raise ScenarioError(str(exc), file=scenario.source, key=f"mechanisms.{label}") from None
            mechs.append(mech)
            strat = strat_cfg.build() if strat_cfg is not None else Clients()
            strat.reset(n_agents=cfg.n_agents, n_replications=1, rng=own.generator("strategy"))
            strats.append(strat)
            if pay_cfg is not None:
                pay = pay_cfg.build()
                pay.reset(n_agents=cfg.n_agents, n_rounds=cfg.n_rounds)
                pays.append(pay)
        runs.append(FedRun(cfg, variant=label, worlds=worlds, mechanisms=mechs, strategies=strats, payouts=pays if pay_cfg is not None else None,
                           costs=np.array(costs), activity_rngs=act, hops=hops))
    return runs


def run(scenario: Scenario, ctx: RunContext) -> Results:
    if scenario.settings["n_agents"] < 1:
        raise ScenarioError("n_agents must be >= 1", file=scenario.source, key="scenario.n_agents")
    rec = ctx.recorder
    rec.declare("steps", **STEPS_SCHEMA)
    rec.declare("rounds", **ROUNDS_SCHEMA)
    rec.declare("clients", **CLIENTS_SCHEMA)
    rec.declare("utility_curve", **CURVE_SCHEMA)
    if scenario.sections.get("payout") is not None:
        from mechsim.ledger.payout import LEDGER_GAS_SCHEMA, PAYOUTS_SCHEMA

        rec.declare("payouts", **PAYOUTS_SCHEMA)
        rec.declare("ledger_gas", **LEDGER_GAS_SCHEMA)
    runs = build_runs(scenario, ctx)
    n = scenario.settings["n_rounds"]
    bar = ctx.progress.bar(total=n * len(runs), desc=scenario.name)
    try:
        for fr in runs:
            ctx.engine.process(fed_process(ctx.engine, fr, rec, bar))
        ctx.engine.run()
    finally:
        bar.close()
    return finish(scenario, ctx, summarize)


def _clip(block: dict[str, Any]) -> dict[str, Any]:
    for m in _NONNEG:
        if m in block:
            block[m]["ci_low"] = max(0.0, block[m]["ci_low"])
    return block


def summarize(scenario: Scenario, tables: Mapping[str, Any]) -> dict[str, Any]:
    """Final cumulative metrics per variant (mean and 95% CI over replications), plus each variant's beta."""
    steps = tables["steps"]
    n = scenario.settings["n_rounds"]
    out: dict[str, Any] = {
        "n_agents": scenario.settings["n_agents"], "n_rounds": n, "n_replications": scenario.settings["n_replications"], "variants": {},
    }
    if len(steps) == 0:
        return out
    final = variant_summary(steps, _METRICS, where={"t": int(steps["t"].max())})
    for label, block in final.items():
        cfg = scenario["mechanisms"][label]
        block = _clip(block)
        block["id"] = cfg.id
        if "beta" in cfg.params:
            block["beta"] = float(cfg.params["beta"])
        out["variants"][label] = block
    optimum = [lbl for lbl, b in out["variants"].items() if b["id"] == "fedbandits/brute-force-v1"]
    if optimum:
        ref = out["variants"][optimum[0]]["social_cost"]["mean"]
        out["social_cost_vs_optimum"] = {lbl: (b["social_cost"]["mean"] / ref if ref > 0 else float("nan")) for lbl, b in out["variants"].items()}
    out["misreport_gain"] = misreport_gain(tables["clients"])
    return out


def misreport_gain(clients: Any) -> dict[str, dict[str, float]]:
    """``{variant: {behaviour: mean over rounds and clients of utility(report) - utility(truthful report)}}``.

    The counterfactual keeps everyone else's reports (one extra mechanism call per
    misreporting client and round); 0 for truthful clients by construction.
    """
    out: dict[str, dict[str, float]] = {}
    for label in clients.unique("variant"):
        sub = clients.where(variant=label)
        out[str(label)] = {str(b): float(np.mean(sub.where(behaviour=b)["utility"] - sub.where(behaviour=b)["truthful_utility"]))
                           for b in sub.unique("behaviour")}
    return out


def plot(results: Results, figdir: Path) -> list[Path]:
    from mechsim.fedbandits import plots

    return plots.standard_figures(results, figdir)


SPEC = register_family(
    FamilySpec(
        name="fedbandits",
        doc="Federated linear bandits (DisLinUCB, Inc-FedUCB, Truth-FedBan) with clients who have private participation costs.",
        settings={
            "n_agents": Setting(Integer(1, None), 20, "clients N"),
            "n_rounds": Setting(Integer(1, None), 400, "iterations T (every client acts once per iteration)"),
            "n_replications": Setting(Integer(1, None), 2, "independent replications R (vectorised)"),
            "reg": Setting(Real(0.0, None, closed="neither"), 1.0, "ridge lambda"),
            "delta": Setting(Real(0.0, 1.0, closed="neither"), 0.01, "confidence level of LinUCB's width"),
            "alpha_scale": Setting(Real(0.0, None), 1.0, "multiplier of LinUCB's exploration width (alpha_t_scaling)"),
            "threshold": Setting(Real(0.0, None), 5.0, "event-trigger threshold D_c on n_t * log-det growth since the last round"),
            "kappa": Setting(Real(0.0, None), 0.05, "scale of the data incentive kappa [log det(V_g new) - log det(V_i)]_+"),
            "cost_distribution": Setting(Options(("uniform", "exponential", "lognormal")), "uniform", "distribution of the clients' costs"),
            "cost_low": Setting(Real(0.0, None), 0.0, "lowest cost (uniform) or offset"),
            "cost_high": Setting(Real(0.0, None), 1.0, "highest cost (uniform)"),
            "cost_scale": Setting(Real(0.0, None), 1.0, "scale of the exponential / lognormal costs"),
            "topology": Setting(Options(TOPOLOGIES), "star", "communication graph; node 0 is the server"),
            "edge_probability": Setting(Real(0.0, 1.0), 0.2, "edge probability of an erdos_renyi graph"),
            "hop_latency": Setting(Real(0.0, None), 0.0, "simulated time per hop of a round's upload and download"),
            "activity": Setting(Real(0.0, 1.0, closed="right"), 1.0, "probability that a client acts in an iteration"),
            "activity_spread": Setting(Real(0.0, 1.0, closed="left"), 0.0, "clients' activity falls linearly by this share from client 0 to N-1"),
            "record_every": Setting(Integer(0, None), 0, "iterations between rows of the steps table (0: n_rounds / 50)"),
            "curve_points": Setting(Integer(0, None), 41, "reports (0 to 4 x cost) of the utility curve; 0 turns it off"),
            "curve_agents": Setting(Integer(0, None), 3, "clients whose utility curve is recorded"),
            "audit_agents": Setting(Integer(1, 24), 6, "clients of the audit's round game"),
            "audit_seeds": Setting(Integer(2, None), 32, "CRN seeds of the audit"),
        },
        sections={
            "environment": Section(kind="fedbandits.environment", required=False, doc="nature: theta*, item pool, arm sets"),
            "mechanisms": Section(kind="fedbandits.mechanism", many=True, doc="labelled mechanisms to compare"),
            "strategy": Section(kind="fedbandits.strategy", required=False, doc="the clients' reports (default truthful)"),
            "payout": Section(kind="payout", required=False, doc="settle round payments through a ledger (basis 'payments')"),
        },
        run=run,
        plot=plot,
        sweep_metrics=variant_sweep_metrics,
    )
)
