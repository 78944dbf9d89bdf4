"""Conformance checks for registered components (in the spirit of gymnasium's ``check_env``).

:func:`check_component` takes a registered id (or its :class:`ComponentSpec`),
builds the component and runs the check registered for its ``kind``. Families add
checks for their own kinds with :func:`register_check`::

    @register_check("clickbandit.mechanism")
    def check_click_mechanism(spec, params):
        ...  # raise ConformanceError on a violation

A family keeps its checks in ``mechsim/<family>/checks.py``: :func:`check_component`
imports that module (when it exists) before it looks a kind up, so the checks are
registered without the family importing this module at import time.

A component whose kind has no registered check is an error, never a silent pass:
``tests/test_conformance.py`` runs :func:`check_component` over every registered
component, so a new family must ship a check for every kind it registers.

Every check raises :class:`ConformanceError` (an ``AssertionError``) with a message
that names the component and what it did wrong.
"""

from __future__ import annotations

import importlib
import inspect
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechsim.core.params import component_params
from mechsim.core.registry import ComponentSpec, get

__all__ = [
    "CHECKS",
    "ConformanceError",
    "check_component",
    "register_check",
    "build_component",
    "conformance_error",
    "check_finite_float",
    "GlobalRandomGuard",
    "same_output",
    "CheckInstance",
    "register_instances",
    "check_mechanism",
]

#: Signature of a check: ``check(spec, params)``; ``params`` are extra keyword
#: settings for the component (empty for its defaults).
Check = Callable[[ComponentSpec, Mapping[str, Any]], None]

#: The registered checks, by component kind.
CHECKS: dict[str, Check] = {}


class ConformanceError(AssertionError):
    """A component breaks its family's contract (or its kind has no check)."""


def register_check(kind: str) -> Callable[[Check], Check]:
    """Decorator: register ``fn(spec, params)`` as the conformance check of ``kind``."""

    def deco(fn: Check) -> Check:
        if kind in CHECKS and CHECKS[kind] is not fn:
            raise ValueError(f"a conformance check for kind {kind!r} is already registered ({CHECKS[kind].__name__})")
        CHECKS[kind] = fn
        return fn

    return deco


def check_component(spec_or_id: ComponentSpec | str, **params: Any) -> None:
    """Check one registered component against the contract of its kind.

    Parameters
    ----------
    spec_or_id : ComponentSpec or str
        The component, or its registry id (``"bandits/ucb1-v1"``).
    **params
        Settings passed to the component's constructor (defaults otherwise).

    Raises
    ------
    ConformanceError
        On any violation, or when no check is registered for the component's kind.
    """
    spec = get(spec_or_id) if isinstance(spec_or_id, str) else spec_or_id
    _import_family_checks(spec)
    check = CHECKS.get(spec.kind)
    if check is None:
        raise ConformanceError(
            f"{spec.id}: no conformance check is registered for kind {spec.kind!r}; "
            f"add one with @mechsim.testing.register_check({spec.kind!r}). "
            f"Checked kinds: {', '.join(sorted(CHECKS)) or '(none)'}."
        )
    _check_signature(spec)
    check(spec, params)
    from mechsim.core.mechanism import Mechanism

    if isinstance(spec.factory, type) and issubclass(spec.factory, Mechanism):
        check_mechanism(spec, **params)


# -- shared helpers -------------------------------------------------------------------


def _import_family_checks(spec: ComponentSpec | str) -> None:
    """Import the checks module of a component's family (it registers its checks).

    Looks for ``mechsim.<family>.checks`` and, for a plugin, ``<the component's package>.checks``.
    """
    names = []
    if isinstance(spec, str):
        names.append(f"mechsim.{spec}.checks")
    else:
        names.append(f"mechsim.{spec.family}.checks")
        module = getattr(spec.factory, "__module__", "") or ""
        pkg = module if module.endswith("__init__") else module
        for base in (pkg, pkg.rsplit(".", 1)[0] if "." in pkg else pkg):
            if base and not base.startswith("mechsim."):
                names.append(f"{base}.checks")
    for name in dict.fromkeys(names):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            parent = name.rsplit(".", 1)[0]
            if exc.name not in (name, parent):
                raise  # the checks module exists but one of its imports is missing


def conformance_error(spec: ComponentSpec, message: str) -> ConformanceError:
    return ConformanceError(f"{spec.id}: {message}")


def _check_signature(spec: ComponentSpec) -> None:
    """Settings are keyword arguments (no ``*args``/``**kwargs``) and constraints name them."""
    target = spec.factory.__init__ if isinstance(spec.factory, type) else spec.factory
    for p in inspect.signature(target).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise conformance_error(spec, f"the constructor takes *args/**kwargs ({p.name!r}); settings must be named keywords")
    names = set(component_params(spec.factory))
    declared = set(getattr(spec.factory, "_parameter_constraints", {}))
    stray = sorted(declared - names)
    if stray:
        raise conformance_error(spec, f"_parameter_constraints names {stray}, which are not constructor parameters")


def build_component(spec: ComponentSpec, params: Mapping[str, Any]) -> Any:
    obj = spec.make(**params)
    for name, (_, default) in component_params(spec.factory).items():
        expected = params.get(name, default)
        if name in params or default is not inspect.Parameter.empty:
            if not hasattr(obj, name) or not _identical(getattr(obj, name), expected):
                raise conformance_error(spec, f"__init__ must store the setting {name!r} verbatim under the same name")
    return obj


def _identical(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return False


class GlobalRandomGuard:
    """Fails if the code inside touched the global ``random`` or ``np.random`` state."""

    def __init__(self, spec: ComponentSpec) -> None:
        self.spec = spec

    def __enter__(self) -> None:
        self.py = random.getstate()
        self.np = np.random.get_state()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            return
        np_now = np.random.get_state()
        same_np = all(
            np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b for a, b in zip(self.np, np_now, strict=True)
        )
        if random.getstate() != self.py or not same_np:
            raise conformance_error(self.spec, "used the global random state; draw only from the generator given to reset")


def same_output(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "fc" and b.dtype.kind in "fc":
        return np.array_equal(a, b, equal_nan=True)
    return np.array_equal(a, b)


def check_finite_float(spec: ComponentSpec, name: str, x: Any, shape: tuple[int, ...] | list[tuple[int, ...]]) -> None:
    shapes = shape if isinstance(shape, list) else [shape]
    if not isinstance(x, np.ndarray):
        raise conformance_error(spec, f"{name} must be a numpy array; got {type(x).__name__}")
    if x.shape not in shapes:
        raise conformance_error(spec, f"{name} must have shape {' or '.join(map(str, shapes))}; got {x.shape}")
    if x.dtype.kind != "f":
        raise conformance_error(spec, f"{name} must be a float array; got dtype {x.dtype}")
    if not np.all(np.isfinite(x)):
        raise conformance_error(spec, f"{name} has non-finite values")


# -- mechanisms: claims are tested, not only declared ------------------------------------

#: ``kind -> fn(spec, params) -> list[CheckInstance]``: the small instances on which a
#: family's mechanisms have their claims tested.
INSTANCES: dict[str, Callable[[ComponentSpec, Mapping[str, Any]], list["CheckInstance"]]] = {}


def register_instances(kind: str) -> Callable[[Callable], Callable]:
    """Decorator: ``fn(spec, params) -> list[CheckInstance]`` declares the check instances of ``kind``."""

    def deco(fn: Callable) -> Callable:
        if kind in INSTANCES and INSTANCES[kind] is not fn:
            raise ValueError(f"check instances for kind {kind!r} are already registered ({INSTANCES[kind].__name__})")
        INSTANCES[kind] = fn
        return fn

    return deco


@dataclass(frozen=True)
class CheckInstance:
    """A small instance on which a mechanism's claims are tested.

    Attributes
    ----------
    game : an :class:`~mechsim.audit.AuditGame` (truthfulness: the auditor runs on it);
        a :class:`~mechsim.audit.game.MechanismGame` also serves ``play`` for the others
    epsilon : the instance's bound for ``truthful = "approximate"`` claims whose
        ``Claims.epsilon`` is ``None``
    n_seeds : CRN seeds (auditor) and plays (budget balance, IR)
    others : further games with other profiles of the *other* agents (dominant
        strategy claims are tested on each)
    tol : numerical tolerance of the budget and IR comparisons
    """

    game: Any
    epsilon: float | None = None
    n_seeds: int = 16
    others: tuple = ()
    tol: float = 1e-9


def _played(spec: ComponentSpec, inst: CheckInstance, claim: str) -> list:
    play = getattr(inst.game, "play", None)
    if play is None:
        raise conformance_error(spec, f"claims {claim}, but check instance {inst.game.name!r} cannot be played (use a MechanismGame)")
    return [r for seed in range(inst.n_seeds) for r in play(seed)]


def check_mechanism(spec_or_id: ComponentSpec | str, **params: Any) -> dict[str, Any]:
    """Test every claim a mechanism makes on its kind's check instances.

    - ``budget_balance``: ``weak`` needs ``sum(payments) <= tol`` in every round of
      truthful play, ``strong`` needs ``|sum(payments)| <= tol``;
    - ``individually_rational``: every agent's utility >= its outside option - tol,
      every round;
    - ``truthful``: the auditor's largest gain must not be significant, i.e. every
      deviation's CI lower bound <= epsilon (two-sided 95% intervals, Bonferroni-corrected
      over the instance's deviations) (0 for ``dominant`` and ``bayesian``;
      ``Claims.epsilon`` or the instance's for ``approximate``); ``dominant`` is
      tested at every profile of the others an instance lists too, auditing the
      agents that play ``truthful`` in that profile;
    - ``randomized = False``: two plays with the same private information but
      different mechanism generators give identical outcomes;
    - always: two plays on one seed give identical outcomes (determinism).

    Returns a report ``{claim: {"instances": n, "worst": value}}``; raises
    :class:`ConformanceError` naming the claim, the instance and the numbers.
    """
    from mechsim.audit.estimate import audit_game
    from mechsim.audit.game import MechanismGame
    from mechsim.core.mechanism import BudgetBalance, Mechanism, Truthfulness

    spec = get(spec_or_id) if isinstance(spec_or_id, str) else spec_or_id
    cls = spec.factory
    if not (isinstance(cls, type) and issubclass(cls, Mechanism)):
        raise conformance_error(spec, "check_mechanism needs a subclass of mechsim.core.mechanism.Mechanism")
    claims = cls.claims
    _import_family_checks(spec)
    maker = INSTANCES.get(spec.kind)
    testable = claims.truthful is not Truthfulness.NONE or claims.individually_rational or claims.budget_balance is not BudgetBalance.NONE
    if maker is None:
        if testable:
            raise conformance_error(
                spec, f"claims {claims.describe()}, but kind {spec.kind!r} declares no check instances; "
                f"add them with @mechsim.testing.register_instances({spec.kind!r})"
            )
        return {}
    instances = maker(spec, params)
    report: dict[str, Any] = {}
    for inst in instances:
        name = inst.game.name
        if getattr(inst.game, "play", None) is not None:
            a, b = inst.game.play(0), inst.game.play(0)
            for ra, rb in zip(a, b, strict=True):
                for f in ("allocation", "payments", "scores"):
                    if not same_output(getattr(ra.outcome, f), getattr(rb.outcome, f)):
                        raise conformance_error(spec, f"not deterministic under a seed: {f} differ in round {ra.t} of {name!r}")
            if not claims.randomized and isinstance(inst.game, MechanismGame):
                c = inst.game.play(0, mechanism_seed=12345)
                for ra, rc in zip(a, c, strict=True):
                    if not same_output(ra.outcome.allocation, rc.outcome.allocation) or not same_output(ra.outcome.payments, rc.outcome.payments):
                        raise conformance_error(spec, f"claims randomized=False, but another generator changed round {ra.t} of {name!r}")
        if claims.budget_balance is not BudgetBalance.NONE:
            sums = np.array([float(np.sum(r.outcome.payments)) for r in _played(spec, inst, "budget balance")])
            worst = float(sums.max() if claims.budget_balance is BudgetBalance.WEAK else np.abs(sums).max())
            if worst > inst.tol:
                raise conformance_error(spec, f"claims {claims.budget_balance.value} budget balance, but payments sum to {worst:.3g} in {name!r}")
            report.setdefault("budget_balance", []).append(worst)
        if claims.individually_rational:
            slack = np.array([np.min(r.utility - r.outside) for r in _played(spec, inst, "individual rationality")])
            if slack.min() < -inst.tol:
                raise conformance_error(spec, f"claims individual rationality, but an agent's utility falls {-slack.min():.3g} below its outside option in {name!r}")
            report.setdefault("individually_rational", []).append(float(slack.min()))
        if claims.truthful is not Truthfulness.NONE:
            eps = 0.0
            if claims.truthful is Truthfulness.APPROXIMATE:
                eps = claims.epsilon if claims.epsilon is not None else inst.epsilon
                if eps is None:
                    raise conformance_error(spec, f"claims approximate truthfulness with no epsilon, and instance {name!r} gives none")
            games = [inst.game, *(inst.others if claims.truthful is Truthfulness.DOMINANT else ())]
            for g in games:
                # where the others misreport, the claim is about the agents who tell the truth
                agents = None
                if isinstance(g, MechanismGame):
                    agents = [a for a, b in zip(g.agents(), g.profile, strict=True) if b.is_truthful]
                # one-sided tests over many deviations: Bonferroni keeps the family-wise false alarm at 2.5%
                n_tests = sum(len(g.deviations(a)) for a in (agents if agents is not None else g.agents()))
                audit = audit_game(g, agents=agents, n_seeds=inst.n_seeds, level=1.0 - 0.05 / max(1, n_tests))
                for gain in audit.gains:
                    if gain.ci_low > eps + inst.tol:
                        raise conformance_error(
                            spec,
                            f"claims {claims.truthful.value} truthfulness (epsilon {eps:g}), but in {g.name!r} {gain.agent} gains "
                            f"{gain.gain:.4g} [{gain.ci_low:.4g}, {gain.ci_high:.4g}] {g.utility_unit} by {gain.deviation}",
                        )
                report.setdefault("truthful", []).append(audit.epsilon)
    return {k: {"instances": len(v), "worst": float(min(v) if k == "individually_rational" else max(v))} for k, v in report.items()}
