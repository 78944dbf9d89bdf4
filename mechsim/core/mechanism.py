"""The designer's side of every family: :class:`Mechanism`, :class:`Outcome`, :class:`Claims`.

A mechanism is as small as a gymnasium environment::

    mech = make("fedbandits/truth-fedban-v1", beta=0.5)   # __init__ stores settings only
    mech.reset(n_agents=N, rng=rng, **context)            # validates settings, starts state
    outcome = mech.step(t, reports)                       # one round or window

``reports`` is whatever the family's agents send (cost reports, click-rates played,
model updates, pseudo-gradients, signals). ``Outcome`` holds per-agent arrays whose
leading axis is the agent (or ``(R, N)`` for mechanisms vectorised over
replications):

``allocation``  what each agent is given or selected for (a float or bool per agent);
``payments``    money moved **to** each agent, signed, in one numeraire (positive: the
                agent receives; negative: the agent pays). Mechanisms without money
                return zeros;
``scores``      contribution or quality estimates (``nan`` where none is estimated);
``info``        mechanism-specific extras (a mapping of arrays or scalars).

Families subclass :class:`Outcome` to add fields (collab's aggregate update,
Gauntlet's weights). A mechanism declares what it promises in a class-level
:class:`Claims`; :func:`mechsim.testing.check_mechanism` reads the claims and tests
each one on the family's declared check instances (budget balance and individual
rationality from the outcomes, truthfulness through the auditor).

Bandit policies are **not** mechanisms: they face no strategic agents and keep the
smaller :class:`mechsim.bandits.base.Policy` contract.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from mechsim.core.params import Constraint, validate_params
from mechsim.errors import ParameterError

__all__ = ["Truthfulness", "BudgetBalance", "Claims", "Outcome", "Mechanism"]


class Truthfulness(str, enum.Enum):
    """How strongly a mechanism claims that truthful reporting is optimal.

    ``none``         no claim;
    ``dominant``     truthful reporting is a dominant strategy (every report of the others);
    ``bayesian``     truthful reporting is optimal in expectation over the others' types
                     when they report truthfully (Bayesian incentive compatibility);
    ``approximate``  no agent gains more than ``Claims.epsilon`` by deviating alone
                     (an epsilon-equilibrium of truthful play).
    """

    NONE = "none"
    DOMINANT = "dominant"
    BAYESIAN = "bayesian"
    APPROXIMATE = "approximate"


class BudgetBalance(str, enum.Enum):
    """``none``: no claim; ``weak``: the designer never pays out more than it takes in
    (``sum(payments) <= 0``); ``strong``: payments sum to zero exactly."""

    NONE = "none"
    WEAK = "weak"
    STRONG = "strong"


@dataclass(frozen=True)
class Claims:
    """What a mechanism promises, read by the conformance checks and the auditor.

    Attributes
    ----------
    truthful : Truthfulness, default ``none``
    epsilon : float or None
        For ``approximate``: the largest gain (in the check instance's utility unit)
        that a unilateral deviation may bring. ``None`` means the bound depends on the
        instance, and each check instance supplies it (``CheckInstance.epsilon``).
    individually_rational : bool
        Every truthful agent's utility is at least its outside option, every round.
    budget_balance : BudgetBalance, default ``none``
    fair : bool
        Agents with larger contributions get weakly larger rewards (collaborative
        fairness); tested by the family's own checks.
    randomized : bool
        ``step`` or ``select`` draws from the generator given to ``reset``; with
        ``False``, two resets with different generators must give identical outcomes.
    extra : mapping of str to bool
        Family-specific properties (``asymptotically_equal``, ``F7`` ...), each with a
        family check.
    """

    truthful: Truthfulness = Truthfulness.NONE
    epsilon: float | None = None
    individually_rational: bool = False
    budget_balance: BudgetBalance = BudgetBalance.NONE
    fair: bool = False
    randomized: bool = False
    extra: Mapping[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "truthful", Truthfulness(self.truthful))
        object.__setattr__(self, "budget_balance", BudgetBalance(self.budget_balance))
        if self.epsilon is not None and not (np.isfinite(self.epsilon) and self.epsilon >= 0):
            raise ParameterError(f"The 'epsilon' parameter of Claims must be a finite float >= 0 or None. Got {self.epsilon!r} instead.")
        if self.epsilon is not None and self.truthful is not Truthfulness.APPROXIMATE:
            raise ParameterError(f"The 'epsilon' parameter of Claims only applies to truthful='approximate'. Got truthful={self.truthful.value!r}.")

    def as_dict(self) -> dict[str, Any]:
        """Plain values for tables, ``mechsim describe`` and JSON."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.value if isinstance(v, enum.Enum) else (dict(v) if isinstance(v, Mapping) else v)
        return out

    def describe(self) -> str:
        parts = [f"truthful: {self.truthful.value}" + (f" (epsilon {self.epsilon:g})" if self.epsilon is not None else "")]
        parts.append(f"individually rational: {'yes' if self.individually_rational else 'no'}")
        parts.append(f"budget balance: {self.budget_balance.value}")
        parts.append(f"fair: {'yes' if self.fair else 'no'}")
        parts.append(f"randomised: {'yes' if self.randomized else 'no'}")
        parts += [f"{k}: {'yes' if v else 'no'}" for k, v in self.extra.items()]
        return "; ".join(parts)


@dataclass(frozen=True)
class Outcome:
    """What a mechanism decides in one round (see the module docstring).

    Attributes
    ----------
    allocation : (N,) or (R, N) array
    payments : (N,) or (R, N) float, transfers to the agents in one numeraire
    scores : (N,) or (R, N) float, ``nan`` where not estimated
    info : mapping of extras
    """

    allocation: np.ndarray
    payments: np.ndarray
    scores: np.ndarray
    info: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def empty(cls, n_agents: int, **kw: Any) -> Outcome:
        """No allocation, no payments, no scores (``nan``), for ``n_agents`` agents."""
        base = {"allocation": np.zeros(n_agents), "payments": np.zeros(n_agents), "scores": np.full(n_agents, np.nan)}
        base.update(kw)
        return cls(**base)


class Mechanism:
    """Base class of every family's mechanisms (see the module docstring).

    Subclasses declare ``_parameter_constraints`` (checked by :meth:`get_params` in
    ``reset``) and ``claims``; settings are stored verbatim by ``__init__`` and
    accumulated state lives in attributes ending in ``_``.
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}
    claims: ClassVar[Claims] = Claims()

    def reset(self, *, n_agents: int, rng: np.random.Generator, **context: Any) -> None:
        """Start a run with ``n_agents`` agents; ``context`` is family-specific (sizes, weights)."""
        raise NotImplementedError

    def step(self, t: int, reports: Any) -> Outcome:
        """Run round ``t`` on the agents' ``reports`` and return its :class:`Outcome`."""
        raise NotImplementedError

    def get_params(self) -> dict[str, Any]:
        """The validated settings (raises :class:`~mechsim.errors.ParameterError`)."""
        return validate_params(self)
