"""Bayesian linear regression valuations: information gain, its dual, tempered posteriors.

Model: ``theta ~ N(0, prior_var I_d)``, ``y = X theta + eps``, ``eps ~ N(0, noise_var)``.
The information gain of a coalition's data about ``theta`` depends only on the inputs,

    IG(C) = 1/2 log det(I_d + (prior_var / noise_var) sum_{i in C} X_i^T X_i),

and is monotone and submodular (not superadditive). Its **dual**
``v*(C) = IG(N) - IG(N ∖ C)`` (the conditional information gain
``I(theta; D_C | D_{N∖C})``) is supermodular, so it satisfies the valuation
requirements A1-A3 of time-aware rewards (see :mod:`mechsim.valuation.axioms`).

Likelihood tempering (the model-reward realisation of Chen et al. 2025 and the
Sim et al. lineage): party ``i``'s reward posterior keeps its own likelihood and
raises the others' to ``kappa`` in [0, 1], i.e. the others' noise variance becomes
``noise_var / kappa``. ``kappa = 0`` is ``D_i`` alone, ``kappa = 1`` the grand
coalition; its information gain rises monotonically in ``kappa``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mechsim.core.params import Real, check_value
from mechsim.errors import ParameterError
from mechsim.valuation.exact import check_game
from mechsim.valuation.game import Game

__all__ = [
    "BLRModel",
    "blr_information_gain_game",
    "blr_dual_information_gain_game",
    "dual_game",
    "gram_matrices",
]


def _parts(parts: Sequence[np.ndarray], owner: str) -> list[np.ndarray]:
    out = [np.asarray(x, dtype=float) for x in parts]
    if not out or any(x.ndim != 2 for x in out) or len({x.shape[1] for x in out}) != 1:
        raise ParameterError(
            f"The 'parts' parameter of {owner} must be a non-empty list of 2-D arrays (n_i, d) with one d. "
            f"Got shapes {[getattr(x, 'shape', None) for x in out]} instead."
        )
    return out


def gram_matrices(parts: Sequence[np.ndarray]) -> np.ndarray:
    """``(n, d, d)``: ``X_i^T X_i`` of every party's inputs ``X_i`` of shape ``(n_i, d)``."""
    return np.stack([x.T @ x for x in _parts(parts, "gram_matrices")])


@dataclass(frozen=True)
class BLRModel:
    """Bayesian linear regression with isotropic prior and known noise.

    Attributes
    ----------
    prior_var : float > 0, prior variance of every weight
    noise_var : float > 0, observation noise variance
    """

    prior_var: float = 1.0
    noise_var: float = 1.0

    def __post_init__(self) -> None:
        for name in ("prior_var", "noise_var"):
            check_value(Real(0.0, None, closed="neither"), getattr(self, name), name=name, owner="BLRModel")

    def information_gain(self, gram: np.ndarray) -> float:
        """``1/2 log det(I + prior_var/noise_var * gram)`` for a ``(d, d)`` Gram matrix (nats)."""
        d = gram.shape[0]
        sign, logdet = np.linalg.slogdet(np.eye(d) + (self.prior_var / self.noise_var) * gram)
        return 0.5 * float(logdet)

    def posterior(
        self, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Posterior ``(mean (d,), cov (d, d))``; ``weights (m,)`` temper each sample's likelihood.

        A sample of weight ``w`` enters with noise variance ``noise_var / w``
        (``w = 0`` drops it).
        """
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float).reshape(-1)
        w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
        prec = np.eye(x.shape[1]) / self.prior_var + (x.T * w) @ x / self.noise_var
        cov = np.linalg.inv(prec)
        mean = cov @ (x.T @ (w * y)) / self.noise_var
        return mean, cov

    def mnlp(self, mean: np.ndarray, cov: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
        """Mean negative log predictive density of ``y`` at ``x`` under the posterior (nats, lower is better)."""
        mu = x @ mean
        var = self.noise_var + np.einsum("ij,jk,ik->i", x, cov, x)
        return float(np.mean(0.5 * np.log(2 * np.pi * var) + 0.5 * (y - mu) ** 2 / var))

    def tempered_information_gain(self, gram_own: np.ndarray, gram_others: np.ndarray, kappa: float) -> float:
        """IG of ``D_i`` plus the others' data tempered by ``kappa`` in [0, 1]."""
        return self.information_gain(gram_own + kappa * gram_others)


def blr_information_gain_game(parts: Sequence[np.ndarray], *, prior_var: float = 1.0, noise_var: float = 1.0) -> Game:
    """The (submodular) information-gain game ``IG(C)`` of parties with inputs ``parts[i]`` (n_i, d)."""
    grams = gram_matrices(parts)
    model = BLRModel(prior_var, noise_var)

    def ig(coalition: frozenset[int]) -> float:
        return model.information_gain(grams[sorted(coalition)].sum(axis=0)) if coalition else 0.0

    return Game(ig, len(grams), empty_value=0.0)


def dual_game(game: Game) -> Game:
    """The dual ``v*(C) = v(N) - v(N ∖ C)`` of a game (supermodular when ``v`` is submodular)."""
    game = check_game(game, "dual_game")
    full = game.grand_coalition
    v_full = game(full)

    def dual(coalition: frozenset[int]) -> float:
        return v_full - game(full - coalition)

    return Game(dual, game.n_players, empty_value=0.0)


def blr_dual_information_gain_game(parts: Sequence[np.ndarray], *, prior_var: float = 1.0, noise_var: float = 1.0) -> Game:
    """``v(C) = IG(N) - IG(N ∖ C)``: the conditional information gain, satisfying A1-A3."""
    return dual_game(blr_information_gain_game(parts, prior_var=prior_var, noise_var=noise_var))
