"""Exact Shapley and leave-one-out against a brute force over permutations and closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from mechsim.errors import ParameterError
from mechsim.valuation import (
    MAX_EXACT_PLAYERS,
    Game,
    additive_game,
    exact_shapley,
    glove_game,
    leave_one_out,
    symmetric_game,
    weighted_voting_game,
)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_brute_force_on_random_games(n, seed, brute_force_shapley, random_table_game) -> None:
    v = random_table_game(n, seed)
    result = exact_shapley(Game(v, n))
    np.testing.assert_allclose(result.values, brute_force_shapley(v, n), rtol=1e-12, atol=1e-12)
    assert result.stderr is None
    assert result.method == "exact_shapley"


@pytest.mark.parametrize("n", [2, 4, 6])
def test_efficiency(n, random_table_game) -> None:
    v = random_table_game(n, seed=7)
    phi = exact_shapley(Game(v, n)).values
    assert phi.sum() == pytest.approx(v(frozenset(range(n))) - v(frozenset()), abs=1e-12)


def test_additive_game_gives_individual_worths() -> None:
    worths = [3.0, -1.0, 0.5, 2.0, 0.0]
    np.testing.assert_allclose(exact_shapley(additive_game(worths)).values, worths, atol=1e-12)
    # the same game written inline, independent of the helper
    inline = Game(lambda s: sum(worths[i] for i in s), 5)
    np.testing.assert_allclose(exact_shapley(inline).values, worths, atol=1e-12)


def test_symmetric_game_gives_equal_shares() -> None:
    def f(k: int) -> float:
        return 3.0 + k**1.5

    phi = exact_shapley(symmetric_game(f, 6)).values
    np.testing.assert_allclose(phi, np.full(6, (f(6) - f(0)) / 6), atol=1e-12)


def test_dummy_player_gets_zero(random_table_game) -> None:
    base = random_table_game(4, seed=11)
    # player 4 never changes the value of any coalition
    game = Game(lambda s: base(frozenset(s) - {4}), 5)
    phi = exact_shapley(game).values
    assert phi[4] == pytest.approx(0.0, abs=1e-12)


def test_glove_game() -> None:
    np.testing.assert_allclose(exact_shapley(glove_game(2, 1)).values, [1 / 6, 1 / 6, 2 / 3], atol=1e-12)
    # one pair each side: an even split
    np.testing.assert_allclose(exact_shapley(glove_game(1, 1)).values, [0.5, 0.5], atol=1e-12)


def test_weighted_voting_game_shapley_shubik() -> None:
    np.testing.assert_allclose(
        exact_shapley(weighted_voting_game([50, 49, 1], 51)).values, [2 / 3, 1 / 6, 1 / 6], atol=1e-12
    )
    # four voters, weights (3, 2, 1, 1), quota 4 (textbook value 1/2, 1/6, 1/6, 1/6)
    np.testing.assert_allclose(
        exact_shapley(weighted_voting_game([3, 2, 1, 1], 4)).values, [1 / 2, 1 / 6, 1 / 6, 1 / 6], atol=1e-12
    )


def test_counts_evaluations_and_reuses_the_cache() -> None:
    game = Game(lambda s: float(len(s)) ** 2, 5)
    assert exact_shapley(game).n_evaluations == 32
    assert exact_shapley(game).n_evaluations == 0
    assert game.n_evaluations == 32


def test_refuses_too_many_players() -> None:
    game = Game(lambda s: 0.0, MAX_EXACT_PLAYERS + 1)
    with pytest.raises(ParameterError, match=rf"exact_shapley must have at most {MAX_EXACT_PLAYERS} players.*Got 21"):
        exact_shapley(game)
    assert game.n_evaluations == 0


@pytest.mark.parametrize("estimator", [exact_shapley, leave_one_out])
def test_refuses_a_bare_callable(estimator) -> None:
    with pytest.raises(ParameterError, match=rf"'game' parameter of {estimator.__name__} must be a mechsim.valuation.Game"):
        estimator(lambda s: 0.0)


def test_leave_one_out_known_values(random_table_game) -> None:
    worths = [1.0, 2.0, -3.0]
    np.testing.assert_allclose(leave_one_out(additive_game(worths)).values, worths)
    # in the glove game only the scarce right glove is pivotal for the grand coalition
    np.testing.assert_allclose(leave_one_out(glove_game(2, 1)).values, [0.0, 0.0, 1.0])
    v = random_table_game(4, seed=5)
    result = leave_one_out(Game(v, 4))
    full = frozenset(range(4))
    np.testing.assert_allclose(result.values, [v(full) - v(full - {i}) for i in range(4)])
    assert result.n_evaluations == 5
