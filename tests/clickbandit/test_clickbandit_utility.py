"""Utilities: s* and the optimistic box maximum against brute-force grids; user utilities."""

from __future__ import annotations

import numpy as np
import pytest

from mechsim.clickbandit import UCBS, ClickDraws, HalfSquareUtility, QuadraticUtility, play
from mechsim.clickbandit.utility import check_utility, optimistic_utility, s_star_upper
from mechsim.core.registry import make
from mechsim.errors import ParameterError

UTILITIES = [QuadraticUtility(lam=0.5), QuadraticUtility(lam=2.0), QuadraticUtility(lam=5.0), HalfSquareUtility()]


@pytest.mark.parametrize("util", UTILITIES, ids=lambda u: f"{type(u).__name__}{getattr(u, 'lam', '')}")
def test_s_star_is_the_argmax_of_u(util):
    mu = np.linspace(0.0, 1.0, 51)
    grid = np.linspace(0.0, 1.0, 10001)
    brute = grid[np.argmax(util.u(grid[:, None], mu[None, :]), axis=0)]
    np.testing.assert_allclose(util.s_star(mu), brute, atol=1e-4)


def test_quadratic_s_star_closed_form():
    u = QuadraticUtility(lam=5.0)
    np.testing.assert_allclose(u.s_star(np.array([0.8, 0.4, 0.95])), [0.88, 0.44, 1.0])
    np.testing.assert_allclose(u.u_star(np.array([0.8])), 0.88 * 0.8 - 5 * 0.08**2)


@pytest.mark.parametrize("util", UTILITIES, ids=lambda u: f"{type(u).__name__}{getattr(u, 'lam', '')}")
def test_optimistic_is_the_box_maximum(util):
    rng = np.random.default_rng(1)
    s = np.sort(rng.random((2, 60)), axis=0)
    m = np.sort(rng.random((2, 60)), axis=0)
    exact = util.optimistic(s[0], s[1], m[0], m[1])
    w = np.linspace(0.0, 1.0, 201)
    ss = s[0][:, None, None] + (s[1] - s[0])[:, None, None] * w[:, None]
    mm = m[0][:, None, None] + (m[1] - m[0])[:, None, None] * w[None, :]
    brute = util.u(ss, mm).max(axis=(1, 2))
    assert np.all(exact >= brute - 1e-12)  # never below a point of the box
    np.testing.assert_allclose(exact, brute, atol=1e-3)  # and attained (up to the grid)


class DuckUtility:
    """A user utility that only has u and s_star (no base class, no helpers)."""

    def u(self, s, mu):
        return np.asarray(s) * mu - 2.0 * (np.asarray(s) - mu) ** 2

    def s_star(self, mu):
        return np.clip(np.asarray(mu) * 1.25, 0.0, 1.0)


def test_a_utility_with_only_u_and_s_star_works():
    duck, exact = DuckUtility(), QuadraticUtility(lam=2.0)
    rng = np.random.default_rng(2)
    s = np.sort(rng.random((2, 100)), axis=0)
    m = np.sort(rng.random((2, 100)), axis=0)
    np.testing.assert_allclose(optimistic_utility(duck, s[0], s[1], m[0], m[1]), exact.optimistic(s[0], s[1], m[0], m[1]), atol=0.02)
    np.testing.assert_allclose(s_star_upper(duck, m[0], m[1]), exact.s_star(m[1]), atol=1e-12)
    check_utility(duck)
    draws = ClickDraws.from_arrays(rng.random((1, 3, 500)), rng.random((1, 3, 500)))
    out = play(UCBS(index="opt_utility"), s=np.array([[0.75, 0.5, 0.3]]), mu=np.array([0.6, 0.4, 0.25]), utility=duck, horizon=500, draws=draws)
    assert out.pulls.sum() == 500 and out.pulls[0, 0] == out.pulls.max()


def test_utility_errors_are_typed():
    with pytest.raises(ParameterError, match=r"The 'lam' parameter of QuadraticUtility must be a float in \(0.0, inf\). Got -1.0 instead."):
        make("clickbandit/quadratic-v1", lam=-1.0).get_params()
    with pytest.raises(ParameterError, match="must have a vectorised method 's_star'"):
        check_utility(object.__new__(type("NoStar", (), {"u": lambda self, s, mu: s})))
