"""A small typed, columnar table with exact CSV round-trips.

Columns are numpy arrays of one declared type: ``int``, ``float``, ``bool`` or
``str``. Floats are written with ``repr`` so a table read back is bit-for-bit the
table written. Parquet (through pyarrow) round-trips exactly too; ``to_pandas()`` and
``to_arrow()`` are there for notebooks. ``print(table)`` shows a short preview.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mechsim.errors import MechsimError, ResultsError

__all__ = ["Table", "DTYPES", "have_pyarrow"]

_ARROW = {"int": "int64", "float": "float64", "bool": "bool_", "str": "string"}


def have_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True

DTYPES: dict[str, Any] = {"int": np.int64, "float": np.float64, "bool": np.bool_, "str": object}


def _coerce(name: str, kind: str, values: Any) -> np.ndarray:
    if kind not in DTYPES:
        raise MechsimError(f"column {name!r}: unknown type {kind!r}; expected one of {', '.join(DTYPES)}")
    arr = np.asarray(values)
    if kind == "str":
        return np.array([str(v) for v in arr.ravel()], dtype=object)
    if kind == "int" and arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise MechsimError(f"column {name!r} is declared int but got non-integer values")
    if kind in ("int", "bool") and arr.dtype.kind in "OUS":
        raise MechsimError(f"column {name!r} is declared {kind} but got {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=DTYPES[kind]).ravel()


class Table:
    """Typed columns of equal length.

    Parameters
    ----------
    schema : mapping of column name to type name
    columns : mapping of column name to 1-D array-like
    """

    def __init__(self, schema: Mapping[str, str], columns: Mapping[str, Any] | None = None) -> None:
        self.schema = dict(schema)
        cols = columns or {c: [] for c in self.schema}
        missing = set(self.schema) - set(cols)
        extra = set(cols) - set(self.schema)
        if missing or extra:
            raise MechsimError(f"table columns do not match the schema (missing {sorted(missing)}, extra {sorted(extra)})")
        self.columns = {c: _coerce(c, k, cols[c]) for c, k in self.schema.items()}
        lengths = {len(v) for v in self.columns.values()}
        if len(lengths) > 1:
            raise MechsimError(f"table columns have different lengths: {sorted(lengths)}")

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, col: str) -> np.ndarray:
        return self.columns[col]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table) or self.schema != other.schema:
            return False
        return all(
            np.array_equal(self.columns[c], other.columns[c], equal_nan=self.schema[c] == "float")
            for c in self.schema
        )

    def __repr__(self) -> str:
        return f"Table({len(self)} rows: {', '.join(f'{c}:{k}' for c, k in self.schema.items())})"

    def rows(self) -> Iterator[dict[str, Any]]:
        cols = list(self.schema)
        for i in range(len(self)):
            yield {c: self.columns[c][i].item() if self.schema[c] != "str" else self.columns[c][i] for c in cols}

    def where(self, **equal: Any) -> Table:
        """Rows whose columns equal the given values."""
        mask = np.ones(len(self), dtype=bool)
        for c, v in equal.items():
            mask &= self.columns[c] == v
        return Table(self.schema, {c: a[mask] for c, a in self.columns.items()})

    def unique(self, col: str) -> list[Any]:
        """Distinct values of a column in first-seen order."""
        seen: dict[Any, None] = {}
        for v in self.columns[col]:
            seen.setdefault(v.item() if hasattr(v, "item") else v, None)
        return list(seen)

    # -- CSV --------------------------------------------------------------------
    def to_csv(self, path: str | Path | None = None) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(list(self.schema))
        fmt = {"float": repr, "int": str, "bool": lambda b: "true" if b else "false", "str": str}
        cols = [(self.columns[c], fmt[k]) for c, k in self.schema.items()]
        for i in range(len(self)):
            w.writerow([f(a[i].item() if k != "str" else a[i]) for (a, f), k in zip(cols, self.schema.values())])
        text = buf.getvalue()
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_csv(cls, path: str | Path, schema: Mapping[str, str]) -> Table:
        """Read a CSV written by :meth:`to_csv`; a damaged file raises :class:`ResultsError`."""
        try:
            with open(path, newline="", encoding="utf-8") as fh:
                reader = csv.reader(fh)
                header = next(reader)
                rows = list(reader)
        except (OSError, StopIteration, UnicodeDecodeError, csv.Error) as exc:
            raise ResultsError(f"cannot read table {path}: {exc or 'empty file'}") from None
        if header != list(schema):
            raise ResultsError(f"table {path} has columns {header}; expected {list(schema)}")
        for i, r in enumerate(rows):
            if len(r) != len(header):
                raise ResultsError(
                    f"table {path} is damaged or truncated: line {i + 2} has {len(r)} fields; expected {len(header)}"
                )
        parse = {
            "float": float,
            "int": int,
            "bool": _parse_bool,
            "str": str,
        }
        try:
            cols = {c: [parse[k](r[i]) for r in rows] for i, (c, k) in enumerate(schema.items())}
            return cls(schema, cols)
        except (ValueError, MechsimError) as exc:
            raise ResultsError(f"table {path} is damaged: {exc}") from None

    # -- Arrow / Parquet / pandas ------------------------------------------------------
    def to_arrow(self) -> Any:
        """A ``pyarrow.Table`` with the same columns and types (the schema is kept in its metadata)."""
        import pyarrow as pa

        arrays = {}
        for c, k in self.schema.items():
            typ = getattr(pa, _ARROW[k])()
            arrays[c] = pa.array(list(self.columns[c]) if k == "str" else self.columns[c], type=typ)
        meta = {b"mechsim.schema": json.dumps(self.schema).encode("utf-8")}
        return pa.table(arrays).replace_schema_metadata(meta)

    def to_parquet_bytes(self) -> bytes:
        import pyarrow as pa
        import pyarrow.parquet as pq

        sink = pa.BufferOutputStream()
        pq.write_table(self.to_arrow(), sink, compression="zstd")
        return sink.getvalue().to_pybytes()

    def to_parquet(self, path: str | Path) -> Path:
        from mechsim.core.fileio import atomic_write_bytes

        return atomic_write_bytes(path, self.to_parquet_bytes())

    @classmethod
    def from_parquet(cls, path: str | Path, schema: Mapping[str, str] | None = None) -> Table:
        """Read a Parquet file written by :meth:`to_parquet` (``schema`` defaults to the stored one)."""
        try:
            import pyarrow.parquet as pq

            at = pq.read_table(path)
            if schema is None:
                meta = (at.schema.metadata or {}).get(b"mechsim.schema")
                schema = json.loads(meta) if meta else None
            if schema is None:
                raise ResultsError(f"{path} has no mechsim schema; pass schema=")
            cols = {c: at.column(c).to_numpy(zero_copy_only=False) for c in schema}
            return cls(schema, cols)
        except ImportError:
            raise
        except (OSError, KeyError, ValueError, MechsimError) as exc:
            if isinstance(exc, ResultsError):
                raise
            raise ResultsError(f"cannot read table {path}: {exc}") from None

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` (pandas is a core dependency of mechsim)."""
        import pandas as pd

        return pd.DataFrame({c: self.columns[c] for c in self.schema})

    def preview(self, n: int = 8, width: int = 12) -> str:
        """The first and last rows as aligned text, with the shape."""
        cols = list(self.schema)
        idx = list(range(len(self))) if len(self) <= n else [*range(n // 2), -1, *range(len(self) - n // 2, len(self))]

        def cell(c: str, i: int) -> str:
            if i < 0:
                return "..."
            v = self.columns[c][i]
            if self.schema[c] == "float":
                return f"{float(v):.6g}"
            return str(v.item() if hasattr(v, "item") else v)

        body = [[cell(c, i) for c in cols] for i in idx]
        widths = [max(len(c), min(width, max([0] + [len(r[j]) for r in body]))) for j, c in enumerate(cols)]

        def clip(s: str, w: int) -> str:
            return s if len(s) <= w else s[: w - 1] + "~"

        lines = ["  ".join(c.rjust(w) for c, w in zip(cols, widths))]
        lines += ["  ".join(clip(v, w).rjust(w) for v, w in zip(r, widths)) for r in body]
        lines.append(f"[{len(self)} rows x {len(cols)} columns]")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.preview()


def _parse_bool(s: str) -> bool:
    if s not in ("true", "false"):
        raise ValueError(f"expected true or false, got {s!r}")
    return s == "true"
