"""Property tests on random superadditive games: IR, F7, F8 for both schemes; the naive rule fails IR and F6."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mechsim.core.registry import make
from mechsim.timeaware.conditions import check_conditions
from mechsim.valuation.dividends import game_table
from mechsim.valuation.structured import key_holder_game, random_superadditive_table

H = 6
SCHEMES = [("timeaware/cumulation-v1", {"beta": 0.7}), ("timeaware/cumulation-v1", {"beta": 1.5}), ("timeaware/valuation-v1", {"gamma": 0.5})]


@st.composite
def instances(draw):
    n = draw(st.integers(2, 5))
    seed = draw(st.integers(0, 2**31 - 1))
    join = draw(st.lists(st.integers(0, H - 1), min_size=n, max_size=n))
    return random_superadditive_table(n, np.random.default_rng(seed)), np.array(join, dtype=float)


def _mech(cid, kw, v):
    m = make(cid, **kw)
    m.reset(n_agents=int(np.log2(len(v))), rng=np.random.default_rng(0), values=v, n_intervals=H)
    return m


@settings(max_examples=40, deadline=None)
@given(instances())
def test_ir_f7_f8_hold_for_both_schemes(inst) -> None:
    v, t = inst
    for cid, kw in SCHEMES:
        m = _mech(cid, kw, v)
        r = m.rewards(t)
        rep = check_conditions(v, t, r, recompute=m.rewards, tol=1e-9)
        assert rep.holds("F2") is not False, (cid, kw, rep.to_text())
        assert rep.holds("F1") is not False
        assert rep.holds("F7") is not False, (cid, kw, rep.to_text())
        assert rep.holds("F8") is not False, (cid, kw, rep.to_text())
        # F7 directly: every earlier join time of every party weakly raises its reward
        for i in range(len(t)):
            for s in range(int(t[i])):
                t2 = t.copy()
                t2[i] = s
                assert m.rewards(t2)[i] >= r[i] - 1e-9


@settings(max_examples=30, deadline=None)
@given(instances())
def test_literal_cumulation_is_never_above_the_fallback(inst) -> None:
    v, t = inst
    lit = _mech("timeaware/cumulation-literal-v1", {"beta": 1.0}, v).rewards(t)
    fb = _mech("timeaware/cumulation-v1", {"beta": 1.0}, v).rewards(t)
    vi = v[1 << np.arange(len(t))]
    # the gap is exactly v_i times the weight of the intervals before i joins
    w = np.cumsum(np.full(H, 1.0 / H))
    gap = np.where(t > 0, vi * w[np.maximum(t.astype(int) - 1, 0)], 0.0)
    np.testing.assert_allclose(fb - lit, gap, atol=1e-10)


def test_literal_cumulation_ir_failure_found_on_random_games() -> None:
    rng = np.random.default_rng(0)
    fails = 0
    for _ in range(20):
        v = random_superadditive_table(4, rng)
        t = rng.integers(0, H, 4).astype(float)
        r = _mech("timeaware/cumulation-literal-v1", {"beta": 1.0}, v).rewards(t)
        fails += bool(np.any(r < v[1 << np.arange(4)] - 1e-9))
    assert fails >= 10


def test_naive_rule_breaks_ir_and_necessity_on_a_late_key_holder() -> None:
    v = game_table(key_holder_game([1.0, 2.0, 1.5], key=0, power=1.5))
    t = np.array([5.0, 0.0, 0.0])  # the key holder (necessary, v_key = 1 > 0) joins last
    naive = _mech("timeaware/naive-division-v1", {}, v)
    rep = check_conditions(v, t, naive.rewards(t), recompute=naive.rewards)
    assert rep.holds("F6") is False and rep.holds("F2") is False
    for cid, kw in SCHEMES:
        m = _mech(cid, kw, v)
        rep = check_conditions(v, t, m.rewards(t), recompute=m.rewards)
        assert rep.holds("F6") is True and rep.holds("F2") is True, rep.to_text()


def test_plain_shapley_fails_f8_and_the_checker_says_so() -> None:
    v = random_superadditive_table(3, np.random.default_rng(1))
    t = np.array([2.0, 0.0, 0.0])
    m = _mech("timeaware/shapley-v1", {}, v)
    rep = check_conditions(v, t, m.rewards(t), recompute=m.rewards)
    assert rep.holds("F7") is True and rep.holds("F8") is False


@settings(max_examples=25, deadline=None)
@given(instances())
def test_every_claimed_f_condition_holds_with_a_null_party(inst) -> None:
    from mechsim.core.registry import specs
    from mechsim.valuation import Game
    from mechsim.valuation.structured import with_null

    v, t = inst
    v = game_table(with_null(Game.from_values(v)))
    t = np.append(t, t[0])  # the null party joins with party 0
    for spec in specs():
        if spec.kind != "timeaware.mechanism":
            continue
        m = _mech(spec.id, {}, v)
        rep = check_conditions(v, t, m.rewards(t), recompute=m.rewards)
        assert rep.holds("F4") is True
        for cond, claimed in type(m).claims.extra.items():
            if claimed:
                assert rep.holds(cond) is not False, (spec.id, cond, rep.to_text())
