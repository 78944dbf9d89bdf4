"""Sweeps: one scenario over a grid of settings and seeds, resumable, on local processes or Ray.

>>> from mechsim.sweep import run_sweep, load_sweep
>>> res = run_sweep("bandits/default", ["policies.ucb1.alpha=0.5,1,2"], seeds=5, workers=2,
...                 overrides=["scenario.n_rounds=2000"])          # doctest: +SKIP
>>> res.table, res.path / "sweep.csv"                               # doctest: +SKIP

See :func:`run_sweep` for the grid syntax and the folder layout in :mod:`mechsim.sweep.store`.
"""

from __future__ import annotations

from mechsim.sweep.backends import BACKENDS
from mechsim.sweep.grid import Cell, GridAxis, parse_grid
from mechsim.sweep.runner import SweepInterrupted, SweepResult, default_out, load_sweep, run_sweep

__all__ = [
    "run_sweep",
    "load_sweep",
    "SweepResult",
    "SweepInterrupted",
    "parse_grid",
    "GridAxis",
    "Cell",
    "BACKENDS",
    "default_out",
]
