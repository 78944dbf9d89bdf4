"""The two contracts of the bandit family: environments (nature) and policies.

Both are vectorised over replications: every array has a leading axis of length
``R = n_replications``. Settings are stored verbatim by ``__init__`` and validated in
``reset`` against ``_parameter_constraints``; state lives in attributes ending in
``_``.

Round protocol (driven by :mod:`mechsim.bandits.protocol`), for ``t = 0 .. T-1``::

    x      = env.contexts(t)              # (R, K, d) or None
    arms   = policy.select(t, x)          # (R,) int
    rnd    = env.step(t)                  # means (R, K) or (K,), rewards (R, K)
    policy.update(t, arms, rnd.rewards[rows, arms])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mechsim.bandits import kernels
from mechsim.core.params import Constraint, validate_params

__all__ = ["Round", "EnvInfo", "BanditEnvironment", "Policy"]


@dataclass(frozen=True)
class EnvInfo:
    n_arms: int
    dim: int | None = None  # context dimension for linear environments


@dataclass(frozen=True)
class Round:
    """Nature's move in round ``t``.

    means : (R, K) or (K,) float
        Expected reward of every arm this round.
    rewards : (R, K) float
        Realised reward of every arm this round (only the chosen one is shown to
        the policy; the rest serve realised regret).
    """

    means: np.ndarray
    rewards: np.ndarray


class BanditEnvironment:
    """Base class of bandit environments.

    ``benchmark`` says what regret is measured against: ``"per_round"`` (the best
    arm of each round: stochastic and contextual environments) or ``"fixed_arm"``
    (the best single arm in hindsight: adversarial environments).
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}
    benchmark: ClassVar[str] = "per_round"
    #: True for environments whose ``contexts(t)`` returns arm features.
    has_contexts: ClassVar[bool] = False

    def reset(self, *, n_replications: int, horizon: int, rng: np.random.Generator) -> EnvInfo:
        raise NotImplementedError

    def contexts(self, t: int) -> np.ndarray | None:
        return None

    def step(self, t: int) -> Round:
        raise NotImplementedError

    def step_block(self, t0: int, n: int) -> Round:
        """Rounds ``t0 .. t0 + n - 1`` at once: means (n, K) or (n, R, K), rewards (n, R, K).

        Must consume the environment's stream exactly as ``n`` rounds of ``contexts(t)``
        then ``step(t)`` do (so both protocol paths see the same rewards). This default
        does just that; environments override it with one array draw.
        """
        rounds = []
        for t in range(t0, t0 + n):
            self.contexts(t)
            rounds.append(self.step(t))
        return Round(means=np.stack([r.means for r in rounds]), rewards=np.stack([r.rewards for r in rounds]))

    def get_params(self) -> dict[str, Any]:
        return validate_params(self)


class Policy:
    """Base class of bandit policies (vectorised over replications)."""

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}
    #: True for policies that read contexts (LinUCB); they need a linear environment.
    needs_contexts: ClassVar[bool] = False
    #: True for policies with compiled kernels (:mod:`mechsim.bandits.kernels`): ``select``
    #: and ``update`` run them on the ``"numba"`` path, and :meth:`run_block` steps many rounds.
    has_kernel: ClassVar[bool] = False

    def reset(
        self,
        *,
        n_replications: int,
        n_arms: int,
        horizon: int,
        rng: np.random.Generator,
        dim: int | None = None,
    ) -> None:
        """Validate the settings (``params_``), keep ``rng_`` and start the state (:meth:`_start`)."""
        self.params_ = self.get_params()
        self.rng_ = rng
        self.kernel_ = kernels.resolve() if self.has_kernel else "numpy"
        self._start(n_replications=n_replications, n_arms=n_arms, horizon=horizon, dim=dim)

    def _start(self, *, n_replications: int, n_arms: int, horizon: int, dim: int | None) -> None:
        """Allocate the per-replication state; settings are in ``self.params_``."""
        raise NotImplementedError

    def select(self, t: int, contexts: np.ndarray | None = None) -> np.ndarray:
        raise NotImplementedError

    def update(self, t: int, arms: np.ndarray, rewards: np.ndarray) -> None:
        raise NotImplementedError

    def run_block(self, t0: int, rewards: np.ndarray) -> np.ndarray:
        """Rounds ``t0 .. t0 + n - 1`` in one compiled call, on the full reward tables (n, R, K).

        Returns the arms played, (n, R) int64. Same draws, same order and same state as
        ``n`` rounds of ``select``/``update`` (the protocol uses it only for policies with
        ``has_kernel`` on the ``"numba"`` path, and environments without contexts).
        """
        raise NotImplementedError

    def get_params(self) -> dict[str, Any]:
        return validate_params(self)


def argmax_first(x: np.ndarray) -> np.ndarray:
    """Row-wise argmax, ties to the lowest index (the documented tie rule)."""
    return np.argmax(x, axis=1)
