"""Data and contribution valuation, shared by every family.

A :class:`Game` wraps a utility over coalitions with a cache and an evaluation
counter; the estimators take a game and return a :class:`ValuationResult`
(``values`` of shape (n,), ``stderr``, ``n_evaluations``):

=============================  ==================================================
estimator                      what it computes
=============================  ==================================================
:func:`exact_shapley`          Shapley value over all ``2**n`` coalitions (n <= 20)
:func:`permutation_mc_shapley` Monte Carlo over random permutations
:func:`stratified_mc_shapley`  Monte Carlo stratified by coalition size (Maleki)
:func:`truncated_mc_shapley`   TMC-Shapley (Ghorbani & Zou 2019)
:func:`leave_one_out`          ``v(N) - v(N ∖ {i})``
=============================  ==================================================

:func:`cgsv` (cosine-gradient contributions, Xu et al. 2021) works on model updates
directly and returns an array; :class:`CGSVReputation` keeps its moving average.
"""

from __future__ import annotations

from mechsim.valuation.cgsv import CGSVReputation, cgsv, cosine_gradient_game, flatten_updates
from mechsim.valuation.exact import MAX_EXACT_PLAYERS, exact_shapley, leave_one_out
from mechsim.valuation.game import Coalition, Game
from mechsim.valuation.games import additive_game, glove_game, symmetric_game, weighted_voting_game
from mechsim.valuation.montecarlo import permutation_mc_shapley, stratified_mc_shapley, truncated_mc_shapley
from mechsim.valuation.result import ValuationResult

__all__ = [
    "Game",
    "Coalition",
    "ValuationResult",
    "exact_shapley",
    "leave_one_out",
    "permutation_mc_shapley",
    "stratified_mc_shapley",
    "truncated_mc_shapley",
    "MAX_EXACT_PLAYERS",
    "cgsv",
    "CGSVReputation",
    "cosine_gradient_game",
    "flatten_updates",
    "additive_game",
    "symmetric_game",
    "glove_game",
    "weighted_voting_game",
]
