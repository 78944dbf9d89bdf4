"""Online mechanisms in an unknown game (spec §3.3): full feedback and explore-then-commit.

What the receiver knows and observes (the spec marks this as reconstructed; this is
mechsim's choice):

- known: the signal sizes, the states, the actions and its *own* utility ``u_R``;
- unknown: the joint law ``q`` and the senders' utilities ``u_i``;
- after every round it observes the state ``θ_t`` and the true signal profile ``s_t``
  (so ``q`` is learned at rate ``1/sqrt(t)`` in both settings);
- **full feedback**: a noisy sample (Bernoulli with mean ``u_i(a, θ_t)``) of every
  sender's utility for *every* action;
- **bandit feedback**: that sample only for the action played. This is what bandit
  feedback hides: the senders' utilities of the actions not taken, which the IC
  constraints need.

Estimates: ``q_hat = N(θ, s) / t``; ``u_hat_i(a, θ)`` the mean of the samples with
``(a, θ)`` (1/2 before any). The LP is solved on the estimated coefficients with an
*optimistic* relaxation ``epsilon`` (Hoeffding widths, so the true optimum is feasible
w.h.p.); ``L = log(2 K T / delta)`` with ``K`` the number of IC rows and
``c = confidence * (1 + payment_cap)`` (``payment_cap`` counts only with payments)::

    full feedback:   epsilon_t = c * sqrt(L / (2 t))
    explore-commit:  epsilon_t = c * (sqrt(L / (2 t)) + sqrt(|A| |Θ| L / (2 T0))),  T0 = ceil(T^alpha)

Explore-then-commit plays the actions in turn for ``T0`` rounds (ignoring reports: IC,
violation 0), freezes ``u_hat`` and then commits to the relaxed LP, re-solved as ``q_hat``
improves. Re-solving follows doubling epochs (rounds 0, 1, 2, 4, .. for full feedback;
T0, 2 T0, 4 T0, .. after exploration), which keeps ``Σ_t epsilon_t`` at ``O(sqrt T)``
(full) and ``O(T^{1 - alpha/2})`` (commit); the LP is compiled once with cvxpy Parameters
(:class:`~mechsim.infoacq.lp.ParametricICLP`) and warm-started. ``schedule="every_round"``
with ``parametric=False`` re-solves from scratch every round (the benchmark's baseline).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from mechsim.core.mechanism import Claims, Truthfulness
from mechsim.core.params import Boolean, Constraint, Options, Real
from mechsim.core.registry import register
from mechsim.infoacq.lp import SOLVERS, Coefficients, MechanismTable, ParametricICLP, solve_ic_lp
from mechsim.infoacq.mechanisms import DirectMechanism

__all__ = ["Estimator", "FullFeedback", "ExploreCommit"]


class Estimator:
    """Running estimates of ``q`` and the senders' utilities from the feedback."""

    def __init__(self, n_states: int, sizes: tuple[int, ...], n_actions: int, u_receiver: np.ndarray) -> None:
        self.sizes, self.u_receiver = sizes, u_receiver
        self.P = int(np.prod(sizes))
        self.N = np.zeros((n_states, self.P))
        self.Y = np.zeros((len(sizes), n_actions, n_states))
        self.C = np.zeros((n_actions, n_states))

    @property
    def t(self) -> int:
        return int(self.N.sum())

    def add_states(self, states: np.ndarray, profiles: np.ndarray) -> None:
        np.add.at(self.N, (states, profiles), 1.0)

    def add_full(self, states: np.ndarray, samples: np.ndarray) -> None:
        """samples (B, n, A): every action's sample."""
        nS = self.N.shape[0]
        for th in range(nS):
            m = states == th
            if m.any():
                self.Y[:, :, th] += samples[m].sum(axis=0)
                self.C[:, th] += m.sum()

    def add_bandit(self, states: np.ndarray, actions: np.ndarray, samples: np.ndarray) -> None:
        """samples (B, n): the played action's sample."""
        for i in range(self.Y.shape[0]):
            np.add.at(self.Y[i], (actions, states), samples[:, i])
        np.add.at(self.C, (actions, states), 1.0)

    def coefficients(self) -> Coefficients:
        t = self.N.sum()
        Q = self.N / t if t > 0 else np.full(self.N.shape, 1.0 / self.N.size)
        u = np.where(self.C > 0, self.Y / np.maximum(self.C, 1.0), 0.5)
        return Coefficients(self.sizes, Q.T @ self.u_receiver.T, np.einsum("tp,iat->ipa", Q, u), Q.sum(axis=0))


_ONLINE: dict[str, Constraint] = {
    "confidence": Real(0.0, None),
    "delta": Real(0.0, 1.0, closed="neither"),
    "payments": Boolean(),
    "payment_cap": Real(0.0, None),
    "solver": Options(SOLVERS),
    "schedule": Options(("doubling", "every_round")),
    "parametric": Boolean(),
}


class _Online(DirectMechanism):
    """Shared: estimator, widths, the solve schedule, the LP (parametric or from scratch)."""

    claims: ClassVar[Claims] = Claims(truthful=Truthfulness.NONE, randomized=True)

    def start(self) -> None:
        g, p = self.game_, self.params_
        self.est_ = Estimator(g.n_states, g.sig_sizes, g.n_actions, g.u_receiver)
        k_rows = max(1, sum(k * (k - 1) for k in g.sig_sizes))
        self.log_term_ = float(np.log(2.0 * k_rows * max(self.n_rounds_, 2) / p["delta"]))
        self.scale_ = p["confidence"] * (1.0 + (p["payment_cap"] if p["payments"] else 0.0))
        self.lp_ = ParametricICLP(g.sig_sizes, g.n_actions, payments=p["payments"], payment_cap=p["payment_cap"], solver=p["solver"]) if p["parametric"] else None
        self.table_ = self.initial_table()
        self.next_solve_ = self.first_solve()

    def initial_table(self) -> MechanismTable | None:
        return None

    def first_solve(self) -> int:
        return 0

    def width(self, n: float) -> float:
        return float(np.sqrt(self.log_term_ / (2.0 * max(n, 1.0))))

    def solve(self, t: int) -> MechanismTable:
        p = self.params_
        coef = self.est_.coefficients()
        self.epsilon_ = self.epsilon_at(t)
        if self.lp_ is not None:
            sol = self.lp_.solve(coef, self.epsilon_)
        else:
            sol = solve_ic_lp(coef, payments=p["payments"], epsilon=self.epsilon_, payment_cap=p["payment_cap"], solver=p["solver"])
        self.n_solves_ += 1
        return sol.table

    def next_after(self, t: int) -> int:
        """The next solve round after a solve at ``t``: ``t + 1`` (every round) or the next
        doubling point ``max(1, first) * 2^k > t``."""
        if self.params_["schedule"] == "every_round":
            return t + 1
        nxt = max(1, self.first_solve())
        while nxt <= t:
            nxt *= 2
        return nxt

    def prepare(self, t: int) -> None:
        if t >= self.next_solve_:
            self.table_ = self.solve(t)
            self.next_solve_ = self.next_after(t)

    def block_end(self, t: int) -> int:
        return min(self.n_rounds_, self.next_solve_)


@register("infoacq/full-feedback-v1", kind="infoacq.mechanism")
class FullFeedback(_Online):
    """Optimistic epsilon-relaxed LP on the empirical law, with full feedback (module docstring).

    Parameters
    ----------
    confidence : float, default 1.0
        Multiplier ``C`` of the Hoeffding width (larger: more optimistic, more violation).
    delta : float in (0, 1), default 0.05
        Confidence level of the widths.
    payments : bool, default False
    payment_cap : float, default 1.0
        Upper bound on each transfer (the violation bound scales with ``1 + payment_cap``).
    solver : {"HIGHS", "CLARABEL"}, default "HIGHS"
    schedule : {"doubling", "every_round"}, default "doubling"
    parametric : bool, default True
        Compile the LP once with cvxpy Parameters and warm-start re-solves.
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = dict(_ONLINE)
    feedback: ClassVar[str] = "full"

    def __init__(
        self,
        *,
        confidence: float = 1.0,
        delta: float = 0.05,
        payments: bool = False,
        payment_cap: float = 1.0,
        solver: str = "HIGHS",
        schedule: str = "doubling",
        parametric: bool = True,
    ) -> None:
        self.confidence = confidence
        self.delta = delta
        self.payments = payments
        self.payment_cap = payment_cap
        self.solver = solver
        self.schedule = schedule
        self.parametric = parametric

    def epsilon_at(self, t: int) -> float:
        return self.scale_ * self.width(t)

    def observe_block(self, t: int, states: np.ndarray, profiles: np.ndarray, actions: np.ndarray, samples: np.ndarray) -> None:
        self.est_.add_states(states, profiles)
        self.est_.add_full(states, samples)


@register("infoacq/explore-commit-v1", kind="infoacq.mechanism")
class ExploreCommit(_Online):
    """Explore-then-commit with exponent ``alpha`` under bandit feedback (module docstring).

    Parameters
    ----------
    alpha : float in [1/2, 1], default 2/3
        Exploration lasts ``T0 = ceil(T^alpha)`` rounds; regret O~(T^alpha), violation
        O~(T^{1 - alpha/2}).
    confidence, delta, payments, payment_cap, solver, schedule, parametric : as :class:`FullFeedback`
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {**_ONLINE, "alpha": Real(0.5, 1.0)}
    feedback: ClassVar[str] = "bandit"

    def __init__(
        self,
        *,
        alpha: float = 2 / 3,
        confidence: float = 1.0,
        delta: float = 0.05,
        payments: bool = False,
        payment_cap: float = 1.0,
        solver: str = "HIGHS",
        schedule: str = "doubling",
        parametric: bool = True,
    ) -> None:
        self.alpha = alpha
        self.confidence = confidence
        self.delta = delta
        self.payments = payments
        self.payment_cap = payment_cap
        self.solver = solver
        self.schedule = schedule
        self.parametric = parametric

    def first_solve(self) -> int:
        return self.t0_

    def initial_table(self) -> MechanismTable:
        g = self.game_
        self.t0_ = min(self.n_rounds_, int(np.ceil(self.n_rounds_ ** self.params_["alpha"])))
        self.explore_table_ = MechanismTable(phi=np.full((g.n_profiles, g.n_actions), 1.0 / g.n_actions), pay=np.zeros((g.n_senders, g.n_profiles)))
        return self.explore_table_

    def epsilon_at(self, t: int) -> float:
        g = self.game_
        return self.scale_ * (self.width(t) + self.width(self.t0_ / (g.n_actions * g.n_states)))

    def exploring(self, t: int) -> bool:
        return t < self.t0_

    def play_block(self, t: int, reports: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.exploring(t):
            return super().play_block(t, reports)
        # exploration cycles the actions (reports ignored); one uniform per round is still drawn
        B = np.atleast_2d(reports).shape[0]
        self.rng_.random(B)
        j = self.game_.index(np.atleast_2d(reports))
        a = (t + np.arange(B)) % self.game_.n_actions
        return a, np.zeros((B, self.game_.n_senders)), j

    def observe_block(self, t: int, states: np.ndarray, profiles: np.ndarray, actions: np.ndarray, samples: np.ndarray) -> None:
        self.est_.add_states(states, profiles)
        if self.exploring(t):
            self.est_.add_bandit(states, actions, samples)
