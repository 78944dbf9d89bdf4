"""Textbook games with known Shapley values, for checks, examples and the auditor.

==========================  ==========================================================
game                        Shapley value
==========================  ==========================================================
``additive_game(w)``        ``w`` (each player's own worth)
``symmetric_game(f, n)``    ``(f(n) - f(0)) / n`` for every player
``glove_game(2, 1)``        right glove 2/3, each left glove 1/6
``weighted_voting_game``    the Shapley-Shubik power index; (50, 49, 1) quota 51:
                            (2/3, 1/6, 1/6)
==========================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mechsim.core.params import Integer, Real, RealArray, check_value
from mechsim.valuation.game import Game

__all__ = ["additive_game", "symmetric_game", "glove_game", "weighted_voting_game"]


def additive_game(worths: Sequence[float]) -> Game:
    """``v(S) = sum_{i in S} worths[i]``; the Shapley value is ``worths``.

    Parameters
    ----------
    worths : (n,) array-like of float
    """
    w = np.asarray(check_value(RealArray(), worths, name="worths", owner="additive_game"))
    return Game(lambda s: float(w[sorted(s)].sum()), len(w), empty_value=0.0)


def symmetric_game(f: Callable[[int], float], n_players: int) -> Game:
    """``v(S) = f(|S|)``; every player's Shapley value is ``(f(n) - f(0)) / n``."""
    n = check_value(Integer(1, None), n_players, name="n_players", owner="symmetric_game")
    return Game(lambda s: float(f(len(s))), n)


def glove_game(n_left: int, n_right: int) -> Game:
    """The glove market: players ``0 .. n_left-1`` hold a left glove, the rest a right one.

    ``v(S)`` is the number of pairs ``min(|S ∩ L|, |S ∩ R|)``. With one right glove and
    two left gloves, the right-glove holder's value is 2/3 and each left-glove
    holder's 1/6.
    """
    n_l = check_value(Integer(1, None), n_left, name="n_left", owner="glove_game")
    n_r = check_value(Integer(1, None), n_right, name="n_right", owner="glove_game")

    def pairs(s: frozenset[int]) -> float:
        left = sum(1 for i in s if i < n_l)
        return float(min(left, len(s) - left))

    return Game(pairs, n_l + n_r, empty_value=0.0)


def weighted_voting_game(weights: Sequence[float], quota: float) -> Game:
    """``v(S) = 1`` when the weights in ``S`` reach ``quota``, else 0.

    The Shapley value is the Shapley-Shubik power index. For weights (50, 49, 1) and
    quota 51 it is (2/3, 1/6, 1/6).

    Parameters
    ----------
    weights : (n,) array-like of float, each >= 0
    quota : float, > 0
    """
    w = np.asarray(check_value(RealArray(0, None), weights, name="weights", owner="weighted_voting_game"))
    q = check_value(Real(0, None, closed="neither"), quota, name="quota", owner="weighted_voting_game")
    return Game(lambda s: float(w[sorted(s)].sum() >= q), len(w), empty_value=0.0)
