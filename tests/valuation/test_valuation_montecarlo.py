"""Monte Carlo Shapley estimators against the brute force, closed forms and their own guarantees."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest

from mechsim.errors import ParameterError
from mechsim.valuation import (
    Game,
    additive_game,
    exact_shapley,
    glove_game,
    permutation_mc_shapley,
    stratified_mc_shapley,
    symmetric_game,
    truncated_mc_shapley,
    weighted_voting_game,
)

# Every estimator as (game, n_samples, rng); TMC with tolerance 0 is unbiased.
ESTIMATORS = {
    "permutation": permutation_mc_shapley,
    "stratified": stratified_mc_shapley,
    "truncated_tol0": partial(truncated_mc_shapley, tolerance=0.0),
}


@pytest.fixture(params=sorted(ESTIMATORS))
def estimator(request):
    return ESTIMATORS[request.param]


def test_close_to_brute_force(estimator, brute_force_shapley, random_table_game) -> None:
    n = 5
    v = random_table_game(n, seed=21)
    exact = brute_force_shapley(v, n)
    result = estimator(Game(v, n), 400, np.random.default_rng(0))
    assert result.values.shape == (n,)
    assert result.stderr.shape == (n,)
    # within 4 standard errors (and a small absolute error) for every player
    assert np.all(np.abs(result.values - exact) <= 4 * result.stderr + 1e-12)
    assert np.max(np.abs(result.values - exact)) < 0.5


def test_error_shrinks_with_samples(estimator, brute_force_shapley, random_table_game) -> None:
    n = 5
    v = random_table_game(n, seed=4)
    exact = brute_force_shapley(v, n)
    game = Game(v, n)  # one cache for all runs: only the sampling differs

    def mean_error(n_samples: int) -> float:
        errors = [
            np.abs(estimator(game, n_samples, np.random.default_rng(seed)).values - exact).max()
            for seed in range(6)
        ]
        return float(np.mean(errors))

    small, large = mean_error(10), mean_error(1000)
    # 100x the samples: the error should drop about 10x; ask for 3x
    assert large < small / 3
    assert large < 0.3


def test_deterministic_under_a_seed(estimator, random_table_game) -> None:
    v = random_table_game(4, seed=2)
    a = estimator(Game(v, 4), 30, np.random.default_rng(123))
    b = estimator(Game(v, 4), 30, np.random.default_rng(123))
    c = estimator(Game(v, 4), 30, np.random.default_rng(124))
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.stderr, b.stderr)
    assert not np.array_equal(a.values, c.values)


def test_additive_and_dummy_players_exactly(estimator) -> None:
    worths = [2.0, -1.0, 0.0, 4.5]
    # additive: every marginal of i is worths[i], so every sample is exact
    result = estimator(additive_game(worths), 3, np.random.default_rng(0))
    np.testing.assert_allclose(result.values, worths, atol=1e-12)
    # player 3 is a dummy in a glove game extended by a bystander
    glove = glove_game(2, 1)
    game = Game(lambda s: glove(frozenset(s) - {3}), 4)
    assert estimator(game, 5, np.random.default_rng(1)).values[3] == 0.0


def test_reports_the_utility_calls_it_made(estimator) -> None:
    game = Game(lambda s: float(len(s)) ** 2, 6)
    game({0})  # already cached: not counted by the estimator
    before = game.n_evaluations
    result = estimator(game, 4, np.random.default_rng(0))
    assert result.n_evaluations == game.n_evaluations - before > 0
    assert result.n_samples == 4


def test_one_sample_gives_nan_stderr(estimator) -> None:
    result = estimator(glove_game(2, 1), 1, np.random.default_rng(0))
    assert np.all(np.isnan(result.stderr))
    assert np.all(np.isfinite(result.values))


def test_single_player_game(estimator) -> None:
    game = Game(lambda s: 5.0 if s else 1.0, 1)
    np.testing.assert_allclose(estimator(game, 2, np.random.default_rng(0)).values, [4.0])


def test_permutation_mc_is_exactly_efficient(random_table_game) -> None:
    v = random_table_game(6, seed=9)
    phi = permutation_mc_shapley(Game(v, 6), 7, np.random.default_rng(3)).values
    assert phi.sum() == pytest.approx(v(frozenset(range(6))) - v(frozenset()), abs=1e-9)


def test_stratified_is_exact_on_a_symmetric_game() -> None:
    # v(S) = f(|S|): every marginal within a size stratum is the same number
    game = symmetric_game(lambda k: math.sqrt(k) + 1.0, 7)
    result = stratified_mc_shapley(game, 2, np.random.default_rng(0))
    np.testing.assert_allclose(result.values, np.full(7, (math.sqrt(7)) / 7), atol=1e-12)
    np.testing.assert_allclose(result.stderr, 0.0, atol=1e-12)


def test_closed_form_games_approximately() -> None:
    rng = np.random.default_rng(5)
    np.testing.assert_allclose(
        permutation_mc_shapley(glove_game(2, 1), 3000, rng).values, [1 / 6, 1 / 6, 2 / 3], atol=0.03
    )
    np.testing.assert_allclose(
        stratified_mc_shapley(weighted_voting_game([50, 49, 1], 51), 500, rng).values, [2 / 3, 1 / 6, 1 / 6], atol=0.03
    )


def test_tmc_with_zero_tolerance_is_permutation_mc(random_table_game) -> None:
    v = random_table_game(5, seed=8)
    tmc = truncated_mc_shapley(Game(v, 5), 25, np.random.default_rng(77), tolerance=0.0)
    pmc = permutation_mc_shapley(Game(v, 5), 25, np.random.default_rng(77))
    np.testing.assert_array_equal(tmc.values, pmc.values)
    assert tmc.info["n_truncated"] == 0


def _saturating_game(n: int) -> Game:
    """``v(S) = 1 - exp(-Σ_{i∈S} w_i)``: late players in a permutation add almost nothing."""
    w = np.linspace(0.2, 1.0, n)
    return Game(lambda s: 1.0 - math.exp(-w[sorted(s)].sum()), n)


def test_tmc_truncates_saves_calls_and_stays_close() -> None:
    n, tol = 12, 0.05
    exact = exact_shapley(_saturating_game(n)).values
    full = _saturating_game(n)
    v_full, v_empty = full(range(n)), full(())
    tmc_game, pmc_game = _saturating_game(n), _saturating_game(n)
    tmc = truncated_mc_shapley(tmc_game, 200, np.random.default_rng(0), tolerance=tol)
    pmc = permutation_mc_shapley(pmc_game, 200, np.random.default_rng(0))
    assert tmc.info["n_truncated"] > 0
    assert 0 < tmc.info["truncated_fraction"] < 1
    assert tmc.n_evaluations < pmc.n_evaluations
    # each permutation stops within tol * |v(N)| of v(N): the bound on the efficiency gap
    assert abs(tmc.values.sum() - (v_full - v_empty)) < tol * abs(v_full)
    assert np.max(np.abs(tmc.values - exact)) < 0.05


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda g, r: truncated_mc_shapley(g, 0, r),
            r"^The 'n_permutations' parameter of truncated_mc_shapley must be an int in \[1, inf\)\. Got 0 instead\.$",
        ),
        (lambda g, r: permutation_mc_shapley(g, 2.5, r), r"'n_permutations' parameter of permutation_mc_shapley must be an int"),
        (lambda g, r: permutation_mc_shapley(g, True, r), r"'n_permutations' parameter of permutation_mc_shapley"),
        (lambda g, r: stratified_mc_shapley(g, -1, r), r"'n_samples_per_stratum' parameter of stratified_mc_shapley"),
        (lambda g, r: truncated_mc_shapley(g, 5, r, tolerance=-0.1), r"'tolerance' parameter of truncated_mc_shapley must be a float in \[0, inf\)"),
        (lambda g, r: permutation_mc_shapley(g, 5, 42), r"'rng' parameter of permutation_mc_shapley must be a numpy.random.Generator\. Got int"),
        (lambda g, r: stratified_mc_shapley(g, 5, None), r"'rng' parameter of stratified_mc_shapley"),
        (lambda g, r: truncated_mc_shapley(lambda s: 0.0, 5, r), r"'game' parameter of truncated_mc_shapley"),
    ],
)
def test_bad_arguments(call, match) -> None:
    with pytest.raises(ParameterError, match=match):
        call(glove_game(1, 1), np.random.default_rng(0))
