"""Exact valuations: the Shapley value by enumeration, and leave-one-out."""

from __future__ import annotations

import math

import numpy as np

from mechsim.errors import ParameterError
from mechsim.valuation.game import Game
from mechsim.valuation.result import ValuationResult

__all__ = ["exact_shapley", "leave_one_out", "MAX_EXACT_PLAYERS"]

#: exact_shapley evaluates all 2**n coalitions; 2**20 is about a million utility calls.
MAX_EXACT_PLAYERS = 20


def check_game(game: object, owner: str) -> Game:
    if not isinstance(game, Game):
        raise ParameterError(
            f"The 'game' parameter of {owner} must be a mechsim.valuation.Game. Got {type(game).__name__} instead."
        )
    return game


def shapley_weights(n: int) -> np.ndarray:
    """``w[s] = s! (n-s-1)! / n!``, the weight of a coalition of size ``s`` without ``i``; shape (n,)."""
    return np.array([1.0 / (n * math.comb(n - 1, s)) for s in range(n)])


def exact_shapley(game: Game) -> ValuationResult:
    """The Shapley value by enumerating every coalition.

    ``phi_i = sum_{S ⊆ N∖{i}} |S|! (n-|S|-1)! / n! * (v(S ∪ {i}) - v(S))``.
    Costs ``2**n`` utility calls (fewer when the game's cache already holds some).

    Parameters
    ----------
    game : Game
        At most :data:`MAX_EXACT_PLAYERS` (20) players.

    Returns
    -------
    ValuationResult
        ``values`` of shape (n,); ``stderr`` is ``None``.

    Raises
    ------
    ParameterError
        If the game has more than 20 players (use a Monte Carlo estimator).
    """
    game = check_game(game, "exact_shapley")
    n = game.n_players
    if n > MAX_EXACT_PLAYERS:
        raise ParameterError(
            f"The 'game' parameter of exact_shapley must have at most {MAX_EXACT_PLAYERS} players "
            f"(all 2**n coalitions are evaluated). Got {n} players instead; use permutation_mc_shapley, "
            "stratified_mc_shapley or truncated_mc_shapley."
        )
    before = game.n_evaluations
    size = 1 << n
    v = np.fromiter((game._value_bits(b) for b in range(size)), dtype=float, count=size)
    masks = np.arange(size, dtype=np.int64)
    sizes = np.zeros(size, dtype=np.int64)
    for i in range(n):
        sizes += (masks >> i) & 1
    weights = shapley_weights(n)
    values = np.empty(n)
    for i in range(n):
        bit = 1 << i
        without = masks[(masks & bit) == 0]
        values[i] = np.dot(weights[sizes[without]], v[without | bit] - v[without])
    return ValuationResult(values, None, game.n_evaluations - before, "exact_shapley")


def leave_one_out(game: Game) -> ValuationResult:
    """Leave-one-out values ``phi_i = v(N) - v(N ∖ {i})``; ``n + 1`` utility calls.

    Parameters
    ----------
    game : Game

    Returns
    -------
    ValuationResult
        ``values`` of shape (n,); ``stderr`` is ``None``.
    """
    game = check_game(game, "leave_one_out")
    n = game.n_players
    before = game.n_evaluations
    full = (1 << n) - 1
    v_full = game._value_bits(full)
    values = np.array([v_full - game._value_bits(full & ~(1 << i)) for i in range(n)])
    return ValuationResult(values, None, game.n_evaluations - before, "leave_one_out")
