"""The agents' side of every family: :class:`Strategy`, :class:`AgentType` and the behaviour zoo.

A :class:`Strategy` is a *population* of agents of one type, vectorised over agents
and replications (never one object per agent)::

    strategy.reset(n_agents=N, n_replications=R, types=types, rng=rng)
    reports = strategy.act(observation)      # (R, N, ...) what the agents send
    strategy.update(outcome)                 # learn from the mechanism's outcome

An :class:`AgentType` says what an agent of a family privately knows (``draw``),
what it reports when truthful (``truthful``), what it gets from an outcome
(``utility``), its outside option (``outside_option``, for individual rationality)
and its **deviation space** (``deviations``): the behaviours the auditor tries.

Behaviours that recur across families are written once, here, as
:class:`Behaviour` values (the *zoo*): ``truthful``, ``scaled``, ``fixed``,
``random``, ``copy``, ``free_ride``, ``sybil``, ``late``, ``intermittent``. A
behaviour has a short text form used in scenario files and tables
(``"scaled:1.5"``, ``"copy:0"``, ``"intermittent:0.3"``; see :func:`parse_behaviour`).
The numeric ones transform truthful reports with :func:`apply_behaviours`; a family
maps every kind to its own actions in :meth:`AgentType.apply` (a free-riding peer
uploads nothing, a late client misses the round, a Sybil splits its data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from mechsim.core.params import Constraint, Real, String, validate_params
from mechsim.core.registry import register
from mechsim.errors import ParameterError

__all__ = [
    "BEHAVIOURS",
    "register_behaviour",
    "Behaviour",
    "parse_behaviour",
    "apply_behaviours",
    "present_mask",
    "Observation",
    "Strategy",
    "AgentType",
    "Population",
    "assign_behaviours",
]

#: kind -> names of its numeric parameters, in the order of the text form.
BEHAVIOURS: dict[str, tuple[str, ...]] = {
    "truthful": (),
    "scaled": ("factor",),
    "fixed": ("value",),
    "random": ("low", "high"),
    "copy": ("target",),
    "free_ride": (),
    "sybil": ("k",),
    "late": ("delay",),
    "intermittent": ("p",),
}



def register_behaviour(kind: str, params: tuple[str, ...] = (), *, family: str) -> None:
    """Add a family's own behaviour kind to the zoo (``"wrong_data"``, ``"stale:q"``).

    Its text form then parses like the shared ones; :func:`apply_behaviours` leaves
    its reports as they are (the family's protocol gives it its meaning). Registering
    the same kind again with the same parameters is a no-op; other parameters, or a
    shared kind, are an error.
    """
    known = BEHAVIOURS.get(kind)
    if known is not None and (known != tuple(params) or kind in _SHARED_KINDS):
        raise ParameterError(f"behaviour kind {kind!r} of {family} is already in the zoo with parameters {known}; got {tuple(params)}.")
    BEHAVIOURS[kind] = tuple(params)


_SHARED_KINDS = frozenset(BEHAVIOURS)

#: Behaviours whose report is a transform of the truthful report (see apply_behaviours).
_REPORT_KINDS = ("truthful", "scaled", "fixed", "random", "copy", "free_ride")


@dataclass(frozen=True)
class Behaviour:
    """One behaviour of the shared zoo.

    Attributes
    ----------
    kind : one of :data:`BEHAVIOURS`
    params : the kind's numeric parameters, in :data:`BEHAVIOURS` order
        (``scaled``: factor; ``fixed``: value; ``random``: low, high; ``copy``: the
        target agent's index; ``sybil``: number of identities k >= 2; ``late``: delay
        in the family's time unit; ``intermittent``: probability p of being present).
    """

    kind: str
    params: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in BEHAVIOURS:
            from mechsim.core.registry import suggest

            raise ParameterError(
                f"unknown behaviour {self.kind!r}.{suggest(self.kind, list(BEHAVIOURS))} Known: {', '.join(BEHAVIOURS)}."
            )
        names = BEHAVIOURS[self.kind]
        if len(self.params) != len(names):
            raise ParameterError(
                f"behaviour {self.kind!r} takes {len(names)} parameter(s) ({', '.join(names) or 'none'}). "
                f"Got {len(self.params)}: {self.params!r}."
            )
        p = tuple(float(x) for x in self.params)
        if not all(np.isfinite(p)):
            raise ParameterError(f"behaviour {self.kind!r} parameters must be finite. Got {self.params!r}.")
        if self.kind == "copy" and (p[0] < 0 or not p[0].is_integer()):
            raise ParameterError(f"behaviour 'copy' takes an agent index >= 0. Got {self.params[0]!r}.")
        if self.kind == "sybil" and (p[0] < 2 or not p[0].is_integer()):
            raise ParameterError(f"behaviour 'sybil' takes k >= 2 identities (an integer). Got {self.params[0]!r}.")
        if self.kind == "intermittent" and not 0.0 <= p[0] <= 1.0:
            raise ParameterError(f"behaviour 'intermittent' takes a probability p in [0, 1]. Got {self.params[0]!r}.")
        if self.kind == "late" and p[0] < 0:
            raise ParameterError(f"behaviour 'late' takes a delay >= 0. Got {self.params[0]!r}.")
        if self.kind == "random" and not p[0] <= p[1]:
            raise ParameterError(f"behaviour 'random' takes low <= high. Got {self.params!r}.")
        object.__setattr__(self, "params", p)

    def __getattr__(self, name: str) -> float:
        # named access to the parameters: b.factor, b.target, b.p ...
        names = BEHAVIOURS.get(object.__getattribute__(self, "kind"), ())
        if name in names:
            return object.__getattribute__(self, "params")[names.index(name)]
        raise AttributeError(name)

    @property
    def name(self) -> str:
        """The text form (``"scaled:1.5"``), also used as the deviation label in tables."""
        return ":".join([self.kind, *(f"{x:g}" for x in self.params)])

    @property
    def is_truthful(self) -> bool:
        return self.kind == "truthful"

    def __str__(self) -> str:
        return self.name


def parse_behaviour(text: str | Behaviour) -> Behaviour:
    """``"scaled:1.5"`` -> ``Behaviour("scaled", (1.5,))``; raises :class:`ParameterError`."""
    if isinstance(text, Behaviour):
        return text
    if not isinstance(text, str) or not text.strip():
        raise ParameterError(f"a behaviour must be a text such as 'truthful' or 'scaled:1.5'. Got {text!r} instead.")
    kind, *rest = text.strip().split(":")
    try:
        params = tuple(float(x) for x in rest)
    except ValueError:
        raise ParameterError(f"behaviour {text!r}: parameters after ':' must be numbers.") from None
    return Behaviour(kind, params)


def assign_behaviours(n_agents: int, spec: Any, *, default: str = "truthful", owner: str = "Population") -> list[Behaviour]:
    """Behaviours of ``n_agents`` agents from a scenario value.

    ``spec`` is a list with one text per agent, or a mapping. In a mapping, integer
    keys (``"3"``) set one agent; other keys are behaviours with a *share* in [0, 1]
    of the population (rounded down; agents are filled in order of the mapping, the
    rest play ``default``).
    """
    dflt = parse_behaviour(default)
    if isinstance(spec, (list, tuple)):
        if len(spec) != n_agents:
            raise ParameterError(f"The 'behaviours' parameter of {owner} must list one behaviour per agent ({n_agents}). Got {len(spec)} instead.")
        return [parse_behaviour(b) for b in spec]
    out = [dflt] * n_agents
    if not spec:
        return out
    if not isinstance(spec, Mapping):
        raise ParameterError(f"The 'behaviours' parameter of {owner} must be a list or a table. Got {type(spec).__name__} instead.")
    nxt = 0
    for key, val in spec.items():
        if str(key).isdigit():
            i = int(key)
            if i >= n_agents:
                raise ParameterError(f"The 'behaviours' parameter of {owner} names agent {i}, but there are {n_agents} agents.")
            out[i] = parse_behaviour(val)
            continue
        share = Real(0.0, 1.0).convert(val)
        k = int(np.floor(share * n_agents + 1e-9))
        b = parse_behaviour(key)
        if nxt + k > n_agents:
            raise ParameterError(f"The 'behaviours' parameter of {owner} has shares summing above 1.")
        out[nxt : nxt + k] = [b] * k
        nxt += k
    return out


def present_mask(behaviours: Sequence[Behaviour], shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """(R, N) bool: which agents take part this round (``intermittent`` ones with prob. p).

    Draws one uniform per (replication, agent) every call, whatever the behaviours,
    so a deviation of one agent does not shift the others' draws.
    """
    u = rng.random(shape)
    p = np.array([b.p if b.kind == "intermittent" else 1.0 for b in behaviours])
    return u < p


def apply_behaviours(
    behaviours: Sequence[Behaviour], truthful: np.ndarray, rng: np.random.Generator, *, axis: int = -1
) -> np.ndarray:
    """Reports from truthful reports, agent ``i`` playing ``behaviours[i]``.

    ``truthful`` has the agent axis at ``axis`` (``-1`` for (R, N); ``1`` for (R, N, d)
    payloads). ``truthful``/``late``/``sybil``/``intermittent`` leave the report as is
    (their effect is the family's: timing, identities, presence); ``scaled``
    multiplies, ``fixed`` replaces, ``random`` draws uniformly in [low, high]
    (one uniform per entry, drawn every call for common random numbers),
    ``free_ride`` reports zeros and ``copy`` reports the target's final report.
    """
    x = np.asarray(truthful, dtype=float)
    ax = axis % x.ndim
    n = x.shape[ax]
    if len(behaviours) != n:
        raise ParameterError(f"apply_behaviours: {len(behaviours)} behaviours for {n} agents.")
    out = np.array(x, copy=True)
    u = rng.random(x.shape)
    moved = np.moveaxis(out, ax, 0)
    umoved = np.moveaxis(u, ax, 0)
    for i, b in enumerate(behaviours):
        if b.kind == "scaled":
            moved[i] *= b.factor
        elif b.kind == "fixed":
            moved[i] = b.value
        elif b.kind == "random":
            moved[i] = b.low + (b.high - b.low) * umoved[i]
        elif b.kind == "free_ride":
            moved[i] = 0.0
    for i, b in enumerate(behaviours):
        if b.kind == "copy":
            j = int(b.target)
            if j >= n:
                raise ParameterError(f"behaviour 'copy:{j}' of agent {i} names agent {j}, but there are {n} agents.")
            src = j
            seen = {i}
            while behaviours[src].kind == "copy" and src not in seen:  # follow chains of copiers
                seen.add(src)
                src = int(behaviours[src].target)
            moved[i] = moved[src]
    return out


@dataclass(frozen=True)
class Observation:
    """What a strategy sees before it acts in round ``t``.

    truthful : array
        The reports truthful agents would send, agent axis first after replications
        ((R, N) or (R, N, ...)).
    info : mapping
        Family extras (the last outcome, the current model, the window).
    """

    t: int
    truthful: np.ndarray
    info: Mapping[str, Any] = field(default_factory=dict)


class Strategy:
    """Base class of agent populations (see the module docstring)."""

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}

    def reset(self, *, n_agents: int, n_replications: int, types: Any, rng: np.random.Generator) -> None:
        raise NotImplementedError

    def act(self, observation: Observation) -> np.ndarray:
        raise NotImplementedError

    def update(self, outcome: Any) -> None:
        """Learn from the round's outcome (default: nothing)."""

    def get_params(self) -> dict[str, Any]:
        return validate_params(self)


class AgentType:
    """What a family's agents know, report and value, and how they may deviate.

    Subclasses override what differs; the defaults fit agents whose type *is* their
    truthful report and whose utility is their payment.
    """

    #: shown in audit tables: the unit of :meth:`utility`.
    utility_unit: ClassVar[str] = "payment per round"

    def draw(self, t: int, types: Any, rng: np.random.Generator) -> Any:
        """This round's private information (default: the fixed ``types``)."""
        return types

    def truthful(self, t: int, private: Any) -> np.ndarray:
        """The reports truthful agents send (default: the private information itself)."""
        return np.asarray(private, dtype=float)

    def apply(self, t: int, behaviours: Sequence[Behaviour], truthful: np.ndarray, rng: np.random.Generator) -> Any:
        """Reports when agent ``i`` plays ``behaviours[i]`` (default: :func:`apply_behaviours`)."""
        return apply_behaviours(behaviours, truthful, rng)

    def utility(self, t: int, private: Any, reports: Any, outcome: Any) -> np.ndarray:
        """(N,) utility of every agent in round ``t`` (default: its payment)."""
        return np.asarray(outcome.payments, dtype=float)

    def outside_option(self, t: int, private: Any) -> np.ndarray:
        """(N,) utility of staying out (individual rationality compares with it; default 0)."""
        return np.zeros(np.asarray(self.truthful(t, private)).shape[-1])

    def deviations(self) -> Sequence[Behaviour]:
        """The deviation space the auditor searches."""
        return ()


class BehaviourTable(Constraint):
    """A list of behaviour texts, or a table of agent indices and shares (see :func:`assign_behaviours`)."""

    def describe(self) -> str:
        return "a list of behaviours (such as 'scaled:1.5') or a table of agent indices and shares"

    def convert(self, value: Any) -> Any:
        try:
            if isinstance(value, (list, tuple)):
                for b in value:
                    parse_behaviour(b)
                return list(value)
            if isinstance(value, Mapping):
                for k, v in value.items():
                    if str(k).isdigit():
                        parse_behaviour(v)
                    else:
                        parse_behaviour(k)
                        Real(0.0, 1.0).convert(v)
                return dict(value)
        except ParameterError as exc:
            raise ValueError(str(exc)) from None
        raise TypeError


@register("core/population-v1", kind="strategy")
class Population(Strategy):
    """A mixed population: every agent plays one behaviour of the shared zoo.

    Parameters
    ----------
    behaviours : list or table, default () (everyone plays ``default``)
        One text per agent (``["truthful", "scaled:1.5", ...]``), or a table of
        single agents (``{"3" = "copy:0"}``) and population shares
        (``{"free_ride" = 0.2, "scaled:2" = 0.1}``); see :func:`assign_behaviours`.
    default : str, default "truthful"
        The behaviour of agents the table leaves out.
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {"behaviours": BehaviourTable(), "default": String()}

    def __init__(self, *, behaviours: Any = (), default: str = "truthful") -> None:
        self.behaviours = behaviours
        self.default = default

    def reset(self, *, n_agents: int, n_replications: int, types: Any = None, rng: np.random.Generator) -> None:
        p = self.get_params()
        self.assigned_ = assign_behaviours(n_agents, p["behaviours"] or {}, default=p["default"])
        self.n_replications_ = n_replications
        self.rng_ = rng

    def act(self, observation: Observation) -> np.ndarray:
        return apply_behaviours(self.assigned_, observation.truthful, self.rng_, axis=1 if np.ndim(observation.truthful) > 2 else -1)
