"""The vectorised client kernels against a per-client reference that inverts and takes determinants."""

from __future__ import annotations

import numpy as np

from mechsim.bandits.policies.linucb import LinUCB
from mechsim.fedbandits.environment import ArmPool
from mechsim.fedbandits.kernels import ClientBatch, confidence_width, logdet_spd


def test_batch_matches_per_client_inverse_and_determinant():
    n, d, reg = 6, 5, 1.5
    world = ArmPool(dim=d, n_arms=7).world(np.random.default_rng(0))
    batch = ClientBatch().bind(dim=d, n_rows=n, reg=reg, noise=0.1, delta=0.01, scale=1.0)
    gram = np.zeros((n, d, d))
    bvec = np.zeros((n, d))
    rng = np.random.default_rng(1)
    for _ in range(30):
        dr = world.draw(n)
        active = rng.random(n) < 0.7
        # reference: explicit inverse, per client
        ref_arms = []
        for i in range(n):
            a = gram[i] + reg * np.eye(d)
            a_inv = np.linalg.inv(a)
            theta = a_inv @ bvec[i]
            width = confidence_width(np.array([batch.n_rows_[i]]), dim=d, reg=reg, noise=0.1, delta=0.01, scale=1.0)[0]
            idx = dr.contexts[i] @ theta + width * np.sqrt(np.einsum("kd,de,ke->k", dr.contexts[i], a_inv, dr.contexts[i]))
            ref_arms.append(idx)
        arms, x, gain = batch.step(dr.contexts, dr.rewards, active)
        for i in range(n):  # the chosen arm maximises the reference index (exact ties may go either way)
            assert ref_arms[i][arms[i]] >= ref_arms[i].max() - 1e-12
        for i in range(n):
            if active[i]:
                xi = dr.contexts[i, arms[i]]
                before = np.linalg.slogdet(gram[i] + reg * np.eye(d))[1]
                gram[i] += np.outer(xi, xi)
                bvec[i] += dr.rewards[i, arms[i]] * xi
                after = np.linalg.slogdet(gram[i] + reg * np.eye(d))[1]
                assert abs(gain[i] - (after - before)) < 1e-10
            else:
                assert gain[i] == 0 and not x[i].any()
    a = gram + reg * np.eye(d)
    np.testing.assert_allclose(batch.v_inv_, np.linalg.inv(a), atol=1e-10)
    np.testing.assert_allclose(batch.b_, bvec, atol=1e-12)
    np.testing.assert_allclose(batch.logdet_, np.linalg.slogdet(a)[1], atol=1e-9)
    np.testing.assert_allclose(logdet_spd(a), np.linalg.slogdet(a)[1], atol=1e-10)


def test_rank_one_equals_the_bandits_linucb_update():
    d = 4
    batch = ClientBatch().bind(dim=d, n_rows=3, reg=1.0, noise=0.1, delta=0.05, scale=1.0)
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((3, d)) / 3, rng.standard_normal(3)
    v0, b0 = batch.v_inv_.copy(), batch.b_.copy()
    batch.rank_one(x, y)
    mine = batch.v_inv_.copy(), batch.b_.copy()
    batch.v_inv_, batch.b_, batch.chosen_x_ = v0, b0, x
    LinUCB.update(batch, 0, np.zeros(3, dtype=int), y)  # the bandits family's own kernel
    np.testing.assert_allclose(mine[0], batch.v_inv_, atol=1e-15)
    np.testing.assert_allclose(mine[1], batch.b_, atol=1e-15)


def test_download_loads_statistics():
    d = 3
    batch = ClientBatch().bind(dim=d, n_rows=2, reg=2.0, noise=0.1, delta=0.05, scale=1.0)
    g = np.eye(d)[None] * 3.0
    batch.load(np.array([1]), g, np.ones((1, d)), np.array([7.0]))
    np.testing.assert_allclose(batch.v_inv_[1], np.eye(d) / 5.0)
    assert batch.n_rows_[1] == 7 and abs(batch.logdet_[1] - d * np.log(5.0)) < 1e-12
    np.testing.assert_allclose(batch.v_inv_[0], np.eye(d) / 2.0)
