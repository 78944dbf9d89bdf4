"""Shared pytest fixtures (kept minimal; families add their own in their test folders)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    """An empty folder to write results into, removed with the test's tmp_path."""
    path = tmp_path / "results"
    path.mkdir()
    return path
