"""Issue 13, item 7: confidence intervals stay inside the statistic's range; n too small is said; NaN is null."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from mechsim.core.results import jsonable
from mechsim.metrics import bound_summary, ci_dict, correlation_ci, kind_of


def test_correlation_ci_uses_fisher_z_and_stays_in_range():
    r = np.array([0.95, -0.9])  # a t interval on two values would be about [-7, 6.5]
    naive = stats.t.ppf(0.975, 1) * r.std(ddof=1) / math.sqrt(2)
    assert naive > 5
    mean, lo, hi = correlation_ci(r)
    assert -1 <= lo <= mean <= hi <= 1
    # against an independent computation: t interval of atanh(r), mapped back
    z = np.arctanh(r)
    half = stats.t.ppf(0.975, 1) * z.std(ddof=1) / math.sqrt(2)
    assert lo == pytest.approx(max(-1.0, min(np.tanh(z.mean() - half), mean)))
    assert hi == pytest.approx(np.tanh(z.mean() + half))


def test_proportions_are_clipped_to_0_1():
    acc = np.array([0.99, 1.0, 0.97])
    d = ci_dict(acc, kind="proportion")
    assert 0 <= d["ci_low"] <= d["mean"] <= d["ci_high"] <= 1.0
    assert d["ci_method"].startswith("t, clipped")


def test_n_too_small_is_said_and_json_null():
    d = ci_dict(np.array([0.3]))
    assert math.isnan(d["ci_low"]) and "at least 2" in d["n_too_small"]
    text = json.dumps(jsonable({"x": d, "y": float("nan"), "z": [float("inf")]}))
    assert '"ci_low": null' in text and '"y": null' in text and '"z": [null]' in text and "NaN" not in text


@pytest.mark.parametrize(
    "name,kind",
    [("fairness_pearson", "correlation"), ("quality_spearman", "correlation"), ("accuracy", "proportion"),
     ("ir_rate", "proportion"), ("final_jain", "proportion"), ("final_gini", "proportion"), ("pseudo_regret", "mean"),
     ("regret_per_round", "mean"), ("gap_peak", "nonnegative"), ("final_std", "nonnegative"), ("realised_regret", "mean")],
)
def test_kind_of_metric_names(name, kind):
    assert kind_of(name) == kind


def test_bound_summary_clips_by_name_and_marks_small_n():
    s = {"variants": {"a": {
        "fairness_pearson": {"mean": 0.1, "ci_low": -7.0, "ci_high": 6.5, "std": 0.9, "n": 2},
        "accuracy": {"mean": 0.9, "ci_low": 0.6, "ci_high": 1.2, "std": 0.1, "n": 3},
        "regret": {"mean": 5.0, "ci_low": -3.0, "ci_high": 13.0, "std": 1.0, "n": 3},
        "one": {"mean": 5.0, "ci_low": 5.0, "ci_high": 5.0, "std": 0.0, "n": 1},
    }}}
    out = bound_summary(s)["variants"]["a"]
    assert (out["fairness_pearson"]["ci_low"], out["fairness_pearson"]["ci_high"]) == (-1.0, 1.0)
    assert out["accuracy"]["ci_high"] == 1.0
    assert (out["regret"]["ci_low"], out["regret"]["ci_high"]) == (-3.0, 13.0)
    assert math.isnan(out["one"]["ci_low"]) and "n_too_small" in out["one"]
