"""Real interruptions of a 2-worker sweep in a child process: SIGINT (Ctrl-C) and SIGKILL."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from mechsim.sweep import load_sweep, run_sweep

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

SLOW_GRID = ["policies.ucb.alpha=0.5,1,2,4"]
SEEDS = 5  # 20 runs of ~0.05-0.1 s each: the child is still busy when we interrupt it


def _wait_for_cells(proc, out: Path, cell_files, n: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while len(cell_files(out)) < n:
        if proc.poll() is not None:
            pytest.fail(f"the sweep process exited early (rc {proc.returncode}): {proc.communicate()[1][-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {n} finished cells after {timeout} s")
        time.sleep(0.02)


def _group_alive(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group (Linux /proc)."""
    alive = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(d.name))
    return alive


def _cleanup(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the child's own session: it and its workers only
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def slow_scenario(tmp_path_factory, sweep_helpers):
    return sweep_helpers.write_scenario(tmp_path_factory.mktemp("slow"), horizon=3000, replications=80, name="slow")


@pytest.fixture(scope="module")
def slow_reference(slow_scenario, tmp_path_factory):
    out = tmp_path_factory.mktemp("slowref") / "out"
    return run_sweep(slow_scenario, SLOW_GRID, seeds=SEEDS, out=out, workers=2, progress=False, plot=False)


def test_sigint_keeps_finished_cells_and_says_how_to_resume(slow_scenario, tmp_path, sweep_helpers):
    out = tmp_path / "out"
    proc = sweep_helpers.start_sweep_process(slow_scenario, out, SLOW_GRID, SEEDS)
    try:
        _wait_for_cells(proc, out, sweep_helpers.cell_files, 2)
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends (here to the parent only)
        t0 = time.monotonic()
        _, err = proc.communicate(timeout=30)
        stopped_in = time.monotonic() - t0
    finally:
        _cleanup(proc)
    assert proc.returncode == 130, err
    m = re.search(r"sweep interrupted: (\d+) of 20 cells finished; rerun the same command to resume", err)
    assert m, err
    n = int(m.group(1))
    assert 2 <= n < 20
    assert len(sweep_helpers.cell_files(out)) == n
    assert len(load_sweep(out, partial=True)) == n
    assert stopped_in < 10  # running cells are stopped, not waited for
    if sys.platform.startswith("linux"):
        assert _group_alive(proc.pid) == []


def test_sigkill_loses_nothing_finished_and_resume_runs_the_rest(
    slow_scenario, slow_reference, tmp_path, sweep_helpers
):
    out = tmp_path / "out"
    proc = sweep_helpers.start_sweep_process(slow_scenario, out, SLOW_GRID, SEEDS)
    try:
        _wait_for_cells(proc, out, sweep_helpers.cell_files, 2)
        proc.kill()  # SIGKILL to the sweep's parent process only
        proc.wait(timeout=10)
        if sys.platform.startswith("linux"):  # its workers follow it (PR_SET_PDEATHSIG)
            deadline = time.monotonic() + 10
            while _group_alive(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _group_alive(proc.pid) == []
    finally:
        _cleanup(proc)
    n_done = len(sweep_helpers.cell_files(out))
    assert 2 <= n_done < 20, "the sweep should have been killed mid-way"
    res = run_sweep(slow_scenario, SLOW_GRID, seeds=SEEDS, out=out, workers=2, progress=False, plot=False)
    assert (res.n_skipped, res.n_run, res.complete) == (n_done, 20 - n_done, True)
    assert res.table == slow_reference.table
    assert load_sweep(out) == slow_reference.table
    assert not list((out / "cells").glob(".*.tmp"))
