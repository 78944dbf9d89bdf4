"""Games with known structure, for the fairness conditions (F3*, F4, F6) and property tests.

=============================  ===============================================================
game                           structure
=============================  ===============================================================
``power_game(w, p)``           ``v(S) = (sum_{i in S} w_i)^p``; superadditive (convex) for w >= 0,
                               p >= 1; players with equal ``w`` are symmetric
``with_duplicate(g, of)``      adds a player who holds a copy of ``of``'s data: the pair is
                               symmetric, and together they are worth what one is (so the game
                               is not superadditive unless ``v(of) = 0``)
``with_null(g)``               adds a null (useless) player: ``v(S ∪ {null}) = v(S)``
``key_holder_game(w, key, p)`` ``v(S) = (sum_{i in S} w_i)^p`` if ``key`` is in ``S``, else 0:
                               the key holder is necessary
``superadditive_cover(t)``     the smallest superadditive game above a table (for random games)
=============================  ===============================================================
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mechsim.core.params import Integer, Real, RealArray, check_value
from mechsim.errors import ParameterError
from mechsim.valuation.dividends import check_table
from mechsim.valuation.exact import check_game
from mechsim.valuation.game import Game

__all__ = ["power_game", "with_duplicate", "with_null", "key_holder_game", "superadditive_cover", "random_superadditive_table"]


def _worths(worths: Sequence[float], owner: str) -> np.ndarray:
    return np.asarray(check_value(RealArray(0.0, None), worths, name="worths", owner=owner))


def power_game(worths: Sequence[float], power: float = 2.0) -> Game:
    """``v(S) = (sum_{i in S} worths[i]) ** power`` (``v(∅) = 0``)."""
    w = _worths(worths, "power_game")
    p = check_value(Real(1.0, None), power, name="power", owner="power_game")
    return Game(lambda s: float(w[sorted(s)].sum() ** p), len(w), empty_value=0.0)


def with_duplicate(game: Game, of: int) -> Game:
    """``game`` plus player ``n`` holding a copy of player ``of``'s data (union semantics)."""
    game = check_game(game, "with_duplicate")
    n = game.n_players
    of = check_value(Integer(0, n - 1), of, name="of", owner="with_duplicate")

    def v(s: frozenset[int]) -> float:
        return game((s - {n}) | ({of} if n in s else set()))

    return Game(v, n + 1, empty_value=0.0)


def with_null(game: Game) -> Game:
    """``game`` plus a null player ``n`` (``v(S ∪ {n}) = v(S)``)."""
    game = check_game(game, "with_null")
    n = game.n_players
    return Game(lambda s: game(s - {n}), n + 1, empty_value=0.0)


def key_holder_game(worths: Sequence[float], key: int = 0, power: float = 1.0) -> Game:
    """``v(S) = (sum_{i in S} w_i) ** power`` when ``key`` is in ``S``, else 0 (``key`` is necessary)."""
    w = _worths(worths, "key_holder_game")
    key = check_value(Integer(0, len(w) - 1), key, name="key", owner="key_holder_game")
    p = check_value(Real(1.0, None), power, name="power", owner="key_holder_game")
    return Game(lambda s: float(w[sorted(s)].sum() ** p) if key in s else 0.0, len(w), empty_value=0.0)


def superadditive_cover(values: object) -> np.ndarray:
    """The smallest superadditive table ``>=`` ``values`` (``v(∅)`` set to 0); O(3**n).

    ``u(S) = max(values(S), max_{∅ ≠ B ⊊ S} u(B) + u(S ∖ B))``, filled in order of
    increasing masks (every proper submask is smaller).
    """
    table, n = check_table(values, "superadditive_cover")
    if n > 12:
        raise ParameterError(f"The 'values' parameter of superadditive_cover must have at most 2**12 entries. Got 2**{n} instead.")
    u = table.copy()
    u[0] = 0.0
    for s in range(1, 1 << n):
        b = (s - 1) & s
        best = u[s]
        while b:
            best = max(best, u[b] + u[s ^ b])
            b = (b - 1) & s
        u[s] = best
    return u


def random_superadditive_table(n: int, rng: np.random.Generator, *, scale: float = 1.0) -> np.ndarray:
    """A random non-negative, monotone, superadditive table on ``n`` players.

    Random values ``scale * U(0, 1) * |S|^1.5`` are made superadditive by
    :func:`superadditive_cover`; because all values are non-negative, the cover is
    monotone too. Higher-order dividends can be negative, so the games are not all convex.
    """
    n = check_value(Integer(1, 12), n, name="n", owner="random_superadditive_table")
    sizes = np.array([bin(b).count("1") for b in range(1 << n)], dtype=float)
    raw = scale * rng.random(1 << n) * sizes**1.5
    return superadditive_cover(raw)
