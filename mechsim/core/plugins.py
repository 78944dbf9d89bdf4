"""Plugin discovery: which modules register families and components.

Entry point groups (in a package's ``pyproject.toml``)::

    [project.entry-points."mechsim.families"]
    myfamily = "mypkg.myfamily"          # a module whose import registers a family

    [project.entry-points."mechsim.components"]
    mypolicy = "mypkg.policies"          # a module that registers extra components

An entry point may also name a callable (``"pkg.mod:fn"``) that returns a list of
module names. mechsim's own families are found by :func:`builtin_families`, the
target of mechsim's own ``mechsim.families`` entry point; it is also used directly
when mechsim runs from a source tree that was never installed.
"""

from __future__ import annotations

import importlib.util
import pkgutil
from importlib.metadata import entry_points

__all__ = ["GROUPS", "SHARED", "builtin_families", "builtin_components", "plugin_modules"]

GROUPS = ("mechsim.families", "mechsim.components")


#: Shared packages: never families (``mechsim.core.family`` is the family *contract*).
SHARED = frozenset({"core", "audit", "ledger", "metrics", "plots", "sweep", "valuation"})


def builtin_families() -> list[str]:
    """Every sub-package of ``mechsim`` that ships a ``family.py`` (sorted by name), shared ones aside."""
    import mechsim

    out = []
    for info in sorted(pkgutil.iter_modules(mechsim.__path__), key=lambda i: i.name):
        if info.name in SHARED:
            continue
        if info.ispkg and importlib.util.find_spec(f"mechsim.{info.name}.family") is not None:
            out.append(f"mechsim.{info.name}")
    return out


def builtin_components() -> list[str]:
    """Shared modules of mechsim that register components (the behaviour zoo, the payout)."""
    return ["mechsim.core.strategy", "mechsim.ledger.payout"]


def _targets(group: str) -> list[str]:
    mods: list[str] = []
    for ep in sorted(entry_points(group=group), key=lambda e: (e.name != "mechsim", e.name)):
        if ":" in ep.value:
            fn = ep.load()
            mods.extend(fn())
        else:
            mods.append(ep.value)
    return mods


def plugin_modules() -> list[str]:
    """Modules to import, mechsim's own first, then every installed plugin's (no duplicates)."""
    mods = builtin_components() + builtin_families()
    for group in GROUPS:
        mods.extend(_targets(group))
    seen: set[str] = set()
    return [m for m in mods if not (m in seen or seen.add(m))]
