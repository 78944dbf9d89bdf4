"""The component registry: versioned ids, creation by id, "did you mean" suggestions.

Ids look like ``family/name-vN`` (for example ``bandits/ucb1-v1``). A family module
registers its components with the :func:`register` decorator. The registry finds
family and component modules through **entry points**, the first time an id is
looked up (so importing ``mechsim`` has no side effects and heavy optional stacks
are imported only by the families that need them):

``mechsim.families``    each entry point names a module to import (a family package
                        whose import registers its :class:`~mechsim.core.family.FamilySpec`
                        and components), or a callable returning such module names;
``mechsim.components``  each names a module that registers extra components
                        (a policy, a mechanism, a strategy) of existing families.

mechsim's own families come through the same door: its ``mechsim.families`` entry
point ``mechsim`` is :func:`mechsim.core.plugins.builtin_families`, which lists every
sub-package of ``mechsim`` that has a ``family.py``; so a new family needs no edit
outside its own folder. :func:`load_module` imports a named module on demand (the
``--import`` option and a scenario's ``scenario.imports``).
"""

from __future__ import annotations

import difflib
import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from mechsim.core.params import component_params
from mechsim.errors import MechsimError, ParameterError, UnknownComponentError

__all__ = ["ComponentSpec", "register", "get", "make", "ids", "specs", "suggest", "load_families", "load_module", "kinds"]

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*/[a-z0-9][a-z0-9_.\-]*-v[0-9]+$")

T = TypeVar("T")


@dataclass(frozen=True)
class ComponentSpec:
    """One registered component."""

    id: str
    kind: str  # for example "bandits.policy", "bandits.environment"
    factory: Callable[..., Any]

    @property
    def family(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def summary(self) -> str:
        doc = (self.factory.__doc__ or "").strip().splitlines()
        return doc[0].strip() if doc else ""

    @property
    def params(self) -> dict:
        return component_params(self.factory)

    def make(self, **kwargs: Any) -> Any:
        known = self.params
        unknown = sorted(set(kwargs) - set(known))
        if unknown:
            raise ParameterError(
                f"{self.id} got unknown parameter(s) {', '.join(map(repr, unknown))}; "
                f"expected some of: {', '.join(sorted(known)) or '(none)'}."
            )
        return self.factory(**kwargs)


_REGISTRY: dict[str, ComponentSpec] = {}
_loaded = False


def register(id: str, *, kind: str) -> Callable[[T], T]:
    """Class decorator: register ``cls`` under ``id`` with the given ``kind``."""
    if not _ID_RE.match(id):
        raise MechsimError(f"component id {id!r} must look like 'family/name-vN'")

    def deco(cls: T) -> T:
        if id in _REGISTRY and _REGISTRY[id].factory is not cls:
            raise MechsimError(f"component id {id!r} is registered twice")
        _REGISTRY[id] = ComponentSpec(id=id, kind=kind, factory=cls)  # type: ignore[arg-type]
        cls.component_id = id  # type: ignore[attr-defined]
        return cls

    return deco


def load_families() -> None:
    """Import every family and component module named by the entry points (once)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from mechsim.core.plugins import plugin_modules

    for mod in plugin_modules():
        load_module(mod)


def load_module(name: str) -> None:
    """Import a plugin module by dotted name; a missing one is a :class:`MechsimError`."""
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            raise UnknownComponentError(f"cannot import plugin module {name!r}: no module named {exc.name!r}") from None
        raise


def kinds() -> list[str]:
    """Every registered component kind."""
    load_families()
    return sorted({s.kind for s in _REGISTRY.values()})


def suggest(name: str, candidates: list[str], n: int = 3) -> str:
    close = difflib.get_close_matches(name, candidates, n=n, cutoff=0.5)
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def get(id: str, *, kind: str | None = None) -> ComponentSpec:
    """Look up a component; unknown ids raise :class:`UnknownComponentError` with suggestions."""
    load_families()
    spec = _REGISTRY.get(id)
    pool = [i for i, s in _REGISTRY.items() if kind is None or s.kind == kind]
    if spec is None or (kind is not None and spec.kind != kind):
        what = f"{kind} " if kind else ""
        raise UnknownComponentError(
            f"unknown {what}component id {id!r}.{suggest(id, pool)} (run 'mechsim list' to see them all)"
        )
    return spec


def make(id: str, **kwargs: Any) -> Any:
    """Create a component by id with keyword settings (``make("bandits/ucb1-v1")``)."""
    return get(id).make(**kwargs)


def ids(kind: str | None = None) -> list[str]:
    load_families()
    return sorted(i for i, s in _REGISTRY.items() if kind is None or s.kind == kind)


def specs() -> Iterator[ComponentSpec]:
    load_families()
    for i in sorted(_REGISTRY):
        yield _REGISTRY[i]
