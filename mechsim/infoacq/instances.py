"""Instance components of the ``[instance]`` section: ``build(rng) -> InfoGame``.

``infoacq/named-v1``    a named small game (:data:`~mechsim.infoacq.game.NAMED_GAMES`);
``infoacq/random-v1``   a random game per replication (:func:`~mechsim.infoacq.game.random_game`);
``infoacq/joint-v1``    any joint table ``q`` given flat with its shape, plus utilities.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mechsim.core.params import Boolean, Constraint, IntArray, Integer, Options, Real, RealArray, validate_params
from mechsim.core.registry import register
from mechsim.errors import ParameterError
from mechsim.infoacq.game import NAMED_GAMES, InfoGame, named_game, random_game

__all__ = ["NamedInstance", "RandomInstance", "JointInstance"]


class _Instance:
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}

    def get_params(self) -> dict[str, Any]:
        return validate_params(self)

    def build(self, rng: np.random.Generator) -> InfoGame:  # pragma: no cover - abstract
        raise NotImplementedError


@register("infoacq/named-v1", kind="infoacq.instance")
class NamedInstance(_Instance):
    """A named game: ``sanity`` (the spec's 2-state 2-sender instance), ``sanity-1``,
    ``sanity-3``, ``aligned``, ``three-state``. The generator is not used."""

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {"name": Options(tuple(NAMED_GAMES))}

    def __init__(self, *, name: str = "sanity") -> None:
        self.name = name

    def build(self, rng: np.random.Generator) -> InfoGame:
        return named_game(self.get_params()["name"])


@register("infoacq/random-v1", kind="infoacq.instance")
class RandomInstance(_Instance):
    """A random game drawn from the replication's generator (see :func:`random_game`)."""

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "n_states": Integer(2, None),
        "n_senders": Integer(1, None),
        "n_signals": Integer(2, None),
        "n_actions": Integer(2, None),
        "accuracy": Real(0.0, None),
        "correlated": Boolean(),
    }

    def __init__(self, *, n_states: int = 2, n_senders: int = 2, n_signals: int = 2, n_actions: int = 2, accuracy: float = 2.0, correlated: bool = False) -> None:
        self.n_states = n_states
        self.n_senders = n_senders
        self.n_signals = n_signals
        self.n_actions = n_actions
        self.accuracy = accuracy
        self.correlated = correlated

    def build(self, rng: np.random.Generator) -> InfoGame:
        return random_game(rng, **self.get_params())


@register("infoacq/joint-v1", kind="infoacq.instance")
class JointInstance(_Instance):
    """Any joint law: ``q`` flat in C order of ``shape = (n_states, S_1, .., S_n)``;
    ``u_receiver`` (n_actions rows of n_states); ``u_senders`` flat (n, n_actions, n_states)."""

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "q": RealArray(0.0, 1.0),
        "shape": IntArray(1, None, min_len=2),
        "u_receiver": RealArray(0.0, 1.0, ndim=2),
        "u_senders": RealArray(0.0, 1.0),
    }

    def __init__(self, *, q: Any = (0.4, 0.1, 0.1, 0.4), shape: Any = (2, 2), u_receiver: Any = ((1.0, 0.0), (0.0, 1.0)), u_senders: Any = (0.0, 0.0, 1.0, 1.0)) -> None:
        self.q = q
        self.shape = shape
        self.u_receiver = u_receiver
        self.u_senders = u_senders

    def build(self, rng: np.random.Generator) -> InfoGame:
        p = self.get_params()
        shape = tuple(p["shape"])
        q = np.asarray(p["q"])
        ur = np.asarray(p["u_receiver"])
        us = np.asarray(p["u_senders"])
        if q.size != int(np.prod(shape)):
            raise ParameterError(f"The 'q' parameter of JointInstance must have prod(shape) = {int(np.prod(shape))} entries. Got {q.size} instead.")
        n = len(shape) - 1
        if us.size != n * ur.size:
            raise ParameterError(f"The 'u_senders' parameter of JointInstance must have {n * ur.size} entries (n, n_actions, n_states). Got {us.size} instead.")
        return InfoGame(q=q.reshape(shape), u_receiver=ur, u_senders=us.reshape((n,) + ur.shape), name="joint")
