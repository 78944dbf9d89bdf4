"""Direct mechanisms of the receiver: reports in, an action lottery and transfers out.

Every mechanism here is a :class:`~mechsim.core.mechanism.Mechanism`:

``reset(n_agents=n, rng=rng, game=game, n_rounds=T)``
    ``game`` is the true :class:`~mechsim.infoacq.game.InfoGame`. Offline mechanisms
    solve on it; online mechanisms read only its *public* part (signal sizes, number of
    states and actions, the receiver's own utility ``u_R``) and learn the rest.
``step(t, reports) -> InfoOutcome``
    ``reports`` (n,) int signals. The action is drawn from ``phi(. | reports)`` with one
    uniform of the mechanism's generator per round; ``payments`` are the transfers
    ``pay_i(reports) >= 0`` to the senders; ``allocation`` is the action, repeated per sender.
``play_block(t, reports)``
    the same for a block of rounds ``t .. t + B - 1`` on which the mechanism does not
    change (:meth:`block_end`): the protocol's fast path, identical draws to ``step``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mechsim.core.mechanism import Claims, Mechanism, Outcome, Truthfulness
from mechsim.core.params import Boolean, Constraint, Nullable, Options, Real
from mechsim.core.registry import register
from mechsim.errors import ParameterError
from mechsim.infoacq.lp import SOLVERS, MechanismTable, coefficients, solve_cached, uninformed_table

__all__ = ["InfoOutcome", "DirectMechanism", "OptimalIC", "RelaxedIC", "Uninformed", "FirstBest"]


@dataclass(frozen=True, kw_only=True)
class InfoOutcome(Outcome):
    """An :class:`Outcome` with the receiver's action, the reported profile and its lottery ``phi`` (A,)."""

    action: int
    profile: int
    phi: np.ndarray


class DirectMechanism(Mechanism):
    """Shared machinery: the table in force, action draws, blocks, feedback hooks."""

    #: what the mechanism learns from after each round: None (nothing), "full", "bandit"
    feedback: ClassVar[str | None] = None

    def reset(self, *, n_agents: int, rng: np.random.Generator, game: Any = None, n_rounds: int = 1, **context: Any) -> None:
        self.params_ = self.get_params()
        if game is None:
            raise ParameterError(f"{type(self).__name__}.reset needs the game (context key 'game').")
        if n_agents != game.n_senders:
            raise ParameterError(f"{type(self).__name__}.reset: the game has {game.n_senders} senders, got n_agents={n_agents}.")
        self.game_ = game
        self.n_rounds_ = int(n_rounds)
        self.rng_ = rng
        self.epsilon_ = 0.0
        self.n_solves_ = 0
        self.start()

    # -- subclass hooks ----------------------------------------------------------
    def start(self) -> None:
        """Set ``table_`` (and any learning state) after ``reset``."""
        raise NotImplementedError

    def prepare(self, t: int) -> None:
        """Make ``table_`` the mechanism of round ``t`` (online ones re-solve here)."""

    def block_end(self, t: int) -> int:
        """First round after ``t`` at which the mechanism may change (``n_rounds`` if never)."""
        return self.n_rounds_

    def observe_block(self, t: int, states: np.ndarray, profiles: np.ndarray, actions: np.ndarray, samples: np.ndarray) -> None:
        """Feedback of rounds ``t .. t + B - 1`` (see :mod:`mechsim.infoacq.protocol`)."""

    # -- playing -------------------------------------------------------------------
    def play_block(self, t: int, reports: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(actions (B,), payments (B, n), profile indices (B,)) for (B, n) reports."""
        self.prepare(t)
        j = self.game_.index(np.atleast_2d(reports))
        cdf = np.cumsum(self.table_.phi[j], axis=1)
        u = self.rng_.random(j.size)[:, None] * cdf[:, -1:]
        a = np.minimum((cdf <= u).sum(axis=1), self.game_.n_actions - 1)
        return a, self.table_.pay[:, j].T, j

    def step(self, t: int, reports: Any) -> InfoOutcome:
        a, pay, j = self.play_block(t, np.asarray(reports, dtype=np.int64)[None, :])
        n = self.game_.n_senders
        return InfoOutcome(
            allocation=np.full(n, float(a[0])),
            payments=np.asarray(pay[0], dtype=float),
            scores=np.full(n, np.nan),
            info={"epsilon": self.epsilon_},
            action=int(a[0]),
            profile=int(j[0]),
            phi=self.table_.phi[j[0]].copy(),
        )


_LP_CONSTRAINTS: dict[str, Constraint] = {
    "payments": Boolean(),
    "payment_cap": Nullable(Real(0.0, None)),
    "solver": Options(SOLVERS),
}


@register("infoacq/optimal-ic-v1", kind="infoacq.mechanism")
class OptimalIC(DirectMechanism):
    """The optimal Bayesian-IC mechanism of the true game (the LP of spec §3.1-3.2).

    Parameters
    ----------
    payments : bool, default True
        Allow transfers ``pay_i >= 0`` to senders (limited liability).
    payment_cap : float or None, default None
        Upper bound on each transfer.
    solver : {"HIGHS", "CLARABEL"}, default "HIGHS"
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = dict(_LP_CONSTRAINTS)
    claims: ClassVar[Claims] = Claims(truthful=Truthfulness.BAYESIAN, randomized=True)

    def __init__(self, *, payments: bool = True, payment_cap: float | None = None, solver: str = "HIGHS") -> None:
        self.payments = payments
        self.payment_cap = payment_cap
        self.solver = solver

    def lp_epsilon(self) -> float:
        return 0.0

    def start(self) -> None:
        p = self.params_
        self.epsilon_ = self.lp_epsilon()
        sol = solve_cached(coefficients(self.game_), payments=p["payments"], epsilon=self.epsilon_, payment_cap=p["payment_cap"], solver=p["solver"])
        self.table_ = sol.table
        self.lp_value_ = sol.value
        self.n_solves_ = 1


@register("infoacq/relaxed-ic-v1", kind="infoacq.mechanism")
class RelaxedIC(OptimalIC):
    """The optimal epsilon-IC mechanism of the true game: every IC row may be violated by
    ``epsilon`` (ex-ante scale). A sender's misreport map changes at most ``S_i`` rows, so
    no map gains more than ``S_i * epsilon`` per round (the bound its check instances use).

    Parameters
    ----------
    epsilon : float, default 0.05
    payments, payment_cap, solver : as :class:`OptimalIC`
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {**_LP_CONSTRAINTS, "epsilon": Real(0.0, None)}
    claims: ClassVar[Claims] = Claims(truthful=Truthfulness.APPROXIMATE, randomized=True)

    def __init__(self, *, epsilon: float = 0.05, payments: bool = True, payment_cap: float | None = None, solver: str = "HIGHS") -> None:
        super().__init__(payments=payments, payment_cap=payment_cap, solver=solver)
        self.epsilon = epsilon

    def lp_epsilon(self) -> float:
        return float(self.params_["epsilon"])


@register("infoacq/uninformed-v1", kind="infoacq.mechanism")
class Uninformed(DirectMechanism):
    """Ignore the reports and play the best action under the prior (the no-information value)."""

    claims: ClassVar[Claims] = Claims(truthful=Truthfulness.DOMINANT, randomized=False)

    def __init__(self) -> None:
        pass

    def start(self) -> None:
        self.table_ = uninformed_table(coefficients(self.game_))


@register("infoacq/first-best-v1", kind="infoacq.mechanism")
class FirstBest(DirectMechanism):
    """Trust the reports and play ``argmax_a E[u_R(a, θ) | s]``: the first best, not IC."""

    claims: ClassVar[Claims] = Claims(truthful=Truthfulness.NONE, randomized=False)

    def __init__(self) -> None:
        pass

    def start(self) -> None:
        W = self.game_.W_R
        phi = np.zeros_like(W)
        phi[np.arange(W.shape[0]), W.argmax(axis=1)] = 1.0
        self.table_ = MechanismTable(phi=phi, pay=np.zeros((self.game_.n_senders, W.shape[0])))
