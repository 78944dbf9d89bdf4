"""The ``collab`` scenario family: settings, sections, run, summary and plots.

A scenario names a data source, a heterogeneity profile, a model, node resources
and one or more labelled mechanisms; every mechanism runs on the same data
streams, resources and minibatch draws (common random numbers) in every
replication. Tables: ``rounds`` (per round and node), ``server`` (per round),
``nodes`` (per node), ``equality`` (per round, derived from ``rounds``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mechsim.collab.analysis import HEADLINE, equality_table, summarize_runs
from mechsim.collab.learner import resolve_device
from mechsim.collab.protocol import collab_process, declare_tables
from mechsim.collab.world import CollabTask, ComponentRef, World, world
from mechsim.core.family import FamilySpec, Section, Setting, register_family
from mechsim.core.params import Integer, Nullable, Options, Real
from mechsim.core.results import Results
from mechsim.core.runner import RunContext
from mechsim.core.scenario import ComponentConfig, Scenario
from mechsim.core.skeleton import Job, finish, run_jobs, variant_jobs
from mechsim.errors import BackendUnavailableError, ParameterError, ScenarioError

__all__ = ["run", "summarize", "plot", "sweep_metrics", "SPEC", "tasks_of"]

_DEFAULT_HETEROGENEITY = ComponentRef("collab/clean-v1")
_DEFAULT_RESOURCES = ComponentRef("collab/nodes-v1")


def _ref(scenario: Scenario, section: str, default: ComponentRef | None = None) -> ComponentRef:
    cfg = scenario.sections.get(section)
    if cfg is None and default is not None:
        return default
    if not isinstance(cfg, ComponentConfig):
        raise ScenarioError(f"missing the [{section}] section", file=scenario.source, key=section)
    return ComponentRef.of(cfg.id, cfg.params)


def tasks_of(scenario: Scenario, ctx: RunContext) -> dict[str, CollabTask]:
    """The world recipe of every replication, keyed by the replication index as a string."""
    s = scenario.settings
    data, model = _ref(scenario, "data"), _ref(scenario, "model")
    het = _ref(scenario, "heterogeneity", _DEFAULT_HETEROGENEITY)
    out = {}
    for r in range(s["n_replications"]):
        node = ctx.seeds.child("replication", r)
        out[str(r)] = CollabTask(
            data=data,
            heterogeneity=het,
            model=model,
            n_nodes=s["n_agents"],
            n_rounds=s["n_rounds"],
            lr=s["lr"],
            local_steps=s["local_steps"],
            batch_size=s["batch_size"],
            device=s["device"],
            seed=node.seed,
            path=node.path,
            threads=s["torch_threads"],
            lr_decay=s["lr_decay"],
        )
    return out


def _build_world(scenario: Scenario, task: CollabTask) -> World:
    """Build (and cache) a replication's world; bad combinations become ScenarioErrors naming the key."""
    file = scenario.source
    try:
        resolve_device(task.device)
    except BackendUnavailableError as exc:
        raise ScenarioError(str(exc), file=file, key="scenario.device") from None
    try:
        return world(task)
    except ParameterError as exc:
        section = exc.section or "data"
        if exc.parameter is not None:
            key = f"{section}.{exc.parameter}"
        elif section == "model":
            key, exc = "model.id", ParameterError(f"model {task.model.id!r} does not fit data {task.data.id!r}: {exc}")
        else:
            key = section
        raise ScenarioError(str(exc), file=file, key=key) from None


def run(scenario: Scenario, ctx: RunContext) -> Results:
    s = scenario.settings
    tasks = tasks_of(scenario, ctx)
    worlds = {k: _build_world(scenario, t) for k, t in tasks.items()}
    payout_cfg = scenario.sections.get("payout")
    declare_tables(ctx.recorder, payouts=payout_cfg is not None)
    resources_ref = _ref(scenario, "resources", _DEFAULT_RESOURCES)
    jobs = variant_jobs(scenario, ctx, section="mechanisms")

    from mechsim.collab.client import make_client_app

    client_app = make_client_app(tasks)

    def drive(make_transport: Any) -> None:
        def process(job: Job) -> Any:
            key = str(job.replication)
            return collab_process(
                ctx.engine,
                label=job.variant,
                replication=job.replication,
                task_key=key,
                world=worlds[key],
                mechanism=job.build(),
                resources=resources_ref.build(),
                transport=make_transport(),
                recorder=ctx.recorder,
                seeds=job.seeds,
                payout=None if payout_cfg is None else payout_cfg.build(),
                bar=job.bar,
            )

        run_jobs(ctx, jobs, process, units=s["n_rounds"], desc=scenario.name)

    if s["backend"] == "batched":
        from mechsim.collab.batched import BatchedTransport

        drive(lambda: BatchedTransport(tasks, s["n_agents"]))
    elif s["backend"] == "inprocess":
        from mechsim.collab._flower_compat import task_identity
        from mechsim.collab.transport import InProcessTransport

        with task_identity():
            drive(lambda: InProcessTransport(client_app, s["n_agents"]))
    else:
        from mechsim.collab.flower_runtime import FlowerSettings, run_on_flower

        settings = FlowerSettings(
            client_cpus=s["flower_client_cpus"],
            client_gpus=s["flower_client_gpus"],
            total_cpus=s["flower_total_cpus"],
            pull_interval=s["flower_pull_interval"],
            timeout=s["flower_timeout"],
        )
        run_on_flower(
            scenario=scenario,
            recorder=ctx.recorder,
            n_nodes=s["n_agents"],
            settings=settings,
            drive=lambda transport: drive(lambda: transport),
        )
    return finish(scenario, ctx, summarize, extra_tables=lambda tables: {"equality": equality_table(tables["rounds"])})


def summarize(scenario: Scenario, tables: Mapping[str, Any]) -> dict[str, Any]:
    """Headline fairness, equality and performance per mechanism (see :mod:`mechsim.collab.analysis`)."""
    s = scenario.settings
    mechanisms = {label: cfg.id for label, cfg in scenario["mechanisms"].items()}
    out = {
        "n_agents": s["n_agents"],
        "n_rounds": s["n_rounds"],
        "n_replications": s["n_replications"],
        "backend": s["backend"],
        "fairness_note": "nan means undefined (N.A.): no contribution estimate, or every node holds the same model",
        "variants": summarize_runs(tables, mechanisms),
    }
    if "payouts" in tables:
        from mechsim.ledger.summary import summarize_payouts

        out["payouts"] = summarize_payouts(tables["payouts"], tables["ledger_gas"])
    return out


def sweep_metrics(summary: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for label, m in summary["variants"].items():
        for key in HEADLINE:
            out[f"{label}.{key}"] = float(m[key]["mean"])
    return out


def plot(results: Results, figdir: Path) -> list[Path]:
    from mechsim.collab.plots import plot_contribution_vs_reward, plot_gap_over_rounds, plot_node_performance

    tables = results.tables
    name = results.scenario.name
    paths = [plot_gap_over_rounds(tables["equality"], figdir / "gap.png", title=f"{name}: max-min performance gap")]
    for label in tables["rounds"].unique("variant"):
        paths.append(
            plot_node_performance(tables["rounds"], figdir / f"performance_{label}.png", mechanism=label, title=f"{name}: {label}")
        )
        paths.append(
            plot_contribution_vs_reward(tables, figdir / f"fairness_{label}.png", mechanism=label, title=f"{name}: {label}")
        )
    from mechsim.plots.ledger import payout_figures

    paths += payout_figures(tables, figdir, title=name)
    return paths


SPEC = register_family(
    FamilySpec(
        name="collab",
        doc="Federated learners as Flower clients on streaming data; FedAvg, CGSV and FAIR-EQUAL rewards.",
        settings={
            "n_agents": Setting(Integer(2, None), 10, "number of nodes N"),
            "n_rounds": Setting(Integer(1, None), 100, "rounds T"),
            "n_replications": Setting(Integer(1, None), 1, "independent replications (new data, resources, draws)"),
            "lr": Setting(Real(0.0, None, closed="neither"), 0.1, "SGD step size of the local steps"),
            "lr_decay": Setting(Real(0.0, 1.0, closed="right"), 1.0, "the step size of round t is lr * lr_decay**t"),
            "local_steps": Setting(Integer(1, None), 1, "local SGD steps E per round"),
            "batch_size": Setting(Integer(1, None), 32, "minibatch size of a local step"),
            "device": Setting(Options(("cpu", "cuda", "auto")), "cpu", "torch device of the learners"),
            "torch_threads": Setting(Nullable(Integer(1, None)), 1, "torch CPU threads during a learner call (None: torch's default)"),
            "backend": Setting(
                Options(("inprocess", "flower", "batched")),
                "inprocess",
                "direct ClientApp calls, `flwr run` of flower_app/ on a local simulation SuperLink (Ray), "
                "or all nodes as one batched model (mechsim.collab.batched)",
            ),
            "flower_client_cpus": Setting(Real(0.0, None, closed="neither"), 1.0, "CPUs per ClientApp on Ray"),
            "flower_client_gpus": Setting(Real(0.0, 1.0), 0.0, "GPU fraction per ClientApp on Ray"),
            "flower_total_cpus": Setting(Nullable(Integer(1, None)), None, "CPUs Ray may use (None: all)"),
            "flower_pull_interval": Setting(Nullable(Real(0.0, None, closed="neither")), None, "grid poll interval in s (None: Flower's 0.1)"),
            "flower_timeout": Setting(Real(0.0, None, closed="neither"), 600.0, "seconds to wait for one exchange's replies"),
        },
        sections={
            "data": Section(kind="collab.data", doc="the data stream's source"),
            "heterogeneity": Section(kind="collab.heterogeneity", required=False, doc="how the nodes' data differ (default: clean)"),
            "model": Section(kind="collab.model", doc="the learners' architecture"),
            "resources": Section(kind="collab.resources", required=False, doc="compute, links, deadline, arrivals, dropouts"),
            "mechanisms": Section(kind="collab.mechanism", many=True, doc="labelled mechanisms to compare"),
            "payout": Section(kind="payout", required=False, doc="token payouts through a ledger (memory or EVM)"),
        },
        run=run,
        plot=plot,
        sweep_metrics=sweep_metrics,
    )
)
