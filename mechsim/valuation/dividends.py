"""Coalition tables, Harsanyi dividends and the Shapley value from them (vectorised).

A game on ``n`` players is held as its table of ``2**n`` values indexed by bit mask
(bit ``i`` set when player ``i`` is in the coalition, as in :meth:`Game.from_values`).
The Harsanyi dividends are the Möbius transform of the table,

    d(S) = sum_{B ⊆ S} (-1)^{|S|-|B|} v(B),   v(C) = sum_{S ⊆ C} d(S),

and the Shapley value splits every dividend equally among its members,
``phi_i = sum_{S ∋ i} d(S) / |S|``. Both transforms cost ``n 2**(n-1)`` vector
additions (fast Möbius / zeta transforms), so ``n = 20`` takes well under a second.
"""

from __future__ import annotations

import numpy as np

from mechsim.errors import ParameterError
from mechsim.valuation.exact import MAX_EXACT_PLAYERS, check_game
from mechsim.valuation.game import Game

__all__ = [
    "game_table",
    "check_table",
    "popcounts",
    "harsanyi_dividends",
    "values_from_dividends",
    "shapley_from_dividends",
    "shapley_from_table",
]


def check_table(values: object, owner: str) -> tuple[np.ndarray, int]:
    """``(table, n)`` for a 1-D float table whose length is a power of two >= 2."""
    table = np.asarray(values, dtype=float)
    size = table.shape[0] if table.ndim == 1 else 0
    if table.ndim != 1 or size < 2 or size & (size - 1) or not np.all(np.isfinite(table)):
        raise ParameterError(
            f"The 'values' parameter of {owner} must be a 1-D array of finite floats whose length is a power "
            f"of two >= 2. Got shape {table.shape} instead."
        )
    return table, size.bit_length() - 1


def game_table(game: Game) -> np.ndarray:
    """``(2**n,)`` values of every coalition of ``game`` by bit mask (``2**n`` utility calls, cached)."""
    game = check_game(game, "game_table")
    n = game.n_players
    if n > MAX_EXACT_PLAYERS:
        raise ParameterError(
            f"The 'game' parameter of game_table must have at most {MAX_EXACT_PLAYERS} players. Got {n} instead."
        )
    size = 1 << n
    return np.fromiter((game._value_bits(b) for b in range(size)), dtype=float, count=size)


def popcounts(n: int) -> np.ndarray:
    """``(2**n,)`` int: the size ``|S|`` of every coalition by bit mask."""
    masks = np.arange(1 << n, dtype=np.int64)
    sizes = np.zeros(1 << n, dtype=np.int64)
    for i in range(n):
        sizes += (masks >> i) & 1
    return sizes


def _transform(x: np.ndarray, n: int, sign: float) -> np.ndarray:
    out = np.array(x, dtype=float, copy=True)
    for i in range(n):
        # view the table as (high, 2, low): axis 1 is bit i
        view = out.reshape(-1, 2, 1 << i)
        view[:, 1, :] += sign * view[:, 0, :]
    return out


def harsanyi_dividends(values: object) -> np.ndarray:
    """``(2**n,)`` Harsanyi dividends ``d(S)`` of a coalition table (``d(∅) = v(∅)``)."""
    table, n = check_table(values, "harsanyi_dividends")
    return _transform(table, n, -1.0)


def values_from_dividends(dividends: object) -> np.ndarray:
    """The coalition table ``v(C) = sum_{S ⊆ C} d(S)`` of a dividend table (inverse of the above)."""
    table, n = check_table(dividends, "values_from_dividends")
    return _transform(table, n, 1.0)


def shapley_from_dividends(dividends: object) -> np.ndarray:
    """``(n,)`` Shapley value ``phi_i = sum_{S ∋ i} d(S) / |S|`` (``d(∅)`` is ignored)."""
    d, n = check_table(dividends, "shapley_from_dividends")
    sizes = popcounts(n)
    share = np.zeros_like(d)
    share[1:] = d[1:] / sizes[1:]
    masks = np.arange(1 << n, dtype=np.int64)
    return np.array([share[(masks >> i) & 1 == 1].sum() for i in range(n)])


def shapley_from_table(values: object) -> np.ndarray:
    """``(n,)`` exact Shapley value of a coalition table, through its dividends."""
    return shapley_from_dividends(harsanyi_dividends(values))
