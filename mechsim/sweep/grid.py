"""Sweep grids: ``"dotted.key=v1,v2,..."`` items, their cartesian product, column types.

Value syntax
------------
Each value is parsed like a ``--set`` value (:func:`mechsim.core.tomlio.parse_value`:
TOML values, bare words are strings). Values are separated by ``,`` or ``;`` at the
top level only: separators inside ``[...]``, ``{...}`` or quotes do not split, so::

    policies.ucb1.alpha=0.5,1,2              -> 0.5, 1, 2
    environment.means=[0.9,0.8],[0.6,0.5]    -> [0.9, 0.8], [0.6, 0.5]
    environment.means=[0.9,0.8];[0.6,0.5]    -> the same (``;`` reads better)
    policies.ucb1.log_of="a,b",c             -> "a,b", "c"

Cells are the cartesian product of the items in the order given, the first item
varying slowest (``itertools.product`` order), values in the order written.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mechsim.core import tomlio
from mechsim.errors import OverrideError

__all__ = ["GridAxis", "Cell", "parse_grid", "parse_grid_item", "split_values", "cells", "column_type", "column_value"]

#: keys a grid may not vary: the seed is set by ``seeds``; name and family identify the scenario.
RESERVED = {"scenario.seed": "the seed is varied by `seeds` (seed = scenario seed + 0 .. seeds-1)",
            "scenario.name": "a sweep runs one scenario", "scenario.family": "a sweep runs one scenario family"}


@dataclass(frozen=True)
class GridAxis:
    """One grid item: a dotted scenario key and the values it takes."""

    key: str
    values: tuple[Any, ...]

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "values": [_plain(v) for v in self.values]}


@dataclass(frozen=True)
class Cell:
    """One point of the grid: its index in product order and its ``key -> value`` settings."""

    index: int
    params: tuple[tuple[str, Any], ...]

    @property
    def mapping(self) -> dict[str, Any]:
        return dict(self.params)

    def describe(self) -> str:
        return ", ".join(f"{k}={tomlio.format_value(v)}" for k, v in self.params) or "(base scenario)"


def _plain(v: Any) -> Any:
    """JSON-normal form (tuples to lists) used for storage and comparison."""
    return json.loads(json.dumps(v))


def split_values(text: str) -> list[str]:
    """Split on top-level ``,`` / ``;`` (not inside brackets, braces or quotes)."""
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch in ",;" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def parse_grid_item(item: str) -> GridAxis:
    """``"key=v1,v2"`` -> :class:`GridAxis`; malformed items raise :class:`OverrideError`."""
    if not isinstance(item, str):
        raise OverrideError(f"grid item {item!r} must be a string like 'key.path=v1,v2'", key=str(item))
    if "=" not in item:
        raise OverrideError(f"grid item {item!r} must look like 'key.path=v1,v2,...'", key=item.strip() or item)
    key, _, rest = item.partition("=")
    key = key.strip()
    if not key or any(not p.strip() for p in key.split(".")) or any(c.isspace() for c in key):
        raise OverrideError(f"grid item {item!r} has an empty or malformed key path", key=key or item)
    if key in RESERVED:
        raise OverrideError(f"grid key {key!r} cannot be swept: {RESERVED[key]}", key=key)
    raw_values = split_values(rest)
    if any(v == "" for v in raw_values):
        raise OverrideError(
            f"grid item {item!r} has an empty value; write values as 'key=v1,v2' "
            "(list values as 'key=[1,2];[3,4]')",
            key=key,
        )
    values = tuple(tomlio.parse_value(v) for v in raw_values)
    seen: list[Any] = []
    for v in values:
        p = _plain(v)
        if any(p == s and isinstance(p, bool) == isinstance(s, bool) for s in seen):
            raise OverrideError(f"grid item for {key!r} repeats the value {tomlio.format_value(v)}", key=key)
        seen.append(p)
    return GridAxis(key, values)


def parse_grid(items: Iterable[str]) -> list[GridAxis]:
    """Parse every grid item; a key given twice raises :class:`OverrideError`."""
    if isinstance(items, str):
        items = [items]
    axes = [parse_grid_item(it) for it in items]
    keys = [a.key for a in axes]
    for k in keys:
        if keys.count(k) > 1:
            raise OverrideError(f"grid key {k!r} is given more than once; list all its values in one item", key=k)
    for a in axes:
        for b in axes:
            if a.key != b.key and b.key.startswith(a.key + "."):
                raise OverrideError(f"grid keys {a.key!r} and {b.key!r} overlap", key=b.key)
    return axes


def cells(axes: Sequence[GridAxis]) -> list[Cell]:
    """The cartesian product of the axes, first axis slowest."""
    keys = [a.key for a in axes]
    return [
        Cell(index=i, params=tuple(zip(keys, combo)))
        for i, combo in enumerate(itertools.product(*(a.values for a in axes)))
    ]


def column_type(values: Sequence[Any]) -> str:
    """The table type of a grid column: bool, int, float (ints and floats mixed) or str."""
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "float"
    return "str"


def column_value(value: Any, kind: str) -> Any:
    """A grid value as stored in a column of type ``kind`` (lists and tables as TOML text)."""
    if kind == "float":
        return float(value)
    if kind == "str":
        if isinstance(value, str):
            return value
        if isinstance(value, Mapping):
            return json.dumps(_plain(value), sort_keys=True)
        return tomlio.format_value(value)
    return value
