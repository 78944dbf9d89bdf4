"""The value every estimator returns, and the argument checks the estimators share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mechsim.errors import ParameterError

__all__ = ["ValuationResult"]


@dataclass(frozen=True)
class ValuationResult:
    """Per-player values estimated by one valuation method.

    The result behaves like its ``values`` array where numpy expects an array
    (``np.asarray(result)``, ``result[i]``, ``len(result)``); use ``result.values``
    for array methods such as ``.sum()``.

    Attributes
    ----------
    values : (n,) float array
        The value of every player ``0 .. n-1``.
    stderr : (n,) float array or None
        Standard error of each value over the Monte Carlo samples (``nan`` where
        a single sample makes it undefined); ``None`` for exact methods.
    n_evaluations : int
        Calls of the user's utility made by this estimate (coalitions already in
        the game's cache are not counted again).
    method : str
        Name of the estimator, for example ``"permutation_mc_shapley"``.
    n_samples : int or None
        Permutations (permutation and truncated Monte Carlo) or samples per
        stratum (stratified Monte Carlo); ``None`` for exact methods.
    info : mapping
        Estimator-specific extras (for example ``n_truncated`` for TMC-Shapley).
    """

    values: np.ndarray
    stderr: np.ndarray | None
    n_evaluations: int
    method: str
    n_samples: int | None = None
    info: Mapping[str, Any] = field(default_factory=dict)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        out = self.values if dtype is None else self.values.astype(dtype)
        return out.copy() if copy else out

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: Any) -> Any:
        return self.values[index]


def check_rng(rng: Any, owner: str) -> np.random.Generator:
    """Refuse anything but a ``numpy.random.Generator`` (no hidden global state)."""
    if not isinstance(rng, np.random.Generator):
        raise ParameterError(
            f"The 'rng' parameter of {owner} must be a numpy.random.Generator. Got {type(rng).__name__} instead."
        )
    return rng
