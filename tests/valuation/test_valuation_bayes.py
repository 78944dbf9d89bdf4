"""Bayesian linear regression information gain, its dual, tempering and MNLP."""

from __future__ import annotations

import numpy as np
import pytest

from mechsim.errors import ParameterError
from mechsim.valuation.axioms import check_axioms
from mechsim.valuation.bayes import BLRModel, blr_dual_information_gain_game, blr_information_gain_game
from mechsim.valuation.dividends import game_table


def _parts(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((m, 4)) for m in (12, 8, 3)]


def test_information_gain_is_the_entropy_drop_of_the_posterior() -> None:
    xs = _parts()
    model = BLRModel(prior_var=2.0, noise_var=0.5)
    x = np.concatenate(xs[:2])
    _, cov = model.posterior(x, np.zeros(len(x)))
    # IG = 1/2 log det(prior cov) - 1/2 log det(posterior cov)
    expected = 0.5 * (4 * np.log(2.0) - np.linalg.slogdet(cov)[1])
    assert blr_information_gain_game(xs, prior_var=2.0, noise_var=0.5)({0, 1}) == pytest.approx(expected, rel=1e-10)


def test_dual_satisfies_a1_a3_while_plain_ig_is_not_superadditive() -> None:
    xs = _parts(1)
    plain = check_axioms(game_table(blr_information_gain_game(xs)))
    dual = check_axioms(game_table(blr_dual_information_gain_game(xs)))
    assert plain.a1 and plain.a2 and not plain.a3
    assert dual.all
    assert game_table(blr_dual_information_gain_game(xs))[-1] == pytest.approx(game_table(blr_information_gain_game(xs))[-1])


def test_tempering_is_monotone_with_the_right_endpoints() -> None:
    xs = _parts(2)
    model = BLRModel()
    g_own, g_oth = xs[0].T @ xs[0], xs[1].T @ xs[1] + xs[2].T @ xs[2]
    igs = [model.tempered_information_gain(g_own, g_oth, k) for k in np.linspace(0, 1, 11)]
    assert np.all(np.diff(igs) > 0)
    assert igs[0] == pytest.approx(model.information_gain(g_own)) and igs[-1] == pytest.approx(model.information_gain(g_own + g_oth))


def test_mnlp_of_a_point_posterior_is_the_gaussian_density() -> None:
    model = BLRModel(noise_var=1.0)
    x, y = np.ones((1, 1)), np.array([0.0])
    assert model.mnlp(np.zeros(1), np.zeros((1, 1)), x, y) == pytest.approx(0.5 * np.log(2 * np.pi))


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ParameterError, match="'noise_var' parameter of BLRModel must be a float in \\(0.0, inf\\)"):
        BLRModel(noise_var=0.0)
    with pytest.raises(ParameterError, match="2-D arrays"):
        blr_information_gain_game([np.ones(3)])
