"""Time-aware fair rewards for parties that join a data-sharing collaboration late.

Chen et al., "Incentivizing Time-Aware Fairness in Data Sharing" (NeurIPS 2025):
reward schemes (:mod:`mechsim.timeaware.mechanisms`: plain Shapley, time-aware reward
cumulation with and without the standalone fallback, time-aware data valuation, the
naive divide-by-join-time rule), their closed forms over Harsanyi dividends
(:mod:`mechsim.timeaware.schemes`), the F1-F8 checker
(:mod:`mechsim.timeaware.conditions`), model rewards by likelihood tempering and
subset selection (:mod:`mechsim.timeaware.rewards`) and parties joining in SimPy
time (:mod:`mechsim.timeaware.protocol`). Valuations live in :mod:`mechsim.valuation`.
"""

from __future__ import annotations

from mechsim.timeaware import audit, family, mechanisms  # noqa: F401  (registers the family, components and audit builder)
from mechsim.timeaware.conditions import ConditionReport, check_conditions
from mechsim.timeaware.mechanisms import (
    LiteralRewardCumulation,
    NaiveTimeDivision,
    RewardCumulation,
    ShapleyReward,
    TimeAwareValuation,
)

__all__ = [
    "ShapleyReward",
    "RewardCumulation",
    "LiteralRewardCumulation",
    "TimeAwareValuation",
    "NaiveTimeDivision",
    "check_conditions",
    "ConditionReport",
]
