"""Sweep figures from a synthetic table: groups, curves (mean and CI over seeds), files."""

from __future__ import annotations

import numpy as np
import pytest

from mechsim.core.table import Table
from mechsim.metrics import mean_ci
from mechsim.plots.sweep import metric_groups, plot_sweep, sweep_curves

PNG = b"\x89PNG\r\n\x1a\n"


def synthetic() -> Table:
    rows = []
    for alpha in (0.1, 1.0, 10.0):
        for env in ("easy", "hard"):
            for seed in (1, 2, 3, 4):
                base = alpha * (2 if env == "hard" else 1)
                rows.append((alpha, env, seed, base + seed, base * 3 + seed, 0.5 * seed))
    cols = list(zip(*rows))
    schema = {"a.alpha": "float", "env.kind": "str", "seed": "int",
              "ucb.pseudo_regret": "float", "ts.pseudo_regret": "float", "welfare": "float"}
    return Table(schema, dict(zip(schema, cols)))


def test_metric_groups():
    assert metric_groups(["ucb.pseudo_regret", "ts.pseudo_regret", "ucb.realised_regret", "welfare"]) == {
        "pseudo_regret": [("ucb", "ucb.pseudo_regret"), ("ts", "ts.pseudo_regret")],
        "realised_regret": [("ucb", "ucb.realised_regret")],
        "welfare": [("", "welfare")],
    }


def test_sweep_curves_mean_and_ci_over_seeds():
    t = synthetic()
    curves = sweep_curves(t, "ucb.pseudo_regret", "a.alpha", ["env.kind"])
    assert [c["by"] for c in curves] == [{"env.kind": "easy"}, {"env.kind": "hard"}]
    hard = curves[1]
    assert hard["x"] == [0.1, 1.0, 10.0]
    vals = np.array([20.0 + s for s in (1, 2, 3, 4)])
    m, lo, hi = mean_ci(vals)
    assert hard["mean"][2] == pytest.approx(m) and hard["low"][2] == pytest.approx(lo) and hard["high"][2] == pytest.approx(hi)
    assert list(hard["n"]) == [4, 4, 4]


@pytest.mark.parametrize("keys", [["a.alpha", "env.kind"], ["env.kind", "a.alpha"], []])
def test_plot_sweep_writes_one_png_per_group(tmp_path, keys):
    t = synthetic()
    if not keys:  # a seed sweep: no grid columns
        t = t.where(**{"a.alpha": 1.0, "env.kind": "easy"})
        t = Table({k: v for k, v in t.schema.items() if k not in ("a.alpha", "env.kind")},
                  {k: t[k] for k in t.schema if k not in ("a.alpha", "env.kind")})
    paths = plot_sweep(t, keys, tmp_path / "figs", title="synthetic")
    assert sorted(p.name for p in paths) == ["pseudo_regret.png", "welfare.png"]
    for p in paths:
        assert p.read_bytes()[:8] == PNG and p.stat().st_size > 5000
