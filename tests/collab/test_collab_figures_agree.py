"""Issue 13, item 8: the collab figures pool the replications as summary.json does, and say so."""

from __future__ import annotations

import numpy as np
import pytest

import mechsim


def test_fairness_figure_shows_the_summary_correlation(tiny_path, tmp_path, monkeypatch):
    res = mechsim.run(tiny_path, overrides=["scenario.n_replications=3"])
    from mechsim.collab import plots

    texts = []
    real_text = plots.figure

    def spy_figure(*a, **k):
        fig, ax = real_text(*a, **k)
        orig = ax.text

        def text(x, y, s, *aa, **kk):
            texts.append(s)
            return orig(x, y, s, *aa, **kk)

        ax.text = text
        return fig, ax

    monkeypatch.setattr(plots, "figure", spy_figure)
    label = "cgsv"
    plots.plot_contribution_vs_reward(res.tables, tmp_path / "f.png", mechanism=label)
    plots.plot_node_performance(res.tables["rounds"], tmp_path / "p.png", mechanism=label)
    want = res.summary["variants"][label]["fairness_pearson"]["mean"] if "variants" in res.summary else None
    if want is None:
        block = next(v for k, v in res.summary.items() if isinstance(v, dict) and label in v)
        want = block[label]["fairness_pearson"]["mean"]
    fair_text = next(t for t in texts if t.startswith("Pearson"))
    assert f"Pearson {want:.2f}" in fair_text and "mean of 3 replications" in fair_text
    assert any("mean over 3 replications (band: 95% CI)" in t for t in texts)
