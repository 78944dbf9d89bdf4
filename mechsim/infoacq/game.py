"""Information-acquisition games: states, a joint law of state and signals, actions, utilities.

A game (spec ``bandits.md`` §3.1) has

- a finite state set Θ with prior μ(θ);
- ``n`` senders; sender ``i`` privately observes a signal ``s_i`` in ``{0, .., S_i - 1}``;
- a joint law ``q(θ, s_1, .., s_n)`` (any table; :func:`conditionally_independent` builds the
  default factorisation ``μ(θ) Π_i π_i(s_i | θ)``);
- receiver actions ``a`` with mean utility ``u_R(a, θ)`` in [0, 1] and sender mean utilities
  ``u_i(a, θ)`` in [0, 1].

Signal profiles are indexed ``j = 0 .. P - 1`` in C order over ``(s_1, .., s_n)``
(``numpy.ravel_multi_index``). Everything the LP and the metrics need is a matrix over
profiles, computed once: ``W_R[j, a] = Σ_θ q(θ, s_j) u_R(a, θ)``, ``W_S[i, j, a]`` the same
with ``u_i``, and ``q_s[j] = P(s = s_j)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from mechsim.errors import ParameterError

__all__ = [
    "InfoGame",
    "conditionally_independent",
    "random_game",
    "sanity_game",
    "NAMED_GAMES",
    "named_game",
]


@dataclass(frozen=True, eq=False)
class InfoGame:
    """One information-acquisition game.

    Attributes
    ----------
    q : (|Θ|, S_1, .., S_n) float, the joint pmf of state and signal profile (sums to 1)
    u_receiver : (|A|, |Θ|) float in [0, 1], the receiver's mean utility
    u_senders : (n, |A|, |Θ|) float in [0, 1], the senders' mean utilities
    name : a label
    """

    q: np.ndarray
    u_receiver: np.ndarray
    u_senders: np.ndarray
    name: str = "game"

    def __post_init__(self) -> None:
        q = np.asarray(self.q, dtype=float)
        ur = np.asarray(self.u_receiver, dtype=float)
        us = np.asarray(self.u_senders, dtype=float)
        if q.ndim < 2:
            raise ParameterError(f"The 'q' parameter of InfoGame must have shape (n_states, S_1, ..); got shape {q.shape}.")
        if np.any(q < -1e-12) or abs(q.sum() - 1.0) > 1e-9:
            raise ParameterError(f"The 'q' parameter of InfoGame must be a pmf (nonnegative, sums to 1). Got sum {q.sum():.6g}.")
        n = q.ndim - 1
        if ur.ndim != 2 or ur.shape[1] != q.shape[0]:
            raise ParameterError(f"The 'u_receiver' parameter of InfoGame must have shape (n_actions, {q.shape[0]}). Got {ur.shape}.")
        if us.shape != (n, ur.shape[0], q.shape[0]):
            raise ParameterError(f"The 'u_senders' parameter of InfoGame must have shape ({n}, {ur.shape[0]}, {q.shape[0]}). Got {us.shape}.")
        for nm, u in (("u_receiver", ur), ("u_senders", us)):
            if np.any(u < 0) or np.any(u > 1) or not np.all(np.isfinite(u)):
                raise ParameterError(f"The '{nm}' parameter of InfoGame must lie in [0, 1].")
        object.__setattr__(self, "q", np.clip(q, 0.0, None) / np.clip(q, 0.0, None).sum())
        object.__setattr__(self, "u_receiver", ur)
        object.__setattr__(self, "u_senders", us)

    # -- sizes -----------------------------------------------------------------
    @property
    def n_states(self) -> int:
        return self.q.shape[0]

    @property
    def n_senders(self) -> int:
        return self.q.ndim - 1

    @cached_property
    def sig_sizes(self) -> tuple[int, ...]:
        return tuple(int(k) for k in self.q.shape[1:])

    @property
    def n_actions(self) -> int:
        return self.u_receiver.shape[0]

    @cached_property
    def n_profiles(self) -> int:
        return int(np.prod(self.sig_sizes))

    # -- profile matrices ------------------------------------------------------
    @cached_property
    def Q(self) -> np.ndarray:
        """(|Θ|, P): ``q(θ, s_j)``."""
        return self.q.reshape(self.n_states, self.n_profiles)

    @cached_property
    def prior(self) -> np.ndarray:
        """(|Θ|,): μ(θ)."""
        return self.Q.sum(axis=1)

    @cached_property
    def q_s(self) -> np.ndarray:
        """(P,): P(s = s_j)."""
        return self.Q.sum(axis=0)

    @cached_property
    def W_R(self) -> np.ndarray:
        """(P, |A|): ``Σ_θ q(θ, s_j) u_R(a, θ)``."""
        return self.Q.T @ self.u_receiver.T

    @cached_property
    def W_S(self) -> np.ndarray:
        """(n, P, |A|): ``Σ_θ q(θ, s_j) u_i(a, θ)``."""
        return np.einsum("tp,iat->ipa", self.Q, self.u_senders)

    def profiles(self, idx: np.ndarray) -> np.ndarray:
        """(B, n) int signals of profile indices ``idx`` (B,)."""
        return np.stack(np.unravel_index(np.asarray(idx), self.sig_sizes), axis=-1)

    def index(self, signals: np.ndarray) -> np.ndarray:
        """(B,) profile indices of (B, n) signals (the inverse of :meth:`profiles`)."""
        s = np.asarray(signals, dtype=np.int64)
        return np.ravel_multi_index(tuple(np.moveaxis(s, -1, 0)), self.sig_sizes)

    # -- benchmarks --------------------------------------------------------------
    def first_best(self) -> float:
        """Receiver value with truthful senders and no IC constraint: Σ_s max_a W_R[s, a]."""
        return float(self.W_R.max(axis=1).sum())

    def no_information(self) -> float:
        """Value of the best action under the prior alone (an uninformed receiver)."""
        return float((self.u_receiver @ self.prior).max())

    # -- sampling ----------------------------------------------------------------
    @cached_property
    def _cdf(self) -> np.ndarray:
        return np.cumsum(self.q.ravel())

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` i.i.d. draws of (state (n,), profile index (n,)) from ``q``, by inverse CDF."""
        cdf = self._cdf
        k = np.minimum(np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right"), cdf.size - 1)
        return k // self.n_profiles, k % self.n_profiles


def conditionally_independent(
    prior: Sequence[float], likelihoods: Sequence[np.ndarray], u_receiver: np.ndarray, u_senders: np.ndarray, *, name: str = "game"
) -> InfoGame:
    """The default factorisation ``q(θ, s) = μ(θ) Π_i π_i(s_i | θ)``.

    Parameters
    ----------
    prior : (|Θ|,) μ
    likelihoods : n arrays of shape (|Θ|, S_i), rows sum to 1: π_i(s_i | θ)
    u_receiver, u_senders : see :class:`InfoGame`
    """
    mu = np.asarray(prior, dtype=float)
    q = mu.copy()
    for i, pi in enumerate(likelihoods):
        pi = np.asarray(pi, dtype=float)
        if pi.shape[0] != mu.size or np.any(pi < 0) or not np.allclose(pi.sum(axis=1), 1.0):
            raise ParameterError(f"likelihood {i} must have shape ({mu.size}, S_{i}) with rows summing to 1. Got {pi.shape}.")
        q = q[..., None] * pi.reshape((mu.size,) + (1,) * i + (pi.shape[1],))
    return InfoGame(q=q, u_receiver=u_receiver, u_senders=u_senders, name=name)


def random_game(
    rng: np.random.Generator,
    *,
    n_states: int = 2,
    n_senders: int = 2,
    n_signals: int | Sequence[int] = 2,
    n_actions: int = 2,
    accuracy: float = 2.0,
    correlated: bool = False,
    name: str = "random",
) -> InfoGame:
    """A random game: Dirichlet prior, informative likelihoods, uniform utilities.

    ``accuracy`` is the Dirichlet weight added to the "matching" signal of each state
    (signal ``θ mod S_i``), so larger values give more informative senders. With
    ``correlated=True`` the joint table is a mixture of the factorised law and a random
    joint table (weight 1/2 each), so signals are not conditionally independent.
    Receiver utilities are i.i.d. uniform; sender utilities are uniform as well, so senders
    have their own (misaligned) preferences over actions.
    """
    sizes = (int(n_signals),) * n_senders if np.isscalar(n_signals) else tuple(int(k) for k in n_signals)  # type: ignore[arg-type]
    prior = rng.dirichlet(np.full(n_states, 2.0))
    lik = []
    for k in sizes:
        alpha = np.ones((n_states, k))
        alpha[np.arange(n_states), np.arange(n_states) % k] += accuracy
        lik.append(np.stack([rng.dirichlet(a) for a in alpha]))
    ur = rng.random((n_actions, n_states))
    us = rng.random((len(sizes), n_actions, n_states))
    game = conditionally_independent(prior, lik, ur, us, name=name)
    if correlated:
        joint = rng.dirichlet(np.ones(game.q.size)).reshape(game.q.shape)
        game = InfoGame(q=0.5 * game.q + 0.5 * joint, u_receiver=ur, u_senders=us, name=name)
    return game


def sanity_game(n_senders: int = 2, accuracy: float = 0.8) -> InfoGame:
    """The spec's sanity instance (§3.2 and "Verified facts").

    Θ = {0, 1} uniform; signals conditionally independent with P(s_i = θ) = ``accuracy``;
    A = {0, 1}; u_R(a, θ) = 1{a = θ}; every sender u_i(a, θ) = 1{a = 1}. With two senders
    its IC optimum is 56/85 = 0.658824 (with and without payments), first best 0.8, best
    constant action 0.5.
    """
    lik = [np.array([[accuracy, 1 - accuracy], [1 - accuracy, accuracy]])] * n_senders
    ur = np.eye(2)
    us = np.tile(np.array([[0.0, 0.0], [1.0, 1.0]]), (n_senders, 1, 1))
    return conditionally_independent([0.5, 0.5], lik, ur, us, name=f"sanity-{n_senders}")


def _aligned_game() -> InfoGame:
    # senders want the receiver to match the state too: truthful reporting is free
    lik = [np.array([[0.8, 0.2], [0.3, 0.7]]), np.array([[0.6, 0.4], [0.1, 0.9]])]
    return conditionally_independent([0.4, 0.6], lik, np.eye(2), np.tile(np.eye(2), (2, 1, 1)), name="aligned")


def _three_state_game() -> InfoGame:
    # three states, two ternary senders with opposed biases, three actions
    acc = np.full((3, 3), 0.15) + np.eye(3) * 0.55
    ur = np.eye(3) * 0.9 + 0.05
    us = np.stack([np.array([[0.1] * 3, [0.5] * 3, [1.0] * 3]), np.array([[1.0] * 3, [0.5] * 3, [0.1] * 3])])
    return conditionally_independent([1 / 3] * 3, [acc, acc], ur, us, name="three-state")


#: Named small instances (name -> builder).
NAMED_GAMES: dict[str, Callable[[], InfoGame]] = {
    "sanity": sanity_game,
    "sanity-1": lambda: sanity_game(1),
    "sanity-3": lambda: sanity_game(3),
    "aligned": _aligned_game,
    "three-state": _three_state_game,
}


def named_game(name: str) -> InfoGame:
    """One of :data:`NAMED_GAMES` (raises :class:`ParameterError` naming the known ones)."""
    if name not in NAMED_GAMES:
        from mechsim.core.registry import suggest

        raise ParameterError(f"unknown named game {name!r}.{suggest(name, list(NAMED_GAMES))} Known: {', '.join(NAMED_GAMES)}.")
    return NAMED_GAMES[name]()
