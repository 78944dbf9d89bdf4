"""Click-bandit learners: UCB-S, the incentive-unaware UCB and the (s, mu)-oracle."""

from __future__ import annotations

from mechsim.clickbandit.learners.base import ClickLearner, Truth
from mechsim.clickbandit.learners.oracle import Oracle
from mechsim.clickbandit.learners.ucb import IncentiveUnawareUCB
from mechsim.clickbandit.learners.ucbs import UCBS

__all__ = ["ClickLearner", "Truth", "UCBS", "IncentiveUnawareUCB", "Oracle"]
