"""Senders: their agent type, their misreport maps, and the sender population strategy.

A sender's private information in a round is its signal (the state is nature's); its
report is a signal. Behaviours map to reports as follows:

- zoo ``truthful``: its own signal;
- zoo ``fixed:v``: always signal ``v`` (a constant misreport map);
- zoo ``random:lo:hi``: a uniform integer signal in ``[lo, hi]`` (clipped to its range);
- zoo ``copy:j``: sender ``j``'s signal (clipped to its range);
- family ``map:r0,r1,..``: report ``r_t`` when the signal is ``t`` (any misreport map);
- family ``best_response``: the map that maximises the sender's interim utility against
  the mechanism in force, the others truthful (recomputed whenever the mechanism changes).

``scaled``, ``free_ride``, ``sybil``, ``late`` and ``intermittent`` have no meaning for a
one-shot signal report and are refused with a :class:`ParameterError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mechsim.core.params import Constraint, String
from mechsim.core.registry import register
from mechsim.core.strategy import AgentType, Behaviour, Observation, Strategy, parse_behaviour
from mechsim.errors import ParameterError
from mechsim.infoacq.lp import MechanismTable, best_response_maps, coefficients

__all__ = [
    "SignalMap",
    "BestResponse",
    "parse_sender_behaviour",
    "apply_sender_behaviours",
    "SignalAgentType",
    "Senders",
    "ZOO_KINDS",
]

#: zoo behaviours that have a signal-report meaning
ZOO_KINDS = ("truthful", "fixed", "random", "copy")


@dataclass(frozen=True)
class SignalMap:
    """The family deviation ``map:r0,r1,..``: report ``mapping[t]`` when the signal is ``t``."""

    mapping: tuple[int, ...]
    kind: ClassVar[str] = "map"

    @property
    def name(self) -> str:
        return "map:" + ",".join(str(r) for r in self.mapping)

    @property
    def is_truthful(self) -> bool:
        return self.mapping == tuple(range(len(self.mapping)))

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class BestResponse:
    """The family behaviour ``best_response`` (resolved to a :class:`SignalMap` per mechanism)."""

    kind: ClassVar[str] = "best_response"
    name: ClassVar[str] = "best_response"
    is_truthful: ClassVar[bool] = False


SenderBehaviour = Behaviour | SignalMap | BestResponse


def parse_sender_behaviour(text: Any) -> SenderBehaviour:
    """``"map:1,0"``, ``"best_response"`` or a zoo text with a signal meaning (see the module docstring)."""
    if isinstance(text, (SignalMap, BestResponse)):
        return text
    if isinstance(text, str) and text.strip() == "best_response":
        return BestResponse()
    if isinstance(text, str) and text.strip().startswith("map:"):
        try:
            m = tuple(int(x) for x in text.strip()[4:].split(","))
        except ValueError:
            raise ParameterError(f"behaviour {text!r}: a map lists integer signals, e.g. 'map:1,0'.") from None
        if min(m) < 0:
            raise ParameterError(f"behaviour {text!r}: signals are >= 0.")
        return SignalMap(m)
    b = parse_behaviour(text)
    if b.kind not in ZOO_KINDS:
        raise ParameterError(
            f"behaviour {b.name!r} has no meaning for a signal report; senders support "
            f"{', '.join(ZOO_KINDS)}, 'map:r0,r1,..' and 'best_response'."
        )
    return b


def apply_sender_behaviours(
    behaviours: Sequence[SenderBehaviour], sizes: Sequence[int], truthful: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """(B, n) int reports from (B, n) true signals; sender ``i`` plays ``behaviours[i]``.

    One uniform per (round, sender) is drawn every call, whatever the behaviours, so a
    deviation of one sender does not shift the others' draws (common random numbers).
    ``best_response`` must be resolved into a :class:`SignalMap` first.
    """
    s = np.asarray(truthful, dtype=np.int64)
    squeeze = s.ndim == 1
    s = np.atleast_2d(s)
    u = rng.random(s.shape)
    out = s.copy()
    for i, b in enumerate(behaviours):
        top = int(sizes[i]) - 1
        if isinstance(b, SignalMap):
            if len(b.mapping) != sizes[i] or max(b.mapping) > top:
                raise ParameterError(f"behaviour {b.name!r} of sender {i} must map each of its {sizes[i]} signals into [0, {top}].")
            out[:, i] = np.asarray(b.mapping)[s[:, i]]
        elif isinstance(b, BestResponse):
            raise ParameterError("behaviour 'best_response' must be resolved against a mechanism before it is applied.")
        elif b.kind == "fixed":
            v = b.value
            if not float(v).is_integer() or not 0 <= v <= top:
                raise ParameterError(f"behaviour {b.name!r} of sender {i} must name a signal in [0, {top}].")
            out[:, i] = int(v)
        elif b.kind == "random":
            lo, hi = int(np.ceil(b.low)), int(np.floor(b.high))
            out[:, i] = np.clip(lo + np.floor(u[:, i] * (hi - lo + 1)).astype(np.int64), 0, top)
        elif b.kind == "copy":
            j = int(b.target)
            if j >= s.shape[1]:
                raise ParameterError(f"behaviour 'copy:{j}' of sender {i} names sender {j}, but there are {s.shape[1]} senders.")
            out[:, i] = np.clip(s[:, j], 0, top)
    return out[0] if squeeze else out


def resolve(behaviours: Sequence[SenderBehaviour], game: Any, table: MechanismTable | None) -> list[SenderBehaviour]:
    """Replace ``best_response`` by the best-response map against ``table`` (truthful if None)."""
    if not any(isinstance(b, BestResponse) for b in behaviours):
        return list(behaviours)
    maps = best_response_maps(coefficients(game), table) if table is not None else [np.arange(k) for k in game.sig_sizes]
    return [SignalMap(tuple(int(r) for r in maps[i])) if isinstance(b, BestResponse) else b for i, b in enumerate(behaviours)]


class SignalAgentType(AgentType):
    """Senders of one game: private (state, signals), reports signals, values the action lottery.

    ``utility`` is ``Σ_a phi(a | reports) u_i(a, θ) + pay_i``: the sender's expected utility
    given the state and the mechanism's lottery (the lottery is integrated out, not drawn,
    which lowers the auditor's variance and leaves the expectation unchanged).
    """

    utility_unit: ClassVar[str] = "sender utility per round"

    def __init__(self, game: Any) -> None:
        self.game = game

    def draw(self, t: int, types: Any, rng: np.random.Generator) -> tuple[int, np.ndarray]:
        state, profile = self.game.sample(1, rng)
        return int(state[0]), self.game.profiles(profile)[0]

    def truthful(self, t: int, private: Any) -> np.ndarray:
        return np.asarray(private[1], dtype=np.int64)

    def apply(self, t: int, behaviours: Sequence[Any], truthful: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return apply_sender_behaviours(behaviours, self.game.sig_sizes, truthful, rng)

    def utility(self, t: int, private: Any, reports: Any, outcome: Any) -> np.ndarray:
        state = private[0]
        return outcome.phi @ self.game.u_senders[:, :, state].T + np.asarray(outcome.payments, dtype=float)

    def outside_option(self, t: int, private: Any) -> np.ndarray:
        return np.zeros(self.game.n_senders)

    def deviations(self) -> Sequence[Behaviour]:
        """Zoo deviations with a signal meaning: every constant report ``fixed:v`` of the
        smallest signal range (the family's map deviations are per sender; see
        :func:`map_deviations`)."""
        return [Behaviour("fixed", (float(v),)) for v in range(min(self.game.sig_sizes))]


def map_deviations(size: int, *, max_full: int = 64) -> list[SignalMap]:
    """Every non-identity misreport map of a sender with ``size`` signals when there are at
    most ``max_full`` maps; otherwise the single-signal misreports (``t -> r``, one IC row
    each) and the constant maps."""
    import itertools

    ident = tuple(range(size))
    if size**size <= max_full:
        return [SignalMap(m) for m in itertools.product(range(size), repeat=size) if m != ident]
    out = {SignalMap(tuple(r if k == t else k for k in range(size))) for t in range(size) for r in range(size) if r != t}
    out |= {SignalMap((v,) * size) for v in range(size)}
    return sorted(out, key=lambda m: m.mapping)


class SenderBehaviours(Constraint):
    """A list of sender behaviour texts or a table (agent index -> text); see :func:`parse_sender_behaviour`."""

    def describe(self) -> str:
        return "a list of sender behaviours ('truthful', 'fixed:1', 'map:1,0', 'best_response', ..) or a table of sender indices"

    def convert(self, value: Any) -> Any:
        try:
            if isinstance(value, (list, tuple)):
                for b in value:
                    parse_sender_behaviour(b)
                return tuple(value)
            if isinstance(value, Mapping):
                for k, v in value.items():
                    if not str(k).isdigit():
                        raise ValueError
                    parse_sender_behaviour(v)
                return dict(value)
        except ParameterError:
            raise ValueError from None
        raise TypeError


@register("infoacq/senders-v1", kind="infoacq.senders")
class Senders(Strategy):
    """The sender population: each sender plays one behaviour (see the module docstring).

    Parameters
    ----------
    behaviours : list or table, default () (everyone plays ``default``)
        One text per sender, or a table ``{"1" = "best_response"}`` of single senders.
    default : str, default "truthful"
        The behaviour of senders the table leaves out (``"best_response"`` for a fully
        strategic population).

    ``act`` takes an :class:`~mechsim.core.strategy.Observation` whose ``truthful`` is the
    (B, n) true signals of a block of rounds and whose ``info`` holds ``game`` (the true
    game, which senders know) and ``table`` (the mechanism in force).
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {"behaviours": SenderBehaviours(), "default": String()}

    def __init__(self, *, behaviours: Any = (), default: str = "truthful") -> None:
        self.behaviours = behaviours
        self.default = default

    def reset(self, *, n_agents: int, n_replications: int = 1, types: Any = None, rng: np.random.Generator) -> None:
        p = self.get_params()
        dflt = parse_sender_behaviour(p["default"])
        spec = p["behaviours"]
        if isinstance(spec, tuple) and spec:
            if len(spec) != n_agents:
                raise ParameterError(f"The 'behaviours' parameter of Senders must list one behaviour per sender ({n_agents}). Got {len(spec)} instead.")
            assigned = [parse_sender_behaviour(b) for b in spec]
        else:
            assigned = [dflt] * n_agents
            for k, v in dict(spec or {}).items():
                if int(k) >= n_agents:
                    raise ParameterError(f"The 'behaviours' parameter of Senders names sender {k}, but there are {n_agents} senders.")
                assigned[int(k)] = parse_sender_behaviour(v)
        self.assigned_ = assigned
        self.rng_ = rng

    @property
    def strategic(self) -> bool:
        return any(not b.is_truthful for b in self.assigned_)

    def act(self, observation: Observation) -> np.ndarray:
        game = observation.info["game"]
        behaviours = resolve(self.assigned_, game, observation.info.get("table"))
        self.resolved_ = behaviours
        return apply_sender_behaviours(behaviours, game.sig_sizes, observation.truthful, self.rng_)
