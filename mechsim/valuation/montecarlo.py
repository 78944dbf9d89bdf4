"""Monte Carlo estimates of the Shapley value: permutation, stratified and truncated.

All three are unbiased except TMC-Shapley, which trades a small bias (marginals after
the truncation point are set to zero) for fewer utility calls. Randomness comes only
from the ``rng`` argument; the same game, arguments and generator state give the same
estimate, bit for bit.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mechsim.core.params import Integer, Real, check_value
from mechsim.valuation.exact import check_game
from mechsim.valuation.game import Game
from mechsim.valuation.result import ValuationResult, check_rng

__all__ = ["permutation_mc_shapley", "stratified_mc_shapley", "truncated_mc_shapley"]


def _stderr(samples: np.ndarray, axis: int = 0) -> np.ndarray:
    """Standard error of the mean along ``axis``; ``nan`` with a single sample."""
    m = samples.shape[axis]
    if m < 2:
        return np.full(np.delete(samples.shape, axis), np.nan)
    return samples.std(axis=axis, ddof=1) / math.sqrt(m)


def _scan_permutations(
    game: Game, n_permutations: int, rng: np.random.Generator, tolerance: float | None
) -> tuple[np.ndarray, int]:
    """Marginal contributions along random permutations; shape (n_permutations, n).

    With ``tolerance`` set, a permutation's scan stops as soon as the current prefix
    ``P`` has ``|v(N) - v(P)| < tolerance * |v(N)|``; the remaining players get a zero
    marginal. Returns the marginals and the number of zeroed (truncated) entries.
    """
    n = game.n_players
    marginals = np.zeros((n_permutations, n))
    v_empty = game._value_bits(0)
    v_full = threshold = 0.0
    if tolerance is not None:
        v_full = game._value_bits((1 << n) - 1)
        threshold = tolerance * abs(v_full)
    n_truncated = 0
    for p in range(n_permutations):
        order = rng.permutation(n).tolist()
        bits, previous = 0, v_empty
        row = marginals[p]
        for k, i in enumerate(order):
            if tolerance is not None and abs(v_full - previous) < threshold:
                n_truncated += n - k
                break
            bits |= 1 << i
            current = game._value_bits(bits)
            row[i] = current - previous
            previous = current
    return marginals, n_truncated


def _check_count(value: Any, name: str, owner: str) -> int:
    return check_value(Integer(1, None), value, name=name, owner=owner)


def permutation_mc_shapley(game: Game, n_permutations: int, rng: np.random.Generator) -> ValuationResult:
    """Shapley value by averaging marginal contributions over random permutations.

    For each of ``n_permutations`` uniformly random orders of the players, every
    player's marginal contribution ``v(P ∪ {i}) - v(P)`` to the players ``P`` before
    it is recorded; the estimate is the mean over permutations (Castro et al. 2009).
    Each permutation's marginals sum to ``v(N) - v(∅)``, so the estimate is
    efficient exactly, not just in expectation.

    Parameters
    ----------
    game : Game
    n_permutations : int, >= 1
    rng : numpy.random.Generator

    Returns
    -------
    ValuationResult
        ``values`` and ``stderr`` of shape (n,) (``stderr`` is ``nan`` with one
        permutation); ``n_samples = n_permutations``. At most
        ``n_permutations * n + 1`` utility calls.
    """
    owner = "permutation_mc_shapley"
    game = check_game(game, owner)
    m = _check_count(n_permutations, "n_permutations", owner)
    rng = check_rng(rng, owner)
    before = game.n_evaluations
    marginals, _ = _scan_permutations(game, m, rng, None)
    return ValuationResult(marginals.mean(axis=0), _stderr(marginals), game.n_evaluations - before, owner, m)


def truncated_mc_shapley(
    game: Game, n_permutations: int, rng: np.random.Generator, tolerance: float = 0.01
) -> ValuationResult:
    """TMC-Shapley (Ghorbani & Zou 2019, "Data Shapley", Algorithm 1).

    As :func:`permutation_mc_shapley`, but the scan of a permutation stops once the
    prefix ``P`` reached so far is within ``tolerance`` of the grand coalition,
    ``|v(N) - v(P)| < tolerance * |v(N)|``; the players after the truncation point
    get a zero marginal for that permutation and cost no utility call. The test is
    made before each player is added, so with ``tolerance = 0`` nothing is truncated
    and the estimate equals :func:`permutation_mc_shapley` for the same generator.

    Differences from the paper's code, on purpose: the number of permutations is
    fixed by the caller (the paper stops when the mean relative change over the last
    100 permutations is below 5%), and ``v(N)`` is the game's value, not a mean over
    several noisy trainings.

    Parameters
    ----------
    game : Game
    n_permutations : int, >= 1
    rng : numpy.random.Generator
    tolerance : float, >= 0, default 0.01
        Relative truncation tolerance.

    Returns
    -------
    ValuationResult
        ``values`` and ``stderr`` of shape (n,); ``info["n_truncated"]`` counts the
        marginals set to zero, ``info["truncated_fraction"]`` their share.
        Efficiency holds only up to ``tolerance * |v(N)|`` per permutation.
    """
    owner = "truncated_mc_shapley"
    game = check_game(game, owner)
    m = _check_count(n_permutations, "n_permutations", owner)
    rng = check_rng(rng, owner)
    tol = check_value(Real(0, None), tolerance, name="tolerance", owner=owner)
    before = game.n_evaluations
    marginals, n_truncated = _scan_permutations(game, m, rng, tol)
    info = {"n_truncated": n_truncated, "truncated_fraction": n_truncated / marginals.size}
    return ValuationResult(
        marginals.mean(axis=0), _stderr(marginals), game.n_evaluations - before, owner, m, info
    )


def stratified_mc_shapley(
    game: Game, n_samples_per_stratum: int, rng: np.random.Generator
) -> ValuationResult:
    """Shapley value by sampling coalitions stratified by size (Maleki et al. 2013).

    The Shapley value is the average over coalition sizes ``s = 0 .. n-1`` of the mean
    marginal contribution of ``i`` to a uniformly random coalition of size ``s`` from
    ``N ∖ {i}``:

        ``phi_i = (1/n) sum_s E_{S ~ U(N∖{i}, s)} [v(S ∪ {i}) - v(S)]``.

    Each stratum ``(i, s)`` gets ``n_samples_per_stratum`` independent coalitions
    drawn uniformly without replacement from ``N ∖ {i}``, and its mean marginal is an
    unbiased estimate of the inner expectation. Samples are allocated equally across
    strata (Maleki et al. also derive a variance-optimal allocation; not used here).
    With one sample per stratum this is the ``cos_grad`` estimator of Lin et al.
    (ICML 2023). Unlike permutation sampling the estimate is not exactly efficient.

    Parameters
    ----------
    game : Game
    n_samples_per_stratum : int, >= 1
    rng : numpy.random.Generator

    Returns
    -------
    ValuationResult
        ``values`` and ``stderr`` of shape (n,), with
        ``stderr_i = sqrt(sum_s var_{i,s} / m) / n`` (``nan`` when ``m = 1``);
        ``n_samples = n_samples_per_stratum``. At most ``2 n^2 m`` utility calls
        (the strata of size 0 and ``n - 1`` hold one coalition each, which the cache
        evaluates once).
    """
    owner = "stratified_mc_shapley"
    game = check_game(game, owner)
    m = _check_count(n_samples_per_stratum, "n_samples_per_stratum", owner)
    rng = check_rng(rng, owner)
    n = game.n_players
    before = game.n_evaluations
    marginals = np.empty((n, n, m))  # (player, stratum size, sample)
    for i in range(n):
        others = [1 << j for j in range(n) if j != i]
        bit = 1 << i
        # A uniform subset of size s is the first s entries of a uniform permutation
        # of the others; one independent permutation per (stratum, sample).
        orders = np.argsort(rng.random((n, m, n - 1)), axis=-1)
        for s in range(n):
            for k in range(m):
                bits = sum(others[j] for j in orders[s, k, :s].tolist())
                marginals[i, s, k] = game._value_bits(bits | bit) - game._value_bits(bits)
    values = marginals.mean(axis=2).mean(axis=1)
    if m < 2:
        stderr = np.full(n, np.nan)
    else:
        stderr = np.sqrt((marginals.var(axis=2, ddof=1) / m).sum(axis=1)) / n
    return ValuationResult(values, stderr, game.n_evaluations - before, owner, m)
