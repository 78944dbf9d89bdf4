"""run_sweep / load_sweep on the local backend: table, determinism, resume, errors."""

from __future__ import annotations

import builtins
import json

import numpy as np
import pytest

from mechsim.core.family import get_family
from mechsim.core.runner import run_scenario
from mechsim.core.scenario import load_scenario
from mechsim.core.table import Table
from mechsim.errors import BackendUnavailableError, OverrideError, ResultsError, ScenarioError, SweepError
from mechsim.sweep import SweepInterrupted, load_sweep, run_sweep

N_SEEDS = 3
N_CELLS = 4  # 2 alphas x 2 environments
GRID = ["policies.ucb.alpha=0.5,2", "environment.means=[0.9,0.8,0.5];[0.6,0.5,0.4]"]
METRICS = ["ucb.pseudo_regret", "ucb.realised_regret", "cautious.pseudo_regret", "cautious.realised_regret"]


@pytest.fixture(scope="module")
def reference(scenario, tmp_path_factory):
    """An uninterrupted serial sweep, the reference the other tests compare with."""
    return run_sweep(scenario, GRID, seeds=N_SEEDS, out=tmp_path_factory.mktemp("ref") / "out", progress=False)


def test_table_has_one_row_per_cell_and_seed(reference):
    t = reference.table
    assert reference.complete and reference.n_run == N_CELLS * N_SEEDS and reference.n_skipped == 0
    assert len(t) == N_CELLS * N_SEEDS
    assert list(t.schema) == ["policies.ucb.alpha", "environment.means", "seed", *METRICS]
    assert t.schema == {
        "policies.ucb.alpha": "float",
        "environment.means": "str",
        "seed": "int",
        **{m: "float" for m in METRICS},
    }
    # rows in cell order (first grid item slowest), then seed
    assert list(t["policies.ucb.alpha"]) == [0.5] * 6 + [2.0] * 6
    assert list(t["environment.means"][:6]) == ["[0.9, 0.8, 0.5]"] * 3 + ["[0.6, 0.5, 0.4]"] * 3
    assert list(t["seed"]) == [10, 11, 12] * N_CELLS
    assert all(np.all(np.isfinite(t[m])) for m in METRICS)
    # different seeds give different draws
    assert len(set(t["ucb.pseudo_regret"][:3])) > 1


def cell_files(out):
    return sorted((out / "cells").glob("c*-s*.json")) if (out / "cells").is_dir() else []


def test_outputs_on_disk(reference):
    out = reference.path
    assert len(cell_files(out)) == N_CELLS * N_SEEDS
    assert load_sweep(out) == reference.table
    assert Table.from_csv(out / "sweep.csv", reference.table.schema) == reference.table
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["complete"] is True and manifest["seeds"] == N_SEEDS and manifest["n_total"] == 12
    assert manifest["grid"][0] == {"key": "policies.ucb.alpha", "values": [0.5, 2]}
    assert manifest["scenario"]["scenario"]["seed"] == 10
    figs = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert figs == ["pseudo_regret.png", "realised_regret.png"]
    assert [p.name for p in reference.figures] == figs


def test_rows_match_a_direct_run(reference, scenario):
    """A row's metrics are exactly the family's sweep metrics of that cell's own run."""
    scn = load_scenario(scenario, ["policies.ucb.alpha=2", "environment.means=[0.6,0.5,0.4]"], seed=11)
    expected = get_family(scn.family).sweep_metrics(run_scenario(scn).summary)
    row = [r for r in reference.table.rows() if r["policies.ucb.alpha"] == 2.0 and r["seed"] == 11
           and r["environment.means"] == "[0.6, 0.5, 0.4]"]
    assert len(row) == 1
    assert {m: row[0][m] for m in METRICS} == expected


def test_deterministic_and_backend_independent(reference, scenario, tmp_path):
    again = run_sweep(scenario, GRID, seeds=N_SEEDS, out=tmp_path / "a", progress=False, plot=False)
    assert again.table == reference.table
    pooled = run_sweep(scenario, GRID, seeds=N_SEEDS, out=tmp_path / "b", workers=2, progress=False, plot=False)
    assert pooled.table == reference.table
    assert (tmp_path / "b" / "sweep.csv").read_text() == (reference.path / "sweep.csv").read_text()


def test_resume_runs_only_missing_cells(reference, scenario, tmp_path):
    out = tmp_path / "out"
    run_sweep(scenario, GRID, seeds=N_SEEDS, out=out, progress=False, plot=False)
    files = cell_files(out)
    for f in files[1::3]:  # drop 4 of 12
        f.unlink()
    (out / "sweep.csv").unlink()
    res = run_sweep(scenario, GRID, seeds=N_SEEDS, out=out, progress=False, plot=False)
    assert (res.n_run, res.n_skipped, res.complete) == (4, 8, True)
    assert res.table == reference.table
    again = run_sweep(scenario, GRID, seeds=N_SEEDS, out=out, progress=False, plot=False)
    assert (again.n_run, again.n_skipped) == (0, 12)
    assert again.table == reference.table


def test_more_seeds_extend_a_finished_sweep(reference, scenario, tmp_path, monkeypatch):
    import mechsim.sweep.backends as backends

    out = tmp_path / "out"
    two = run_sweep(scenario, GRID, seeds=2, out=out, progress=False, plot=False)
    assert len(two.table) == 8 and (out / "sweep.csv").is_file()

    def interrupt(task):
        raise KeyboardInterrupt

    real = backends.run_cell
    monkeypatch.setattr(backends, "run_cell", interrupt)
    with pytest.raises(SweepInterrupted, match="8 of 12 cells finished"):
        run_sweep(scenario, GRID, seeds=N_SEEDS, out=out, progress=False, plot=False)
    # the 2-seed table is gone rather than passed off as this sweep's
    assert not (out / "sweep.csv").exists()
    with pytest.raises(ResultsError, match="8 of 12 cells finished"):
        load_sweep(out)
    monkeypatch.setattr(backends, "run_cell", real)
    res = run_sweep(scenario, GRID, seeds=N_SEEDS, out=out, progress=False, plot=False)
    assert (res.n_run, res.n_skipped) == (4, 8)
    assert res.table == reference.table


def test_refuses_to_resume_a_different_sweep(scenario, tmp_path):
    out = tmp_path / "out"
    run_sweep(scenario, GRID[:1], seeds=1, out=out, progress=False, plot=False)
    with pytest.raises(SweepError, match=r"different grid \(first difference: grid\[0\].values\[1\] \(folder has 2, now 3\)\)"):
        run_sweep(scenario, ["policies.ucb.alpha=0.5,3"], seeds=1, out=out, progress=False)
    with pytest.raises(SweepError, match=r"different scenario \(first difference: scenario.n_rounds \(folder has 200, now 300\)\)"):
        run_sweep(scenario, GRID[:1], seeds=1, out=out, overrides=["scenario.n_rounds=300"], progress=False)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(SweepError, match="non-empty folder without sweep.json"):
        run_sweep(scenario, GRID[:1], seeds=1, out=foreign, progress=False)


def test_ctrl_c_keeps_finished_cells_and_says_how_to_resume(reference, scenario, tmp_path, monkeypatch):
    import mechsim.sweep.backends as backends

    real = backends.run_cell
    calls = []

    def interrupted_on_third(task):
        calls.append(task)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(backends, "run_cell", interrupted_on_third)
    out = tmp_path / "out"
    with pytest.raises(SweepInterrupted, match=r"2 of 12 cells finished; rerun the same command to resume") as info:
        run_sweep(scenario, GRID, seeds=N_SEEDS, out=out, progress=False)
    assert isinstance(info.value, SweepError)
    assert len(cell_files(out)) == 2
    partial = info.value.result
    assert (partial.complete, partial.n_run, partial.n_finished, partial.n_total) == (False, 2, 2, 12)
    assert len(partial.table) == 2
    with pytest.raises(ResultsError, match="not complete.*rerun the same command to resume"):
        load_sweep(out)
    assert load_sweep(out, partial=True) == partial.table
    monkeypatch.setattr(backends, "run_cell", real)
    res = run_sweep(scenario, GRID, seeds=N_SEEDS, out=out, progress=False, plot=False)
    assert (res.n_run, res.n_skipped) == (10, 2)
    assert res.table == reference.table


def test_in_process_interrupt_inside_a_run_is_not_recorded(scenario, tmp_path, monkeypatch):
    """run_scenario turns Ctrl-C into partial results; the sweep must not record them."""
    import mechsim.sweep.cell as cell

    real = cell.run_scenario
    calls = []

    def partial_second(scn, progress=False):
        calls.append(1)
        res = real(scn, progress=progress)
        if len(calls) == 2:
            res.complete = False
        return res

    monkeypatch.setattr(cell, "run_scenario", partial_second)
    with pytest.raises(SweepInterrupted, match="1 of 12 cells finished"):
        run_sweep(scenario, GRID, seeds=N_SEEDS, out=tmp_path / "out", progress=False)
    assert len(cell_files(tmp_path / "out")) == 1


def test_a_failing_cell_names_the_cell(scenario, tmp_path, monkeypatch):
    import mechsim.sweep.backends as backends

    real = backends.run_cell

    def fail_cell_1(task):
        if task["cell"] == 1:
            raise ScenarioError("the environment refused", key="environment.means")
        return real(task)

    monkeypatch.setattr(backends, "run_cell", fail_cell_1)
    with pytest.raises(SweepError, match=r"cell 1 \(policies.ucb.alpha=0.5, environment.means=\[0.6, 0.5, 0.4\]\), "
                                         r"seed 10 failed: .*the environment refused.*3 of 12 cells finished"):
        run_sweep(scenario, GRID, seeds=N_SEEDS, out=tmp_path / "out", progress=False)

    def bug(task):
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(backends, "run_cell", bug)
    with pytest.raises(ZeroDivisionError, match="oops") as info:
        run_sweep(scenario, GRID, seeds=N_SEEDS, out=tmp_path / "out2", progress=False)
    assert any("raised by cell 0" in n for n in info.value.__notes__)


def test_empty_grid_is_a_seed_sweep(scenario, tmp_path):
    res = run_sweep(scenario, [], seeds=2, out=tmp_path / "out", progress=False)
    assert list(res.table.schema) == ["seed", *METRICS]
    assert list(res.table["seed"]) == [10, 11]
    assert sorted(p.name for p in res.figures) == ["pseudo_regret.png", "realised_regret.png"]


def test_default_out_and_shipped_scenario(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run_sweep(
        "bandits/default",
        ["policies.ucb1.alpha=0.5,1"],
        seeds=2,
        overrides=["scenario.n_rounds=200", "scenario.n_replications=5"],
        progress=False,
        plot=False,
    )
    assert res.path == tmp_path / "results" / "sweeps" / "bandits-default" or res.path.resolve() == (
        tmp_path / "results" / "sweeps" / "bandits-default"
    )
    assert list(res.table.schema)[:2] == ["policies.ucb1.alpha", "seed"]
    assert len(res.table) == 4


# -- typed errors, all before anything runs -------------------------------------------
@pytest.mark.parametrize(
    ("grid", "error", "match"),
    [
        (["policies.nope.alpha=1,2"], OverrideError, r"key 'policies.nope.alpha'.*no table 'policies.nope'.*Available here: cautious, ucb"),
        (["policies.ucb.alpah=1,2"], OverrideError, r"key 'policies.ucb.alpah'.*unknown key 'alpah'.*alpha"),
        (["policies.ucb.alpha=1,-1"], OverrideError, r"key 'policies.ucb.alpha'.*got -1"),
        (["scenario.n_rounds=100,zero"], OverrideError, r"key 'scenario.n_rounds'.*got 'zero'"),
        (["policies.ucb.alpha"], OverrideError, r"key 'policies.ucb.alpha'.*must look like"),
        (["policies.ucb.alpha=1;;2"], OverrideError, r"key 'policies.ucb.alpha'.*empty value"),
        (["scenario.seed=1,2"], OverrideError, r"key 'scenario.seed'.*cannot be swept"),
    ],
)
def test_bad_grid_raises_typed_error_naming_the_key(scenario, tmp_path, grid, error, match):
    out = tmp_path / "out"
    with pytest.raises(error, match=match):
        run_sweep(scenario, grid, seeds=1, out=out, progress=False)
    assert not out.exists()  # nothing ran, nothing written


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seeds": 0}, r"seeds must be an int >= 1; got 0"),
        ({"seeds": -2}, r"seeds must be an int >= 1; got -2"),
        ({"seeds": True}, r"seeds must be an int >= 1; got True"),
        ({"seeds": 1.5}, r"seeds must be an int >= 1; got 1.5"),
        ({"seeds": 1, "workers": 0}, r"workers must be an int >= 1; got 0"),
        ({"seeds": 1, "backend": "dask"}, r"unknown sweep backend 'dask'.*Expected one of: local, ray"),
        ({"seeds": 1, "backend": "rya"}, r"unknown sweep backend 'rya'. Did you mean 'ray'"),
    ],
)
def test_bad_arguments_raise_sweep_error(scenario, tmp_path, kwargs, match):
    with pytest.raises(SweepError, match=match):
        run_sweep(scenario, GRID, out=tmp_path / "out", progress=False, **kwargs)
    assert not (tmp_path / "out").exists()


def test_bad_override_and_scenario(scenario, tmp_path):
    with pytest.raises(OverrideError, match="key 'scenario.horizonn'"):
        run_sweep(scenario, GRID, seeds=1, overrides=["scenario.horizonn=5"], out=tmp_path / "o", progress=False)
    with pytest.raises(ScenarioError, match="no scenario file or shipped scenario named"):
        run_sweep(tmp_path / "missing.toml", GRID, seeds=1, out=tmp_path / "o", progress=False)


def test_ray_absent_gives_install_hint(scenario, tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(BackendUnavailableError, match=r"pip install 'mechsim\[ray\]'"):
        run_sweep(scenario, GRID, seeds=1, backend="ray", out=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
