"""Shipped scenarios parse; bad input gives typed errors naming the key; results, plots and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

import mechsim
from mechsim.cli import main
from mechsim.core.results import Results
from mechsim.core.scenario import load_scenario, shipped_scenarios
from mechsim.errors import ParameterError, ScenarioError

COLLAB = [s for s in shipped_scenarios() if s.startswith("collab/")]


def test_collab_scenarios_are_shipped_and_parse():
    assert {"collab/label-noise", "collab/digits-cnn", "collab/stragglers", "collab/regression-powerlaw"} <= set(COLLAB)
    for name in COLLAB:
        sc = load_scenario(name)
        assert sc.family == "collab" and sc["mechanisms"]


@pytest.mark.parametrize(
    ("override", "key", "message"),
    [
        ("mechanisms.fair_equal.beta=-1.0", "mechanisms.fair_equal.beta", r"expected a float in \[0.0, inf\); got -1.0"),
        ('mechanisms.fair_equal.id="collab/fair-equl-v1"', "mechanisms.fair_equal.id", "Did you mean 'collab/fair-equal-v1'"),
        ('mechanisms.cgsv.utility="cosine"', "mechanisms.cgsv.utility", "unknown key 'utility'"),
        ("scenario.n_agents=1", "scenario.n_agents", r"expected an int in \[2, inf\)"),
        ('scenario.backend="ray"', "scenario.backend", "expected one of 'inprocess', 'flower'"),
        ("data.n_informative=30", "data", "'n_informative' parameter of SyntheticClassification must be at most n_features=20"),
        ('heterogeneity.order="random"', "heterogeneity.order", "expected one of 'ascending', 'shuffled'"),
    ],
)
def test_bad_input_names_the_key(override, key, message):
    with pytest.raises(ScenarioError, match=message) as err:
        load_scenario("collab/label-noise", [override])
    assert err.value.key == key
    assert key in str(err.value)


def _run_error(path, text):
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        mechsim.run(path)
    return err.value


def test_incompatible_components_are_scenario_errors(tiny_path):
    text = tiny_path.read_text()
    err = _run_error(tiny_path, text.replace('id = "collab/synthetic-classification-v1"\nn_features = 6\nn_informative = 4\nn_classes = 3', 'id = "collab/synthetic-regression-v1"\nn_features = 6\nn_informative = 4'))
    assert err.key == "model.id" and "does not fit" in str(err)
    err = _run_error(tiny_path, text.replace('id = "collab/logreg-v1"', 'id = "collab/cnn-v1"'))
    assert err.key == "model.id" and "image data" in str(err)
    err = _run_error(
        tiny_path, text.replace('id = "collab/label-noise-v1"\nmax_noise = 0.8', 'id = "collab/nonstationary-v1"\nnode = 9')
    )
    assert err.key == "heterogeneity.node" and "< n_nodes=4" in str(err)


def test_cuda_without_a_device_names_the_key(tiny_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device exists here")
    with pytest.raises(ScenarioError, match="no CUDA device") as err:
        mechsim.run(tiny_path, overrides=['scenario.device="cuda"'])
    assert err.value.key == "scenario.device"


def test_component_errors_are_parameter_errors():
    from mechsim.collab.heterogeneity import LabelNoise

    with pytest.raises(ParameterError, match=r"The 'max_noise' parameter of LabelNoise must be a float in \[0.0, 1.0\]. Got 1.5 instead."):
        LabelNoise(max_noise=1.5).reset(n_nodes=3, n_rounds=2, chunk_size=4, rng=np.random.default_rng(0))


def test_results_folder_plots_and_reload(tiny_path, tmp_path):
    res = mechsim.run(tiny_path)
    path = res.write(tmp_path / "out")
    for f in ("rounds.csv", "server.csv", "nodes.csv", "equality.csv", "summary.json", "scenario.toml"):
        assert (path / f).is_file()
    figures = sorted(p.name for p in (path / "figures").glob("*.png"))
    assert "gap.png" in figures and "performance_fair_equal.png" in figures and "fairness_cgsv.png" in figures
    back = Results.load(path)
    for name in ("rounds", "server", "nodes", "equality"):
        assert back.tables[name] == res.tables[name]
    summary = json.loads((path / "summary.json").read_text())
    assert summary["variants"]["fedavg"]["fairness_pearson"]["mean"] is None  # undefined: JSON null (issue 13), not 0
    # the resolved scenario reruns to the same tables
    assert mechsim.run(path / "scenario.toml").tables["rounds"] == res.tables["rounds"]


def test_cli_runs_a_collab_scenario(tiny_path, tmp_path, capsys):
    rc = main(["run", str(tiny_path), "--out", str(tmp_path), "--no-progress", "--no-plot", "--set", "scenario.n_rounds=3"])
    assert rc == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["run", str(tiny_path), "--set", "mechanisms.fair_equal.beta=-2.0"]) == 2
    assert "mechanisms.fair_equal.beta" in capsys.readouterr().err
