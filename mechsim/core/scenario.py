"""Scenario files: TOML parsed once into frozen, validated dataclasses.

A scenario file has a ``[scenario]`` table (``name``, ``family``, ``seed``,
``description`` and the family's settings) and the family's component sections,
each naming a registered component by ``id`` plus its parameters::

    [scenario]
    name = "bandits-classic"
    family = "bandits"
    seed = 7
    n_replications = 200
    n_rounds = 10000

    [environment]
    id = "bandits/bernoulli-v1"
    means = [0.9, 0.8, 0.7]

    [policies.ucb1]
    id = "bandits/ucb1-v1"

Every error names the file and the dotted key, what was expected and what was
given. Overrides (``--set policies.ucb1.alpha=0.5``) are applied to the raw table
before validation, so they are checked exactly like the file.
"""

from __future__ import annotations

import copy
import inspect
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from mechsim.core import tomlio
from mechsim.core.fileio import check_slug
from mechsim.core.family import Section, get_family
from mechsim.core.params import Integer, String, StringList, refusal_note
from mechsim.core.registry import get as get_component
from mechsim.core.registry import load_module, suggest
from mechsim.errors import OverrideError, ParameterError, ScenarioError, UnknownComponentError, UnsafeNameError

__all__ = [
    "ComponentConfig",
    "Scenario",
    "load_scenario",
    "parse_scenario",
    "apply_overrides",
    "parse_override",
    "scenarios_dir",
    "shipped_scenarios",
    "resolve_scenario_path",
]

_HEADER = "scenario"
_BASE_SETTINGS = {
    "name": (String(), ...),
    "family": (String(), ...),
    "seed": (Integer(0, None), 0),
    "description": (String(), ""),
    "imports": (StringList(), ()),
}

#: Old ``[scenario]`` keys and their new names (one set of names across families).
RENAMED = {"replications": "n_replications", "horizon": "n_rounds", "n_nodes": "n_agents"}


@dataclass(frozen=True)
class ComponentConfig:
    """A validated component: its id, label and converted parameters (defaults filled in)."""

    id: str
    params: Mapping[str, Any]
    label: str = ""

    def build(self, **extra: Any) -> Any:
        """Create the component (``extra`` are run-time arguments the family adds)."""
        return get_component(self.id).factory(**dict(self.params), **extra)

    def to_table(self) -> dict[str, Any]:
        return {"id": self.id, **{k: _plain(v) for k, v in self.params.items() if v is not None}}


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario. Frozen: derive a new one with :meth:`with_overrides`."""

    name: str
    family: str
    seed: int
    description: str
    settings: Mapping[str, Any]
    sections: Mapping[str, ComponentConfig | Mapping[str, ComponentConfig]]
    source: str | None = field(default=None, compare=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    imports: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> Any:
        return self.sections[key]

    def components(self, section: str) -> list[ComponentConfig]:
        """The section's components as a list (one element for single sections)."""
        sec = self.sections.get(section)
        if sec is None:
            return []
        if isinstance(sec, ComponentConfig):
            return [sec]
        return list(sec.values())

    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario (defaults filled in), ready to write as TOML."""
        head: dict[str, Any] = {"name": self.name, "family": self.family, "seed": self.seed}
        if self.description:
            head["description"] = self.description
        if self.imports:
            head["imports"] = list(self.imports)
        head.update({k: _plain(v) for k, v in self.settings.items() if v is not None})
        out: dict[str, Any] = {_HEADER: head}
        for name, sec in self.sections.items():
            if isinstance(sec, ComponentConfig):
                out[name] = sec.to_table()
            else:
                out[name] = {label: c.to_table() for label, c in sec.items()}
        return out

    def to_toml(self) -> str:
        return tomlio.dumps(self.to_dict())

    def with_overrides(self, overrides: Iterable[str | tuple[str, Any]] = (), *, seed: int | None = None) -> Scenario:
        raw = self.to_dict()
        if seed is not None:
            raw[_HEADER]["seed"] = seed
        paths = apply_overrides(raw, overrides, file=self.source)
        return parse_scenario(raw, file=self.source, override_paths=paths)


def _plain(v: Any) -> Any:
    if isinstance(v, tuple):
        if v and all(isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str) for x in v):
            return {k: _plain(x) for k, x in v}
        return [_plain(x) for x in v]
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _type_name(v: Any) -> str:
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "table"}.get(type(v), type(v).__name__)


class _Checker:
    """Raises errors that name the file and key (and say when a key came from --set)."""

    def __init__(self, file: str | None, override_paths: Iterable[str]) -> None:
        self.file = file
        self.override_paths = set(override_paths)

    def error(self, key: str, message: str) -> ScenarioError:
        if key in self.override_paths or any(key.startswith(p + ".") for p in self.override_paths):
            return OverrideError(message + " (set on the command line)", file=self.file, key=key)
        return ScenarioError(message, file=self.file, key=key)

    def value(self, key: str, constraint: Any, value: Any) -> Any:
        try:
            return constraint.convert(value)
        except (TypeError, ValueError):
            raise self.error(
                key, f"expected {constraint.describe()}; got {value!r} ({_type_name(value)})" + refusal_note(constraint, value)
            ) from None

    def table(self, key: str, value: Any) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.error(key, f"expected a table; got {value!r} ({_type_name(value)})")
        return value

    def unknown(self, key: str, name: str, allowed: Iterable[str], what: str) -> ScenarioError:
        allowed = sorted(allowed)
        return self.error(
            key,
            f"unknown key {name!r} {what}.{suggest(name, allowed)} "
            f"Expected one of: {', '.join(allowed) or '(none)'}.",
        )


def _component(chk: _Checker, key: str, table: Any, section: Section) -> ComponentConfig:
    table = chk.table(key, table)
    if "id" not in table:
        raise chk.error(f"{key}.id", f"missing required key 'id' (a component id of kind {section.kind})")
    cid = chk.value(f"{key}.id", String(), table["id"])
    try:
        spec = get_component(cid, kind=section.kind)
    except UnknownComponentError as exc:
        raise chk.error(f"{key}.id", str(exc)) from None
    declared = spec.params
    params: dict[str, Any] = {}
    for name, value in table.items():
        if name == "id":
            continue
        if name not in declared:
            raise chk.unknown(f"{key}.{name}", name, declared, f"for component {cid!r}")
        constraint, _ = declared[name]
        params[name] = chk.value(f"{key}.{name}", constraint, value) if constraint is not None else value
    for name, (constraint, default) in declared.items():
        if name in params:
            continue
        if default is inspect.Parameter.empty:
            want = constraint.describe() if constraint is not None else "a value"
            raise chk.error(f"{key}.{name}", f"missing required parameter of {cid!r}: expected {want}")
        params[name] = default
    # Let the component check cross-parameter rules (e.g. lengths that must agree).
    check = getattr(spec.factory, "check_config", None)
    if check is not None:
        try:
            check(params)
        except ParameterError as exc:
            raise chk.error(key, str(exc)) from None
    return ComponentConfig(id=cid, params=MappingProxyType(params), label=key.rsplit(".", 1)[-1])


def parse_scenario(
    raw: Mapping[str, Any], *, file: str | os.PathLike | None = None, override_paths: Iterable[str] = ()
) -> Scenario:
    """Validate a raw TOML table into a :class:`Scenario`."""
    file = None if file is None else str(file)
    chk = _Checker(file, override_paths)
    if _HEADER not in raw:
        raise chk.error(_HEADER, "missing the [scenario] table (with at least 'name' and 'family')")
    head = chk.table(_HEADER, raw[_HEADER])
    if "family" not in head:
        raise chk.error(f"{_HEADER}.family", "missing required key 'family'")
    family_name = chk.value(f"{_HEADER}.family", String(), head["family"])
    imports = chk.value(f"{_HEADER}.imports", StringList(), head.get("imports", ()))
    for mod in imports:
        try:
            load_module(mod)
        except UnknownComponentError as exc:
            raise chk.error(f"{_HEADER}.imports", str(exc)) from None
    try:
        family = get_family(family_name)
    except UnknownComponentError as exc:
        raise chk.error(f"{_HEADER}.family", str(exc)) from None

    allowed = {**{k: v for k, v in _BASE_SETTINGS.items()}, **{k: (s.constraint, s.default) for k, s in family.settings.items()}}
    values: dict[str, Any] = {}
    for name, value in head.items():
        if name not in allowed:
            if RENAMED.get(name) in allowed:
                raise chk.error(f"{_HEADER}.{name}", f"'{name}' was renamed to '{RENAMED[name]}'; write '{RENAMED[name]} = {value!r}'")
            raise chk.unknown(f"{_HEADER}.{name}", name, allowed, "in [scenario]")
        values[name] = chk.value(f"{_HEADER}.{name}", allowed[name][0], value)
    for name, (constraint, default) in allowed.items():
        if name not in values:
            if default is ...:
                raise chk.error(f"{_HEADER}.{name}", f"missing required key: expected {constraint.describe()}")
            values[name] = default

    sections: dict[str, Any] = {}
    for name, value in raw.items():
        if name == _HEADER:
            continue
        if name not in family.sections:
            raise chk.unknown(name, name, [_HEADER, *family.sections], f"at the top level of a {family_name!r} scenario")
    for name, sec in family.sections.items():
        if name not in raw:
            if sec.required:
                raise chk.error(name, f"missing required section [{name}] ({'a table of ' if sec.many else 'a '}{sec.kind} component{'s' if sec.many else ''})")
            continue
        if sec.many:
            table = chk.table(name, raw[name])
            if not table:
                raise chk.error(name, f"expected at least one labelled {sec.kind} component, e.g. [{name}.a]")
            sections[name] = MappingProxyType({lbl: _component(chk, f"{name}.{lbl}", t, sec) for lbl, t in table.items()})
        else:
            sections[name] = _component(chk, name, raw[name], sec)

    check_slug(values["name"], file=file)
    settings = {k: v for k, v in values.items() if k not in _BASE_SETTINGS}

    return Scenario(
        name=values["name"],
        family=family_name,
        seed=values["seed"],
        description=values["description"],
        settings=MappingProxyType(settings),
        sections=MappingProxyType(sections),
        source=file,
        raw=copy.deepcopy(dict(raw)),
        imports=tuple(imports),
    )


def parse_override(text: str, *, file: str | None = None) -> tuple[str, Any]:
    """Split ``key.path=value`` into the path and the parsed value."""
    if "=" not in text:
        raise OverrideError(f"override {text!r} must look like key.path=value", file=file, key=text)
    path, _, value = text.partition("=")
    path = path.strip()
    if not path or any(not p for p in path.split(".")):
        raise OverrideError(f"override {text!r} has an empty key path", file=file, key=path or text)
    return path, tomlio.parse_value(value.strip())


def apply_overrides(
    raw: dict[str, Any], overrides: Iterable[str | tuple[str, Any]], *, file: str | None = None
) -> list[str]:
    """Set dotted paths in ``raw`` in place; every table on the path must exist.

    Returns the list of paths set (for error attribution).
    """
    paths = []
    for ov in overrides:
        path, value = parse_override(ov, file=file) if isinstance(ov, str) else ov
        parts = path.split(".")
        node: Any = raw
        for i, part in enumerate(parts[:-1]):
            here = ".".join(parts[: i + 1])
            if not isinstance(node, dict) or part not in node:
                avail = sorted(node) if isinstance(node, dict) else []
                raise OverrideError(
                    f"bad override path {path!r}: no table {here!r} in the scenario.{suggest(part, avail)} "
                    f"Available here: {', '.join(avail) or '(none)'}.",
                    file=file,
                    key=path,
                )
            node = node[part]
        if not isinstance(node, dict):
            raise OverrideError(
                f"bad override path {path!r}: {'.'.join(parts[:-1])!r} is a value, not a table", file=file, key=path
            )
        if isinstance(node.get(parts[-1]), dict):
            raise OverrideError(f"bad override path {path!r}: it names a table; set one of its keys", file=file, key=path)
        node[parts[-1]] = value
        paths.append(path)
    return paths


def scenarios_dir() -> Path:
    """The shipped scenarios folder (``$MECHSIM_SCENARIOS`` overrides it)."""
    env = os.environ.get("MECHSIM_SCENARIOS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "scenarios"


def shipped_scenarios() -> list[str]:
    root = scenarios_dir()
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.toml"))


def resolve_scenario_path(name: str | os.PathLike) -> Path:
    """A path, or a shipped scenario name such as ``bandits/classic``."""
    p = Path(name)
    if p.is_file():
        return p
    text = str(name)
    if "\x00" in text or "\n" in text or "\r" in text:
        raise UnsafeNameError(f"a scenario argument cannot hold NUL or newline characters; got {text!r}", file=None)
    root = scenarios_dir()
    shipped = root / (text if text.endswith(".toml") else f"{text}.toml")
    if not shipped.is_file():
        # shipped names are spelled with '-' or '_' by family; either spelling finds the file
        for alt in (text.replace("_", "-"), text.replace("-", "_")):
            cand = root / (alt if alt.endswith(".toml") else f"{alt}.toml")
            if cand.is_file():
                shipped = cand
                break
    if shipped.is_file():
        try:
            inside = shipped.resolve().is_relative_to(root.resolve())
        except OSError:
            inside = False
        if not inside or Path(text).is_absolute() or ".." in Path(text).parts:
            raise UnsafeNameError(
                f"shipped scenario name {text!r} resolves to {shipped.resolve()}, outside the shipped scenarios "
                f"folder {root.resolve()}; give a file path instead",
                file=text,
            )
        return shipped
    names = shipped_scenarios()
    raise ScenarioError(
        f"no scenario file or shipped scenario named {str(name)!r}.{suggest(str(name), names)} "
        f"Shipped: {', '.join(names) or '(none)'}.",
        file=str(name),
    )


def load_scenario(
    name: str | os.PathLike,
    overrides: Iterable[str | tuple[str, Any]] = (),
    *,
    seed: int | None = None,
) -> Scenario:
    """Read a scenario file (or shipped name), apply overrides and a seed, validate."""
    path = resolve_scenario_path(name)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read the file: {exc}", file=file) from None
    try:
        raw = tomlio.loads(text)
    except tomlio.tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"malformed TOML: {exc}", file=file) from None
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ScenarioError(f"expected an int in [0, inf) for the seed; got {seed!r}", file=file, key="scenario.seed")
        raw.setdefault(_HEADER, {})
        if isinstance(raw[_HEADER], dict):
            raw[_HEADER]["seed"] = seed
    paths = apply_overrides(raw, overrides, file=file)
    return parse_scenario(raw, file=file, override_paths=paths)

