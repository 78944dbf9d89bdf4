"""The unit of work of a sweep: run one grid cell with one seed, return its record.

:func:`run_cell` is a plain top-level function of plain data (a dict holding the
resolved cell scenario as a TOML-like table), so every backend ships it the same
way: called in-process, pickled to a process pool, or sent as a Ray task. It has no
side effects: the parent process writes the record, so workers on another machine
need no shared file system.
"""

from __future__ import annotations

import math
import os
import signal
import sys
from collections.abc import Mapping
from typing import Any

from mechsim.core.family import get_family
from mechsim.core.results import jsonable
from mechsim.core.runner import run_scenario
from mechsim.core.scenario import parse_scenario
from mechsim.errors import SweepError

__all__ = ["run_cell", "worker_init", "CellInterrupted"]


class CellInterrupted(KeyboardInterrupt):
    """A cell run stopped by Ctrl-C before it finished (nothing is recorded for it)."""


def worker_init(parent_pid: int | None = None) -> None:
    """Process-pool initializer.

    Only the parent handles Ctrl-C (it records what finished and stops the workers),
    so workers ignore SIGINT. On Linux a worker also asks to be terminated when its
    parent dies (``PR_SET_PDEATHSIG``), so a ``kill -9`` of the sweep leaves no
    orphaned workers computing cells nobody will record.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from mechsim.core.runner import keep_default_sigterm

    keep_default_sigterm()  # a parent's SIGTERM-as-Ctrl-C handler, inherited by fork, must not keep us alive
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl
            return
        if parent_pid is not None and os.getppid() != parent_pid:
            os._exit(1)  # the parent died before the request took effect


def run_cell(task: Mapping[str, Any]) -> dict[str, Any]:
    """Run ``task["scenario"]`` (its seed already set) and return the cell record.

    The record holds the cell index, seed index, seed, grid settings, the family's
    flattened sweep metrics (floats) and the run's summary.
    """
    scenario = parse_scenario(task["scenario"], file=task.get("file"))
    results = run_scenario(scenario, progress=False)
    if not results.complete:
        # run_scenario turns Ctrl-C into partial results; a sweep records only finished runs.
        raise CellInterrupted()
    metrics_of = get_family(scenario.family).sweep_metrics
    if metrics_of is None:  # checked up front by run_sweep; kept for direct callers
        raise SweepError(f"scenario family {scenario.family!r} defines no sweep metrics")
    metrics: dict[str, float] = {}
    for name, value in metrics_of(results.summary).items():
        try:
            metrics[str(name)] = float(value)
        except (TypeError, ValueError):
            raise SweepError(
                f"sweep metric {name!r} of family {scenario.family!r} is not a number: {value!r}"
            ) from None
    return {
        "cell": int(task["cell"]),
        "seed_index": int(task["seed_index"]),
        "seed": int(scenario.seed),
        "params": {k: v for k, v in task["params"]},
        "metrics": {k: (v if math.isfinite(v) else None) for k, v in metrics.items()},
        "summary": jsonable(results.summary),
    }
