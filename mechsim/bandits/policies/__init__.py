"""Textbook bandit policies (Slivkins, *Introduction to Multi-Armed Bandits*).

All are vectorised over replications (state arrays of shape (R, K), or (R, d, d) for
LinUCB) and draw randomness only from the generator given to ``reset``.
"""

from __future__ import annotations

from mechsim.bandits.policies.elimination import SuccessiveElimination
from mechsim.bandits.policies.epsilon_greedy import EpsilonGreedy
from mechsim.bandits.policies.exp3 import EXP3
from mechsim.bandits.policies.explore_first import ExploreFirst
from mechsim.bandits.policies.linucb import LinUCB
from mechsim.bandits.policies.stats import MeanTracker
from mechsim.bandits.policies.thompson import ThompsonBeta, ThompsonGaussian
from mechsim.bandits.policies.ucb import UCB1

__all__ = [
    "EXP3",
    "EpsilonGreedy",
    "ExploreFirst",
    "LinUCB",
    "MeanTracker",
    "SuccessiveElimination",
    "ThompsonBeta",
    "ThompsonGaussian",
    "UCB1",
]
