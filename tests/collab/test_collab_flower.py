"""The same scenario on Flower's own runtime (Ray) gives the in-process driver's per-round metrics."""

from __future__ import annotations

import numpy as np
import pytest

import mechsim


@pytest.mark.flower
@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Tip. In future versions of Ray:FutureWarning")
def test_flower_runtime_matches_in_process_driver(tiny_path):
    pytest.importorskip("flwr")
    pytest.importorskip("ray")
    # a smaller federation: two mechanisms, 6 rounds (Ray's start-up, about 7 s, dominates)
    text = tiny_path.read_text().replace("n_rounds = 8", "n_rounds = 6")
    text = text.replace('[mechanisms.fedavg]\nid = "collab/fedavg-v1"\n', "")
    tiny_path.write_text(text)
    local = mechsim.run(tiny_path)
    ray = mechsim.run(
        tiny_path,
        overrides=['scenario.backend="flower"', "scenario.flower_total_cpus=2", "scenario.flower_pull_interval=0.01"],
    )
    for name in ("rounds", "server", "equality"):
        a, b = local.tables[name], ray.tables[name]
        assert len(a) == len(b) > 0
        for col, kind in a.schema.items():
            if kind == "float":
                np.testing.assert_allclose(a[col], b[col], rtol=1e-5, atol=1e-6, equal_nan=True, err_msg=f"{name}.{col}")
            else:
                assert np.array_equal(a[col], b[col]), f"{name}.{col}"
    fe = ray.tables["server"].where(variant="fair_equal")
    assert set(fe["stage"].tolist()) == {1, 2}  # both stages ran through Flower
