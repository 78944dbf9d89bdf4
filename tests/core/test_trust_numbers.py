"""Issue 13, items 4-5: bad numbers are refused up front; damaged folders never trace back."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import mechsim
from mechsim.cli import main
from mechsim.core.params import Integer, Real, RealArray
from mechsim.core.results import Results
from mechsim.core.runner import check_resources, estimate_memory, load_results
from mechsim.core.scenario import load_scenario
from mechsim.errors import ParameterError, ResourceError, ResultsError, ScenarioError

QUICK = ["scenario.n_replications=4", "scenario.n_rounds=200", "scenario.checkpoints=8"]


@pytest.mark.parametrize("value", [float("inf"), -float("inf"), 1e308, 1e16])
def test_unbounded_reals_are_finite_by_default(value):
    with pytest.raises(ValueError):
        Real(0 if value > 0 else None, None).convert(value)
    with pytest.raises(ValueError):
        RealArray().convert([1.0, value])


def test_declared_inf_is_allowed_and_ints_fit_int64():
    assert Real(0.0, None, closed="right").convert(float("inf")) == float("inf")
    with pytest.raises(ValueError):
        Integer(1, None).convert(2**63)
    assert Integer(1, None).convert(2**63 - 1) == 2**63 - 1


@pytest.mark.parametrize(
    "override,key",
    [
        ("policies.ucb1.alpha=inf", "policies.ucb1.alpha"),
        ("policies.ucb1.alpha=1e308", "policies.ucb1.alpha"),
    ],
)
def test_scenario_refuses_inf_naming_the_key(override, key):
    with pytest.raises(ScenarioError, match=rf"key '{key}'.*numbers must be finite"):
        load_scenario("bandits/classic", [override])


@pytest.mark.parametrize(
    "scenario,overrides",
    [
        ("bandits/default", ["scenario.checkpoints=10000000000", "scenario.n_rounds=100000000000"]),
        ("bandits/default", ["scenario.checkpoints=10000000000"]),  # more checkpoints than rounds: the temporaries
        ("bandits/default", ["scenario.n_replications=100000000"]),
        ("clickbandit/truthful", ["scenario.n_rounds=1000000000000"]),
    ],
)
def test_memory_estimate_refuses_runs_that_cannot_fit(scenario, overrides, monkeypatch, capsys):
    monkeypatch.setenv("MECHSIM_MEMORY_LIMIT_GB", "8")
    scn = load_scenario(scenario, overrides)
    with pytest.raises(ResourceError, match=r"would need about [0-9.e+]+ GiB of memory .* the limit is 8 GiB"):
        check_resources(scn)
    args = ["run", scenario, "--no-progress", *sum((["--set", s] for s in overrides), [])]
    assert main(args) == 2
    assert "would need about" in capsys.readouterr().err


def test_memory_estimate_of_a_small_run_is_small():
    need, why = estimate_memory(load_scenario("bandits/default", QUICK))
    assert 0 < need < 2**26 and "replications" in why


def test_contribution_scale_wrap_names_the_key():
    from mechsim.ledger.payout import TokenPayout as Payout

    p = Payout(backend="memory", pattern="reward_driven", contribution_scale=10**18, epoch_rounds=1, budget_per_epoch=1.0)
    p.reset(n_agents=2, n_rounds=2)
    with pytest.raises(ParameterError, match=r"payout\.contribution_scale.*int64") as info:
        p.observe(0, np.array([100.0, 1.0]))
    assert info.value.key == "payout.contribution_scale"


# -- item 5: damaged folders ---------------------------------------------------------------
@pytest.fixture(scope="module")
def good(tmp_path_factory):
    root = tmp_path_factory.mktemp("good")
    return mechsim.run("bandits/default", overrides=QUICK).write(root, plot=False)


def _damage(good, tmp_path, how):
    d = tmp_path / "run"
    shutil.copytree(good, d)
    how(d)
    return d


DAMAGES = {
    "no manifest": lambda d: (d / "manifest.json").unlink(),
    "manifest not json": lambda d: (d / "manifest.json").write_text("{oops"),
    "manifest a list": lambda d: (d / "manifest.json").write_text("[1, 2]"),
    "manifest tables odd": lambda d: (d / "manifest.json").write_text(json.dumps({"tables": {"rounds": {"t": "complex"}}})),
    "manifest table escapes": lambda d: (d / "manifest.json").write_text(json.dumps({"tables": {"../x": {"t": "int"}}})),
    "truncated table": lambda d: (d / "rounds.csv").write_text((d / "rounds.csv").read_text()[:-7]),
    "garbage in table": lambda d: (d / "rounds.csv").write_text((d / "rounds.csv").read_text().replace("ucb1,0,1,", "ucb1,zero,1,", 1)),
    "empty table": lambda d: (d / "rounds.csv").write_text(""),
    "binary table": lambda d: (d / "rounds.csv").write_bytes(b"\xff\xfe\x00"),
    "bad scenario": lambda d: (d / "scenario.toml").write_text("[scenario]\nname = 3\n"),
    "summary not json": lambda d: (d / "summary.json").write_text("nope"),
    "figures is a file": lambda d: (d / "figures").write_text("x"),
    "figures is a link": lambda d: (d / "figures").symlink_to(d.parent),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_damaged_folders_raise_results_error_and_plot_exits_2(good, tmp_path, damage, capsys):
    d = _damage(good, tmp_path, DAMAGES[damage])
    try:
        res = load_results(d)
        with pytest.raises(ResultsError):
            res.plot()
    except ResultsError:
        pass
    capsys.readouterr()
    assert main(["plot", str(d)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mechsim: error: ") and "Traceback" not in err
    if damage == "figures is a link":
        assert (d.parent / "run").is_dir()  # nothing deleted through the link


def test_results_load_on_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ResultsError, match="not a folder"):
        Results.load(tmp_path / "f")
