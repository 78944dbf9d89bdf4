"""Model rewards: a model whose value matches each party's reward value.

Scale of the targets. A reward value ``r_i`` lies on the valuation's scale, between
the party's standalone value ``v_i`` (its own data) and ``v_N`` (the grand
coalition's model). A reward model is built from the party's own data plus a
"dose" of the others' data; its value is measured on the *realisation scale*
``u`` (the information gain ``IG`` of the tempered posterior, or the learner's test
score), which runs from ``u_i`` (own data) to ``u_N`` (everyone's). We map the
reward to that scale affinely,

    target_u = u_i + f (u_N - u_i),   f = clip((r_i - v_i) / (v_N - v_i), 0, 1),

so ``r_i = v_i`` gives the own-data model and ``r_i = v_N`` the grand model. For the
plain-IG valuation ``v = u`` and the map is the identity; for the dual-IG valuation
(``v_i = IG(N) - IG(N∖i) != IG(D_i)``) it is the affine map between the endpoints
(our choice where the spec leaves the scale open). Rewards below ``v_i`` (literal
cumulation, the naive rule) are clipped to the own-data model (``f = 0``), and
``clipped`` says so.

- :func:`tempered_blr_reward`: likelihood tempering, bisection on ``kappa`` in [0, 1]
  until ``IG(kappa) = target_u`` (exact up to the bisection tolerance); quality is
  the MNLP on test data (lower is better).
- :func:`subset_reward`: subset selection for any learner: the party's data plus the
  first ``k`` of a seeded random order of the others' points, ``k`` by bisection on
  the (noisy, roughly monotone) test score; quality is the score (R^2 / accuracy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mechsim.valuation.bayes import BLRModel
from mechsim.valuation.learned import LearnerUtility

__all__ = ["ModelReward", "target_fraction", "tempered_blr_reward", "subset_reward"]


@dataclass(frozen=True)
class ModelReward:
    """One party's realised reward model.

    dose : kappa (tempering) or the fraction of the others' points used (subset)
    fraction : f, the target's position between own-data and grand model
    achieved : the reward model's value on the realisation scale
    quality : MNLP (tempering, lower is better) or the test score (subset, higher is better)
    clipped : the reward was outside [v_i, v_N] and was clipped
    """

    dose: float
    fraction: float
    target: float
    achieved: float
    quality: float
    clipped: bool


def target_fraction(reward: float, standalone: float, grand: float) -> tuple[float, bool]:
    """``(f, clipped)`` with ``f = (r - v_i) / (v_N - v_i)`` clipped to [0, 1] (1 when ``v_N = v_i``)."""
    span = grand - standalone
    if span <= 0:
        return 1.0, False
    f = (reward - standalone) / span
    return float(min(max(f, 0.0), 1.0)), bool(f < -1e-12 or f > 1 + 1e-12)


def tempered_blr_reward(
    model: BLRModel,
    parts: list[tuple[np.ndarray, np.ndarray]],
    i: int,
    fraction: float,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    n_iter: int = 40,
) -> tuple[float, float, float, float]:
    """``(kappa, target_ig, achieved_ig, mnlp)`` for party ``i`` at target fraction ``fraction``."""
    xs = [x for x, _ in parts]
    g_own = xs[i].T @ xs[i]
    g_oth = sum((x.T @ x for j, x in enumerate(xs) if j != i), np.zeros_like(g_own))
    lo_ig, hi_ig = model.information_gain(g_own), model.information_gain(g_own + g_oth)
    target = lo_ig + fraction * (hi_ig - lo_ig)
    lo, hi = 0.0, 1.0
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        if model.tempered_information_gain(g_own, g_oth, mid) < target:
            lo = mid
        else:
            hi = mid
    kappa = 0.5 * (lo + hi) if 0.0 < fraction < 1.0 else fraction
    x = np.concatenate(xs)
    y = np.concatenate([yy for _, yy in parts])
    w = np.concatenate([np.full(len(p[1]), 1.0 if j == i else kappa) for j, p in enumerate(parts)])
    mean, cov = model.posterior(x, y, w)
    return kappa, target, model.tempered_information_gain(g_own, g_oth, kappa), model.mnlp(mean, cov, x_test, y_test)


def subset_reward(util: LearnerUtility, i: int, fraction: float, order: np.ndarray, *, n_iter: int = 8) -> tuple[float, float, float, float]:
    """``(share, target, achieved, score)``: party ``i``'s data plus the first ``k`` others' points in ``order``."""
    others = [j for j in range(len(util.parts)) if j != i]
    xo, yo = util.pooled(others)
    xi, yi = util.parts[i]

    def score(k: int) -> float:
        return util.score_data(np.concatenate([xi, xo[order[:k]]]), np.concatenate([yi, yo[order[:k]]]))

    m = len(order)
    lo_s, hi_s = score(0), score(m)
    target = lo_s + fraction * (hi_s - lo_s)
    lo, hi = 0, m
    if fraction <= 0:
        hi = 0
    elif fraction >= 1:
        lo = m
    else:
        for _ in range(n_iter):
            if hi - lo <= 1:
                break
            mid = (lo + hi) // 2
            if score(mid) < target:
                lo = mid
            else:
                hi = mid
    k = hi
    achieved = score(k)
    return (k / m if m else 1.0), target, achieved, achieved + util.baseline
