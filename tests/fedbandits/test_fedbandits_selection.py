"""Greedy selection, critical values and brute force, against independent computations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechsim.fedbandits.audit import synthetic_round
from mechsim.fedbandits.mechanisms import BruteForceOptimal, IncFedUCB, TruthFedBan
from mechsim.fedbandits.selection import brute_force_cover, greedy_cover, round_target


def _det_logdet(m: np.ndarray) -> float:
    # independent of the Cholesky path of the library: numpy's LU slogdet
    sign, val = np.linalg.slogdet(m)
    assert sign > 0
    return float(val)


def _mech(cls, n, **kw):
    m = cls(**kw)
    m.reset(n_agents=n, rng=np.random.default_rng(0), kappa=0.05)
    return m


def _instance(seed: int, n: int = 7, d: int = 4):
    rng = np.random.default_rng(seed)
    rnd = synthetic_round(rng, n_agents=n, dim=d, server_samples=8, new_samples=3)
    return rnd.with_bids(rng.uniform(0.05, 1.0, n))


def _selected(mech: TruthFedBan, rnd, i: int, bid: float) -> bool:
    bids = rnd.bids.copy()
    bids[i] = bid
    chosen, _ = mech.select(rnd.with_bids(bids))
    return i in chosen


def _bisect(mech: TruthFedBan, rnd, i: int, hi: float) -> float:
    lo = 0.0
    if _selected(mech, rnd, i, hi):
        return math.inf
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _selected(mech, rnd, i, mid) else (lo, mid)
    return lo


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("beta", [0.3, 0.7])
def test_critical_value_closed_form_equals_bisection(seed, beta):
    rnd = _instance(seed)
    cap = 50.0
    mech = _mech(TruthFedBan, rnd.bids.size, beta=beta, crit_cap=cap)
    chosen, crit = mech.select(rnd)
    assert chosen, "the instance must select someone"
    for i in chosen:
        found = _bisect(mech, rnd, i, hi=cap)
        if math.isinf(found):
            assert crit[i] == cap  # essential: capped
        else:
            assert crit[i] == pytest.approx(found, abs=1e-6)


def test_critical_value_does_not_depend_on_own_bid():
    rnd = _instance(42)
    mech = _mech(TruthFedBan, rnd.bids.size, beta=0.5, crit_cap=50.0)
    chosen, crit = mech.select(rnd)
    i = chosen[-1]
    for f in (0.0, 0.3, 0.9):
        bids = rnd.bids.copy()
        bids[i] = f * crit[i]
        c2, crit2 = mech.select(rnd.with_bids(bids))
        assert i in c2 and crit2[i] == pytest.approx(crit[i], rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), agent=st.integers(0, 5), bid=st.floats(0.0, 2.0), lower=st.floats(0.0, 1.0), beta=st.floats(0.05, 1.0))
def test_greedy_selection_is_monotone(seed, agent, bid, lower, beta):
    rnd = _instance(seed, n=6)
    mech = _mech(TruthFedBan, 6, beta=beta, crit_cap=100.0)
    if _selected(mech, rnd, agent, bid):
        assert _selected(mech, rnd, agent, bid * lower)


def test_greedy_reaches_the_target_and_brute_force_is_optimal():
    ratios = []
    for seed in range(12):
        rnd = _instance(100 + seed, n=7)
        avail = np.ones(7, dtype=bool)
        target = round_target(rnd.base, rnd.uploads, avail, 0.5)
        g = greedy_cover(rnd.base, rnd.uploads, rnd.bids, target, available=avail)
        assert g.reached and g.logdet >= target - 1e-9
        best, feasible = brute_force_cover(rnd.base, rnd.uploads, rnd.bids, target, available=avail)
        assert feasible
        # independent exhaustive check with numpy's slogdet over 0/1 masks
        opt = min(
            float(rnd.bids[list(m)].sum()) if any(m) else 0.0
            for m in itertools.product([0, 1], repeat=7)
            if _det_logdet(rnd.base + np.tensordot(np.array(m, float), rnd.uploads, 1)) >= target - 1e-9
            for m in [np.flatnonzero(m)]
        )
        assert float(rnd.bids[best].sum()) == pytest.approx(opt, abs=1e-12)
        greedy_cost = float(rnd.bids[g.picks].sum())
        assert greedy_cost >= opt - 1e-12
        ratios.append(greedy_cost / opt)
    ratio = float(np.mean(ratios))
    print(f"greedy / optimal social cost over 12 rounds: mean {ratio:.3f}, max {max(ratios):.3f}")
    assert 1.0 <= ratio < 1.5


def test_brute_force_mechanism_matches_and_refuses_large_n():
    rnd = _instance(7, n=6)
    out = _mech(BruteForceOptimal, 6, beta=0.5).step(0, rnd)
    avail = np.ones(6, dtype=bool)
    best, _ = brute_force_cover(rnd.base, rnd.uploads, rnd.bids, round_target(rnd.base, rnd.uploads, avail, 0.5), available=avail)
    assert sorted(np.flatnonzero(out.allocation)) == sorted(best)
    from mechsim.errors import ParameterError

    with pytest.raises(ParameterError, match="max_agents"):
        _mech(BruteForceOptimal, 30, beta=0.5)


def _utilities(mech, rnd, i, reports, cost):
    out = []
    for r in reports:
        bids = rnd.bids.copy()
        bids[i] = r
        o = mech.step(0, rnd.with_bids(bids))
        out.append(o.payments[i] + o.data_value[i] - cost if o.allocation[i] else 0.0)
    return np.array(out)


def test_truthfedban_utility_flat_below_critical_value_and_zero_above():
    rnd = _instance(3)
    mech = _mech(TruthFedBan, rnd.bids.size, beta=0.5, crit_cap=50.0)
    chosen, crit = mech.select(rnd)
    i = next(j for j in chosen if crit[j] < 50.0)
    cost = rnd.bids[i]
    below = np.linspace(0.0, crit[i] * 0.999, 25)
    above = np.linspace(crit[i] * 1.001, crit[i] * 3, 10)
    ub, ua = _utilities(mech, rnd, i, below, cost), _utilities(mech, rnd, i, above, cost)
    np.testing.assert_allclose(ub, crit[i] - cost, atol=1e-9)
    np.testing.assert_array_equal(ua, 0.0)
    assert crit[i] - cost >= 0  # IR at the truthful report


def test_incfeducb_rewards_over_reporting():
    gains = []
    for seed in range(10):
        rnd = _instance(200 + seed)
        mech = _mech(IncFedUCB, rnd.bids.size, beta=0.5)
        out = mech.step(0, rnd)
        for i in np.flatnonzero(out.allocation):
            u = _utilities(mech, rnd, i, [rnd.bids[i], 1.5 * rnd.bids[i]], rnd.bids[i])
            gains.append(u[1] - u[0])
    assert np.mean(gains) > 0 and max(gains) > 0.1


def test_negative_cash_with_large_kappa_and_limited_liability():
    rnd = _instance(5)
    m = TruthFedBan(beta=0.9, crit_cap=2.0)
    m.reset(n_agents=rnd.bids.size, rng=np.random.default_rng(0), kappa=5.0)
    out = m.step(0, rnd)
    assert out.payments.min() < 0  # the download is worth more than the critical value: a charge
    m2 = TruthFedBan(beta=0.9, crit_cap=2.0, limited_liability=True)
    m2.reset(n_agents=rnd.bids.size, rng=np.random.default_rng(0), kappa=5.0)
    assert m2.step(0, rnd).payments.min() >= 0


def _plain_greedy(base, uploads, bids, target):
    """Reference: every gain re-evaluated at every step (numpy slogdet), ties to the lowest index."""
    chosen, m = [], base.copy()
    while _det_logdet(m) < target - 1e-10 * max(1.0, abs(target)):
        best, best_r = None, -np.inf
        for j in range(bids.size):
            if j in chosen:
                continue
            g = _det_logdet(m + uploads[j]) - _det_logdet(m)
            r = (np.inf if bids[j] == 0 else g / bids[j]) if g > 0 else -np.inf
            if r > best_r:
                best, best_r = j, r
        if best is None:
            break
        chosen.append(best)
        m = m + uploads[best]
    return chosen


@pytest.mark.parametrize("seed", range(8))
def test_lazy_greedy_picks_what_the_plain_greedy_picks(seed):
    rnd = _instance(300 + seed, n=9, d=5)
    avail = np.ones(9, dtype=bool)
    for beta in (0.2, 0.6, 0.95):
        target = round_target(rnd.base, rnd.uploads, avail, beta)
        assert greedy_cover(rnd.base, rnd.uploads, rnd.bids, target, available=avail).picks == _plain_greedy(rnd.base, rnd.uploads, rnd.bids, target)


def test_incfeducb_keeps_the_payment_free_clients_and_meets_the_constraint():
    for seed in range(6):
        rnd = _instance(400 + seed)
        bids = rnd.bids.copy()
        bids[[1, 4]] = 0.0  # their data value covers a zero bid: payment-free
        mech = _mech(IncFedUCB, bids.size, beta=0.7)
        out = mech.step(0, rnd.with_bids(bids))
        assert out.allocation[1] == 1 and out.allocation[4] == 1 and out.payments[1] == 0 and out.payments[4] == 0
        avail = np.ones(bids.size, dtype=bool)
        assert out.info["logdet"] >= round_target(rnd.base, rnd.uploads, avail, 0.7) - 1e-9
        sel = out.allocation > 0
        assert np.all(out.payments[sel] + out.data_value[sel] >= bids[sel] - 1e-12)  # IR at the reports
