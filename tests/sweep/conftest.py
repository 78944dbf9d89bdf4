"""Fixtures of the sweep tests: a tiny bandit scenario, the grid, cell-file listing, a sweep subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[2]

GRID = ["policies.ucb.alpha=0.5,2", "environment.means=[0.9,0.8,0.5];[0.6,0.5,0.4]"]


def write_scenario(folder: Path, *, horizon: int = 200, replications: int = 5, name: str = "tiny") -> Path:
    """A tiny two-policy Bernoulli bandit scenario file."""
    path = folder / f"{name}.toml"
    path.write_text(
        textwrap.dedent(
            f"""\
            [scenario]
            name = "{name}"
            family = "bandits"
            seed = 10
            n_replications = {replications}
            n_rounds = {horizon}
            checkpoints = 10

            [environment]
            id = "bandits/bernoulli-v1"
            means = [0.9, 0.8, 0.5]

            [policies.ucb]
            id = "bandits/ucb1-v1"

            [policies.cautious]
            id = "bandits/ucb1-v1"
            alpha = 0.1
            """
        ),
        encoding="utf-8",
    )
    return path


def cell_files(out: Path) -> list[Path]:
    cells = out / "cells"
    return sorted(p for p in cells.glob("c*-s*.json")) if cells.is_dir() else []


SCRIPT = """\
import sys
from mechsim.sweep import run_sweep, SweepInterrupted
scenario, out, grid, seeds = sys.argv[1], sys.argv[2], sys.argv[3].split("|"), int(sys.argv[4])
try:
    r = run_sweep(scenario, grid, seeds=seeds, workers=2, out=out, progress=False, plot=False)
except SweepInterrupted as exc:
    print(exc, file=sys.stderr)
    sys.exit(130)
print(r.describe())
"""


def start_sweep_process(scenario: Path, out: Path, grid: list[str], seeds: int) -> subprocess.Popen:
    """Run a 2-worker sweep in a child process of its own session (so it can be cleaned up as a group)."""
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(scenario), str(out), "|".join(grid), str(seeds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    return write_scenario(tmp_path_factory.mktemp("scn"))


@pytest.fixture
def grid() -> list[str]:
    return list(GRID)


@pytest.fixture(scope="session")
def sweep_helpers():
    """The helper functions, for tests that need more than the fixtures."""
    return SimpleNamespace(
        write_scenario=write_scenario, cell_files=cell_files, start_sweep_process=start_sweep_process
    )
