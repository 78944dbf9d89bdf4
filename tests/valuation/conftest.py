"""Independent references for the valuation tests: a brute-force Shapley value and random games."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest


def _brute_force_shapley(v: Callable[[frozenset[int]], float], n: int) -> np.ndarray:
    """The Shapley value as the average marginal contribution over all n! orders (n <= 6)."""
    assert n <= 6, "the brute force enumerates n! orders"
    total = np.zeros(n)
    for order in itertools.permutations(range(n)):
        prefix: frozenset[int] = frozenset()
        for i in order:
            total[i] += v(prefix | {i}) - v(prefix)
            prefix = prefix | {i}
    return total / math.factorial(n)


def _random_table_game(n: int, seed: int) -> Callable[[frozenset[int]], float]:
    """A game with an independent random value for every coalition (v(∅) != 0 too)."""
    rng = np.random.default_rng(seed)
    table = {
        frozenset(c): float(rng.normal(scale=3.0))
        for k in range(n + 1)
        for c in itertools.combinations(range(n), k)
    }
    return lambda s: table[frozenset(s)]


@pytest.fixture
def brute_force_shapley() -> Callable[[Callable[[frozenset[int]], float], int], np.ndarray]:
    return _brute_force_shapley


@pytest.fixture
def random_table_game() -> Callable[[int, int], Callable[[frozenset[int]], float]]:
    return _random_table_game
