"""CGSV contributions, the CGSV reputation and the cosine-gradient game, against scipy cosines."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cosine as cosine_distance

from mechsim.errors import ParameterError
from mechsim.valuation import CGSVReputation, Game, cgsv, cosine_gradient_game, exact_shapley


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return 1.0 - cosine_distance(np.ravel(a), np.ravel(b))


@pytest.fixture
def updates() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(5, 3, 4))  # 5 nodes, (3, 4) parameters each


def test_explicit_aggregate_matches_scipy(updates) -> None:
    aggregate = np.random.default_rng(1).normal(size=(3, 4))
    expected = [_cos(u, aggregate) for u in updates]
    np.testing.assert_allclose(cgsv(updates, aggregate), expected, rtol=1e-12)


def test_default_aggregate_is_the_mean_of_unit_updates(updates) -> None:
    units = [u / np.linalg.norm(u) for u in updates]
    aggregate = np.mean(units, axis=0)
    np.testing.assert_allclose(cgsv(updates), [_cos(u, aggregate) for u in updates], rtol=1e-12)
    raw_mean = updates.mean(axis=0)
    np.testing.assert_allclose(cgsv(updates, unit_norm=False), [_cos(u, raw_mean) for u in updates], rtol=1e-12)


def test_weighted_aggregate(updates) -> None:
    w = np.array([0.1, 0.2, 0.3, 0.4, 0.0])
    aggregate = sum(wi * u / np.linalg.norm(u) for wi, u in zip(w, updates))
    np.testing.assert_allclose(cgsv(updates, weights=w), [_cos(u, aggregate) for u in updates], rtol=1e-12)


def test_normalise_sums_to_one(updates) -> None:
    raw = cgsv(updates)
    normed = cgsv(updates, normalise=True)
    assert normed.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(normed, raw / raw.sum())


def test_updates_as_layers_or_state_dicts(updates) -> None:
    as_layers = [[u[:1], u[1:]] for u in updates]
    as_dicts = [{"w": u[:, :3], "b": u[:, 3]} for u in updates]
    flat = np.stack([np.concatenate([u[:, :3].ravel(), u[:, 3]]) for u in updates])
    np.testing.assert_allclose(cgsv(as_layers), cgsv(updates))
    np.testing.assert_allclose(cgsv(as_dicts), cgsv(flat))


def test_zero_update_has_zero_contribution(updates) -> None:
    updates[2] = 0.0
    psi = cgsv(updates)
    assert psi[2] == 0.0
    assert np.all(np.abs(psi) <= 1.0)
    assert np.all(cgsv(updates, np.zeros((3, 4))) == 0.0)


def test_identical_and_opposite_updates() -> None:
    g = np.array([[1.0, 2.0], [2.0, 4.0], [-1.0, -2.0]])
    np.testing.assert_allclose(cgsv(g, [1.0, 2.0]), [1.0, 1.0, -1.0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"gradients": [np.ones(3), np.ones(4)]}, r"'gradients' parameter of cgsv must be n >= 1 updates that flatten to the same length.*\[3, 4\]"),
        ({"gradients": []}, r"'gradients' parameter of cgsv"),
        ({"gradients": 3.0}, r"'gradients' parameter of cgsv"),
        ({"gradients": np.array([[1.0, np.nan]])}, r"finite"),
        ({"gradients": np.ones((3, 2)), "weights": [1.0, 1.0]}, r"'weights' parameter of cgsv must have one weight per update \(3\)"),
        ({"gradients": np.ones((3, 2)), "weights": [1.0, -1.0, 1.0]}, r"'weights' parameter of cgsv must be a list of floats"),
        ({"gradients": np.ones((3, 2)), "aggregate": np.ones(3)}, r"'aggregate' parameter of cgsv must flatten to 2"),
        ({"gradients": np.ones((3, 2)), "normalise": "yes"}, r"'normalise' parameter of cgsv must be a bool"),
    ],
)
def test_bad_arguments(kwargs, match) -> None:
    with pytest.raises(ParameterError, match=match):
        cgsv(**kwargs)


def test_reputation_follows_the_papers_update() -> None:
    rng = np.random.default_rng(3)
    rounds = [rng.normal(size=(4, 6)) for _ in range(3)]
    shard_shares = np.array([0.4, 0.3, 0.2, 0.1])
    rep = CGSVReputation(alpha=0.9)
    assert np.all(rep.reset(4) == 0.0)
    # the official code's loop, written out with scipy cosines
    r = np.zeros(4)
    for t, g in enumerate(rounds):
        weights = shard_shares if t == 0 else r
        units = g / np.linalg.norm(g, axis=1, keepdims=True)
        aggregate = weights @ units
        psi = np.array([_cos(u, aggregate) for u in g])
        r = 0.9 * r + 0.1 * psi
        r = np.maximum(r, 1e-3)
        r = r / r.sum()
        got = rep.step(g, weights=shard_shares if t == 0 else None)
        np.testing.assert_allclose(got, psi, rtol=1e-12)
        np.testing.assert_allclose(rep.reputation_, r, rtol=1e-12)
    assert rep.n_rounds_ == 3


def test_reputation_floor_and_normalise_switches() -> None:
    rep = CGSVReputation(alpha=0.5, floor=None, normalise=False)
    np.testing.assert_allclose(rep.update([1.0, -1.0]), [0.5, -0.5])  # resets itself to 2 nodes
    np.testing.assert_allclose(rep.update([1.0, -1.0]), [0.75, -0.75])
    clipped = CGSVReputation(alpha=0.5, floor=0.1, normalise=True)
    np.testing.assert_allclose(clipped.update([1.0, -1.0]), [0.5 / 0.6, 0.1 / 0.6])


def test_reputation_bad_arguments() -> None:
    with pytest.raises(ParameterError, match=r"The 'alpha' parameter of CGSVReputation must be a float in \[0, 1\]\. Got 1.5 instead\."):
        CGSVReputation(alpha=1.5).reset(3)
    rep = CGSVReputation()
    rep.reset(3)
    with pytest.raises(ParameterError, match=r"'contributions' parameter of CGSVReputation must have one value per node \(3\)"):
        rep.update([0.1, 0.2])
    with pytest.raises(ParameterError, match=r"'n_nodes' parameter of CGSVReputation"):
        rep.reset(0)


def test_cosine_gradient_game_utility_and_efficiency() -> None:
    g = np.random.default_rng(4).normal(size=(5, 7))
    w = np.array([0.1, 0.3, 0.2, 0.25, 0.15])
    game = cosine_gradient_game(g, weights=w)
    g_n = w @ g
    for coalition in ([0], [1, 3], [0, 2, 4], range(5)):
        members = list(coalition)
        assert game(coalition) == pytest.approx(_cos(w[members] @ g[members], g_n), abs=1e-12)
    assert game(()) == 0.0
    # efficiency: the Shapley values sum to U(N) = cos(g_N, g_N) = 1
    assert exact_shapley(game).values.sum() == pytest.approx(1.0, abs=1e-12)


def test_cosine_gradient_game_brute_force(brute_force_shapley) -> None:
    g = np.random.default_rng(6).normal(size=(4, 3))
    g_n = g.mean(axis=0)

    def u(s: frozenset[int]) -> float:
        return _cos(g[sorted(s)].mean(axis=0) * len(s) / 4, g_n) if s else 0.0

    np.testing.assert_allclose(exact_shapley(cosine_gradient_game(g)).values, brute_force_shapley(u, 4), atol=1e-12)
    assert isinstance(cosine_gradient_game(g), Game)


def test_cosine_gradient_game_bad_reference() -> None:
    with pytest.raises(ParameterError, match=r"'reference' parameter of cosine_gradient_game must flatten to 3"):
        cosine_gradient_game(np.ones((2, 3)), reference=np.ones(2))
