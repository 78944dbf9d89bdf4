"""The second learner: a small torch MLP (gauntlet/torch-mlp-learner-v1)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mechsim.core.seeding import SeedTree  # noqa: E402
from mechsim.gauntlet.quick import simulate  # noqa: E402
from mechsim.gauntlet.torch_learner import CudaUnavailableError, TorchMLPLearner  # noqa: E402

BEH = ["truthful"] * 8 + ["free_ride", "free_ride", "copy_best", "copy_best"]
MECH = {"lr": 5e-3, "warmup_windows": 20}


def _run(n_rounds, device="cpu", seed=1):
    return simulate(BEH, n_rounds=n_rounds, seed=seed, learner={"id": "gauntlet/torch-mlp-learner-v1", "device": device}, mechanism=MECH)


def test_validator_ranks_honest_above_free_riders_and_copycats_and_loss_falls():
    start = _run(1).excess_loss
    r = _run(150)
    honest, bad = r.share[:, :8], r.share[:, 8:]
    assert bad.sum() < 0.02
    assert honest.mean() > 10 * bad.max()
    assert (r.excess_loss < 0.1 * start).all()


def test_own_shard_step_lowers_own_loss_more_than_random_and_repeats():
    a, b = TorchMLPLearner(), TorchMLPLearner()
    for x in (a, b):
        x.reset(n_replications=2, n_agents=6, seeds=SeedTree(4))
    th = np.zeros((2, 6, a.d_), np.float32)
    xi = a.own_shards(0)
    g = a.gradient(th, xi, np.full((2, 6), 1e9), np.random.default_rng(0))
    assert np.array_equal(g, b.gradient(th, b.own_shards(0), np.full((2, 6), 1e9), np.random.default_rng(0)))
    assert np.abs(g[..., a.n_params_:]).max() < 1e-4  # padding: batch noise only (tiny at 1e9 batches)
    step = th - 0.01 * np.sign(g)
    rand = a.random_shard(np.random.default_rng(1))[:, None, :]
    r_own = 1 - a.loss(step, xi) / a.loss(th, xi)
    r_rand = 1 - a.loss(step, rand) / a.loss(th, rand)
    assert (r_own > r_rand).mean() > 0.8
    assert np.array_equal(_run(20).share, _run(20).share)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised where CUDA is absent")
def test_cuda_absent_raises_typed_error():
    with pytest.raises(CudaUnavailableError, match="'device' parameter .* 'cuda' but torch sees no CUDA device"):
        TorchMLPLearner(device="cuda").reset(n_replications=1, n_agents=2, seeds=SeedTree(0))
    auto = TorchMLPLearner(device="auto")
    auto.reset(n_replications=1, n_agents=2, seeds=SeedTree(0))
    assert auto.dev_ == "cpu"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_path_matches_cpu():
    a, b = TorchMLPLearner(device="cpu"), TorchMLPLearner(device="cuda")
    for x in (a, b):
        x.reset(n_replications=2, n_agents=5, seeds=SeedTree(2))
    th = 0.01 * np.random.default_rng(0).standard_normal((2, 5, a.d_)).astype(np.float32)
    xi = a.own_shards(3)
    np.testing.assert_allclose(a.loss(th, xi), b.loss(th, xi), rtol=1e-10)
    np.testing.assert_allclose(a.gradient(th, xi, np.full((2, 5), 4.0), np.random.default_rng(1)),
                               b.gradient(th, xi, np.full((2, 5), 4.0), np.random.default_rng(1)), rtol=1e-5, atol=1e-7)
    r = _run(60, device="cuda")
    assert r.share[:, 8:].sum() < 0.05 and r.learner.dev_ == "cuda"
