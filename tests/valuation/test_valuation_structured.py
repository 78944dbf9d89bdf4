"""Games with known structure: duplicate, null and key-holder parties; the superadditive cover."""

from __future__ import annotations

import numpy as np

from mechsim.valuation import additive_game, exact_shapley
from mechsim.valuation.axioms import check_axioms
from mechsim.valuation.dividends import game_table
from mechsim.valuation.structured import key_holder_game, power_game, random_superadditive_table, superadditive_cover, with_duplicate, with_null


def test_duplicate_is_symmetric_and_null_gets_zero() -> None:
    base = power_game([1.0, 2.0, 0.5], 2.0)
    dup = exact_shapley(with_duplicate(base, 1)).values
    assert abs(dup[1] - dup[3]) < 1e-12
    nul = exact_shapley(with_null(base)).values
    np.testing.assert_allclose(nul[:3], exact_shapley(base).values, atol=1e-12)
    assert abs(nul[3]) < 1e-12


def test_key_holder_is_necessary_superadditive_and_gets_the_most() -> None:
    g = key_holder_game([1.0, 3.0, 2.0], key=0, power=1.5)
    t = game_table(g)
    assert np.all(t[[0b010, 0b100, 0b110]] == 0)
    assert check_axioms(t).all
    phi = exact_shapley(g).values
    assert phi[0] >= phi.max() - 1e-12


def test_superadditive_cover_is_superadditive_above_the_table() -> None:
    rng = np.random.default_rng(4)
    raw = rng.random(1 << 5)
    cover = superadditive_cover(raw)
    assert np.all(cover[1:] >= raw[1:]) and check_axioms(cover).a3
    assert check_axioms(random_superadditive_table(5, rng)).all
    assert check_axioms(game_table(additive_game([1.0, 2.0, 3.0]))).a3
