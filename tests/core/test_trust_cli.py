"""Issue 13, items 9, 12, 13: grouped summary, plot on scenario and sweep folders, compare, report, logging."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mechsim.cli import main

QUICK = ["scenario.n_replications=4", "scenario.n_rounds=200", "scenario.checkpoints=8"]
SETS = sum((["--set", s] for s in QUICK), [])
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    assert main(["run", "bandits/default", "--out", str(out), "--no-progress", *SETS]) == 0
    assert main(["run", "bandits/default", "--out", str(out), "--no-progress", "--seed", "5", *SETS]) == 0
    return out, sorted((out / "bandits-default").iterdir())


def test_summary_is_a_grouped_table_with_cis(tmp_path, capsys):
    assert main(["run", "bandits/default", "--out", str(tmp_path), "--no-progress", "--no-plot", "--set", "scenario.n_replications=1",
                 "--set", "scenario.n_rounds=100", "--set", "scenario.checkpoints=5"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("metric"))
    assert header.split()[-5:] == ["ucb1", "thompson", "epsilon_greedy", "explore_first", "successive_elimination"]
    assert re.search(r"^pseudo_regret\s+\S+ \(n<2\)", out, re.M)  # one replication: no CI, and it says so
    assert "(n<2): one replication, no confidence interval" in out


def test_plot_on_a_scenario_folder_uses_the_latest_run(two_runs, capsys):
    out, runs = two_runs
    assert main(["plot", str(out / "bandits-default")]) == 0
    text = capsys.readouterr()
    latest = max(runs, key=lambda d: (d / "manifest.json").stat().st_mtime_ns)
    assert f"wrote {latest / 'figures'}" in text.out and "plotting the latest complete one" in text.err


def test_plot_on_a_sweep_folder(tmp_path, capsys):
    out = tmp_path / "sw"
    assert main(["sweep", "bandits/default", "--out", str(out), "--no-plot", "--no-progress", "--grid", "policies.ucb1.alpha=0.5,2", *SETS]) == 0
    assert not (out / "figures").exists()
    assert main(["plot", str(out)]) == 0
    assert list((out / "figures").glob("*.png"))


def test_compare_puts_runs_side_by_side(two_runs, tmp_path, capsys):
    _, runs = two_runs
    assert main(["compare", *map(str, runs), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("metric"))
    for r in runs:
        assert f"bandits-default@{r.name}:ucb1" in header
    assert (tmp_path / "compare.png").stat().st_size > 1000


def test_report_is_one_self_contained_page(two_runs, capsys):
    _, runs = two_runs
    assert main(["report", str(runs[0])]) == 0
    page = (runs[0] / "report.html").read_text()
    assert "data:image/png;base64," in page and 'id="summary-table"' in page
    assert not re.search(r"""(src|href)=["'](?!data:)""", page)  # nothing outside the file


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.skipif(_chromium() is None, reason="no Chromium on this machine (.ci/run installs the system package where it can)")
def test_report_loads_in_headless_chromium(two_runs, tmp_path):
    _, runs = two_runs
    assert main(["report", str(runs[0]), "-o", str(tmp_path / "r.html")]) == 0
    n_figs = len(list((runs[0] / "figures").glob("*.png")))
    proc = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=10000", "--dump-dom", (tmp_path / "r.html").as_uri()],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert f'data-figures-loaded="{n_figs}"' in dom and f'data-figures="{n_figs}"' in dom and n_figs > 0
    assert "pseudo_regret" in dom


def test_quiet_and_verbose(tmp_path):
    def run(*flags, extra=()):
        return subprocess.run(
            [sys.executable, "-m", "mechsim.cli", *flags, "run", "bandits/default", "--out", str(tmp_path), "--no-plot", "--no-progress",
             *extra, *SETS],
            capture_output=True, text=True, cwd=ROOT, timeout=300,
        )

    first = run()
    assert first.returncode == 0
    again = run()  # reused: an INFO message on stderr
    assert "reusing" in again.stderr
    quiet = run("-q")
    assert quiet.returncode == 0 and quiet.stderr == ""
    verbose = run("-v", extra=["--force"])
    assert verbose.returncode == 0 and "mechsim DEBUG: running bandits-default" in verbose.stderr


def test_third_party_warnings_stay_out_by_default():
    import logging
    import warnings

    from mechsim.cli import configure_logging

    configure_logging(0, False)
    assert logging.getLogger("ray").getEffectiveLevel() == logging.ERROR
    assert logging.getLogger("flwr").getEffectiveLevel() == logging.ERROR
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("default")
        configure_logging(0, False)  # installs the module filters again, after simplefilter
        warnings.warn_explicit("noise", UserWarning, "x.py", 1, module="flwr.common")
    assert not got
    configure_logging(1, False)
    assert logging.getLogger("flwr").getEffectiveLevel() == logging.INFO


def test_plot_on_a_damaged_sweep_folder_exits_2(tmp_path, capsys):
    import json

    out = tmp_path / "sw"
    assert main(["sweep", "bandits/default", "--out", str(out), "--no-plot", "--no-progress", *SETS]) == 0
    m = json.loads((out / "sweep.json").read_text())
    m["grid"] = [{"oops": 1}]
    m["complete"] = False
    (out / "sweep.json").write_text(json.dumps(m))
    capsys.readouterr()
    assert main(["plot", str(out)]) == 2
    assert "Traceback" not in capsys.readouterr().err
