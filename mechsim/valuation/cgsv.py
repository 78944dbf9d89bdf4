"""Cosine-gradient contributions (CGSV, Xu et al. NeurIPS 2021) and the cosine-gradient game.

Xu, Lyu, Ma, Miao, Foo, Low, "Gradient-Driven Rewards to Guarantee Fairness in
Collaborative Machine Learning" (NeurIPS 2021). Per round ``t``, with node updates
``Δ_i``:

1. ``u_i = Γ Δ_i / ||Δ_i||`` (Γ is a step size; it cancels in every cosine below);
2. ``u_N = Σ_i w_i u_i`` with ``w`` the shard-size shares at ``t = 0`` and the
   reputations ``r`` afterwards;
3. ``ψ_{i,t} = cos(u_i, u_N)``, the CGSV approximation of the Shapley value of the
   game ``U(S) = cos(u_S, u_N)`` (:func:`cgsv`);
4. ``r_i <- α r_i + (1 - α) ψ_{i,t}``, clipped below at ``1e-3`` and normalised to
   sum to one (:class:`CGSVReputation`; the official code ``main.py``, α = 0.95).

The reward step (quota ``tanh(β r_i)`` and gradient sparsification) is a mechanism's
business and lives with the collaborative-learning family.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from mechsim.core.params import Boolean, Constraint, Integer, Nullable, Real, RealArray, check_value, validate_params
from mechsim.errors import ParameterError
from mechsim.valuation.game import Game

__all__ = ["cgsv", "CGSVReputation", "cosine_gradient_game", "flatten_updates"]


def _flatten_one(update: Any) -> np.ndarray:
    if isinstance(update, Mapping):
        parts = list(update.values())
    else:
        try:
            return np.asarray(update, dtype=float).ravel()
        except (TypeError, ValueError):
            parts = list(update)
    return np.concatenate([np.asarray(p, dtype=float).ravel() for p in parts]) if parts else np.empty(0)


def flatten_updates(gradients: Any, owner: str = "flatten_updates") -> np.ndarray:
    """Stack ``n`` model updates into a float matrix of shape (n, d).

    Parameters
    ----------
    gradients : array of shape (n, ...) or sequence of n updates
        An update is an array of any shape, a sequence of arrays (layers), or a
        mapping of names to arrays (a state dict, flattened in iteration order).
        Every update must flatten to the same length ``d >= 1``.
    """
    if not isinstance(gradients, (np.ndarray, Sequence)) and hasattr(gradients, "__array__"):
        gradients = np.asarray(gradients)  # a tensor of shape (n, ...)
    rows: list[np.ndarray] = []
    if isinstance(gradients, np.ndarray):
        if gradients.ndim >= 1 and gradients.shape[0] >= 1 and gradients.dtype != object:
            rows = list(gradients.reshape(gradients.shape[0], -1).astype(float))
        elif gradients.ndim >= 1:
            gradients = list(gradients)
    if isinstance(gradients, Sequence) and not isinstance(gradients, (str, bytes)):
        try:
            rows = [_flatten_one(g) for g in gradients]
        except (TypeError, ValueError):
            rows = []
    lengths = {len(r) for r in rows}
    if not rows or len(lengths) != 1 or 0 in lengths:
        raise ParameterError(
            f"The 'gradients' parameter of {owner} must be n >= 1 updates that flatten to the same "
            f"length d >= 1. Got {'lengths ' + str(sorted(lengths)) if rows else type(gradients).__name__} instead."
        )
    out = np.stack(rows)
    if not np.all(np.isfinite(out)):
        raise ParameterError(f"The 'gradients' parameter of {owner} must hold finite floats. Got nan or inf instead.")
    return out


def _cosine(rows: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Cosine of every row of (n, d) ``rows`` with (d,) ``reference``; 0 where a norm is 0."""
    denom = np.linalg.norm(rows, axis=-1) * np.linalg.norm(reference)
    safe = np.where(denom > 0, denom, 1.0)
    return np.clip(np.where(denom > 0, rows @ reference / safe, 0.0), -1.0, 1.0)


def _check_weights(weights: Any, n: int, owner: str) -> np.ndarray:
    if weights is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(check_value(RealArray(0, None), weights, name="weights", owner=owner))
    if w.shape != (n,):
        raise ParameterError(
            f"The 'weights' parameter of {owner} must have one weight per update ({n}). Got {w.size} instead."
        )
    return w


def cgsv(
    gradients: Any,
    aggregate: Any = None,
    *,
    weights: Any = None,
    unit_norm: bool = True,
    normalise: bool = False,
) -> np.ndarray:
    """Cosine-gradient contributions ``ψ_i = cos(u_i, u_N)`` (Xu et al. 2021, CGSV).

    Parameters
    ----------
    gradients : array of shape (n, ...) or sequence of n updates
        One model update per node; see :func:`flatten_updates`.
    aggregate : array-like or None, default None
        The aggregate update ``u_N`` (any shape flattening to ``d``). ``None``
        aggregates the updates: ``u_N = Σ_i w_i u_i``.
    weights : (n,) array-like of float >= 0 or None, default None
        Aggregation weights when ``aggregate`` is ``None`` (the paper: shard-size
        shares at the first round, reputations afterwards). ``None`` gives the mean.
    unit_norm : bool, default True
        Scale every update to unit norm before aggregating, as the paper does
        (``u_i = Γ Δ_i / ||Δ_i||``). Only changes the default aggregate: a cosine
        does not depend on the scale of ``u_i``.
    normalise : bool, default False
        Divide the contributions by their sum so that they sum to one (``nan``
        everywhere when the sum is zero). Negative cosines stay negative.

    Returns
    -------
    (n,) float array
        Cosines in ``[-1, 1]``; a zero update (or a zero aggregate) has cosine 0,
        as in the paper's code (``F.cosine_similarity(..., eps=1e-10)``), where
        ``scipy.spatial.distance.cosine`` would give ``nan``.
    """
    owner = "cgsv"
    rows = flatten_updates(gradients, owner)
    n, d = rows.shape
    unit_norm = check_value(Boolean(), unit_norm, name="unit_norm", owner=owner)
    normalise = check_value(Boolean(), normalise, name="normalise", owner=owner)
    if aggregate is None:
        w = _check_weights(weights, n, owner)
        u = rows
        if unit_norm:
            norms = np.linalg.norm(rows, axis=1, keepdims=True)
            u = rows / np.where(norms > 0, norms, 1.0)
        reference = w @ u
    else:
        reference = np.asarray(aggregate, dtype=float).ravel()
        if reference.shape != (d,) or not np.all(np.isfinite(reference)):
            raise ParameterError(
                f"The 'aggregate' parameter of {owner} must flatten to {d} finite floats, the length of an update. "
                f"Got shape {np.shape(aggregate)} instead."
            )
    psi = _cosine(rows, reference)
    if normalise:
        total = psi.sum()
        psi = psi / total if total != 0 else np.full(n, np.nan)
    return psi


class CGSVReputation:
    """The CGSV reputation, a moving average of per-round cosine contributions.

    ``r <- alpha * r + (1 - alpha) * psi_t``, then ``r <- max(r, floor)`` and
    ``r <- r / sum(r)``: the update of Xu et al. (2021) as run in their code
    (``main.py``: ``alpha = 0.95``, ``clamp(min=1e-3)``, normalise). The reputation
    starts at zero, as in the code, so after the first round it is ``psi_1``
    normalised.

    Parameters
    ----------
    alpha : float in [0, 1], default 0.95
        Weight of the past reputation.
    floor : float >= 0 or None, default 1e-3
        Lower clip applied before normalising (keeps weights positive); ``None``
        skips the clip.
    normalise : bool, default True
        Normalise the reputations to sum to one after each update.

    Attributes
    ----------
    reputation_ : (n,) float array or None
        The current reputations; ``None`` before :meth:`reset` or the first update.
    n_rounds_ : int
        Updates made since :meth:`reset`.
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "alpha": Real(0, 1),
        "floor": Nullable(Real(0, None)),
        "normalise": Boolean(),
    }

    def __init__(self, alpha: float = 0.95, floor: float | None = 1e-3, normalise: bool = True) -> None:
        self.alpha = alpha
        self.floor = floor
        self.normalise = normalise
        self.reputation_: np.ndarray | None = None
        self.n_rounds_ = 0

    def reset(self, n_nodes: int) -> np.ndarray:
        """Start from zero reputations for ``n_nodes`` nodes; returns them, shape (n,)."""
        validate_params(self)
        n = check_value(Integer(1, None), n_nodes, name="n_nodes", owner=type(self).__name__)
        self.reputation_ = np.zeros(n)
        self.n_rounds_ = 0
        return self.reputation_.copy()

    def update(self, contributions: Any) -> np.ndarray:
        """Fold one round's contributions ``psi_t`` (shape (n,)) into the reputation.

        Resets to ``n = len(contributions)`` nodes first when not reset yet.
        Returns the new reputations, shape (n,).
        """
        owner = type(self).__name__
        psi = np.asarray(check_value(RealArray(), contributions, name="contributions", owner=owner))
        params = validate_params(self)
        previous = self.reputation_ if self.reputation_ is not None else self.reset(len(psi))
        if psi.shape != previous.shape:
            raise ParameterError(
                f"The 'contributions' parameter of {owner} must have one value per node "
                f"({previous.size}). Got {psi.size} instead."
            )
        r = params["alpha"] * previous + (1.0 - params["alpha"]) * psi
        if params["floor"] is not None:
            r = np.maximum(r, params["floor"])
        if params["normalise"]:
            total = r.sum()
            r = r / total if total != 0 else np.full_like(r, np.nan)
        self.reputation_ = r
        self.n_rounds_ += 1
        return r.copy()

    def step(self, gradients: Any, *, weights: Any = None, unit_norm: bool = True) -> np.ndarray:
        """One CGSV round: contributions of ``gradients`` against their aggregate, then :meth:`update`.

        The aggregate is ``Σ_i w_i u_i`` with ``w = weights`` when given, else the
        current reputations, or uniform weights in the first round (the paper uses
        shard-size shares in the first round: pass them as ``weights``).

        Returns
        -------
        (n,) float array
            This round's contributions ``psi_t`` (the reputations are in
            ``reputation_``).
        """
        if weights is None and self.reputation_ is not None and self.n_rounds_ > 0:
            weights = self.reputation_
        psi = cgsv(gradients, weights=weights, unit_norm=unit_norm)
        self.update(psi)
        return psi


def cosine_gradient_game(gradients: Any, weights: Any = None, reference: Any = None) -> Game:
    """The per-round game ``U(S) = cos(Σ_{j∈S} w_j g_j, g_N)``, ``U(∅) = 0``.

    This is the utility behind CGSV and behind the ``cos_grad`` valuation of Lin et
    al. (ICML 2023, §1.3 of the fairness spec); by efficiency the Shapley values sum
    to ``U(N) = 1`` when ``reference`` is the default. The official code of Lin et al.
    weighs coalition sums by ``w_j^2`` (the updates already carry ``w_j``); this game
    uses ``w_j`` once, which is the same for uniform weights.

    Parameters
    ----------
    gradients : array of shape (n, ...) or sequence of n updates
    weights : (n,) array-like of float >= 0 or None, default None (uniform 1/n)
    reference : array-like or None, default None
        The direction coalitions are compared with; ``None`` gives
        ``g_N = Σ_j w_j g_j``.

    Returns
    -------
    Game
        An ``n``-player game (memoised; the utility receives boolean masks).
    """
    owner = "cosine_gradient_game"
    rows = flatten_updates(gradients, owner)
    n, d = rows.shape
    weighted = _check_weights(weights, n, owner)[:, None] * rows
    ref = weighted.sum(axis=0) if reference is None else np.asarray(reference, dtype=float).ravel()
    if ref.shape != (d,) or not np.all(np.isfinite(ref)):
        raise ParameterError(
            f"The 'reference' parameter of {owner} must flatten to {d} finite floats. "
            f"Got shape {np.shape(reference)} instead."
        )

    def utility(mask: np.ndarray) -> float:
        return float(_cosine(weighted[mask].sum(axis=0), ref))

    return Game(utility, n, empty_value=0.0, as_mask=True)
