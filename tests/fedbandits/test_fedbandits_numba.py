"""The numba client step (``MECHSIM_BANDIT_KERNEL``) against the numpy path: identical, bit for bit.

The fused kernel sums every reduction that numpy does with ``np.einsum`` in einsum's own order, so
``A^-1``, ``b``, the log-det increments and the buffers are the same floats. Its ``x^T A^-1`` over
the K arms is not numpy's BLAS ``matmul`` order, so the UCB index may differ in the last bits; that
can only change an arm on a last-bit tie between different items, which these runs do not hit (the
exact ties of every client's first step, at ``A = I / reg``, are computed exactly on both paths).
The tables are therefore compared for exact equality.
"""

from __future__ import annotations

import numpy as np
import pytest

import mechsim
from mechsim.bandits import kernels
from mechsim.fedbandits.environment import ArmPool
from mechsim.fedbandits.kernels import ClientBatch, _einsum_dot

needs_numba = pytest.mark.skipif(not kernels.HAVE_NUMBA, reason="numba is not installed (the 'fast' extra)")

SHORT = {
    "fedbandits/toy": ["scenario.n_rounds=120", "scenario.n_replications=2"],
    "fedbandits/misreport": ["scenario.n_rounds=80"],
    "fedbandits/small-optimum": ["scenario.n_rounds=100", "scenario.n_replications=2"],
    "fedbandits/large": ["scenario.n_rounds=25", "scenario.n_agents=40", "scenario.threshold=5.0"],
}


@needs_numba
@pytest.mark.parametrize("d", [2, 3, 6, 8, 10, 17, 25])
def test_einsum_order_dot_is_numpys_einsum(d: int) -> None:
    rng = np.random.default_rng(d)
    x, y = rng.standard_normal((300, d)), rng.standard_normal((300, d)) * 1e3
    mine = np.array([_einsum_dot(x[i], y[i]) for i in range(300)])
    assert mine.tobytes() == np.einsum("bi,bi->b", x, y).tobytes()


@needs_numba
def test_fused_step_equals_the_numpy_step_bit_for_bit() -> None:
    n, d, k = 7, 6, 9
    w1 = ArmPool(dim=d, n_arms=k).world(np.random.default_rng(4))
    w2 = ArmPool(dim=d, n_arms=k).world(np.random.default_rng(4))
    a = ClientBatch().bind(dim=d, n_rows=n, reg=0.7, noise=0.1, delta=0.01, scale=1.3)
    b = ClientBatch().bind(dim=d, n_rows=n, reg=0.7, noise=0.1, delta=0.01, scale=1.3)
    up_v, up_b, up_n, trig_n = np.zeros((n, d, d)), np.zeros((n, d)), np.zeros(n), np.zeros(n)
    ref_v, ref_b = np.zeros((n, d, d)), np.zeros((n, d))
    rng = np.random.default_rng(9)
    for t in range(40):
        active = rng.random(n) < 0.7
        dr = w1.draw(n)
        arms, x, gain = a.step(dr.contexts, dr.rewards, active)
        y = dr.rewards[np.arange(n), arms] * active
        ref_v += x[:, :, None] * x[:, None, :]
        ref_b += y[:, None] * x
        idx, rew, _ = w2.draw_items(n)
        arms2, gain2 = b.step_fused(w2.pool[None], idx, rew, active, up_v, up_b, up_n, trig_n, n)
        assert np.array_equal(arms[active], arms2[active])
        assert gain.tobytes() == gain2.tobytes()
        if t == 20:  # a download on both
            rows = np.array([1, 4])
            for batch in (a, b):
                batch.load(rows, ref_v[rows] + 0.5 * np.eye(d), ref_b[rows], np.array([30.0, 31.0]))
    for name in ("v_inv_", "b_", "logdet_", "n_rows_"):
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes(), name
    assert up_v.tobytes() == ref_v.tobytes() and up_b.tobytes() == ref_b.tobytes()


@needs_numba
@pytest.mark.parametrize("scenario", sorted(SHORT))
def test_numba_and_numpy_paths_give_identical_tables(scenario: str) -> None:
    with kernels.use("numpy"):
        a = mechsim.run(scenario, overrides=SHORT[scenario])
    with kernels.use("numba"):
        b = mechsim.run(scenario, overrides=SHORT[scenario])
    assert set(a.tables) == set(b.tables)
    for name in a.tables:
        assert a.tables[name].to_csv() == b.tables[name].to_csv(), name
    assert a.summary == b.summary


@needs_numba
def test_identical_tables_with_latency_a_ring_and_uneven_activity() -> None:
    over = ["scenario.n_rounds=100", "scenario.n_replications=2", "scenario.topology=ring", "scenario.hop_latency=0.4",
            "scenario.activity=0.8", "scenario.activity_spread=0.5"]
    with kernels.use("numpy"):
        a = mechsim.run("fedbandits/toy", overrides=over)
    with kernels.use("numba"):
        b = mechsim.run("fedbandits/toy", overrides=over)
    for name in a.tables:
        assert a.tables[name].to_csv() == b.tables[name].to_csv(), name
    assert a.summary == b.summary
