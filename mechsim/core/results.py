"""Results of one run, and the results folder layout.

::

    results/<scenario-name>/<run-id>/
      scenario.toml     the resolved scenario, with seed and versions
      rounds.csv        tidy per-round, per-agent rows (the family's main table)
      <other>.csv       further tables of the family
      summary.json      headline metrics with confidence intervals over replications
      manifest.json     table schemas, versions, completion status
      figures/*.png     the family's standard plots

The run id is ``seed<seed>-<hash of the resolved scenario>``: the same scenario and
seed always land in the same folder, so a rerun overwrites rather than piles up.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mechsim.core.fileio import atomic_write
from mechsim.core.scenario import Scenario, parse_scenario
from mechsim.core.table import Table
from mechsim.core import tomlio
from mechsim.errors import ResultsError

__all__ = ["Results", "run_id", "versions", "jsonable"]


def versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for pkg in ("mechsim", "numpy", "scipy", "simpy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def run_id(scenario: Scenario) -> str:
    digest = hashlib.sha1(scenario.to_toml().encode("utf-8")).hexdigest()[:8]
    return f"seed{scenario.seed}-{digest}"


def jsonable(x: Any) -> Any:
    """Plain JSON types (numpy scalars and arrays converted; nan/inf as strings)."""
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if hasattr(x, "tolist"):
        return jsonable(x.tolist())
    if isinstance(x, float) and not math.isfinite(x):
        return repr(x)
    return x


@dataclass
class Results:
    """Tables, summary and metadata of one run."""

    scenario: Scenario
    tables: dict[str, Table]
    summary: dict[str, Any]
    complete: bool = True
    path: Path | None = field(default=None, compare=False)
    #: ``plotter(results, figdir) -> list[Path]``: the family's figures. Set by the runner
    #: (:func:`mechsim.core.runner.run_scenario`, :func:`mechsim.core.runner.load_results`);
    #: ``Results`` itself never looks families up.
    plotter: Callable[[Results, Path], list[Path]] | None = field(default=None, compare=False, repr=False)

    @property
    def main(self) -> Table:
        return self.tables["rounds"]

    def write(self, out_root: str | os.PathLike = "results", *, folder: str | os.PathLike | None = None, plot: bool = True) -> Path:
        """Write the results folder; returns its path. Figures are drawn unless ``plot=False``."""
        target = Path(folder) if folder is not None else Path(out_root) / self.scenario.name / run_id(self.scenario)
        target.mkdir(parents=True, exist_ok=True)
        head = f"# mechsim {versions()['mechsim']}, resolved scenario (re-run with: mechsim run {target / 'scenario.toml'})\n"
        atomic_write(target / "scenario.toml", head + self.scenario.to_toml())
        for name, table in self.tables.items():
            atomic_write(target / f"{name}.csv", table.to_csv())
        atomic_write(target / "summary.json", json.dumps(jsonable(self.summary), indent=2, sort_keys=True) + "\n")
        manifest = {
            "scenario": self.scenario.name,
            "family": self.scenario.family,
            "seed": self.scenario.seed,
            "complete": self.complete,
            "tables": {n: t.schema for n, t in self.tables.items()},
            "versions": versions(),
        }
        atomic_write(target / "manifest.json", json.dumps(manifest, indent=2) + "\n")
        self.path = target
        if plot and self.plotter is not None:
            self.plot()
        return target

    def plot(self, folder: str | os.PathLike | None = None) -> list[Path]:
        """Draw the family's standard figures into ``<folder>/figures`` (default: the results folder)."""
        base = Path(folder) if folder is not None else self.path
        if base is None:
            raise ResultsError("these results were not written yet; pass a folder to plot()")
        if self.plotter is None:
            raise ResultsError("these results have no plotter; load them with mechsim.core.runner.load_results")
        figdir = base / "figures"
        if figdir.exists():
            shutil.rmtree(figdir)
        figdir.mkdir(parents=True)
        return self.plotter(self, figdir)

    @classmethod
    def load(cls, folder: str | os.PathLike) -> Results:
        """Read a results folder written by :meth:`write`."""
        folder = Path(folder)
        for f in ("scenario.toml", "summary.json", "manifest.json"):
            if not (folder / f).is_file():
                raise ResultsError(f"{folder} is not a mechsim results folder: {f} is missing")
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
            summary = json.loads((folder / "summary.json").read_text())
            raw = tomlio.loads((folder / "scenario.toml").read_text())
        except (ValueError, OSError) as exc:
            raise ResultsError(f"{folder}: cannot read results: {exc}") from None
        scenario = parse_scenario(raw, file=folder / "scenario.toml")
        tables = {n: Table.from_csv(folder / f"{n}.csv", schema) for n, schema in manifest["tables"].items()}
        return cls(scenario=scenario, tables=tables, summary=summary, complete=manifest.get("complete", True), path=folder)
