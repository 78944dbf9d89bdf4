"""Closed forms against brute force; limits that reproduce plain Shapley; the literal-IR counterexample."""

from __future__ import annotations

import numpy as np
import pytest

from mechsim.core.registry import make
from mechsim.errors import ParameterError
from mechsim.timeaware import schemes
from mechsim.valuation import Game, exact_shapley
from mechsim.valuation.dividends import harsanyi_dividends
from mechsim.valuation.structured import random_superadditive_table


def _mech(cid: str, table: np.ndarray, h: int = 6, **kw):
    m = make(cid, **kw)
    m.reset(n_agents=int(np.log2(len(table))), rng=np.random.default_rng(0), values=table, n_intervals=h)
    return m


@pytest.mark.parametrize("seed", range(4))
def test_scheme2_closed_form_equals_shapley_of_the_time_aware_game(seed: int) -> None:
    rng = np.random.default_rng(seed)
    v = random_superadditive_table(5, rng)
    t = rng.integers(0, 5, 5).astype(float)
    closed = _mech("timeaware/valuation-v1", v, gamma=0.4).rewards(t)
    via_game = _mech("timeaware/valuation-v1", v, gamma=0.4, method="shapley").rewards(t)
    brute = schemes.valuation_bruteforce(v, t, 0.4)
    assert np.max(np.abs(closed - brute)) < 1e-10
    assert np.max(np.abs(via_game - brute)) < 1e-10


@pytest.mark.parametrize("fallback", [True, False])
def test_scheme1_closed_form_equals_interval_games(fallback: bool) -> None:
    rng = np.random.default_rng(7)
    v = random_superadditive_table(4, rng)
    t = np.array([3.0, 0.0, 1.0, 5.0])
    closed = schemes.cumulation_rewards(harsanyi_dividends(v), t, 0.6, 6, fallback)
    np.testing.assert_allclose(closed, schemes.cumulation_bruteforce(v, t, 0.6, 6, fallback), atol=1e-12)


def test_beta_infinity_and_gamma_zero_reproduce_plain_shapley_exactly() -> None:
    rng = np.random.default_rng(3)
    v = random_superadditive_table(5, rng)
    t = np.array([4.0, 0.0, 2.0, 1.0, 3.0])
    plain = _mech("timeaware/shapley-v1", v).rewards(t)
    np.testing.assert_allclose(plain, exact_shapley(Game.from_values(v)).values, atol=1e-12)
    for fallback in (True, False):
        cum = _mech("timeaware/cumulation-v1", v, beta=float("inf"), standalone_fallback=fallback).rewards(t)
        assert np.array_equal(cum, plain)
    assert np.array_equal(_mech("timeaware/valuation-v1", v, gamma=0.0).rewards(t), plain)


def test_scheme2_is_scheme1_with_fallback_and_beta_exp_minus_gamma() -> None:
    v = random_superadditive_table(4, np.random.default_rng(9))
    t = np.array([2.0, 0.0, 1.0, 3.0])
    d = harsanyi_dividends(v)
    # interval weights (1 - beta) beta^tau, with the tail beta^{max t} on the last interval = infinite horizon
    np.testing.assert_allclose(schemes.valuation_rewards(d, t, 0.5), schemes.cumulation_rewards(d, t, np.exp(-0.5), 80, True), atol=1e-12)


def test_literal_cumulation_breaks_ir_on_the_known_counterexample() -> None:
    v = np.array([0.0, 1.0, 2.0, 5.0])
    t = np.array([0.0, 1.0])
    lit = _mech("timeaware/cumulation-literal-v1", v, h=2).rewards(t)
    fb = _mech("timeaware/cumulation-v1", v, h=2).rewards(t)
    np.testing.assert_allclose(lit, [1.5, 1.5], atol=1e-12)
    np.testing.assert_allclose(fb, [1.5, 2.5], atol=1e-12)
    assert lit[1] < v[2] <= fb[1]


def test_rho_scaling_keeps_ir_and_gives_the_top_party_v_n() -> None:
    v = random_superadditive_table(4, np.random.default_rng(2))
    t = np.array([0.0, 1.0, 2.0, 0.0])
    r = _mech("timeaware/valuation-v1", v, gamma=0.5, rho=0.5).rewards(t)
    assert r.max() == pytest.approx(v[-1]) and np.all(r >= v[1 << np.arange(4)] - 1e-12)


def test_bad_settings_and_join_times_are_refused() -> None:
    v = random_superadditive_table(3, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="The 'beta' parameter of RewardCumulation must be a float in \\(0.0, inf\\)"):
        _mech("timeaware/cumulation-v1", v, beta=0.0)
    with pytest.raises(ParameterError, match="integer join times in \\[0, n_intervals - 1 = 5\\]"):
        _mech("timeaware/cumulation-v1", v).rewards([0.0, 7.0, 1.0])
    with pytest.raises(ParameterError, match="2\\*\\*3 entries for 4 agents"):
        make("timeaware/shapley-v1").reset(n_agents=4, rng=np.random.default_rng(0), values=v)
