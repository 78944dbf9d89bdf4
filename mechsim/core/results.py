"""Results of one run, and the results folder layout.

::

    results/<scenario-name>/<run-id>/
      scenario.toml     the resolved scenario, with seed and versions
      rounds.csv        tidy per-round, per-agent rows (the family's main table)
      rounds.parquet    the same table as Parquet (when pyarrow is installed)
      <other>.csv       further tables of the family (and their .parquet)
      summary.json      headline metrics with confidence intervals over replications
      manifest.json     table schemas, file checksums, versions of every package the run
                        used, command line, git commit, wall time, host; completion status
      figures/*.png     the family's standard plots

The run id is ``seed<seed>-<hash of the resolved scenario>``: the same scenario and
seed always land in the same folder. A folder is written beside its target and swapped
in by one rename, so a reader never sees a complete run mixed with a partial one. An
interrupted run never replaces a complete one: it goes to ``<run-id>.partial``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mechsim.core import tomlio
from mechsim.core.fileio import atomic_write, atomic_write_bytes, check_slug, safe_child, sha256_text, swap_folder
from mechsim.core.scenario import Scenario, parse_scenario
from mechsim.core.table import DTYPES, Table
from mechsim.errors import MechsimError, ResultsError

__all__ = ["Results", "run_id", "versions", "jsonable", "PARTIAL_SUFFIX", "find_complete_run", "latest_run"]

PARTIAL_SUFFIX = ".partial"
_ALWAYS = ("mechsim", "numpy", "scipy", "simpy")
#: Packages whose versions are recorded whenever the run imported them.
_TRACKED = (
    "torch", "flwr", "ray", "vyper", "titanoboa", "openskill", "cvxpy", "scikit-learn", "matplotlib",
    "networkx", "pandas", "pyarrow", "tqdm",
)
_MODULE_OF = {"scikit-learn": "sklearn", "titanoboa": "boa"}


def versions(*, used_only: bool = False) -> dict[str, str]:
    """Versions of mechsim's core packages, plus every tracked package this process imported.

    With ``used_only=False`` (the default, for sweep manifests that are compared across
    reruns) only the core packages are listed.
    """
    from importlib import metadata

    names = list(_ALWAYS)
    if used_only:
        names += [p for p in _TRACKED if _MODULE_OF.get(p, p) in sys.modules]
    out = {}
    for pkg in names:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def run_id(scenario: Scenario) -> str:
    digest = hashlib.sha1(scenario.to_toml().encode("utf-8")).hexdigest()[:8]
    return f"seed{scenario.seed}-{digest}"


def jsonable(x: Any) -> Any:
    """Plain JSON types: numpy scalars and arrays converted; ``nan`` and ``inf`` become ``null``.

    JSON has no non-finite numbers; ``null`` is what every JSON reader understands as
    "no value" (the summary says why where it matters, e.g. ``n_too_small``).
    """
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if hasattr(x, "tolist"):
        return jsonable(x.tolist())
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _header(target: Path) -> str:
    return f"# mechsim {versions()['mechsim']}, resolved scenario (re-run with: mechsim run {target / 'scenario.toml'})\n"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read it: {exc}") from None


def _clean_stale(target: Path) -> None:
    """Remove half-written siblings ``.<name>.writing-<pid>`` left by a process that died (kill -9)."""
    for d in target.parent.glob(f".{target.name}.writing-*"):
        try:
            pid = int(d.name.rsplit("-", 1)[1])
        except ValueError:
            continue
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass


def find_complete_run(out_root: str | os.PathLike, scenario: Scenario) -> Path | None:
    """The folder of an identical, complete, intact run of ``scenario`` under ``out_root``, if any.

    Identical: the same resolved scenario (hence the same run id); complete: the manifest
    says so; intact: every listed file is present with its recorded checksum.
    """
    target = safe_child(out_root, scenario.name, run_id(scenario))
    if not target.is_dir() or target.is_symlink():
        return None
    try:
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
        text = (target / "scenario.toml").read_text(encoding="utf-8")
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(manifest, dict) or manifest.get("complete") is not True:
        return None
    if not text.endswith(scenario.to_toml()):
        return None
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        return None
    for name, digest in files.items():
        p = target / str(name)
        try:
            if Path(name).name != name or hashlib.sha256(p.read_bytes()).hexdigest() != digest:
                return None
        except OSError:
            return None
    return target


@dataclass
class Results:
    """Tables, summary and metadata of one run.

    ``run_info`` is what the runner measured around the run (command line, wall time,
    git commit, host); it goes to ``manifest.json`` and never into the tables or summary.
    """

    scenario: Scenario
    tables: dict[str, Table]
    summary: dict[str, Any]
    complete: bool = True
    path: Path | None = field(default=None, compare=False)
    #: ``plotter(results, figdir) -> list[Path]``: the family's figures. Set by the runner
    #: (:func:`mechsim.core.runner.run_scenario`, :func:`mechsim.core.runner.load_results`);
    #: ``Results`` itself never looks families up.
    plotter: Callable[[Results, Path], list[Path]] | None = field(default=None, compare=False, repr=False)
    run_info: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    manifest: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def main(self) -> Table:
        return self.tables["rounds"]

    def target(self, out_root: str | os.PathLike = "results") -> Path:
        """Where :meth:`write` puts this run under ``out_root`` (partial runs: ``<run-id>.partial``)."""
        rid = run_id(self.scenario) + ("" if self.complete else PARTIAL_SUFFIX)
        return safe_child(out_root, self.scenario.name, rid)

    def write(self, out_root: str | os.PathLike = "results", *, folder: str | os.PathLike | None = None, plot: bool = True) -> Path:
        """Write the results folder; returns its path. Figures are drawn unless ``plot=False``.

        Everything is written to a fresh folder beside the target, then swapped in. The
        target is ``out_root/<scenario name>/<run id>`` (``<run id>.partial`` for an
        interrupted run, so a complete run of the same scenario and seed is never
        replaced by a partial one), or ``folder`` when given.
        """
        if folder is not None:
            target = Path(folder)
            if target.is_dir() and any(target.iterdir()) and not (target / "manifest.json").is_file():
                raise ResultsError(
                    f"{target} is a non-empty folder that holds no mechsim results; not replacing it (choose another folder)"
                )
        else:
            check_slug(self.scenario.name)
            target = self.target(out_root)
        target.parent.mkdir(parents=True, exist_ok=True)
        _clean_stale(target)
        fresh = target.parent / f".{target.name}.writing-{os.getpid()}"
        if fresh.exists():
            shutil.rmtree(fresh)
        fresh.mkdir()
        try:
            self._write_files(fresh, target, plot=plot)
            swap_folder(fresh, target)
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        self.path = target
        if self.complete and folder is None:
            # a finished run supersedes an earlier interrupted one of the same scenario and seed
            stale = target.with_name(target.name + PARTIAL_SUFFIX)
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
        return target

    def _write_files(self, fresh: Path, target: Path, *, plot: bool) -> dict[str, str]:
        from mechsim.core import table as table_mod

        files: dict[str, str] = {}

        def put(name: str, text: str) -> None:
            atomic_write(fresh / name, text)
            files[name] = sha256_text(text)

        put("scenario.toml", _header(target) + self.scenario.to_toml())
        parquet = table_mod.have_pyarrow()
        for name, table in self.tables.items():
            put(f"{name}.csv", table.to_csv())
            if parquet:
                data = table.to_parquet_bytes()
                atomic_write_bytes(fresh / f"{name}.parquet", data)
                files[f"{name}.parquet"] = hashlib.sha256(data).hexdigest()
        put("summary.json", json.dumps(jsonable(self.summary), indent=2, sort_keys=True) + "\n")
        figures: list[str] = []
        if plot and self.plotter is not None:
            figdir = fresh / "figures"
            figdir.mkdir()
            self.path = fresh
            figures = [p.relative_to(fresh).as_posix() for p in self.plotter(self, figdir)]
        manifest = {
            "scenario": self.scenario.name,
            "family": self.scenario.family,
            "seed": self.scenario.seed,
            "run_id": run_id(self.scenario),
            "complete": self.complete,
            "tables": {n: t.schema for n, t in self.tables.items()},
            "files": files,
            "figures": figures,
            "versions": versions(used_only=True),
            **{k: v for k, v in self.run_info.items()},
        }
        atomic_write(fresh / "manifest.json", json.dumps(jsonable(manifest), indent=2) + "\n")
        self.manifest = manifest
        return files

    def plot(self, folder: str | os.PathLike | None = None) -> list[Path]:
        """Draw the family's standard figures into ``<folder>/figures`` (default: the results folder).

        The figures are drawn into a fresh folder and swapped in; ``figures`` being a file
        or a link raises :class:`~mechsim.errors.ResultsError` (nothing is deleted through a link).
        """
        base = Path(folder) if folder is not None else self.path
        if base is None:
            raise ResultsError("these results were not written yet; pass a folder to plot()")
        if self.plotter is None:
            raise ResultsError("these results have no plotter; load them with mechsim.core.runner.load_results")
        figdir = base / "figures"
        if figdir.is_symlink() or (figdir.exists() and not figdir.is_dir()):
            raise ResultsError(f"{figdir} is {'a link' if figdir.is_symlink() else 'not a folder'}; remove it, then plot again")
        fresh = base / f".figures.drawing-{os.getpid()}"
        if fresh.exists():
            shutil.rmtree(fresh)
        fresh.mkdir(parents=True)
        try:
            drawn = self.plotter(self, fresh)
        except MechsimError:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        except (KeyError, ValueError, IndexError, TypeError) as exc:
            shutil.rmtree(fresh, ignore_errors=True)
            raise ResultsError(
                f"cannot draw the figures of {base}: its tables lack what the plots need ({type(exc).__name__}: {exc}); "
                "the folder looks damaged or incomplete"
            ) from None
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        swap_folder(fresh, figdir)
        return [figdir / p.relative_to(fresh) for p in drawn]

    @classmethod
    def load(cls, folder: str | os.PathLike) -> Results:
        """Read a results folder written by :meth:`write`.

        A damaged folder (missing or odd manifest, truncated or edited table, bad
        scenario) raises :class:`~mechsim.errors.ResultsError`, never another error.
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise ResultsError(f"{folder} is not a mechsim results folder: it is not a folder")
        for f in ("scenario.toml", "summary.json", "manifest.json"):
            if not (folder / f).is_file():
                raise ResultsError(f"{folder} is not a mechsim results folder: {f} is missing")
        manifest = _read_json(folder / "manifest.json")
        summary = _read_json(folder / "summary.json")
        try:
            raw = tomlio.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise ResultsError(f"{folder / 'scenario.toml'}: cannot read it: {exc}") from None
        if not isinstance(manifest, dict) or not isinstance(manifest.get("tables"), dict):
            raise ResultsError(f"{folder / 'manifest.json'} is not a mechsim manifest (no 'tables' mapping)")
        if not isinstance(summary, dict):
            raise ResultsError(f"{folder / 'summary.json'} is not a mapping")
        try:
            scenario = parse_scenario(raw, file=folder / "scenario.toml")
        except MechsimError as exc:
            raise ResultsError(f"{folder}: the resolved scenario is invalid: {exc}") from None
        tables = {}
        for n, schema in manifest["tables"].items():
            if (
                not isinstance(n, str)
                or Path(n).name != n
                or not isinstance(schema, dict)
                or not all(isinstance(k, str) and v in DTYPES for k, v in schema.items())
            ):
                raise ResultsError(f"{folder / 'manifest.json'}: table {n!r} has an invalid schema {schema!r}")
            tables[n] = Table.from_csv(folder / f"{n}.csv", schema)
        files = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
        for name, digest in files.items():
            if str(name).endswith(".csv") and (folder / str(name)).is_file():
                if hashlib.sha256((folder / str(name)).read_bytes()).hexdigest() != digest:
                    raise ResultsError(f"{folder / str(name)} was changed after the run (its checksum differs from manifest.json)")
        complete = manifest.get("complete", True)
        return cls(
            scenario=scenario, tables=tables, summary=summary, complete=complete is True, path=folder, manifest=manifest
        )


def latest_run(scenario_folder: str | os.PathLike) -> Path | None:
    """The most recently written complete run folder under ``results/<scenario-name>``.

    Falls back to the latest run of any status when none is complete; ``None`` if there is none.
    """
    root = Path(scenario_folder)
    runs = []
    for d in root.iterdir() if root.is_dir() else ():
        m = d / "manifest.json"
        if d.name.startswith(".") or d.is_symlink() or not m.is_file():
            continue
        try:
            complete = json.loads(m.read_text(encoding="utf-8")).get("complete") is True
        except (OSError, ValueError, AttributeError, UnicodeDecodeError):
            continue
        runs.append((complete, m.stat().st_mtime_ns, d.name, d))
    if not runs:
        return None
    return max(runs)[3]
