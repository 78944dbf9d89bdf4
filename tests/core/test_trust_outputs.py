"""Issue 13, items 10-11: Parquet beside CSV, to_pandas, a readable preview, a manifest that says how the run was made."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import mechsim
from mechsim.core.table import Table

QUICK = ["scenario.n_replications=4", "scenario.n_rounds=200", "scenario.checkpoints=8"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    res = mechsim.run("bandits/default", overrides=QUICK)
    return res, res.write(tmp_path_factory.mktemp("out"), plot=False)


def test_parquet_beside_csv_round_trips(written):
    res, path = written
    assert (path / "rounds.csv").is_file() and (path / "rounds.parquet").is_file()
    assert Table.from_parquet(path / "rounds.parquet") == res.tables["rounds"]
    import pyarrow.parquet as pq

    assert pq.read_table(path / "rounds.parquet").num_rows == len(res.tables["rounds"])


def test_to_pandas_works(written):
    res, _ = written
    df = res.tables["rounds"].to_pandas()
    assert list(df.columns) == list(res.tables["rounds"].schema) and len(df) == len(res.tables["rounds"])
    assert str(df["t"].dtype) == "int64"


def test_printed_table_is_a_readable_preview(written):
    res, _ = written
    text = str(res.tables["rounds"])
    lines = text.splitlines()
    assert lines[0].split() == list(res.tables["rounds"].schema)
    assert lines[-1] == f"[{len(res.tables['rounds'])} rows x 5 columns]" and "..." in text and len(lines) <= 11


def test_manifest_records_how_the_run_was_made(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "mechsim.cli", "run", "bandits/default", "--out", str(tmp_path), "--no-plot", "--no-progress",
         *sum((["--set", s] for s in QUICK), [])],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = (tmp_path / "bandits-default").iterdir()
    m = json.loads((run_dir / "manifest.json").read_text())
    assert m["command"][:3] == ["mechsim", "run", "bandits/default"]
    assert {"mechsim", "numpy", "scipy", "simpy"} <= set(m["versions"])
    assert m["wall_time_s"] > 0 and m["host"]["cpu_count"] >= 1 and m["host"]["cpu"]
    assert "gpu" in m["host"] and "git_commit" in m
    assert set(m["files"]) >= {"rounds.csv", "rounds.parquet", "summary.json", "scenario.toml"}


def test_versions_list_every_tracked_package_the_run_imported():
    from mechsim.core.results import versions

    pytest.importorskip("cvxpy")
    import cvxpy  # noqa: F401

    assert "cvxpy" in versions(used_only=True) and "cvxpy" not in versions()
