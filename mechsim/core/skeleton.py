"""The run skeleton every family shares: variants x replications on one SimPy engine.

A family's ``run`` supplies only its world and its protocol::

    def run(scenario, ctx):
        ctx.recorder.declare("rounds", variant="str", replication="int", t="int", ...)
        jobs = variant_jobs(scenario, ctx, section="mechanisms")
        run_jobs(ctx, jobs, lambda job: my_protocol(ctx.engine, job, ...), units=n_rounds, desc=scenario.name)
        return finish(scenario, ctx, summarize)

- one label column, ``variant``: the label of the labelled section (``[mechanisms.x]``);
- ``job.seeds`` is the replication's node (``replication/<r>``), shared by every
  variant so that nature's draws are common random numbers across variants;
  ``job.own`` is the variant's own node below it (``replication/<r>/variant/<label>``)
  for the variant's components;
- the progress bar advances by ``job.bar.update(1)`` per unit (round, window, epoch);
- Ctrl-C or SIGTERM inside ``run_jobs`` propagates as ``KeyboardInterrupt``; the core
  runner then returns the rows recorded so far (``complete = False``).

:func:`variant_summary` builds the conventional summary block
``{"variants": {label: {metric: {mean, ci_low, ci_high, std, n}}}}`` from a table, and
:func:`variant_sweep_metrics` flattens it into one sweep row (``<label>.<metric>``); a
family that uses both needs no sweep code of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechsim.core.results import Results
from mechsim.core.scenario import ComponentConfig, Scenario
from mechsim.core.seeding import SeedTree
from mechsim.core.table import Table
from mechsim.metrics.summary import ci_dict

__all__ = ["Job", "variant_jobs", "run_jobs", "finish", "variant_summary", "variant_sweep_metrics"]


@dataclass(frozen=True)
class Job:
    """One (variant, replication) of a run."""

    variant: str
    config: ComponentConfig
    replication: int
    seeds: SeedTree
    own: SeedTree
    bar: Any = None

    def build(self, **extra: Any) -> Any:
        """A fresh component of this variant (its scenario parameters plus ``extra``)."""
        return self.config.build(**extra)


def variant_jobs(scenario: Scenario, ctx: Any, *, section: str, n_replications: int | None = None) -> list[Job]:
    """Every (variant, replication) of ``section``, replications outermost."""
    variants: Mapping[str, ComponentConfig] = scenario[section]
    reps = scenario.settings.get("n_replications", 1) if n_replications is None else n_replications
    jobs = []
    for r in range(reps):
        node = ctx.seeds.child("replication", r)
        for label, cfg in variants.items():
            jobs.append(Job(variant=label, config=cfg, replication=r, seeds=node, own=node.child("variant", label)))
    return jobs


def run_jobs(
    ctx: Any, jobs: Sequence[Job], process: Callable[[Job], Generator], *, units: int, desc: str, run: bool = True
) -> None:
    """Start ``process(job)`` for every job on ``ctx.engine`` (with a shared progress bar) and run it."""
    bar = ctx.progress.bar(total=units * len(jobs), desc=desc)
    try:
        for job in jobs:
            ctx.engine.process(process(Job(job.variant, job.config, job.replication, job.seeds, job.own, bar)))
        if run:
            ctx.engine.run()
    finally:
        bar.close()


def finish(
    scenario: Scenario,
    ctx: Any,
    summarize: Callable[[Scenario, Mapping[str, Table]], dict[str, Any]],
    *,
    extra_tables: Callable[[dict[str, Table]], Mapping[str, Table]] | None = None,
) -> Results:
    """Tables from the recorder (plus derived ones), the family's summary, and the :class:`Results`."""
    tables = ctx.recorder.tables()
    if extra_tables is not None:
        tables.update(extra_tables(tables))
    return Results(scenario=scenario, tables=tables, summary=summarize(scenario, tables))


def variant_summary(
    table: Table, metrics: Iterable[str], *, where: Mapping[str, Any] | None = None, by: str = "replication"
) -> dict[str, dict[str, Any]]:
    """``{variant: {metric: ci_dict}}``: each metric's mean and 95% CI over ``by`` (replications).

    ``where`` selects rows first (``{"t": T}`` for the final round). Rows sharing a
    (variant, ``by``) value are averaged before the CI (one sample per replication).
    """
    rows = table.where(**where) if where else table
    out: dict[str, dict[str, Any]] = {}
    metrics = list(metrics)
    for label in rows.unique("variant"):
        sub = rows.where(variant=label)
        groups = sub.unique(by) if by in sub.columns else [None]
        per: dict[str, Any] = {}
        for m in metrics:
            vals = []
            for g in groups:
                x = np.asarray(sub.where(**{by: g})[m] if g is not None else sub[m], dtype=float)
                vals.append(float(np.mean(x)) if x.size else np.nan)
            per[m] = ci_dict(np.array(vals))
        out[str(label)] = per
    return out


def variant_sweep_metrics(summary: Mapping[str, Any]) -> dict[str, float]:
    """One sweep row from ``summary["variants"]``: ``<label>.<metric>`` -> mean (floats pass as is)."""
    out: dict[str, float] = {}
    for label, block in summary.get("variants", {}).items():
        for metric, v in block.items():
            if isinstance(v, Mapping) and "mean" in v:
                out[f"{label}.{metric}"] = float(v["mean"])
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                out[f"{label}.{metric}"] = float(v)
    return out
