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

:func:`harsanyi_dividends` and :func:`shapley_from_table` work on a full table of
coalition values (O(n 2^n)); :mod:`~mechsim.valuation.bayes` has the Bayesian linear
regression information gain and its dual, :mod:`~mechsim.valuation.learned` a learner's
test score on a coalition's data, :mod:`~mechsim.valuation.structured` games with known
structure (duplicate, null, key holder) and :func:`check_axioms` the A1-A3 check.

:func:`cgsv` (cosine-gradient contributions, Xu et al. 2021) works on model updates
directly and returns an array; :class:`CGSVReputation` keeps its moving average.
"""

from __future__ import annotations

from mechsim.valuation.axioms import AxiomReport, check_axioms
from mechsim.valuation.bayes import BLRModel, blr_dual_information_gain_game, blr_information_gain_game, dual_game
from mechsim.valuation.cgsv import CGSVReputation, cgsv, cosine_gradient_game, flatten_updates
from mechsim.valuation.dividends import game_table, harsanyi_dividends, shapley_from_dividends, shapley_from_table, values_from_dividends
from mechsim.valuation.learned import LearnerUtility, learner_game
from mechsim.valuation.exact import MAX_EXACT_PLAYERS, exact_shapley, leave_one_out
from mechsim.valuation.game import Coalition, Game
from mechsim.valuation.games import additive_game, glove_game, symmetric_game, weighted_voting_game
from mechsim.valuation.structured import key_holder_game, power_game, random_superadditive_table, superadditive_cover, with_duplicate, with_null
from mechsim.valuation.montecarlo import permutation_mc_shapley, stratified_mc_shapley, truncated_mc_shapley
from mechsim.valuation.result import ValuationResult

__all__ = [
    "AxiomReport",
    "check_axioms",
    "BLRModel",
    "blr_information_gain_game",
    "blr_dual_information_gain_game",
    "dual_game",
    "game_table",
    "harsanyi_dividends",
    "values_from_dividends",
    "shapley_from_dividends",
    "shapley_from_table",
    "LearnerUtility",
    "learner_game",
    "power_game",
    "with_duplicate",
    "with_null",
    "key_holder_game",
    "superadditive_cover",
    "random_superadditive_table",
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
