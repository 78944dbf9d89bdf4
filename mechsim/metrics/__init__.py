"""Metrics shared by every family, computed from results."""

from __future__ import annotations

from mechsim.metrics.equality import coefficient_of_variation, equality_report, gini, jain, max_min_gap, std
from mechsim.metrics.fairness import fairness_report, pearson, spearman
from mechsim.metrics.summary import bound_summary, ci_dict, correlation_ci, kind_of, mean_ci

__all__ = [
    "mean_ci",
    "ci_dict",
    "correlation_ci",
    "kind_of",
    "bound_summary",
    "pearson",
    "spearman",
    "fairness_report",
    "max_min_gap",
    "std",
    "coefficient_of_variation",
    "gini",
    "jain",
    "equality_report",
]
