"""A small typed, columnar table with exact CSV round-trips.

Columns are numpy arrays of one declared type: ``int``, ``float``, ``bool`` or
``str``. Floats are written with ``repr`` so a table read back is bit-for-bit the
table written. ``to_pandas()`` is there for notebooks when pandas is installed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mechsim.errors import MechsimError, ResultsError

__all__ = ["Table", "DTYPES"]

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
        try:
            with open(path, newline="", encoding="utf-8") as fh:
                reader = csv.reader(fh)
                header = next(reader)
                rows = list(reader)
        except (OSError, StopIteration) as exc:
            raise ResultsError(f"cannot read table {path}: {exc or 'empty file'}") from None
        if header != list(schema):
            raise ResultsError(f"table {path} has columns {header}; expected {list(schema)}")
        parse = {
            "float": float,
            "int": int,
            "bool": lambda s: s == "true",
            "str": str,
        }
        cols = {c: [parse[k](r[i]) for r in rows] for i, (c, k) in enumerate(schema.items())}
        return cls(schema, cols)

    def to_pandas(self) -> Any:
        import pandas as pd  # optional

        return pd.DataFrame({c: self.columns[c] for c in self.schema})
