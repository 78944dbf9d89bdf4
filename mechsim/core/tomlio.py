"""Reading TOML (stdlib ``tomllib``) and writing the small subset mechsim needs.

The writer handles nested tables of strings, ints, floats (round-tripping exactly,
``nan`` and ``inf`` included), bools and (nested) lists of those, which is what a
resolved scenario holds.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from typing import Any

__all__ = ["loads", "dumps", "format_value", "parse_value"]

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")

loads = tomllib.loads


def _key(k: str) -> str:
    return k if _BARE.match(k) else format_value(k)


def format_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        r = repr(v)
        return r if ("." in r or "e" in r or "n" in r) else r + ".0"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(format_value(x) for x in v) + "]"
    if hasattr(v, "item"):  # numpy scalar
        return format_value(v.item())
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dumps(data: Mapping[str, Any]) -> str:
    """Write nested mappings as TOML tables (scalars first, then sub-tables)."""
    lines: list[str] = []

    def emit(table: Mapping[str, Any], prefix: str) -> None:
        scalars = [(k, v) for k, v in table.items() if not isinstance(v, Mapping)]
        subs = [(k, v) for k, v in table.items() if isinstance(v, Mapping)]
        if prefix and (scalars or not subs):
            lines.append(f"[{prefix}]")
        for k, v in scalars:
            if v is None:
                continue
            lines.append(f"{_key(k)} = {format_value(v)}")
        if scalars or (prefix and not subs):
            lines.append("")
        for k, v in subs:
            emit(v, f"{prefix}.{_key(k)}" if prefix else _key(k))

    emit(data, "")
    return "\n".join(lines).rstrip() + "\n"


def parse_value(text: str) -> Any:
    """Parse a command-line value as a TOML value; bare words are strings.

    ``0.5`` -> 0.5, ``[0.9, 0.8]`` -> list, ``true`` -> True, ``ucb`` -> "ucb".
    """
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
