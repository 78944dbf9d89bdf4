"""The Flower app in flower_app/ under Flower's supported runtime (``flwr run`` on a local simulation SuperLink)."""

from __future__ import annotations

import pickle
import tomllib

import numpy as np
import pytest

import mechsim

pytest.importorskip("flwr")

from mechsim.collab import flower_runtime  # noqa: E402


def test_the_app_folder_is_a_flower_app():
    app = flower_runtime.app_dir()
    cfg = tomllib.loads((app / "pyproject.toml").read_text())["tool"]["flwr"]["app"]
    assert cfg["components"] == {"serverapp": "mechsim_flower_app.server_app:app", "clientapp": "mechsim_flower_app.client_app:app"}
    assert {"scenario", "mode", "label", "replication", "out"} <= set(cfg["config"])
    # the deprecated in-process entry point is gone from mechsim's Flower backend
    source = open(flower_runtime.__file__).read()
    assert "import run_simulation" not in source and "run_simulation(" not in source


def test_federation_config_is_flowers():
    s = flower_runtime.FlowerSettings(client_cpus=0.5, client_gpus=0.25, total_cpus=2)
    text = s.federation_config(5)
    assert "num-supernodes=5" in text and "client-resources-num-cpus=1" in text and "client-resources-num-gpus=0.25" in text
    assert "init-args-num-cpus=2" in text


@pytest.mark.flower
@pytest.mark.ray
@pytest.mark.slow
def test_flwr_run_of_the_app_in_strategy_mode(tiny_path, tmp_path):
    """FAIR-EQUAL as a Flower Strategy in Flower's own round loop, mechsim's nodes on Ray: same figures as in-process."""
    pytest.importorskip("ray")
    text = tiny_path.read_text().replace("n_rounds = 8", "n_rounds = 5")
    tiny_path.write_text(text)
    scenario = mechsim.load_scenario(tiny_path)
    path = tmp_path / "scenario.toml"
    path.write_text(scenario.to_toml())
    out = tmp_path / "tables.pkl"
    flower_runtime.flwr_run(
        {"scenario": str(path), "out": str(out), "mode": "strategy", "label": "fair_equal"},
        flower_runtime.FlowerSettings(total_cpus=2).federation_config(4),
        timeout=600,
    )
    tables = pickle.loads(out.read_bytes())
    schema, cols = tables["rounds"]
    local = mechsim.run(tiny_path).tables["rounds"].where(variant="fair_equal")
    assert len(cols["node"]) == len(local) == 5 * 4
    for col in ("contribution", "score", "reward", "perf"):
        np.testing.assert_allclose(cols[col], local[col], rtol=1e-5, atol=1e-6, equal_nan=True, err_msg=col)
    assert np.array_equal(cols["rewarded"], local["rewarded"])
