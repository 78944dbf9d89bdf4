"""Run a scenario: build the run context, call the family, collect results.

An interrupted run (Ctrl-C, or SIGTERM, which is turned into the same
``KeyboardInterrupt`` while a run is in progress) still returns what it finished: the
recorder's rows so far, marked ``complete = False``.

Before a run starts, :func:`check_resources` estimates the memory it needs (for the
families whose sizes are known here) and refuses a run that cannot fit, with the
estimate in the message. The runner also measures what goes to ``manifest.json``
(wall time, command line, git commit, host); the library's dynamics never see a clock.
"""

from __future__ import annotations

import functools
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mechsim.core.engine import Engine
from mechsim.core.family import get_family
from mechsim.core.progress import Progress
from mechsim.core.recorder import Recorder
from mechsim.core.results import Results
from mechsim.core.scenario import Scenario
from mechsim.core.seeding import SeedTree
from mechsim.errors import ResourceError
from mechsim.metrics.summary import bound_summary

__all__ = [
    "RunContext",
    "run_scenario",
    "load_results",
    "check_resources",
    "estimate_memory",
    "memory_limit",
    "sigterm_as_interrupt",
    "host_info",
    "git_commit",
]

GIB = 1024**3


@dataclass
class RunContext:
    """What a family's ``run`` receives besides the scenario."""

    seeds: SeedTree
    engine: Engine = field(default_factory=Engine)
    recorder: Recorder = field(default_factory=Recorder)
    progress: Progress = field(default_factory=lambda: Progress(False))


# -- memory estimates -----------------------------------------------------------------
def _n(section: Any) -> int:
    return len(section) if section is not None else 1


def _bandits_bytes(s: Scenario) -> tuple[int, str]:
    st = s.settings
    reps, horizon, ckpt = st["n_replications"], st["n_rounds"], st.get("checkpoints", 1)
    env = s.sections.get("environment")
    params = dict(env.params) if env is not None else {}
    arms = max((len(v) for v in params.values() if isinstance(v, tuple)), default=2)
    variants = _n(s.sections.get("policies"))
    rows = variants * reps * min(ckpt, horizon)
    # ~200 B per row (columns, CSV text, Parquet), ~24 arrays of R x K floats per policy
    # checkpoint_rounds builds logspace/round/unique arrays of `checkpoints` values before deduplicating
    need = rows * 200 + variants * reps * arms * 24 * 8 + ckpt * 8 * 4
    return need, f"{variants} policies x {reps} replications x {min(ckpt, horizon)} checkpoints, {arms} arms"


def _clickbandit_bytes(s: Scenario) -> tuple[int, str]:
    st = s.settings
    h = st["n_rounds"]
    hs = (h,) if isinstance(h, int) else tuple(h)
    t_max, reps, epochs = max(hs), st["n_replications"], st["epochs"]
    env = s.sections.get("environment")
    arms = len(env.params.get("mu", (0, 0))) if env is not None else 2
    strat = s.sections.get("strategy")
    seeds = int(strat.params.get("seeds", 16)) if strat is not None else 16
    if st.get("equilibrium"):
        seeds = max(seeds, int(st.get("audit_seeds", 64)))
    learners = _n(s.sections.get("learners"))
    draws = seeds * (2 * arms + 1) * t_max * 8
    rows = learners * len(hs) * reps * epochs * (arms + 1)
    need = draws * 2 + rows * 200
    return need, (
        f"{seeds} CRN seeds x {arms} arms x {t_max} rounds of draws, "
        f"{learners} learners x {len(hs)} horizons x {reps} replications x {epochs} epochs of rows"
    )


#: family name -> ``(scenario) -> (bytes, what the size is made of)``
ESTIMATORS: dict[str, Callable[[Scenario], tuple[int, str]]] = {
    "bandits": _bandits_bytes,
    "clickbandit": _clickbandit_bytes,
}


def estimate_memory(scenario: Scenario) -> tuple[int, str] | None:
    """``(bytes, explanation)`` the run needs at its peak, or ``None`` where no estimate is known."""
    est = ESTIMATORS.get(scenario.family)
    if est is None:
        return None
    try:
        return est(scenario)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def memory_limit() -> int:
    """Bytes a run may use: ``$MECHSIM_MEMORY_LIMIT_GB``, else 80% of the physical memory."""
    env = os.environ.get("MECHSIM_MEMORY_LIMIT_GB")
    if env:
        try:
            return int(float(env) * GIB)
        except ValueError:
            raise ResourceError(f"MECHSIM_MEMORY_LIMIT_GB must be a number of GiB; got {env!r}") from None
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 0.8)
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * GIB


def check_resources(scenario: Scenario) -> int | None:
    """Raise :class:`~mechsim.errors.ResourceError` when the run's estimated memory exceeds :func:`memory_limit`."""
    est = estimate_memory(scenario)
    if est is None:
        return None
    need, why = est
    limit = memory_limit()
    if need > limit:
        raise ResourceError(
            f"scenario {scenario.name!r} would need about {need / GIB:.3g} GiB of memory ({why}); "
            f"the limit is {limit / GIB:.3g} GiB (80% of this machine's memory, or $MECHSIM_MEMORY_LIMIT_GB). "
            "Lower n_replications, n_rounds or checkpoints."
        )
    return need


# -- signals ----------------------------------------------------------------------------
_SIGTERM_INTERRUPTS = True


def keep_default_sigterm() -> None:
    """In this process SIGTERM keeps its default action (sweep workers: they must just die)."""
    global _SIGTERM_INTERRUPTS
    _SIGTERM_INTERRUPTS = False
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM raises ``KeyboardInterrupt`` (as Ctrl-C does); main thread only."""
    if not _SIGTERM_INTERRUPTS or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        old = signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # pragma: no cover
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


# -- what the manifest records -------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the mechsim checkout (``None`` outside a git checkout or without git)."""
    here = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    if out.returncode != 0 or len(sha) != 40:
        return None
    dirty = subprocess.run(
        ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, timeout=5, check=False
    )
    return sha + ("+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def host_info() -> dict[str, Any]:
    """Host CPU (model, cores), GPUs (from the NVIDIA driver, or torch when loaded), OS and Python."""
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "gpu": None,
    }
    gpus = []
    for f in sorted(Path("/proc/driver/nvidia/gpus").glob("*/information")):  # NVIDIA driver, no subprocess
        try:
            for line in f.read_text().splitlines():
                if line.startswith("Model:"):
                    gpus.append(line.split(":", 1)[1].strip())
        except OSError:
            continue
    info["gpu"] = gpus or None
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            if torch.cuda.is_available():
                info["gpu"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        except Exception:  # noqa: BLE001 - a broken driver must not fail the run
            pass
    return info


def run_scenario(
    scenario: Scenario, *, progress: bool | None = False, argv: list[str] | None = None, run_info: bool = True
) -> Results:
    """Run ``scenario`` with its own seed and return its results (not written).

    Raises :class:`~mechsim.errors.ResourceError` before anything runs when the run
    cannot fit in memory. ``run_info=False`` skips the manifest's measurements (sweep cells).
    """
    check_resources(scenario)
    ctx = RunContext(seeds=SeedTree(scenario.seed), progress=Progress(progress))
    family = get_family(scenario.family)
    start = time.perf_counter()
    with sigterm_as_interrupt():
        try:
            results = family.run(scenario, ctx)
        except KeyboardInterrupt:
            results = Results(
                scenario=scenario,
                tables=ctx.recorder.tables(),
                summary={"complete": False, "interrupted_at": ctx.engine.now},
                complete=False,
            )
    wall = time.perf_counter() - start
    # every CI inside its statistic's range, "n too small" said where it is (see mechsim.metrics.summary)
    results.summary = bound_summary(results.summary)
    results.plotter = family.plot
    if not run_info:
        return results
    results.run_info = {
        "command": list(sys.argv if argv is None else argv),
        "wall_time_s": round(wall, 3),
        "git_commit": git_commit(),
        "host": host_info(),
    }
    return results


def load_results(folder: str | os.PathLike) -> Results:
    """Read a results folder and attach its family's plotter (for ``mechsim plot``).

    A scenario folder (``results/<name>``, holding run folders) means its latest
    complete run.
    """
    from mechsim.core.results import latest_run

    folder = Path(folder)
    if folder.is_dir() and not (folder / "manifest.json").exists():
        found = latest_run(folder)
        if found is not None:
            folder = found
    results = Results.load(folder)
    results.plotter = get_family(results.scenario.family).plot
    return results
