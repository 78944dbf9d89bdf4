"""Issue 13, items 1-2: names are safe slugs, nothing is written outside --out, reruns never destroy a complete run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mechsim
from mechsim.cli import main
from mechsim.core.fileio import check_slug, safe_child
from mechsim.core.results import Results, find_complete_run
from mechsim.core.scenario import load_scenario, resolve_scenario_path
from mechsim.errors import UnsafeNameError

QUICK = ["scenario.n_replications=4", "scenario.n_rounds=200", "scenario.checkpoints=8"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["../../x", "/tmp/abs", "", "a\nb", "a\x00b", "..", ".", "a/b", "-x", "x.", "a" * 129, " x"])
def test_unsafe_scenario_names_are_refused_with_a_typed_error(name):
    with pytest.raises(UnsafeNameError, match="scenario name must be letters"):
        load_scenario("bandits/default", [("scenario.name", name)])


@pytest.mark.parametrize("name", ["bandits-default", "a", "A.b_c-9"])
def test_safe_names_pass(name):
    assert check_slug(name) == name


@pytest.mark.parametrize("cmd", ["run", "audit", "sweep"])
def test_cli_never_writes_outside_out(tmp_path, cmd, capsys):
    out = tmp_path / "out"
    out.mkdir()
    if cmd == "audit":
        args = ["audit", "clickbandit/truthful", "--out", str(out), "--set", "scenario.name=../../escaped"]
    elif cmd == "sweep":
        args = ["sweep", "bandits/default", "--no-plot", "--set", "scenario.name=../../escaped", *sum((["--set", s] for s in QUICK), [])]
    else:
        args = ["run", "bandits/default", "--out", str(out), "--set", "scenario.name=../../escaped", *sum((["--set", s] for s in QUICK), [])]
    cwd = os.getcwd()
    os.chdir(out)
    try:
        assert main(args) == 2
    finally:
        os.chdir(cwd)
    assert "scenario name must be letters" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["out"]


def test_shipped_name_cannot_resolve_outside_scenarios(tmp_path, monkeypatch):
    shipped = tmp_path / "scenarios"
    shipped.mkdir()
    (tmp_path / "secret.toml").write_text("[scenario]\nname='x'\nfamily='bandits'\n")
    monkeypatch.setenv("MECHSIM_SCENARIOS", str(shipped))
    monkeypatch.chdir(ROOT)  # ../secret is not a path from here
    with pytest.raises(UnsafeNameError, match="outside the shipped scenarios folder"):
        resolve_scenario_path("../secret")
    with pytest.raises(UnsafeNameError, match="NUL or newline"):
        resolve_scenario_path("bandits/default\x00")


def test_safe_child_refuses_links_out(tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "link").symlink_to(tmp_path)
    with pytest.raises(UnsafeNameError, match="outside the output folder"):
        safe_child(tmp_path / "root", "link", "x")


def test_results_write_refuses_an_unsafe_name_built_directly(tmp_path):
    res = mechsim.run("bandits/default", overrides=QUICK)
    object.__setattr__(res.scenario, "name", "../evil")
    with pytest.raises(UnsafeNameError):
        res.write(tmp_path / "out", plot=False)
    assert not (tmp_path / "evil").exists()


# -- item 2: reruns ------------------------------------------------------------------------
def _cli_run(out: Path, *extra: str) -> int:
    return main(["run", "bandits/default", "--out", str(out), "--no-progress", *extra, *sum((["--set", s] for s in QUICK), [])])


def test_interrupted_rerun_keeps_the_complete_run(tmp_path, monkeypatch, capsys):
    assert _cli_run(tmp_path) == 0
    (run_dir,) = (tmp_path / "bandits-default").iterdir()
    before = {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()}
    figs = sorted(p.name for p in (run_dir / "figures").iterdir())
    from mechsim.bandits import protocol

    calls = {"n": 0}
    real = protocol.RegretAccumulator.add

    def add(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 100:
            raise KeyboardInterrupt
        return real(self, *a, **k)

    monkeypatch.setattr(protocol.RegretAccumulator, "add", add)
    assert _cli_run(tmp_path, "--force") == 130
    after = {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()}
    assert after == before and sorted(p.name for p in (run_dir / "figures").iterdir()) == figs
    partial = run_dir.with_name(run_dir.name + ".partial")
    assert not Results.load(partial).complete
    assert not [p for p in (tmp_path / "bandits-default").iterdir() if p.name.startswith(".")]


def test_identical_complete_run_is_reused_and_said_so(tmp_path, capsys):
    assert _cli_run(tmp_path) == 0
    capsys.readouterr()
    assert _cli_run(tmp_path) == 0
    out = capsys.readouterr().out
    assert "reusing" in out and "identical, complete run" in out and "pseudo_regret" in out
    # an edited table is not reused
    (run_dir,) = (tmp_path / "bandits-default").iterdir()
    with open(run_dir / "rounds.csv", "a") as fh:
        fh.write("ucb1,0,1,0.0,0.0\n")
    assert find_complete_run(tmp_path, load_scenario("bandits/default", QUICK)) is None
    assert _cli_run(tmp_path) == 0
    assert "wrote" in capsys.readouterr().out


def test_files_get_normal_permissions(tmp_path):
    path = mechsim.run("bandits/default", overrides=QUICK).write(tmp_path, plot=False)
    mask = os.umask(0)
    os.umask(mask)
    for f in ("rounds.csv", "summary.json", "manifest.json", "scenario.toml"):
        assert (path / f).stat().st_mode & 0o777 == 0o666 & ~mask


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_writes_the_finished_part_like_ctrl_c(tmp_path):
    """A real SIGTERM to `mechsim run`: exit 130 and a .partial folder, as for Ctrl-C."""
    code = (
        "import sys, os, signal\n"
        "from mechsim.bandits import protocol\n"
        "real = protocol.RegretAccumulator.add\n"
        "n = {'n': 0}\n"
        "def add(self, *a, **k):\n"
        "    n['n'] += 1\n"
        "    if n['n'] == 50: os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return real(self, *a, **k)\n"
        "protocol.RegretAccumulator.add = add\n"
        "from mechsim.cli import main\n"
        f"sys.exit(main(['run', 'bandits/default', '--out', {str(tmp_path)!r}, '--no-progress', "
        + ", ".join(f"'--set', {s!r}" for s in QUICK)
        + "]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 130, proc.stderr
    (run_dir,) = (tmp_path / "bandits-default").iterdir()
    assert run_dir.name.endswith(".partial")
    assert json.loads((run_dir / "manifest.json").read_text())["complete"] is False


def test_write_into_a_foreign_folder_is_refused(tmp_path):
    from mechsim.errors import ResultsError

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    res = mechsim.run("bandits/default", overrides=QUICK)
    with pytest.raises(ResultsError, match="holds no mechsim results"):
        res.write(folder=mine, plot=False)
    assert (mine / "thesis.tex").read_text() == "precious"


def test_stale_half_written_folders_are_cleaned(tmp_path):
    res = mechsim.run("bandits/default", overrides=QUICK)
    target = res.target(tmp_path)
    target.parent.mkdir(parents=True)
    stale = target.parent / f".{target.name}.writing-999999999"
    stale.mkdir()
    res.write(tmp_path, plot=False)
    assert not stale.exists()
