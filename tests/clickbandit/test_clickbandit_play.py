"""One epoch: common random numbers, bookkeeping and the oracle's closed-form regret."""

from __future__ import annotations

import numpy as np
import pytest

from mechsim.clickbandit import UCBS, ClickDraws, IncentiveUnawareUCB, Oracle, QuadraticUtility, play
from mechsim.clickbandit.game import ClickGame
from mechsim.core.seeding import SeedTree
from mechsim.errors import ParameterError

MU = np.array([0.6, 0.4, 0.25])
UTIL = QuadraticUtility(lam=2.0)


def _draws(n_seeds=2, horizon=600):
    return ClickDraws.from_seeds([SeedTree(5).child("s", j) for j in range(n_seeds)], n_arms=3, horizon=horizon)


def test_draws_of_a_longer_horizon_extend_a_shorter_one():
    short, long = _draws(horizon=300), _draws(horizon=900)
    np.testing.assert_array_equal(long.clicks[:, :, :300], short.clicks)
    np.testing.assert_array_equal(long.rewards[:, :, :300], short.rewards)
    np.testing.assert_array_equal(long.learner[:, :300], short.learner)


@pytest.mark.parametrize("learner", [UCBS, IncentiveUnawareUCB])
def test_bookkeeping_and_determinism(learner):
    draws = _draws()
    s = np.array([[0.75, 0.5, 0.31], [1.0, 0.9, 0.2], [0.75, 0.5, 0.31]])
    a = play(learner(), s=s, mu=MU, utility=UTIL, horizon=600, draws=draws, row_seed=[0, 1, 0])
    b = play(learner(), s=s, mu=MU, utility=UTIL, horizon=600, draws=draws, row_seed=[0, 1, 0])
    for field in ("pulls", "clicks", "expected_clicks", "utility", "regret", "screened"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    np.testing.assert_array_equal(a.pulls[0], a.pulls[2])  # same seed, same profile: same game
    assert (a.pulls.sum(axis=1) == 600).all() and (a.clicks <= a.pulls).all()
    np.testing.assert_allclose(a.expected_clicks, s * a.pulls)
    u_star = np.max(UTIL.u_star(MU))
    np.testing.assert_allclose(a.regret, 600 * u_star - a.utility)


def test_oracle_regret_and_clicks_in_closed_form():
    draws = _draws(n_seeds=1, horizon=500)
    s = np.array([[0.75, 0.5, 0.31], [0.95, 0.5, 0.31], [0.2, 0.9, 0.31]])
    out = play(Oracle(), s=s, mu=MU, utility=UTIL, horizon=500, draws=draws, row_seed=[0, 0, 0])
    best = np.argmax(UTIL.u(s, MU), axis=1)
    np.testing.assert_array_equal(out.pulls[np.arange(3), best], 500)
    expected = 500 * (np.max(UTIL.u_star(MU)) - UTIL.u(s, MU)[np.arange(3), best])
    np.testing.assert_allclose(out.regret, expected, atol=1e-9)
    # realised clicks: the first 500 click uniforms of the best arm below its click-rate
    for b in range(3):
        assert out.clicks[b, best[b]] == int((draws.clicks[0, best[b], :500] < s[b, best[b]]).sum())


def test_crn_a_deviation_changes_only_the_clicks_it_should():
    """Under the oracle, raising the best arm's s from 0.75 to 0.8 adds exactly the clicks whose uniform lies in [0.75, 0.8)."""
    draws = _draws(n_seeds=1, horizon=400)
    s = np.array([[0.75, 0.5, 0.31], [0.8, 0.5, 0.31]])
    out = play(Oracle(), s=s, mu=MU, utility=UTIL, horizon=400, draws=draws, row_seed=[0, 0])
    u = draws.clicks[0, 0, :400]
    assert out.clicks[1, 0] - out.clicks[0, 0] == int(((u >= 0.75) & (u < 0.8)).sum())


def test_game_evaluates_candidates_on_common_seeds():
    game = ClickGame(learner=UCBS, mu=MU, utility=UTIL, horizon=300)
    nodes = [[SeedTree(1).child(r, j) for j in range(3)] for r in range(2)]
    cand = np.array([[[0.75, 0.5, 0.31], [0.75, 0.5, 0.31]], [[1.0, 0.5, 0.31], [0.75, 0.8, 0.31]]])
    ev = game.evaluate(cand, nodes)
    assert ev.expected_clicks.shape == (2, 2, 3, 3) and ev.regret.shape == (2, 2, 3)
    np.testing.assert_array_equal(ev.pulls[0, 0], ev.pulls[0, 1])  # identical candidates, identical games
    # the same seed node gives the same game whatever it is batched with
    alone = game.evaluate(cand[1:, :1], [nodes[1]])
    np.testing.assert_array_equal(alone.pulls[0, 0], ev.pulls[1, 0])


def test_play_needs_enough_draws():
    with pytest.raises(ParameterError, match="must hold at least horizon=700 rounds. Got 600 instead"):
        play(UCBS(), s=np.full((1, 3), 0.5), mu=MU, utility=UTIL, horizon=700, draws=_draws(n_seeds=1))


def test_learner_parameter_errors_are_typed():
    with pytest.raises(ParameterError, match=r"The 'index' parameter of UCBS must be one of 'mu_ucb', 'opt_utility'. Got 'mu' instead."):
        play(UCBS(index="mu"), s=np.full((1, 3), 0.5), mu=MU, utility=UTIL, horizon=10, draws=_draws(n_seeds=1))
    with pytest.raises(ParameterError, match=r"The 'default_arm' parameter of UCBS must be an int in \[0, 2\]"):
        play(UCBS(fallback="default", default_arm=3), s=np.full((1, 3), 0.5), mu=MU, utility=UTIL, horizon=10, draws=_draws(n_seeds=1))
    with pytest.raises(ParameterError, match=r"The 'delta' parameter of IncentiveUnawareUCB must be a float in \(0.0, 1.0\) or None"):
        play(IncentiveUnawareUCB(delta=1.5), s=np.full((1, 3), 0.5), mu=MU, utility=UTIL, horizon=10, draws=_draws(n_seeds=1))
