"""Run a scenario: build the run context, call the family, collect results.

An interrupted run (Ctrl-C) still returns what it finished: the recorder's rows so
far, marked ``complete = False``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from mechsim.core.engine import Engine
from mechsim.core.family import get_family
from mechsim.core.progress import Progress
from mechsim.core.recorder import Recorder
from mechsim.core.results import Results
from mechsim.core.scenario import Scenario
from mechsim.core.seeding import SeedTree

__all__ = ["RunContext", "run_scenario", "load_results"]


@dataclass
class RunContext:
    """What a family's ``run`` receives besides the scenario."""

    seeds: SeedTree
    engine: Engine = field(default_factory=Engine)
    recorder: Recorder = field(default_factory=Recorder)
    progress: Progress = field(default_factory=lambda: Progress(False))


def run_scenario(scenario: Scenario, *, progress: bool | None = False) -> Results:
    """Run ``scenario`` with its own seed and return its results (not written)."""
    ctx = RunContext(seeds=SeedTree(scenario.seed), progress=Progress(progress))
    family = get_family(scenario.family)
    try:
        results = family.run(scenario, ctx)
    except KeyboardInterrupt:
        results = Results(
            scenario=scenario,
            tables=ctx.recorder.tables(),
            summary={"complete": False, "interrupted_at": ctx.engine.now},
            complete=False,
        )
    results.plotter = family.plot
    return results


def load_results(folder: str | os.PathLike) -> Results:
    """Read a results folder and attach its family's plotter (for ``mechsim plot``)."""
    results = Results.load(folder)
    results.plotter = get_family(results.scenario.family).plot
    return results
