"""Metrics shared by every family, computed from results."""

from __future__ import annotations

from mechsim.metrics.summary import ci_dict, mean_ci

__all__ = ["mean_ci", "ci_dict"]
