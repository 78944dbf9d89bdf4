"""The auditor's contract: what a family declares so that its agents can be audited.

The auditor is family-independent. A family that wants ``mechsim audit`` registers a
*builder* for its scenarios::

    register_audit_builder("clickbandit", build)     # at import of the family module

    def build(scenario, seeds: SeedTree, progress: Progress) -> list[AuditGame]: ...

Each :class:`AuditGame` is one strategic situation of the scenario (for example, the
arms against one learner) with a *profile*: the strategy every agent plays. It
declares its agents, each agent's deviation space, and how to measure an agent's
utility when it deviates alone. The auditor does the rest: common random numbers,
paired differences, confidence intervals, the largest gain (the measured epsilon of
incentive compatibility), the table and the files.

Contract of :meth:`AuditGame.utility`:

- ``strategies[p]`` is a :class:`Deviation` of the agent, or ``None`` for the
  agent's own strategy in the profile; everyone else plays the profile;
- it returns an array of shape ``(len(strategies), len(seeds))`` of per-replication
  utilities (one column per seed);
- the same seed index gives the same random numbers for every strategy and on every
  call (common random numbers), so differences between rows measure the deviation,
  not the noise.

Later families (clients misreporting costs, peers copying gradients) declare their
own deviation spaces (a cost report scaled by 0.5 .. 2, "copy peer j", ...) and
reuse everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from mechsim.core.registry import load_families, suggest
from mechsim.errors import ScenarioError

if TYPE_CHECKING:
    from mechsim.core.scenario import Scenario

__all__ = ["Deviation", "AuditGame", "AuditBuilder", "register_audit_builder", "get_audit_builder", "audit_families"]


@dataclass(frozen=True)
class Deviation:
    """One alternative strategy of an agent.

    name : str
        Short label for tables (``"s=0.95"``, ``"report 0.5 x cost"``).
    value : any
        What the game needs to play it (a click-rate, a scale factor, a peer id).
    doc : str
        Optional longer description.
    """

    name: str
    value: Any = None
    doc: str = field(default="", compare=False)


@runtime_checkable
class AuditGame(Protocol):
    """A strategic situation whose agents the auditor can test (see the module docstring).

    Attributes
    ----------
    name : str
        Label of the game within its scenario (for example the learner's label).
    utility_unit : str
        Unit of :meth:`utility`, for the report (``"clicks per round"``).
    n_seeds : int
        Default number of CRN seeds the auditor uses.
    """

    name: str
    utility_unit: str
    n_seeds: int

    def agents(self) -> Sequence[str]: ...

    def deviations(self, agent: str) -> Sequence[Deviation]: ...

    def utility(self, agent: str, strategies: Sequence[Deviation | None], seeds: np.ndarray) -> np.ndarray: ...


AuditBuilder = Callable[["Scenario", "SeedTree", "Progress"], "list[AuditGame]"]

_BUILDERS: dict[str, AuditBuilder] = {}


def register_audit_builder(family: str, builder: AuditBuilder) -> AuditBuilder:
    """Declare how to turn a ``family`` scenario into audit games."""
    _BUILDERS[family] = builder
    return builder


def audit_families() -> list[str]:
    load_families()
    return sorted(_BUILDERS)


def get_audit_builder(scenario: Scenario) -> AuditBuilder:
    load_families()
    builder = _BUILDERS.get(scenario.family)
    if builder is None:
        raise ScenarioError(
            f"family {scenario.family!r} declares no deviation space, so it cannot be audited."
            f"{suggest(scenario.family, sorted(_BUILDERS))} Auditable families: {', '.join(sorted(_BUILDERS)) or '(none)'}.",
            file=scenario.source,
            key="scenario.family",
        )
    return builder
