"""The batched learner backend gives the in-process driver's per-round metrics (float tolerance).

On every shipped small model (logistic and linear regression, the MLP, the digits CNN)
and every shipped mechanism (FedAvg, CGSV with its reward deltas, FAIR-EQUAL), the
``rounds`` and ``server`` tables of ``backend = "batched"`` equal those of the
in-process ``ClientApp`` driver: the same rows, the same boolean columns (who trained,
reported, synced, was rewarded), the same missing values, and the numbers within
float32 rounding (batched products sum in another order).
"""

from __future__ import annotations

import numpy as np
import pytest

import mechsim

CASES = {
    "logreg": ("collab/label-noise", ["scenario.n_rounds=6", "scenario.n_replications=1", "data.n_validation=300"]),
    "linreg": ("collab/regression-powerlaw", ["scenario.n_rounds=6"]),
    "mlp": ("collab/label-noise", ["scenario.n_rounds=5", "scenario.n_replications=1", "model.id=collab/mlp-v1", "data.n_validation=300"]),
    "cnn": ("collab/digits-cnn", ["scenario.n_rounds=3", "scenario.n_agents=6"]),
}
EXACT = ("variant", "replication", "round", "node", "available", "trained", "reported", "synced", "rewarded", "staleness")
CLOSE = ("perf", "loss", "reward", "contribution", "score", "time")


def _close(a: object, b: object, what: str) -> None:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert np.array_equal(np.isnan(x), np.isnan(y)), f"{what}: missing values differ"
    np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-5, equal_nan=True, err_msg=what)


@pytest.mark.parametrize("model", sorted(CASES))
def test_batched_backend_matches_inprocess(model: str) -> None:
    scenario, over = CASES[model]
    ref = mechsim.run(scenario, overrides=over)
    got = mechsim.run(scenario, overrides=[*over, "scenario.backend=batched"])
    a, b = ref.tables["rounds"], got.tables["rounds"]
    assert len(a) == len(b) > 0
    for col in EXACT:
        assert list(a[col]) == list(b[col]), col
    for col in CLOSE:
        _close(a[col], b[col], f"rounds.{col}")
    for col in ("server_perf", "server_loss", "p_value"):
        _close(ref.tables["server"][col], got.tables["server"][col], f"server.{col}")
    assert got.summary["backend"] == "batched"


def test_batched_backend_is_deterministic() -> None:
    scenario, over = CASES["logreg"]
    over = [*over, "scenario.backend=batched", "scenario.n_rounds=3"]
    assert mechsim.run(scenario, overrides=over).tables["rounds"] == mechsim.run(scenario, overrides=over).tables["rounds"]


def test_batched_population_flat_layout_matches_learner() -> None:
    """The (g, P) layout is ``module.parameters()`` order, the order ``flatten`` uses."""
    from mechsim.collab.batched import BatchedPopulation
    from mechsim.collab.family import tasks_of
    from mechsim.collab.learner import flatten
    from mechsim.collab.world import world
    from mechsim.core.runner import RunContext
    from mechsim.core.scenario import load_scenario
    from mechsim.core.seeding import SeedTree

    sc = load_scenario("collab/label-noise", overrides=["model.id=collab/mlp-v1", "scenario.n_replications=1"])
    w = world(tasks_of(sc, RunContext(seeds=SeedTree(sc.seed)))["0"])
    pop = BatchedPopulation(w)
    layers = w.init_params()
    flat = flatten(layers)
    assert pop.n_params == flat.size and pop.shapes == [a.shape for a in layers]
    import torch

    d = pop.as_dict(torch.from_numpy(flat[None].astype(np.float32)))
    assert [tuple(v.shape[1:]) for v in d.values()] == pop.shapes
    assert np.array_equal(pop.as_flat(d).numpy()[0], flat.astype(np.float32))


@pytest.mark.gpu
def test_batched_backend_on_cuda_matches_cpu() -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device: the batched backend's GPU path is not exercised here")
    scenario, over = CASES["mlp"]
    over = [*over, "scenario.backend=batched"]
    cpu = mechsim.run(scenario, overrides=over)
    gpu = mechsim.run(scenario, overrides=[*over, "scenario.device=cuda"])
    a, b = cpu.tables["rounds"], gpu.tables["rounds"]
    for col in ("trained", "reported", "synced"):
        assert list(a[col]) == list(b[col])
    _close(a["loss"], b["loss"], "rounds.loss")
    _close(cpu.tables["server"]["server_loss"], gpu.tables["server"]["server_loss"], "server.server_loss")
