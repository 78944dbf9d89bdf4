"""The Ray backend gives the local backend's table (skipped, with a reason, without Ray)."""

from __future__ import annotations

import shutil
import tempfile
import time

import pytest

pytestmark = [pytest.mark.ray, pytest.mark.filterwarnings("ignore:Tip. In future versions of Ray:FutureWarning")]
ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'mechsim[ray]'")

from mechsim.sweep import load_sweep, run_sweep  # noqa: E402


@pytest.fixture(scope="module")
def ray_session():
    """One local Ray (2 CPUs) for the module, shut down at the end."""
    if ray.is_initialized():  # pragma: no cover - someone else's Ray
        pytest.skip("Ray is already initialised in this process")
    tmp = tempfile.mkdtemp(prefix="ray")  # short: Ray's socket paths must stay < 108 bytes
    t0 = time.monotonic()
    ray.init(address="local", num_cpus=2, include_dashboard=False, _temp_dir=tmp)
    print(f"ray.init took {time.monotonic() - t0:.1f} s")
    yield ray
    ray.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)


def test_ray_backend_matches_local(ray_session, scenario, grid, tmp_path):
    local = run_sweep(scenario, grid, seeds=2, out=tmp_path / "local", workers=2, progress=False, plot=False)
    t0 = time.monotonic()
    remote = run_sweep(scenario, grid, seeds=2, out=tmp_path / "ray", backend="ray", workers=2, progress=False)
    print(f"ray sweep of {remote.n_total} runs took {time.monotonic() - t0:.2f} s")
    assert remote.complete and (remote.n_run, remote.n_skipped) == (8, 0)
    assert remote.table == local.table
    assert (tmp_path / "ray" / "sweep.csv").read_text() == (tmp_path / "local" / "sweep.csv").read_text()
    assert load_sweep(tmp_path / "ray") == local.table
    assert ray_session.is_initialized()  # an existing Ray is used, not shut down

    # resume on Ray: only the missing runs go to the cluster
    for f in sorted((tmp_path / "ray" / "cells").glob("c*.json"))[::2]:
        f.unlink()
    again = run_sweep(scenario, grid, seeds=2, out=tmp_path / "ray", backend="ray", progress=False, plot=False)
    assert (again.n_run, again.n_skipped) == (4, 4)
    assert again.table == local.table


def test_ray_task_error_is_unwrapped(ray_session):
    """An error inside a Ray task reaches the sweep as the user's own exception type."""
    from mechsim.errors import ScenarioError
    from mechsim.sweep.backends import CellFailed, execute

    bad = {"cell": 0, "seed_index": 0, "params": [], "scenario": {"scenario": {"name": "x", "family": "nope"}}, "file": None}
    got = []
    with pytest.raises(CellFailed) as info:
        execute("ray", [bad], workers=2, on_result=got.append)
    assert isinstance(info.value.error, ScenarioError)
    assert "unknown scenario family 'nope'" in str(info.value.error)
    assert info.value.task is bad and got == []
