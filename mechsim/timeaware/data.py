"""Party data for the time-aware scenarios: Friedman (synthetic) or diabetes (shipped with scikit-learn).

Each party gets a disjoint shard of given size (optionally with extra label noise);
a held-out test set scores reward models. Inputs are standardised on the pooled
training data; ``features = "poly2"`` adds all degree-2 monomials (a Bayesian
linear model on them fits Friedman's sin / square terms reasonably).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mechsim.errors import ParameterError

__all__ = ["PartyData", "make_party_data"]


@dataclass(frozen=True)
class PartyData:
    """``parts[i] = (X_i (n_i, d), y_i (n_i,))``; ``x_test (m, d)``, ``y_test (m,)``."""

    parts: list[tuple[np.ndarray, np.ndarray]]
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_features(self) -> int:
        return self.x_test.shape[1]


def _poly2(x: np.ndarray) -> np.ndarray:
    d = x.shape[1]
    iu = np.triu_indices(d)
    quad = (x[:, :, None] * x[:, None, :])[:, iu[0], iu[1]]
    return np.concatenate([np.ones((len(x), 1)), x, quad / np.sqrt(2.0)], axis=1)


def make_party_data(
    dataset: str,
    party_sizes: tuple[int, ...],
    n_test: int,
    rng: np.random.Generator,
    *,
    party_noise: tuple[float, ...] | None = None,
    features: str = "poly2",
    friedman_noise: float = 1.0,
) -> PartyData:
    """Draw (Friedman) or shuffle (diabetes) the data and cut it into party shards and a test set."""
    sizes = [int(s) for s in party_sizes]
    total = sum(sizes) + int(n_test)
    if dataset == "friedman":
        from sklearn.datasets import make_friedman1

        x, y = make_friedman1(n_samples=total, n_features=5, noise=friedman_noise, random_state=int(rng.integers(2**31 - 1)))
    elif dataset == "diabetes":
        from sklearn.datasets import load_diabetes

        x, y = load_diabetes(return_X_y=True)
        if total > len(y):
            raise ParameterError(f"The diabetes data has {len(y)} samples; party_sizes and n_test ask for {total}.")
        idx = rng.permutation(len(y))[:total]
        x, y = x[idx], y[idx]
    else:
        raise ParameterError(f"The 'dataset' parameter must be 'friedman' or 'diabetes'. Got {dataset!r} instead.")
    train = slice(0, total - n_test)
    mu, sd = x[train].mean(0), x[train].std(0) + 1e-12
    x = (x - mu) / sd
    y = (y - y[train].mean()) / (y[train].std() + 1e-12)
    if features == "poly2":
        x = _poly2(x)
    parts = []
    start = 0
    noise = party_noise or (0.0,) * len(sizes)
    for i, s in enumerate(sizes):
        yi = y[start : start + s] + noise[i] * rng.standard_normal(s)
        parts.append((x[start : start + s], yi))
        start += s
    return PartyData(parts=parts, x_test=x[start:], y_test=y[start:])
