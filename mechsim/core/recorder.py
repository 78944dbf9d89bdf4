"""Append-only typed rows collected during a run, turned into tables at the end.

Protocol processes call :meth:`Recorder.extend` with whole columns at once (a
vectorised population logs one array per column per step), or :meth:`append` for a
single row. Nothing is analysed or printed inside the dynamics.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mechsim.core.table import DTYPES, Table
from mechsim.errors import MechsimError

__all__ = ["Recorder"]


class Recorder:
    def __init__(self) -> None:
        self._schemas: dict[str, dict[str, str]] = {}
        self._chunks: dict[str, dict[str, list[np.ndarray]]] = {}

    def declare(self, table: str, **schema: str) -> None:
        """Declare a table and its typed columns (``int``, ``float``, ``bool``, ``str``)."""
        if table in self._schemas:
            raise MechsimError(f"table {table!r} is declared twice")
        for c, k in schema.items():
            if k not in DTYPES:
                raise MechsimError(f"column {c!r} of {table!r}: unknown type {k!r}")
        self._schemas[table] = dict(schema)
        self._chunks[table] = {c: [] for c in schema}

    def extend(self, table: str, **columns: Any) -> None:
        """Append rows given as columns; scalars broadcast to the length of the arrays."""
        schema = self._schema(table, columns)
        arrays = {c: np.asarray(v) for c, v in columns.items()}
        n = max((a.size for a in arrays.values() if a.ndim > 0), default=1)
        for c, a in arrays.items():
            if a.ndim == 0:
                a = np.full(n, a.item() if schema[c] != "str" else str(a), dtype=object if schema[c] == "str" else None)
            elif a.size != n:
                raise MechsimError(f"table {table!r}: column {c!r} has {a.size} values, expected {n}")
            self._chunks[table][c].append(a.ravel())

    def append(self, table: str, **row: Any) -> None:
        self.extend(table, **{c: [v] for c, v in row.items()})

    def _schema(self, table: str, columns: dict[str, Any]) -> dict[str, str]:
        if table not in self._schemas:
            raise MechsimError(f"table {table!r} was not declared")
        schema = self._schemas[table]
        if set(columns) != set(schema):
            raise MechsimError(
                f"table {table!r}: got columns {sorted(columns)}, declared {sorted(schema)}"
            )
        return schema

    def tables(self) -> dict[str, Table]:
        out = {}
        for name, schema in self._schemas.items():
            chunks = self._chunks[name]
            cols = {c: (np.concatenate(chunks[c]) if chunks[c] else np.array([])) for c in schema}
            out[name] = Table(schema, cols)
        return out
