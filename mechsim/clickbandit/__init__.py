"""The strategic click-bandit (Kleine Buening, Saha, Dimitrakakis, Xu; ICLR 2024).

K arms choose click-rates ``s_i``; the learner recommends one arm per round, sees a
click with probability ``s_i`` and, after a click, a post-click reward of mean
``mu_i``; its utility is ``u(s, mu)``. Arms want clicks. UCB-S screens arms whose
click-rate is, with confidence, above the desired ``s*(mu)``; an incentive-unaware
UCB does not, and the best arm learns to clickbait.

Modules: :mod:`~.utility` (u and s*), :mod:`~.environment` (post-click rewards),
:mod:`~.learners` (UCB-S, UCB, oracle), :mod:`~.draws` (common random numbers),
:mod:`~.play` (one epoch), :mod:`~.game` (profiles -> outcomes),
:mod:`~.strategies` (the arms), :mod:`~.protocol` (epochs in simulated time),
:mod:`~.audit` (deviation space), :mod:`~.family` (scenarios).
"""

from __future__ import annotations

from mechsim.clickbandit import audit, environment, family, learners, strategies, utility  # noqa: F401  (registers)
from mechsim.clickbandit.draws import ClickDraws
from mechsim.clickbandit.game import ClickGame, Evaluation
from mechsim.clickbandit.learners import UCBS, ClickLearner, IncentiveUnawareUCB, Oracle, Truth
from mechsim.clickbandit.play import PlayOutcome, play
from mechsim.clickbandit.utility import HalfSquareUtility, QuadraticUtility, Utility

__all__ = [
    "ClickDraws",
    "ClickGame",
    "Evaluation",
    "ClickLearner",
    "Truth",
    "UCBS",
    "IncentiveUnawareUCB",
    "Oracle",
    "PlayOutcome",
    "play",
    "Utility",
    "QuadraticUtility",
    "HalfSquareUtility",
]
