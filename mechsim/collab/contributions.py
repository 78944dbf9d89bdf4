"""Per-round contributions: Shapley values of a utility over coalitions of node updates.

Two utilities of a coalition ``S`` of this round's updates (nodes that did not
report have a zero update and are null players, so their value is exactly 0):

``"cosine"``
    ``U(S) = cos(Σ_{j∈S} w_j g_j, g_N)`` with ``g_N = Σ_j w_j g_j``, ``U(∅) = 0``:
    the ``cos_grad`` game of Lin et al. (ICML 2023, the official default) and of
    CGSV (:func:`mechsim.valuation.cosine_gradient_game`). No model evaluation.
``"validation"``
    ``U(S) = v(θ_t + Σ_{j∈S} w_j g_j / Σ_{j∈S} w_j) - v(θ_t)``, ``U(∅) = 0``, with
    ``v`` the server's validation utility (negative validation loss) of the
    aggregate of the coalition's updates: the ``mr``-style coalition model.

The Shapley value is computed by any estimator of :mod:`mechsim.valuation`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mechsim.errors import ParameterError
from mechsim.valuation import (
    Game,
    cosine_gradient_game,
    exact_shapley,
    leave_one_out,
    permutation_mc_shapley,
    stratified_mc_shapley,
    truncated_mc_shapley,
)

__all__ = ["UTILITIES", "ESTIMATORS", "coalition_game", "estimate_contributions"]

UTILITIES = ("cosine", "validation")
ESTIMATORS = ("stratified", "permutation", "truncated", "exact", "leave_one_out")


def coalition_game(
    updates: np.ndarray,
    weights: np.ndarray,
    reported: np.ndarray,
    *,
    utility: str = "cosine",
    params: np.ndarray | None = None,
    evaluate: Callable[[np.ndarray], float] | None = None,
) -> Game:
    """The per-round game over the ``N`` nodes (see the module docstring).

    Parameters
    ----------
    updates : (N, P) float
    weights : (N,) float >= 0
    reported : (N,) bool
    utility : {"cosine", "validation"}
    params : (P,) float, needed by ``"validation"``
    evaluate : callable ``(P,) -> float``, needed by ``"validation"``
    """
    w = np.where(reported, np.asarray(weights, dtype=float), 0.0)
    g = np.where(reported[:, None], updates, 0.0)
    n = g.shape[0]
    if utility == "cosine":
        return cosine_gradient_game(g, weights=w)
    if utility == "validation":
        if evaluate is None or params is None:
            raise ParameterError("The 'validation' utility needs the server's evaluate function and parameters.")
        base = float(evaluate(params))
        weighted = w[:, None] * g

        def value(mask: np.ndarray) -> float:
            total = w[mask].sum()
            if total <= 0:
                return 0.0
            return float(evaluate(params + weighted[mask].sum(axis=0) / total)) - base

        return Game(value, n, empty_value=0.0, as_mask=True)
    raise ParameterError(f"The 'utility' parameter must be one of {', '.join(map(repr, UTILITIES))}. Got {utility!r} instead.")


def estimate_contributions(game: Game, estimator: str, n_samples: int, rng: np.random.Generator, tolerance: float = 0.01) -> np.ndarray:
    """Shapley values of ``game`` by the named estimator; shape (N,).

    ``n_samples`` is the samples per stratum (``"stratified"``) or permutations
    (``"permutation"``, ``"truncated"``); ``"exact"`` and ``"leave_one_out"``
    ignore it. With ``"stratified"`` and one sample this is the official
    ``cos_grad`` estimator.
    """
    if estimator == "stratified":
        res = stratified_mc_shapley(game, n_samples, rng)
    elif estimator == "permutation":
        res = permutation_mc_shapley(game, n_samples, rng)
    elif estimator == "truncated":
        res = truncated_mc_shapley(game, n_samples, rng, tolerance=tolerance)
    elif estimator == "exact":
        res = exact_shapley(game)
    elif estimator == "leave_one_out":
        res = leave_one_out(game)
    else:
        raise ParameterError(
            f"The 'estimator' parameter must be one of {', '.join(map(repr, ESTIMATORS))}. Got {estimator!r} instead."
        )
    return np.asarray(res.values, dtype=float)
