"""The memoised coalition game and the result object."""

from __future__ import annotations

import numpy as np
import pytest

from mechsim.errors import ParameterError
from mechsim.valuation import Game, ValuationResult, exact_shapley


class CountingUtility:
    def __init__(self) -> None:
        self.seen: list[object] = []

    def __call__(self, coalition: object) -> float:
        self.seen.append(coalition)
        return float(sum(2**i for i in coalition))


def test_memoises_and_counts() -> None:
    utility = CountingUtility()
    game = Game(utility, 4)
    assert game({0, 2}) == 5.0
    assert game([2, 0]) == 5.0
    assert game(frozenset({2, 0})) == 5.0
    assert game(np.array([True, False, True, False])) == 5.0
    assert game.n_evaluations == 1
    assert game.n_queries == 4
    assert game.cache_size == 1
    assert utility.seen == [frozenset({0, 2})]


def test_counters_reset_and_cache_clear() -> None:
    game = Game(CountingUtility(), 3)
    game({1})
    game.reset_counters()
    assert (game.n_evaluations, game.n_queries, game.cache_size) == (0, 0, 1)
    game({1})
    assert game.n_evaluations == 0
    game.clear_cache()
    game({1})
    assert game.n_evaluations == 1


def test_without_cache_every_query_calls() -> None:
    game = Game(CountingUtility(), 3, cache=False)
    game({1})
    game({1})
    assert game.n_evaluations == 2
    assert game.cache_size == 0


def test_as_mask_passes_boolean_arrays() -> None:
    received = []

    def utility(mask: np.ndarray) -> float:
        received.append(mask)
        return float(mask.sum())

    game = Game(utility, 3, as_mask=True)
    assert game({0, 2}) == 2.0
    np.testing.assert_array_equal(received[0], [True, False, True])
    assert received[0].dtype == bool


def test_empty_value_avoids_calling_the_utility() -> None:
    utility = CountingUtility()
    game = Game(utility, 3, empty_value=-1.5)
    assert game(set()) == -1.5
    assert game.n_evaluations == 0
    assert utility.seen == []


def test_bits_round_trip() -> None:
    game = Game(CountingUtility(), 5)
    assert game.to_bits({0, 3}) == 0b01001
    assert game.from_bits(0b01001) == frozenset({0, 3})
    assert game.grand_coalition == frozenset(range(5))


def test_from_values_matches_callable_game(random_table_game) -> None:
    v = random_table_game(4, seed=3)
    table = [v(Game(v, 4).from_bits(b)) for b in range(16)]
    tabular = Game.from_values(table)
    assert tabular.n_players == 4
    np.testing.assert_allclose(exact_shapley(tabular).values, exact_shapley(Game(v, 4)).values)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"utility": len, "n_players": 0}, r"The 'n_players' parameter of Game must be an int in \[1, inf\)\. Got 0 instead\."),
        ({"utility": len, "n_players": 2.0}, r"'n_players' parameter of Game must be an int"),
        ({"utility": "len", "n_players": 2}, r"'utility' parameter of Game must be a callable"),
        ({"utility": len, "n_players": 2, "empty_value": "x"}, r"'empty_value' parameter of Game must be a float or None"),
        ({"utility": len, "n_players": 2, "as_mask": 1}, r"'as_mask' parameter of Game must be a bool"),
    ],
)
def test_bad_construction(kwargs: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        Game(**kwargs)


@pytest.mark.parametrize("coalition", [{3}, {-1}, [True], "01", 3, np.array([True, False])])
def test_bad_coalitions(coalition: object) -> None:
    game = Game(CountingUtility(), 3)
    with pytest.raises(ParameterError, match="coalition"):
        game(coalition)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "a", None])
def test_utility_must_return_finite_float(bad: object) -> None:
    game = Game(lambda s: bad, 2)
    with pytest.raises(ParameterError, match=r"must return a finite float.*coalition \[0\]"):
        game({0})


@pytest.mark.parametrize("values", [[1.0, 2.0, 3.0], [1.0], [[1.0, 2.0]], [0.0, float("nan")]])
def test_from_values_refuses_bad_tables(values: list) -> None:
    with pytest.raises(ParameterError, match="power of two"):
        Game.from_values(values)


def test_result_behaves_like_its_values() -> None:
    result = ValuationResult(np.array([1.0, 2.0]), None, 3, "x")
    np.testing.assert_array_equal(np.asarray(result), [1.0, 2.0])
    assert len(result) == 2
    assert result[1] == 2.0
    assert np.asarray(result, dtype=np.float32).dtype == np.float32
