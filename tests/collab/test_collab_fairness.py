"""What the mechanisms must show on the shipped label-noise scenario (quick instance, see conftest.QUICK).

FAIR-EQUAL: fairness >= 0.8 and a max-min gap that closes; CGSV: less fair, or a gap
that stays; FedAvg: zero gap and undefined fairness; the estimated contributions
rank nodes by their injected noise. Checked from the tables with independent
numpy/scipy code, not only through the family's own summary.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mechsim.collab.analysis import node_matrix


def _run(results, label):
    rounds, nodes = results.tables["rounds"], results.tables["nodes"]
    perf = node_matrix(rounds, "perf", label, 0)
    nd = nodes.where(variant=label, replication=0)
    order = np.argsort(nd["node"])
    return perf, nd["score"][order], nd["noise"][order]


def _gaps(perf):
    return np.nanmax(perf, axis=1) - np.nanmin(perf, axis=1)


def test_fair_equal_is_fair_and_its_gap_closes(quick_results):
    perf, score, noise = _run(quick_results, "fair_equal")
    reward = perf.mean(axis=0)
    assert stats.pearsonr(score, reward)[0] >= 0.8
    summary = quick_results.summary["variants"]["fair_equal"]
    assert summary["fairness_pearson"]["mean"] == pytest.approx(stats.pearsonr(score, reward)[0])
    assert summary["fairness_spearman"]["mean"] == pytest.approx(stats.spearmanr(score, reward)[0])
    gaps = _gaps(perf)
    stage = quick_results.tables["server"].where(variant="fair_equal")["stage"]
    t1 = int(np.sum(stage == 1))
    assert 15 < t1 < 100
    assert np.all(gaps[:t1] == 0)  # exploration: every node holds the global model
    w = len(gaps) // 10
    peak = max(gaps[i : i + w].mean() for i in range(t1, len(gaps) - w + 1))
    last = gaps[-w:].mean()
    assert peak > 0.01 and last < 0.25 * peak
    assert last < 0.01


def test_contributions_rank_nodes_by_data_quality(quick_results):
    _, score, noise = _run(quick_results, "fair_equal")
    assert stats.pearsonr(score, noise)[0] < -0.8
    assert stats.spearmanr(score, noise)[0] < -0.8
    assert quick_results.summary["variants"]["fair_equal"]["contribution_noise_pearson"]["mean"] < -0.8


def test_cgsv_is_less_fair_and_its_gap_stays(quick_results):
    perf_fe, score_fe, _ = _run(quick_results, "fair_equal")
    perf_cg, score_cg, _ = _run(quick_results, "cgsv")
    fair_fe = stats.pearsonr(score_fe, perf_fe.mean(axis=0))[0]
    fair_cg = stats.pearsonr(score_cg, perf_cg.mean(axis=0))[0]
    w = len(perf_cg) // 10
    last_cg, last_fe = _gaps(perf_cg)[-w:].mean(), _gaps(perf_fe)[-w:].mean()
    assert fair_cg < fair_fe
    assert last_cg > 3 * last_fe and last_cg > 0.01
    # CGSV never resyncs a node: the rich get richer, the gap does not close
    assert quick_results.summary["variants"]["cgsv"]["gap_last"]["mean"] > 0.5 * quick_results.summary["variants"]["cgsv"]["gap_peak"]["mean"]


def test_fedavg_is_equal_but_has_no_fairness(quick_results):
    perf, score, _ = _run(quick_results, "fedavg")
    assert np.all(_gaps(perf) == 0.0)
    assert np.all(np.isnan(score))
    m = quick_results.summary["variants"]["fedavg"]
    assert np.isnan(m["fairness_pearson"]["mean"]) and np.isnan(m["fairness_quality_pearson"]["mean"])
    assert m["fairness_defined"] is False
    assert m["gap_last"]["mean"] == 0.0 and m["final_jain"]["mean"] == 1.0 and m["final_gini"]["mean"] == 0.0


def test_all_mechanisms_learn(quick_results):
    server = quick_results.tables["server"]
    for label in ("fedavg", "cgsv", "fair_equal"):
        s = server.where(variant=label)["server_perf"]
        assert s[-10:].mean() > s[:3].mean() + 0.15
