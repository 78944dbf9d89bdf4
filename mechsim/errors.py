"""One error hierarchy for mechsim.

Every error a user can cause (a bad scenario file, a bad ``--set`` path, an unknown
component id, a parameter out of range) is a :class:`MechsimError`. The CLI prints
these without a traceback and exits non-zero; anything else is a bug.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "MechsimError",
    "ScenarioError",
    "ParameterError",
    "UnknownComponentError",
    "OverrideError",
    "UnsafeNameError",
    "ResourceError",
    "ResultsError",
    "SweepError",
    "BackendUnavailableError",
    "LedgerError",
]


class MechsimError(Exception):
    """Base class of every user-facing mechsim error."""


class ParameterError(MechsimError, ValueError):
    """A component or function argument is of the wrong type or out of range.

    Message form (scikit-learn's): ``The 'beta' parameter of FairEqual must be a
    float in [0, inf). Got -1.0 instead.``

    Attributes
    ----------
    parameter : str or None
        The offending parameter's name (``"beta"``).
    owner : str or None
        The class or function it belongs to (``"FairEqual"``).
    section : str or None
        The scenario section the component came from, when known (``"heterogeneity"``);
        set with :meth:`in_section`, which returns a new error.
    """

    def __init__(self, message: str, *, parameter: str | None = None, owner: str | None = None, section: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.owner = owner
        self.section = section

    def in_section(self, section: str) -> ParameterError:
        """The same error, attributed to the scenario section ``section``."""
        return ParameterError(str(self), parameter=self.parameter, owner=self.owner, section=section)

    @property
    def key(self) -> str | None:
        """``section.parameter`` (or the part that is known), for scenario error messages."""
        parts = [x for x in (self.section, self.parameter) if x]
        return ".".join(parts) or None


class ScenarioError(MechsimError, ValueError):
    """A scenario file (or an override of it) is malformed or invalid.

    The message always names the file and the dotted key, what was expected and
    what was given.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        key: str | None = None,
    ) -> None:
        self.file = None if file is None else str(file)
        self.key = key
        where = []
        if self.file is not None:
            where.append(self.file)
        if key is not None:
            where.append(f"key '{key}'")
        prefix = ": ".join([", ".join(where)]) if where else ""
        super().__init__(f"{prefix}: {message}" if prefix else message)


class UnknownComponentError(MechsimError, KeyError):
    """A component id is not in the registry; the message lists close matches."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want plain text
        return str(self.args[0]) if self.args else ""


class OverrideError(ScenarioError):
    """A ``--set`` / ``--grid`` override has a bad path or value."""


class UnsafeNameError(ScenarioError):
    """A name that becomes a file or folder name (a scenario's ``name``, a shipped-scenario
    argument) is not a safe slug, or would resolve outside the folder it belongs in."""


class ResourceError(MechsimError, ValueError):
    """A run would need more memory (or a larger integer) than it can have; checked before it starts."""


class ResultsError(MechsimError, OSError):
    """A results folder is missing, incomplete or not a mechsim results folder."""


class SweepError(MechsimError):
    """A sweep cannot be set up or resumed (bad grid, mismatched folder)."""


class BackendUnavailableError(MechsimError, ImportError):
    """An optional backend (Ray, Flower, titanoboa, torch) is not installed."""


class LedgerError(MechsimError):
    """A ledger operation was refused (unknown account, overdraft, bad epoch)."""
