"""The clickbandit family end to end: scenario files, typed errors, results, figures, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import mechsim
from mechsim.cli import main
from mechsim.core.scenario import load_scenario, shipped_scenarios
from mechsim.errors import ScenarioError

TINY = """
[scenario]
name = "cb-tiny"
family = "clickbandit"
seed = 5
n_rounds = [200, 400]
epochs = 3
n_replications = 2
tail = 2
equilibrium = true
audit_seeds = 4
deviation_grid = 5

[environment]
id = "clickbandit/bernoulli-v1"
mu = [0.6, 0.3]

[utility]
id = "clickbandit/quadratic-v1"
lam = 2.0

[strategy]
id = "clickbandit/gradient-v1"
seeds = 1

[learners.ucbs]
id = "clickbandit/ucb-s-v1"

[learners.ucb]
id = "clickbandit/ucb-v1"
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def test_shipped_scenarios_parse():
    names = [n for n in shipped_scenarios() if n.startswith("clickbandit/")]
    assert {"clickbandit/truthful", "clickbandit/ucb-strategic", "clickbandit/ucbs-strategic"} <= set(names)
    for name in names:
        assert load_scenario(name).family == "clickbandit"


def test_run_write_load_and_plot(tiny, results_dir):
    res = mechsim.run(str(tiny))
    again = mechsim.run(str(tiny))
    for name, table in res.tables.items():
        assert table == again.tables[name], f"table {name} differs between two runs with the same seed"
    assert set(res.tables) == {"rounds", "learner", "equilibrium"}
    assert len(res.tables["rounds"]) == 2 * 2 * 2 * 3 * 2  # learners x horizons x replications x epochs x arms
    sm = res.summary
    assert set(sm["variants"]) == {"ucbs", "ucb"} and set(sm["equilibrium"]) == {"ucbs/T=200", "ucbs/T=400", "ucb/T=200", "ucb/T=400"}
    path = res.write(results_dir)
    loaded = mechsim.Results.load(path)
    assert loaded.tables["learner"] == res.tables["learner"]
    figures = sorted(p.name for p in (path / "figures").glob("*.png"))
    assert figures == ["click_rates.png", "regret_per_epoch.png", "regret_vs_horizon.png"]
    assert json.loads((path / "summary.json").read_text())["variants"]["ucb"]["regret_slope"] is not None


def test_learners_share_the_random_numbers(tiny):
    """Epoch 0 starts from the same profiles for every learner (seed paths do not name the learner)."""
    rounds = mechsim.run(str(tiny)).tables["rounds"]
    a = rounds.where(variant="ucb", epoch=0, horizon=200)["s"]
    b = rounds.where(variant="ucbs", epoch=0, horizon=200)["s"]
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("override", "key", "message"),
    [
        ("utility.lam=-1.0", "utility.lam", r"expected a float in \(0.0, inf\); got -1.0"),
        ('learners.ucb.id="clickbandit/ucb-z-v1"', "learners.ucb.id", "Did you mean 'clickbandit/ucb-s-v1' or 'clickbandit/ucb-v1'"),
        ('learners.ucbs.index="clickbait"', "learners.ucbs.index", "expected one of 'mu_ucb', 'opt_utility'"),
        ("scenario.n_rounds=0", "scenario.n_rounds", "expected an int in"),
        ("strategy.fd_step=0.9", "strategy.fd_step", r"expected a float in \(0.0, 0.5\]"),
    ],
)
def test_scenario_errors_name_the_key(tiny, override, key, message):
    with pytest.raises(ScenarioError, match=message) as info:
        load_scenario(tiny, [override])
    assert info.value.key == key


def test_profile_lengths_must_match_the_arms(tiny):
    sc = load_scenario(tiny, ['strategy.init="fixed"', "strategy.init_s=[0.5, 0.5, 0.5]"])
    with pytest.raises(ScenarioError, match="expected one click-rate per arm \\(2 arms\\); got 3") as info:
        mechsim.run(sc)
    assert info.value.key == "strategy.init_s"


def test_cli_run_and_audit(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(tiny), "--out", str(out), "--no-plot", "--set", "scenario.n_rounds=300"]) == 0
    assert list(out.rglob("rounds.csv"))
    code = main(["audit", str(tiny), "--out", str(out), "--agent", "arm0", "--set", "scenario.n_rounds=300", "--set", "scenario.equilibrium=false"])
    text = capsys.readouterr().out
    assert code == 0
    assert "epsilon =" in text and "arm0" in text and "arm1" not in text.split("audit of")[1]
    assert list(out.rglob("audit.csv")) and list(out.rglob("audit.json"))
    assert main(["audit", str(tiny), "--agent", "arm7", "--out", str(out)]) == 2
    assert "unknown agent 'arm7'" in capsys.readouterr().err
