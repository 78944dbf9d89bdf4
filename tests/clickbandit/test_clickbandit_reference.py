"""UCB-S and the incentive-unaware UCB against plain one-replication reference loops.

The references below are written from the spec (shared/specs/bandits.md §1.3), with
scalar Python arithmetic, statistics recomputed from scratch every round and their
own closed form of the optimistic utility; they share only the uniforms with the
vectorised learners.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mechsim.clickbandit import UCBS, ClickDraws, IncentiveUnawareUCB, QuadraticUtility, play

LAM = 2.0


def s_star(mu: float) -> float:
    return min(1.0, max(0.0, mu * (1.0 + 1.0 / (2.0 * LAM))))


def u(s: float, mu: float) -> float:
    return s * mu - LAM * (s - mu) ** 2


def box_max(s_lo: float, s_hi: float, mu_lo: float, mu_hi: float) -> float:
    """max u over the box: u is a saddle, so the max sits on an edge at its 1-D argmax."""
    clip = lambda x, a, b: min(b, max(a, x))  # noqa: E731
    k = 1.0 + 1.0 / (2.0 * LAM)
    cands = [u(clip(m * k, s_lo, s_hi), m) for m in (mu_lo, mu_hi)]
    cands += [u(s, clip(s * k, mu_lo, mu_hi)) for s in (s_lo, s_hi)]
    return max(cands)


def reference(s, mu, horizon, uc, ur, ul, *, screening, index, conf_scale=1.0, delta=None, min_pulls=0, fallback="uniform", default_arm=0):
    k = len(s)
    log_term = math.log(horizon) if delta is None else math.log(1.0 / delta)
    n, m, g = [0] * k, [0] * k, [0.0] * k
    active = [True] * k
    screened_at = [-1] * k
    arms = []

    def bounds(i):
        s_hat = m[i] / n[i]
        r = conf_scale * math.sqrt(2.0 * log_term / n[i])
        lo_s, hi_s = max(0.0, s_hat - r), min(1.0, s_hat + r)
        if m[i] == 0:
            return s_hat, lo_s, hi_s, 0.0, 1.0
        mu_hat = g[i] / m[i]
        rm = conf_scale * math.sqrt(2.0 * log_term / m[i])
        return s_hat, lo_s, hi_s, max(0.0, mu_hat - rm), min(1.0, mu_hat + rm)

    def index_of(i):
        s_hat, lo_s, hi_s, lo_m, hi_m = bounds(i)
        if index == "mu_ucb":
            return hi_m
        if index == "plug_in":
            return u(s_hat, hi_m)
        if index == "product":
            return hi_s * hi_m
        return box_max(lo_s, hi_s, lo_m, hi_m)

    for t in range(horizon):
        if t < k:
            i = t
        elif any(active):
            i, best = None, None
            for j in range(k):
                if active[j]:
                    v = index_of(j)
                    if best is None or v > best:
                        i, best = j, v
        else:
            i = min(int(ul[t] * k), k - 1) if fallback == "uniform" else default_arm
        clicked = uc[i][n[i]] < s[i]
        reward = 1.0 if clicked and ur[i][m[i]] < mu[i] else 0.0
        n[i] += 1
        m[i] += int(clicked)
        g[i] += reward
        if screening and active[i] and n[i] >= min_pulls:
            _, lo_s, _, _, hi_m = bounds(i)
            if lo_s > s_star(hi_m):
                active[i] = False
                screened_at[i] = t
        arms.append(i)
    return {"arms": arms, "pulls": n, "clicks": m, "rewards": g, "screened_at": screened_at}


def _draws(n_seeds, k, horizon, seed):
    rng = np.random.default_rng(seed)
    return ClickDraws.from_arrays(rng.random((n_seeds, k, horizon)), rng.random((n_seeds, k, horizon)), rng.random((n_seeds, horizon)))


def _check(learner, *, screening, index, profiles, mu, horizon, seed, **opts):
    draws = _draws(len(profiles), len(mu), horizon, seed)
    s = np.asarray(profiles, dtype=float)
    out = play(learner, s=s, mu=np.asarray(mu), utility=QuadraticUtility(lam=LAM), horizon=horizon, draws=draws, trace=True)
    stats = learner.stats_
    for b in range(len(profiles)):
        ref = reference(
            list(s[b]), list(mu), horizon, draws.clicks[b], draws.rewards[b], draws.learner[b], screening=screening, index=index, **opts
        )
        assert out.arms[:, b].tolist() == ref["arms"], f"row {b}: arm sequences differ"
        k = len(mu)
        assert stats.pulls[b * k : (b + 1) * k].tolist() == ref["pulls"]
        assert stats.clicks[b * k : (b + 1) * k].tolist() == ref["clicks"]
        assert stats.reward_sums[b * k : (b + 1) * k].tolist() == ref["rewards"]
        assert out.pulls[b].tolist() == ref["pulls"]
        if screening:
            assert learner.screened_at_[b * k : (b + 1) * k].tolist() == ref["screened_at"]
            assert out.screened[b].tolist() == [x >= 0 for x in ref["screened_at"]]
    return out


PROFILES = [
    [0.75, 0.5, 0.31],  # truthful: s = s*
    [1.0, 0.5, 0.31],  # the best arm clickbaits
    [1.0, 1.0, 1.0],  # everyone clickbaits: the row ends up all screened
    [0.9, 0.2, 0.7],
]
MU = [0.6, 0.4, 0.25]


@pytest.mark.parametrize("index", ["mu_ucb", "opt_utility"])
def test_ucbs_matches_reference(index):
    out = _check(UCBS(index=index), screening=True, index=index, profiles=PROFILES, mu=MU, horizon=2500, seed=11)
    # the instance exercises screening, including rows where every arm is screened
    assert out.screened[1, 0] and out.screened[2].all()
    assert not out.screened[0].any()


@pytest.mark.parametrize(
    "opts",
    [
        {"fallback": "default", "default_arm": 2},
        {"min_pulls": 200},
        {"conf_scale": 0.5},
        {"delta": 0.01},
    ],
)
def test_ucbs_options_match_reference(opts):
    kw = {
        "fallback": opts.get("fallback", "uniform"),
        "default_arm": opts.get("default_arm", 0),
        "min_pulls_before_screening": opts.get("min_pulls", 0),
        "conf_scale": opts.get("conf_scale", 1.0),
        "delta": opts.get("delta"),
    }
    _check(UCBS(index="opt_utility", **kw), screening=True, index="opt_utility", profiles=PROFILES, mu=MU, horizon=2500, seed=5, **opts)


@pytest.mark.parametrize("index", ["opt_utility", "plug_in", "product"])
def test_incentive_unaware_ucb_matches_reference(index):
    out = _check(IncentiveUnawareUCB(index=index), screening=False, index=index, profiles=PROFILES, mu=MU, horizon=1200, seed=3)
    assert not out.screened.any()


def test_all_screened_rows_follow_the_fallback():
    draws = _draws(1, 3, 3000, 8)
    s = np.array([[1.0, 1.0, 1.0]])
    mu = np.array([0.3, 0.2, 0.1])
    ut = QuadraticUtility(lam=LAM)
    uni = play(UCBS(), s=s, mu=mu, utility=ut, horizon=3000, draws=draws, trace=True)
    assert uni.screened.all()
    learner = UCBS()
    play(learner, s=s, mu=mu, utility=ut, horizon=3000, draws=draws)
    last = int(learner.screened_at_.max())
    tail = uni.arms[last + 1 :, 0]
    assert set(np.unique(tail)) == {0, 1, 2}  # uniform play over all arms, not argmax
    dflt = play(UCBS(fallback="default", default_arm=1), s=s, mu=mu, utility=ut, horizon=3000, draws=draws, trace=True)
    assert (dflt.arms[last + 1 :, 0] == 1).all()
