"""Scenario families: which sections a family's scenario has and how it runs.

A family (``bandits``, ``clickbandit``, ``collab`` ...) registers one
:class:`FamilySpec`. The scenario parser reads it to validate a file; the runner
calls ``spec.run``; ``mechsim plot`` calls ``spec.plot``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mechsim.core.params import Constraint
from mechsim.core.registry import load_families, suggest
from mechsim.errors import UnknownComponentError

if TYPE_CHECKING:
    from mechsim.core.runner import RunContext
    from mechsim.core.results import Results
    from mechsim.core.scenario import Scenario

__all__ = ["Section", "Setting", "FamilySpec", "register_family", "get_family", "families"]


@dataclass(frozen=True)
class Setting:
    """A key of the ``[scenario]`` table that a family adds (``horizon``, ``n_rounds`` ...)."""

    constraint: Constraint
    default: Any = ...  # Ellipsis: required
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is ...


@dataclass(frozen=True)
class Section:
    """A component section of a scenario file.

    ``many=True`` means a table of labelled components (``[policies.ucb1]``,
    ``[policies.ts]``); otherwise the section is one component table.
    """

    kind: str
    many: bool = False
    required: bool = True
    doc: str = ""


@dataclass(frozen=True)
class FamilySpec:
    name: str
    settings: Mapping[str, Setting]
    sections: Mapping[str, Section]
    run: Callable[[Scenario, RunContext], Results]
    plot: Callable[[Results, Path], list[Path]]
    doc: str = ""
    #: metrics flattened into one sweep row: ``summary -> {column: float}``
    sweep_metrics: Callable[[Mapping[str, Any]], dict[str, float]] | None = field(default=None)


_FAMILIES: dict[str, FamilySpec] = {}


def register_family(spec: FamilySpec) -> FamilySpec:
    _FAMILIES[spec.name] = spec
    return spec


def get_family(name: str) -> FamilySpec:
    load_families()
    if name not in _FAMILIES:
        raise UnknownComponentError(
            f"unknown scenario family {name!r}.{suggest(name, sorted(_FAMILIES))} "
            f"Known families: {', '.join(sorted(_FAMILIES))}."
        )
    return _FAMILIES[name]


def families() -> list[str]:
    load_families()
    return sorted(_FAMILIES)
