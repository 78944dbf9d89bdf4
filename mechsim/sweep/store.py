"""The sweep folder: manifest, one file per finished (cell, seed), the tidy table.

::

    <out>/
      sweep.json            manifest: resolved base scenario, grid, seeds, status, table schema
      cells/c00003-s0001.json   one finished (cell, seed) run: settings, seed, metrics, summary, checksum
      sweep.csv             one row per (cell, seed), written when the sweep completes
      sweep.parquet         the same table as Parquet (when pyarrow is installed)
      figures/*.png         metric-vs-parameter plots (mean and 95% CI over seeds)
      .sweep.lock           held (``flock``) by the one process running into this folder

Every file is written atomically (a temporary file, then ``os.replace``), so a
cell file on disk is always a finished run, whatever killed the sweep. Each cell
file carries a SHA-256 of its content: an edited or corrupted one is reported and
run again, never tabulated. The manifest is written before any cell runs; a rerun
compares its resolved scenario and grid with the folder's and refuses a different
sweep. A second process that starts a sweep into a folder in use is refused (the
lock is released by the kernel when its holder dies, even by kill -9).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import warnings
from collections.abc import Iterator
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mechsim.core.results import jsonable, versions
from mechsim.core.fileio import atomic_write
from mechsim.core.table import Table
from mechsim.errors import ResultsError, SweepError
from mechsim.sweep.grid import Cell, GridAxis, column_type, column_value

__all__ = ["SweepFolder", "build_table", "record_checksum", "MANIFEST", "TABLE", "FORMAT", "LOCK"]

MANIFEST = "sweep.json"
TABLE = "sweep.csv"
CELLS = "cells"
LOCK = ".sweep.lock"
FORMAT = 1
_CELL_RE = re.compile(r"^c(\d+)-s(\d+)\.json$")


def _normal(x: Any) -> Any:
    """JSON-normal form: what a value looks like after a write and a read."""
    return json.loads(json.dumps(jsonable(x)))


def _first_difference(old: Any, new: Any, path: str = "") -> str | None:
    """The dotted path of the first difference between two JSON-normal values."""
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            sub = f"{path}.{k}" if path else k
            if k not in old:
                return f"{sub} (absent in the folder, now {json.dumps(new[k])})"
            if k not in new:
                return f"{sub} (folder has {json.dumps(old[k])}, now absent)"
            d = _first_difference(old[k], new[k], sub)
            if d:
                return d
        return None
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            d = _first_difference(a, b, f"{path}[{i}]")
            if d:
                return d
        return None
    if old != new:
        return f"{path or '(root)'} (folder has {json.dumps(old)}, now {json.dumps(new)})"
    return None


def record_checksum(record: Mapping[str, Any]) -> str:
    """SHA-256 of a cell record's JSON-normal content, without its ``checksum`` key."""
    body = {k: v for k, v in _normal(record).items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


class SweepFolder:
    """Reads and writes one sweep's output folder."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.manifest_path = self.path / MANIFEST
        self.cells_dir = self.path / CELLS
        self.table_path = self.path / TABLE
        self.figures_dir = self.path / "figures"
        self.lock_path = self.path / LOCK

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's lock; a second holder gets :class:`SweepError` at once."""
        if self.path.exists() and not self.path.is_dir():
            raise SweepError(f"sweep output {self.path} exists and is not a folder")
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
                raise SweepError(
                    f"another sweep (pid {holder}) is running into {self.path}; wait for it to finish, "
                    "then rerun to resume, or use another output folder (--out)"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
            yield
        finally:
            os.close(fd)  # releases the lock

    # -- manifest ----------------------------------------------------------------
    def read_manifest(self) -> dict[str, Any]:
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ResultsError(f"{self.path} is not a mechsim sweep folder: {MANIFEST} is missing") from None
        except (OSError, ValueError) as exc:
            raise ResultsError(f"{self.manifest_path}: cannot read the sweep manifest: {exc}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ResultsError(f"{self.manifest_path} is not a mechsim sweep manifest (format {FORMAT})")
        return manifest

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        atomic_write(self.manifest_path, json.dumps(jsonable(manifest), indent=2) + "\n")

    def prepare(self, identity: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
        """Create the folder, or check that it holds the same sweep; returns the manifest.

        ``identity`` (resolved base scenario and grid) must match the folder's;
        ``extra`` (seeds, counts, status) is updated.
        """
        identity = _normal(identity)
        if self.path.exists() and not self.path.is_dir():
            raise SweepError(f"sweep output {self.path} exists and is not a folder")
        if self.manifest_path.is_file():
            try:
                old = self.read_manifest()
            except ResultsError as exc:
                raise SweepError(f"cannot resume into {self.path}: {exc}") from None
            for part in ("scenario", "grid"):
                diff = _first_difference(old.get(part), identity[part], "" if part == "scenario" else part)
                if diff is not None:
                    raise SweepError(
                        f"cannot resume into {self.path}: it holds a sweep with a different {part} "
                        f"(first difference: {diff}). Use another output folder (--out) for a new sweep, "
                        "or delete this one."
                    )
        elif self.path.is_dir() and any(p.name != LOCK for p in self.path.iterdir()):
            raise SweepError(
                f"sweep output {self.path} is a non-empty folder without {MANIFEST}: "
                "not a mechsim sweep folder; choose another output folder (--out)"
            )
        self.cells_dir.mkdir(parents=True, exist_ok=True)
        manifest = {"format": FORMAT, **identity, **extra, "versions": versions()}
        self.write_manifest(manifest)
        for stale in self.cells_dir.glob(".*.tmp"):  # left by a kill -9 mid-write
            stale.unlink(missing_ok=True)
        return manifest

    def update_manifest(self, **changes: Any) -> dict[str, Any]:
        manifest = self.read_manifest()
        manifest.update(changes)
        self.write_manifest(manifest)
        return manifest

    # -- cell records --------------------------------------------------------------
    def cell_path(self, cell: int, seed_index: int) -> Path:
        return self.cells_dir / f"c{cell:05d}-s{seed_index:04d}.json"

    def write_record(self, record: Mapping[str, Any]) -> Path:
        path = self.cell_path(record["cell"], record["seed_index"])
        record = {**record, "metric_names": list(record["metrics"])}
        record["checksum"] = record_checksum(record)
        atomic_write(path, json.dumps(jsonable(record), indent=1, sort_keys=True) + "\n")
        return path

    def finished(self, cells: Sequence[Cell], base_seed: int) -> dict[tuple[int, int], dict[str, Any]]:
        """Records on disk, keyed by ``(cell, seed_index)``, checked against the grid.

        An unreadable file is reported and run again; a file whose settings or seed
        contradict the manifest raises :class:`SweepError`.
        """
        out: dict[tuple[int, int], dict[str, Any]] = {}
        if not self.cells_dir.is_dir():
            return out
        for path in sorted(self.cells_dir.iterdir()):
            m = _CELL_RE.match(path.name)
            if not m:
                continue
            try:
                rec = json.loads(path.read_text(encoding="utf-8"))
                if rec.get("checksum") != record_checksum(rec):
                    raise ValueError("its checksum does not match its content: it was edited or corrupted")
                key = (int(rec["cell"]), int(rec["seed_index"]))
                order = rec.get("metric_names") or sorted(rec["metrics"])
                rec["metrics"] = {str(k): (float("nan") if rec["metrics"][k] is None else float(rec["metrics"][k])) for k in order}
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                warnings.warn(f"sweep cell file {path} is unreadable ({exc}); it will be run again", stacklevel=2)
                continue
            if key != (int(m.group(1)), int(m.group(2))):
                raise SweepError(f"sweep cell file {path} holds cell {key[0]}, seed index {key[1]}; its name says otherwise")
            cell_i, s = key
            if cell_i >= len(cells):
                raise SweepError(f"sweep cell file {path} names cell {cell_i}, but the grid has {len(cells)} cells")
            expected = _normal(cells[cell_i].mapping)
            if _normal(rec.get("params")) != expected or rec.get("seed") != base_seed + s:
                raise SweepError(
                    f"sweep cell file {path} does not match the manifest (settings {rec.get('params')!r}, "
                    f"seed {rec.get('seed')!r}; expected {expected!r}, seed {base_seed + s}); delete it to run it again"
                )
            out[key] = rec
        return out


def build_table(axes: Sequence[GridAxis], records: Sequence[Mapping[str, Any]]) -> Table:
    """The tidy table: grid columns, ``seed``, metric columns; rows in (cell, seed) order.

    Metric columns appear in first-seen order along that row order; a metric a row
    lacks is ``nan``. A metric named like a grid column or ``seed`` gets a
    ``metric:`` prefix.
    """
    records = sorted(records, key=lambda r: (r["cell"], r["seed_index"]))
    schema: dict[str, str] = {a.key: column_type(a.values) for a in axes}
    schema["seed"] = "int"
    metric_names: dict[str, None] = {}
    for r in records:
        for name in r["metrics"]:
            metric_names.setdefault(name, None)
    metric_col = {m: (f"metric:{m}" if m in schema else m) for m in metric_names}
    for m, col in metric_col.items():
        schema[col] = "float"
    cols: dict[str, list[Any]] = {c: [] for c in schema}
    for r in records:
        for a in axes:
            cols[a.key].append(column_value(r["params"][a.key], schema[a.key]))
        cols["seed"].append(int(r["seed"]))
        for m, col in metric_col.items():
            v = r["metrics"].get(m)
            cols[col].append(float("nan") if v is None else float(v))
    return Table(schema, cols)
