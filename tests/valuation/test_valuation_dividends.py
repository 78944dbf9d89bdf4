"""Harsanyi dividends and the dividend Shapley value against definitions and known games."""

from __future__ import annotations

import numpy as np
import pytest

from mechsim.errors import ParameterError
from mechsim.valuation import Game, exact_shapley, glove_game
from mechsim.valuation.dividends import game_table, harsanyi_dividends, shapley_from_table, values_from_dividends


def _dividends_by_definition(v: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(1 << n)
    for s in range(1 << n):
        b = s
        while True:
            out[s] += (-1) ** (bin(s).count("1") - bin(b).count("1")) * v[b]
            if b == 0:
                break
            b = (b - 1) & s
    return out


def test_moebius_matches_inclusion_exclusion_and_inverts() -> None:
    v = np.random.default_rng(0).random(1 << 5)
    d = harsanyi_dividends(v)
    np.testing.assert_allclose(d, _dividends_by_definition(v, 5), atol=1e-12)
    np.testing.assert_allclose(values_from_dividends(d), v, atol=1e-12)


def test_dividend_shapley_matches_exact_shapley_and_glove_game() -> None:
    v = np.random.default_rng(1).random(1 << 6)
    v[0] = 0.0
    np.testing.assert_allclose(shapley_from_table(v), exact_shapley(Game.from_values(v)).values, atol=1e-12)
    np.testing.assert_allclose(shapley_from_table(game_table(glove_game(2, 1))), [1 / 6, 1 / 6, 2 / 3], atol=1e-12)


def test_bad_table_is_refused() -> None:
    with pytest.raises(ParameterError, match="power of two"):
        harsanyi_dividends(np.ones(6))
