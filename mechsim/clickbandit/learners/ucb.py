"""The incentive-unaware UCB baseline: optimism on utility, no screening."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from mechsim.clickbandit.learners.confidence import Bounds, OptimisticLearner
from mechsim.core.params import Constraint, Nullable, Options, Real
from mechsim.core.registry import register

__all__ = ["IncentiveUnawareUCB"]


@register("clickbandit/ucb-v1", kind="clickbandit.learner")
class IncentiveUnawareUCB(OptimisticLearner):
    """Incentive-unaware UCB: play each arm once, then argmax of an optimistic index.

    The arms' click-rates are learned like any other parameter; nothing punishes
    clickbait, so the best arm gains by raising its click-rate above ``s*`` as long
    as it stays the index leader (Kleine Buening et al. 2024, Prop. 4.1).

    Parameters
    ----------
    index : {"opt_utility", "plug_in", "product"}, default "opt_utility"
        ``"opt_utility"``: ``max u(s, mu)`` over the confidence box.
        ``"plug_in"``: ``u(s_hat, mu_hi)``. ``"product"``: ``s_hi * mu_hi`` (optimism on
        clicks times post-click reward).
    conf_scale : float >= 0, default 1.0
    delta : float in (0, 1) or None, default None
        As for UCB-S: the radii are ``conf_scale * sqrt(2 L / n)`` with
        ``L = log T`` or ``log(1/delta)``.
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "index": Options(("opt_utility", "plug_in", "product")),
        "conf_scale": Real(0.0, None),
        "delta": Nullable(Real(0.0, 1.0, closed="neither")),
    }

    def __init__(self, *, index: str = "opt_utility", conf_scale: float = 1.0, delta: float | None = None) -> None:
        self.index = index
        self.conf_scale = conf_scale
        self.delta = delta

    def index_of(self, b: Bounds) -> np.ndarray:
        if self.index == "opt_utility":
            return self.optimistic(b)
        if self.index == "plug_in":
            return self.utility_.u(b.s_hat, b.mu_hi)
        return b.s_hi * b.mu_hi
