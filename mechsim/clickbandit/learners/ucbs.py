"""UCB-S, "UCB with screening" (Kleine Buening, Saha, Dimitrakakis, Xu; ICLR 2024)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mechsim.clickbandit.learners.base import Truth
from mechsim.clickbandit.learners.confidence import Bounds, OptimisticLearner
from mechsim.core.mechanism import Claims
from mechsim.core.params import Constraint, Integer, Nullable, Options, Real
from mechsim.core.registry import register
from mechsim.errors import ParameterError

__all__ = ["UCBS"]


@register("clickbandit/ucb-s-v1", kind="clickbandit.learner")
class UCBS(OptimisticLearner):
    """UCB-S: optimism among the arms not screened for clickbait; screened arms never return.

    After each pull of arm ``i`` (with the statistics of
    :mod:`~mechsim.clickbandit.learners.confidence`), the arm is eliminated for the
    rest of the horizon if ``s_lo_i > max s*(mu)`` over ``[mu_lo_i, mu_hi_i]``
    (``= s*(mu_hi_i)`` for a monotone ``s*``): its click-rate is, with high
    confidence, above any desired click-rate consistent with its quality.

    Parameters
    ----------
    index : {"mu_ucb", "opt_utility"}, default "mu_ucb"
        ``"mu_ucb"``: the paper's index ``mu_hi`` (the click-rate matters only
        through screening). ``"opt_utility"``: ``max u(s, mu)`` over the confidence
        box, which also avoids unscreened arms whose click-rate hurts utility.
    conf_scale : float >= 0, default 1.0
        Multiplies both confidence radii.
    delta : float in (0, 1) or None, default None
        Use ``log(1/delta)`` instead of ``log T`` in the radii.
    min_pulls_before_screening : int >= 0, default 0
        Screening is skipped for arms with fewer pulls (an ablation; the paper has
        no grace period).
    fallback : {"uniform", "default"}, default "uniform"
        What a row plays once every arm is screened: a uniformly random arm each
        round (drawn from the round's common uniform), or ``default_arm``. Never
        "argmax over all arms", which would make screening an empty threat.
    default_arm : int >= 0, default 0
        The arm played under ``fallback="default"``.
    """

    #: Truthful arms form an approximate equilibrium: a clickbaiting arm is screened once its
    #: lower confidence bound passes the largest desired click-rate, so its gain is bounded by
    #: the confidence radius (an O~(1/sqrt(T)) epsilon per round; each check instance states it).
    claims: ClassVar[Claims] = Claims(truthful="approximate")

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "index": Options(("mu_ucb", "opt_utility")),
        "conf_scale": Real(0.0, None),
        "delta": Nullable(Real(0.0, 1.0, closed="neither")),
        "min_pulls_before_screening": Integer(0, None),
        "fallback": Options(("uniform", "default")),
        "default_arm": Integer(0, None),
    }
    screening: ClassVar[bool] = True

    def __init__(
        self,
        *,
        index: str = "mu_ucb",
        conf_scale: float = 1.0,
        delta: float | None = None,
        min_pulls_before_screening: int = 0,
        fallback: str = "uniform",
        default_arm: int = 0,
    ) -> None:
        self.index = index
        self.conf_scale = conf_scale
        self.delta = delta
        self.min_pulls_before_screening = min_pulls_before_screening
        self.fallback = fallback
        self.default_arm = default_arm

    def reset(
        self, *, n_agents: int, n_rows: int, horizon: int, utility: Any, truth: Truth | None = None, rng: np.random.Generator | None = None
    ) -> None:
        super().reset(n_agents=n_agents, n_rows=n_rows, horizon=horizon, utility=utility, truth=truth, rng=rng)
        if self.default_arm >= n_agents:
            raise ParameterError(
                f"The 'default_arm' parameter of UCBS must be an int in [0, {n_agents - 1}] "
                f"(there are {n_agents} arms). Got {self.default_arm!r} instead."
            )

    def index_of(self, b: Bounds) -> np.ndarray:
        return b.mu_hi if self.index == "mu_ucb" else self.optimistic(b)

    def fallback_arms(self, u: np.ndarray) -> np.ndarray:
        if self.fallback == "default":
            return np.full(u.shape, self.default_arm, dtype=np.int64)
        return super().fallback_arms(u)
