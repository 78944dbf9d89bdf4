"""``run_sweep``: one scenario over a grid of settings and a range of seeds.

A *cell* is one point of the grid; a sweep runs every cell with seeds
``scenario.seed + 0 .. seeds-1``. Counts (``n_run``, ``n_skipped``, "N of M cells
finished") are of (cell, seed) runs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mechsim.core.family import get_family
from mechsim.core.fileio import safe_child, sha256_text, swap_folder
from mechsim.core.progress import Progress
from mechsim.core.runner import sigterm_as_interrupt
from mechsim.core.scenario import Scenario, load_scenario
from mechsim.core.table import Table, have_pyarrow
from mechsim.errors import MechsimError, ResultsError, SweepError
from mechsim.core.registry import suggest
from mechsim.sweep.backends import BACKENDS, CellFailed, execute, import_ray
from mechsim.sweep.grid import Cell, GridAxis, cells as grid_cells, parse_grid
from mechsim.sweep.store import SweepFolder, atomic_write, build_table

__all__ = ["run_sweep", "load_sweep", "SweepResult", "SweepInterrupted", "default_out"]

RESUME_HINT = "rerun the same command to resume"


@dataclass
class SweepResult:
    """What a sweep produced.

    ``table`` has one row per finished (cell, seed) run (all of them when
    ``complete``); ``n_run`` runs were computed by this call, ``n_skipped`` were
    already in the folder; ``n_total`` = cells x seeds.
    """

    table: Table
    path: Path
    n_run: int
    n_skipped: int
    n_total: int
    complete: bool
    grid: list[GridAxis] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)

    @property
    def n_finished(self) -> int:
        return self.n_run + self.n_skipped

    @property
    def table_path(self) -> Path:
        return self.path / "sweep.csv"

    def describe(self) -> str:
        if self.complete:
            return (
                f"sweep complete: {self.n_total} cells ({self.n_run} run now, {self.n_skipped} already done); "
                f"table {self.table_path}"
            )
        return f"{self.n_finished} of {self.n_total} cells finished; {RESUME_HINT} (output {self.path})"


class SweepInterrupted(SweepError):
    """Ctrl-C stopped a sweep; the finished cells are kept. ``result`` holds them."""

    def __init__(self, result: SweepResult) -> None:
        super().__init__(f"sweep interrupted: {result.describe()}")
        self.result = result


def default_out(scenario_name: str, root: str | os.PathLike = "results") -> Path:
    """``<root>/sweeps/<scenario name>`` (the name is checked to be a safe slug)."""
    return safe_child(Path(root) / "sweeps", scenario_name)


def _as_list(items: Iterable[str] | str | None, what: str) -> list[str]:
    if items is None:
        return []
    if isinstance(items, str):
        return [items]
    items = list(items)
    for it in items:
        if not isinstance(it, str):
            raise SweepError(f"{what} items must be strings like 'key.path=value'; got {it!r}")
    return items


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SweepError(f"{name} must be an int >= {low}; got {value!r}")
    return value


def _resolve(scenario: str | os.PathLike | Scenario, overrides: Sequence[str]) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario.with_overrides(overrides) if overrides else scenario
    return load_scenario(scenario, overrides)


def _tasks_for(base: Scenario, cell_list: Sequence[Cell], seeds: int) -> dict[tuple[int, int], dict[str, Any]]:
    """Validate every cell up front and build its run tasks (plain data, any backend)."""
    tasks: dict[tuple[int, int], dict[str, Any]] = {}
    for cell in cell_list:
        scn = base.with_overrides(cell.params)  # raises OverrideError/ScenarioError naming the key
        raw = scn.to_dict()
        for s in range(seeds):
            raw_s = {k: (dict(v) if k == "scenario" else v) for k, v in raw.items()}
            raw_s["scenario"]["seed"] = base.seed + s
            tasks[(cell.index, s)] = {
                "cell": cell.index,
                "seed_index": s,
                "params": [list(p) for p in cell.params],
                "scenario": raw_s,
                "file": base.source,
            }
    return tasks


def run_sweep(
    scenario: str | os.PathLike | Scenario,
    grid: Sequence[str] = (),
    *,
    seeds: int,
    workers: int = 1,
    backend: str = "local",
    out: str | os.PathLike | None = None,
    overrides: Sequence[str] = (),
    progress: bool | None = None,
    plot: bool = True,
) -> SweepResult:
    """Run ``scenario`` on every cell of ``grid`` with ``seeds`` seeds each.

    Parameters
    ----------
    scenario : scenario file, shipped scenario name (``bandits/default``) or a :class:`Scenario`
    grid : items ``"dotted.key=v1,v2,..."``; values are TOML values separated by top-level
        ``,`` or ``;`` (list values: ``environment.means=[0.9,0.8];[0.6,0.5]``). Cells are the
        cartesian product, first item slowest. An empty grid runs the base scenario (a seed sweep).
    seeds : runs per cell, with seeds ``scenario.seed + 0 .. seeds-1``
    workers : processes (``local``) or CPUs of a locally started Ray (``ray``); 1 runs in-process
    backend : ``"local"`` (process pool) or ``"ray"`` (Ray tasks; ``RAY_ADDRESS`` names a cluster)
    out : output folder; default ``results/sweeps/<scenario name>``
    overrides : ``--set`` style ``key=value`` applied to the base scenario before the grid
    progress : show a progress bar; ``None``: when stderr is a terminal
    plot : draw ``figures/*.png`` when the sweep completes

    Every finished (cell, seed) run is written at once to ``out/cells/``; rerunning into
    the same ``out`` runs only the missing ones. Raises :class:`SweepInterrupted` on
    Ctrl-C (finished runs kept), :class:`~mechsim.errors.OverrideError` /
    :class:`~mechsim.errors.ScenarioError` for a bad grid or scenario (before anything
    runs), :class:`~mechsim.errors.SweepError` for bad arguments, a failed cell, or an
    ``out`` folder that holds a different sweep, and
    :class:`~mechsim.errors.BackendUnavailableError` when Ray is asked for but absent.
    """
    # -- arguments, grid and scenario: all checked before anything runs or is written
    seeds = _check_int("seeds", seeds, 1)
    workers = _check_int("workers", workers, 1)
    if backend not in BACKENDS:
        raise SweepError(
            f"unknown sweep backend {backend!r}.{suggest(str(backend), list(BACKENDS))} "
            f"Expected one of: {', '.join(BACKENDS)}."
        )
    axes = parse_grid(_as_list(grid, "grid"))
    base = _resolve(scenario, _as_list(overrides, "override"))
    if get_family(base.family).sweep_metrics is None:
        raise SweepError(f"scenario family {base.family!r} defines no sweep metrics; it cannot be swept yet")
    cell_list = grid_cells(axes)
    tasks = _tasks_for(base, cell_list, seeds)
    if backend == "ray":
        import_ray()

    folder = SweepFolder(out if out is not None else default_out(base.name))
    with folder.lock():
        n_total = len(tasks)
        folder.prepare(
            {"scenario": base.to_dict(), "grid": [a.to_json() for a in axes]},
            {
                "scenario_name": base.name,
                "family": base.family,
                "source": base.source,
                "overrides": list(_as_list(overrides, "override")),
                "seeds": seeds,
                "n_cells": len(cell_list),
                "n_total": n_total,
                "complete": False,
                "table": None,
            },
        )
        done = {k: r for k, r in folder.finished(cell_list, base.seed).items() if k in tasks}
        n_skipped = len(done)
        pending = [t for k, t in tasks.items() if k not in done]
        if pending:
            folder.table_path.unlink(missing_ok=True)  # a stale table of a smaller sweep
        n_run = 0

        bar = Progress(progress).bar(total=n_total, desc=f"sweep {base.name}")
        bar.update(n_skipped)

        def on_result(record: dict[str, Any]) -> None:
            nonlocal n_run
            folder.write_record(record)
            done[(record["cell"], record["seed_index"])] = record
            n_run += 1
            bar.update(1)

        def partial() -> SweepResult:
            folder.update_manifest(finished=len(done), complete=False)
            return SweepResult(
                table=build_table(axes, list(done.values())),
                path=folder.path,
                n_run=n_run,
                n_skipped=n_skipped,
                n_total=n_total,
                complete=False,
                grid=axes,
            )

        try:
            with sigterm_as_interrupt():  # SIGTERM stops a sweep as Ctrl-C does: finished cells kept
                execute(backend, pending, workers=workers, on_result=on_result)
        except KeyboardInterrupt:
            bar.close()
            raise SweepInterrupted(partial()) from None
        except CellFailed as failed:
            bar.close()
            res = partial()
            cell = cell_list[failed.task["cell"]]
            where = f"cell {cell.index} ({cell.describe()}), seed {base.seed + failed.task['seed_index']}"
            kept = (
                f"{res.n_finished} of {res.n_total} cells finished and are kept in {res.path}; "
                f"fix the cause, then {RESUME_HINT}"
            )
            if isinstance(failed.error, MechsimError):
                raise SweepError(f"{where} failed: {failed.error}. {kept}") from failed.error
            failed.error.add_note(f"mechsim sweep: raised by {where}. {kept}")
            raise failed.error from None
        finally:
            bar.close()

        table = build_table(axes, list(done.values()))
        text = table.to_csv()
        atomic_write(folder.table_path, text)
        if have_pyarrow():
            table.to_parquet(folder.path / "sweep.parquet")
        folder.update_manifest(finished=len(done), complete=True, table=table.schema, table_sha256=sha256_text(text))
        result = SweepResult(
            table=table, path=folder.path, n_run=n_run, n_skipped=n_skipped, n_total=n_total, complete=True, grid=axes
        )
        if plot:
            result.figures = plot_sweep_folder(folder, table, axes, title=base.name)
        return result


def plot_sweep_folder(folder: SweepFolder, table: Table, axes: Sequence[GridAxis], *, title: str = "") -> list[Path]:
    from mechsim.plots.sweep import plot_sweep

    figdir = folder.figures_dir
    if figdir.is_symlink() or (figdir.exists() and not figdir.is_dir()):
        raise ResultsError(f"{figdir} is {'a link' if figdir.is_symlink() else 'not a folder'}; remove it, then plot again")
    fresh = folder.path / f".figures.drawing-{os.getpid()}"
    if fresh.exists():
        shutil.rmtree(fresh)
    fresh.mkdir(parents=True)
    try:
        drawn = plot_sweep(table, [a.key for a in axes], fresh, title=title)
        swap_folder(fresh, figdir)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return [figdir / p.name for p in drawn]


def _axes_from_manifest(manifest: dict[str, Any]) -> list[GridAxis]:
    return [GridAxis(a["key"], tuple(a["values"])) for a in manifest.get("grid", [])]


def load_sweep(out: str | os.PathLike, *, partial: bool = False) -> Table:
    """The table of a sweep folder.

    A complete sweep reads ``sweep.csv`` (exactly the table ``run_sweep`` returned). An
    unfinished one raises :class:`~mechsim.errors.ResultsError`, or with ``partial=True``
    returns the rows finished so far, assembled from ``cells/``.
    """
    folder = SweepFolder(out)
    manifest = folder.read_manifest()
    if manifest.get("complete") and manifest.get("table") and folder.table_path.is_file():
        digest = manifest.get("table_sha256")
        if digest is not None:
            try:
                text = folder.table_path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ResultsError(f"cannot read {folder.table_path}: {exc}") from None
            if sha256_text(text) != digest:
                raise ResultsError(
                    f"{folder.table_path} was changed after the sweep finished (its checksum differs from {folder.manifest_path}); "
                    f"delete it and {RESUME_HINT} to rebuild it from cells/"
                )
        return Table.from_csv(folder.table_path, manifest["table"])
    axes = _axes_from_manifest(manifest)
    cell_list = grid_cells(axes)
    base_seed = int(manifest["scenario"]["scenario"].get("seed", 0))
    try:
        records = [r for (c, s), r in folder.finished(cell_list, base_seed).items() if s < manifest["seeds"]]
    except SweepError as exc:
        raise ResultsError(str(exc)) from None
    if not partial:
        raise ResultsError(
            f"the sweep in {folder.path} is not complete ({len(records)} of {manifest.get('n_total', '?')} cells "
            f"finished); {RESUME_HINT}, or pass partial=True to read the finished rows"
        )
    return build_table(axes, records)
