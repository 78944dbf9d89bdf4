"""Issue 13, item 3: byte-stable sweep tables, one runner per folder, checksummed cell files."""

from __future__ import annotations

import json
import multiprocessing
import os

import pytest

from mechsim.errors import ResultsError, SweepError
from mechsim.sweep import load_sweep, run_sweep
from mechsim.sweep.store import SweepFolder

GRID = ["policies.ucb.alpha=0.5,2"]


def _cells(out):
    return sorted((out / "cells").glob("c*-s*.json"))


def test_resumed_sweep_table_is_byte_identical(scenario, tmp_path):
    ref = run_sweep(scenario, GRID, seeds=2, out=tmp_path / "ref", progress=False, plot=False)
    out = tmp_path / "out"
    run_sweep(scenario, GRID, seeds=2, out=out, progress=False, plot=False)
    for f in _cells(out)[1::2]:  # (cell 0, seed 0) comes from disk, the rest are recomputed
        f.unlink()
    (out / "sweep.csv").unlink()
    run_sweep(scenario, GRID, seeds=2, out=out, progress=False, plot=False)
    assert (out / "sweep.csv").read_bytes() == ref.table_path.read_bytes()
    assert (out / "sweep.parquet").is_file()


def test_edited_cell_file_is_detected_and_rerun(scenario, tmp_path):
    out = tmp_path / "out"
    ref = run_sweep(scenario, GRID, seeds=2, out=out, progress=False, plot=False)
    f = _cells(out)[0]
    rec = json.loads(f.read_text())
    key = next(iter(rec["metrics"]))
    rec["metrics"][key] = 0.0  # a "better" result typed in by hand
    f.write_text(json.dumps(rec))
    (out / "sweep.csv").unlink()
    with pytest.warns(UserWarning, match="checksum does not match"):
        res = run_sweep(scenario, GRID, seeds=2, out=out, progress=False, plot=False)
    assert res.n_run == 1 and res.table == ref.table


def test_edited_sweep_table_is_detected(scenario, tmp_path):
    out = tmp_path / "out"
    run_sweep(scenario, GRID, seeds=1, out=out, progress=False, plot=False)
    text = (out / "sweep.csv").read_text().splitlines()
    (out / "sweep.csv").write_text("\n".join(text[:-1]) + "\n")
    with pytest.raises(ResultsError, match="changed after the sweep finished"):
        load_sweep(out)


def _hold_lock(path, ready, release):
    with SweepFolder(path).lock():
        ready.set()
        release.wait(30)


def test_a_second_runner_into_the_same_folder_is_refused(scenario, tmp_path):
    out = tmp_path / "out"
    ctx = multiprocessing.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(out, ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(SweepError, match=rf"another sweep \(pid {holder.pid}\) is running into"):
            run_sweep(scenario, GRID, seeds=1, out=out, progress=False, plot=False)
        assert not _cells(out)
    finally:
        release.set()
        holder.join(30)
    res = run_sweep(scenario, GRID, seeds=1, out=out, progress=False, plot=False)  # the lock died with its holder
    assert res.complete and json.loads((out / "sweep.json").read_text())["seeds"] == 1


def test_nan_metrics_are_json_null_in_cell_files(scenario, tmp_path):
    out = tmp_path / "out"
    run_sweep(scenario, GRID, seeds=1, out=out, progress=False, plot=False)
    text = _cells(out)[0].read_text()
    assert '"nan"' not in text and "NaN" not in text
