"""End to end: run, determinism, results folder, CLI exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import mechsim
from mechsim.cli import main
from mechsim.core.results import Results

QUICK = ["scenario.n_replications=8", "scenario.n_rounds=300", "scenario.checkpoints=10"]


@pytest.fixture
def interrupt_at_round_150(monkeypatch):
    """Ctrl-C arrives in the 150th round step of a bandit run."""
    from mechsim.bandits import protocol

    calls = {"n": 0}
    real = protocol.RegretAccumulator.add

    def add(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 150:
            raise KeyboardInterrupt
        return real(self, *a, **k)

    monkeypatch.setattr(protocol.RegretAccumulator, "add", add)


def test_same_seed_identical_tables_different_seed_differs():
    a = mechsim.run("bandits/default", overrides=QUICK)
    b = mechsim.run("bandits/default", overrides=QUICK)
    c = mechsim.run("bandits/default", overrides=QUICK, seed=1)
    assert a.tables["rounds"] == b.tables["rounds"]
    assert a.tables["rounds"].to_csv() == b.tables["rounds"].to_csv()
    assert not (a.tables["rounds"] == c.tables["rounds"])


def test_results_folder_layout_and_reload(tmp_path):
    res = mechsim.run("bandits/default", overrides=QUICK)
    path = res.write(tmp_path)
    assert path.parent.name == "bandits-default"
    for f in ("scenario.toml", "rounds.csv", "summary.json", "manifest.json"):
        assert (path / f).is_file()
    assert sorted(p.name for p in (path / "figures").glob("*.png")) == ["realised_regret.png", "regret.png", "regret_loglog.png"]
    back = Results.load(path)
    assert back.tables["rounds"] == res.tables["rounds"]
    assert back.scenario == res.scenario
    # the resolved scenario file reruns to the same tables
    again = mechsim.run(path / "scenario.toml")
    assert again.tables["rounds"] == res.tables["rounds"]


def test_cli_run_writes_summary_and_figures(tmp_path, capsys):
    rc = main(["run", "bandits/default", "--out", str(tmp_path), "--no-progress", *sum((["--set", s] for s in QUICK), [])])
    assert rc == 0
    out = capsys.readouterr().out
    # issue 13: a grouped table, metrics as rows and variants as columns
    assert "wrote" in out and "pseudo_regret" in out and "ucb1" in out and "[95% CI]" in out
    (run_dir,) = (tmp_path / "bandits-default").iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["n_rounds"] == 300 and "variants" in summary
    assert list((run_dir / "figures").glob("*.png"))


def test_cli_plot_redraws(tmp_path, capsys):
    path = mechsim.run("bandits/default", overrides=QUICK).write(tmp_path, plot=False)
    assert main(["plot", str(path)]) == 0
    assert (path / "figures" / "regret.png").is_file()


def test_cli_plot_on_a_non_results_folder(tmp_path, capsys):
    assert main(["plot", str(tmp_path)]) == 2
    assert "not a mechsim results folder: scenario.toml is missing" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--set", "policies.ucb1.alpah=1"], "unknown key 'alpah'"),
        (["--set", "polcies.ucb1.alpha=1"], "no table 'polcies'"),
        (["--set", "scenario.n_rounds=-5"], "expected an int in [1, inf); got -5"),
    ],
)
def test_cli_user_errors_exit_2_without_traceback(tmp_path, args, needle):
    proc = subprocess.run(
        [sys.executable, "-m", "mechsim.cli", "run", "bandits/default", "--out", str(tmp_path), *args],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert proc.stderr.startswith("mechsim: error: ")
    assert "Traceback" not in proc.stderr


def test_cli_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "bandits/ucb1-v1" in out and "bandits/default" in out


def test_interrupted_run_keeps_what_it_finished(interrupt_at_round_150):
    """A KeyboardInterrupt mid-run returns the rows recorded so far, marked incomplete."""
    res = mechsim.run("bandits/default", overrides=QUICK)
    assert not res.complete
    assert 0 < len(res.tables["rounds"])
    assert res.tables["rounds"]["t"].max() < 300


def test_cli_interrupted_run_writes_rows_and_exits_130(tmp_path, interrupt_at_round_150, capsys):
    rc = main(["run", "bandits/default", "--out", str(tmp_path), "--no-progress", *sum((["--set", s] for s in QUICK), [])])
    assert rc == 130
    assert "interrupted: wrote the finished part" in capsys.readouterr().err
    back = Results.load(next((tmp_path / "bandits-default").iterdir()))
    assert not back.complete and len(back.tables["rounds"]) > 0
