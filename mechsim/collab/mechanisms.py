"""Mechanisms of collaborative learning: FedAvg, CGSV gradient rewards, FAIR-EQUAL.

=======================  =====================================================================
id                       what a node receives
=======================  =====================================================================
``collab/fedavg-v1``     the global model every round (no incentive; equal, not fair)
``collab/cgsv-v1``       a top-``q_i`` share of the aggregate update, ``q_i`` from its
                         reputation, added to its own model (fair; rich get richer)
``collab/fair-equal-v1`` explore: everyone gets the global model while contributions are
                         estimated; exploit: the global model when selected with
                         probability softmax(β ψ̂), a stale model otherwise (fair and
                         asymptotically equal)
=======================  =====================================================================
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from mechsim.collab.base import Claims, Mechanism, Outcome, Plan, Submission
from mechsim.collab.contributions import ESTIMATORS, UTILITIES, coalition_game, estimate_contributions
from mechsim.collab.stats import hotelling_stop, selection_probabilities
from mechsim.core.params import Boolean, Integer, Nullable, Options, Real
from mechsim.core.registry import register
from mechsim.valuation import CGSVReputation, cgsv

__all__ = ["FedAvg", "CGSV", "FairEqual", "sparsify_top"]


def _weighted_sum(sub: Submission, renormalise: bool) -> np.ndarray:
    w = np.where(sub.reported, sub.weights, 0.0)
    total = w.sum()
    if total <= 0:
        return np.zeros(sub.updates.shape[1])
    if renormalise:
        w = w / total
    return w @ sub.updates


@register("collab/fedavg-v1", kind="collab.mechanism")
class FedAvg(Mechanism):
    """FedAvg: every available node receives the global model; updates averaged by data size.

    ``θ_{t+1} = θ_t + Σ_{i reported} n_i g_i / Σ_{i reported} n_i``. No contribution
    estimate (``scores`` are ``nan``), so its fairness is undefined: every node holds
    the same model.

    Parameters
    ----------
    fraction : float in (0, 1], default 1.0
        Fraction of the available nodes drawn to train each round (at least one);
        every available node still receives the global model.
    contributions : estimator name or None, default None
        Also estimate each round's contributions (Shapley values of the cosine
        game, with this estimator, as FAIR-EQUAL's exploration does); ``scores``
        are then their running mean. ``None``: no estimate (``nan``).
    n_samples : int >= 1, default 1
        Samples per stratum or permutations of the estimator.
    """

    _parameter_constraints: ClassVar[dict] = {
        "fraction": Real(0.0, 1.0, closed="right"),
        "contributions": Nullable(Options(ESTIMATORS)),
        "n_samples": Integer(1, None),
    }
    claims: ClassVar[Claims] = Claims(randomized=True, extra={"equal": True})
    reward_kind: ClassVar[str] = "global-model"

    def __init__(self, *, fraction: float = 1.0, contributions: str | None = None, n_samples: int = 1) -> None:
        self.fraction = fraction
        self.contributions = contributions
        self.n_samples = n_samples

    def reset(self, *, n_agents, rng, n_params, weights, layer_sizes=None) -> None:
        self.params_ = self._start(n_agents, n_params, weights, layer_sizes)
        self.rng_ = rng
        self.psi_hat_ = np.zeros(self.n_nodes_)
        self.n_estimates_ = np.zeros(self.n_nodes_, dtype=np.int64)

    def select(self, t: int, available: np.ndarray) -> Plan:
        available = np.asarray(available, dtype=bool)
        train = available.copy()
        idx = np.flatnonzero(available)
        if self.params_["fraction"] < 1.0 and idx.size:
            k = max(1, math.ceil(self.params_["fraction"] * idx.size))
            train[:] = False
            train[self.rng_.choice(idx, size=k, replace=False)] = True
        return Plan(train=train, sync=available.copy())

    def step(self, t: int, submission: Submission) -> Outcome:
        contributions, scores = self._nan_scores(), self._nan_scores()
        if self.params_["contributions"] is not None and submission.reported.any():
            game = coalition_game(submission.updates, submission.weights, submission.reported, utility="cosine")
            contributions = estimate_contributions(game, self.params_["contributions"], self.params_["n_samples"], self.rng_)
            seen = submission.reported
            self.n_estimates_ += seen
            self.psi_hat_ = np.where(seen, self.psi_hat_ + (contributions - self.psi_hat_) / np.maximum(self.n_estimates_, 1), self.psi_hat_)
            contributions = np.where(seen, contributions, np.nan)
            scores = self.psi_hat_.copy()
        return Outcome(
            aggregate=_weighted_sum(submission, renormalise=True),
            allocation=submission.available.copy(),
            rewards=submission.available.astype(float),
            scores=scores,
            info={"contributions": contributions, "stage": 0},
        )


def sparsify_top(vector: np.ndarray, quotas: np.ndarray, layer_sizes: tuple[int, ...]) -> np.ndarray:
    """Per node, the layer-wise top-``⌈q_i · |layer|⌉`` entries of ``vector`` by magnitude.

    Parameters
    ----------
    vector : (P,) float
    quotas : (N,) float in [0, 1]
    layer_sizes : sizes of the consecutive layers of ``vector`` (sum ``P``)

    Returns
    -------
    (N, P) float: row ``i`` keeps the largest-magnitude entries of each layer (ties
    broken by position) and zeroes the rest.
    """
    quotas = np.clip(np.asarray(quotas, dtype=float), 0.0, 1.0)
    out = np.zeros((quotas.size, vector.size))
    start = 0
    for size in layer_sizes:
        part = vector[start : start + size]
        order = np.argsort(-np.abs(part), kind="stable")
        rank = np.empty(size, dtype=np.int64)
        rank[order] = np.arange(size)
        keep = rank[None, :] < np.ceil(quotas * size)[:, None]
        out[:, start : start + size] = np.where(keep, part[None, :], 0.0)
        start += size
    return out


@register("collab/cgsv-v1", kind="collab.mechanism")
class CGSV(Mechanism):
    """CGSV gradient rewards (Xu et al., NeurIPS 2021): fair, but the rich get richer.

    Each round every available node trains from its *own* model; the server
    normalises the updates, ``u_i = Γ g_i / ||g_i||``, aggregates them with the
    reputations (data shares in the first round), ``u_N = Σ_i r_i u_i``, and sets
    ``θ += u_N``. Contributions ``ψ_{i,t} = cos(u_i, u_N)`` update the reputation
    ``r <- α r + (1 - α) ψ_t`` (clipped at ``floor``, normalised); node ``i`` gets the
    quota ``q_i = tanh(β r_i) / max_j tanh(β r_j)`` and its reward is the
    layer-wise top-``⌈q_i |layer|⌉`` entries of ``u_N`` added to its own model.
    Nodes never resync, so less resourceful nodes stay behind.

    Parameters
    ----------
    beta : float > 0, default 1.0
        Quota temperature (the paper sweeps 0.5 .. 2 and 1e7).
    alpha : float in [0, 1], default 0.95
        Weight of the past reputation.
    gamma : float > 0, default 0.5
        Norm ``Γ`` of the normalised updates (the server step size).
    gamma_decay : float in (0, 1], default 1.0
        ``Γ`` is multiplied by this after every round.
    floor : float >= 0, default 1e-3
        Lower clip of the reputations before normalising.
    layerwise : bool, default True
        Sparsify each layer separately (the paper's ``mode='layer'``); otherwise the
        whole vector at once.
    """

    _parameter_constraints: ClassVar[dict] = {
        "beta": Real(0.0, None, closed="neither"),
        "alpha": Real(0.0, 1.0),
        "gamma": Real(0.0, None, closed="neither"),
        "gamma_decay": Real(0.0, 1.0, closed="right"),
        "floor": Real(0.0, None),
        "layerwise": Boolean(),
    }
    claims: ClassVar[Claims] = Claims(fair=True, extra={"estimates_contributions": True})
    reward_kind: ClassVar[str] = "sparsified-gradient"

    def __init__(
        self,
        *,
        beta: float = 1.0,
        alpha: float = 0.95,
        gamma: float = 0.5,
        gamma_decay: float = 1.0,
        floor: float = 1e-3,
        layerwise: bool = True,
    ) -> None:
        self.beta = beta
        self.alpha = alpha
        self.gamma = gamma
        self.gamma_decay = gamma_decay
        self.floor = floor
        self.layerwise = layerwise

    def reset(self, *, n_agents, rng, n_params, weights, layer_sizes=None) -> None:
        self.params_ = self._start(n_agents, n_params, weights, layer_sizes)
        self.rng_ = rng
        self.reputation_ = CGSVReputation(alpha=self.params_["alpha"], floor=self.params_["floor"])
        self.reputation_.reset(self.n_nodes_)
        self.gamma_ = self.params_["gamma"]
        self.n_steps_ = 0

    def select(self, t: int, available: np.ndarray) -> Plan:
        available = np.asarray(available, dtype=bool)
        return Plan(train=available.copy(), sync=np.zeros_like(available))

    def step(self, t: int, submission: Submission) -> Outcome:
        g = np.where(submission.reported[:, None], submission.updates, 0.0)
        norms = np.linalg.norm(g, axis=1, keepdims=True)
        u = self.gamma_ * g / np.where(norms > 0, norms, 1.0)
        base = submission.weights if self.n_steps_ == 0 else self.reputation_.reputation_
        w = np.where(submission.reported & (norms[:, 0] > 0), base, 0.0)
        total = w.sum()
        u_n = (w / total) @ u if total > 0 else np.zeros(self.n_params_)
        psi = cgsv(u, aggregate=u_n) if np.any(u_n) else np.zeros(self.n_nodes_)
        r = self.reputation_.update(psi)
        tq = np.tanh(self.params_["beta"] * r)
        q = tq / tq.max() if tq.max() > 0 else np.ones_like(tq)
        allocation = submission.available.copy()
        layers = self.layer_sizes_ if self.params_["layerwise"] else (self.n_params_,)
        reward_updates = sparsify_top(u_n, np.where(allocation, q, 0.0), layers)
        self.gamma_ *= self.params_["gamma_decay"]
        self.n_steps_ += 1
        return Outcome(
            aggregate=u_n,
            allocation=allocation,
            rewards=np.where(allocation, q, 0.0),
            scores=r.copy(),
            reward_updates=reward_updates,
            info={"contributions": psi, "stage": 0},
        )


@register("collab/fair-equal-v1", kind="collab.mechanism")
class FairEqual(Mechanism):
    """FAIR-EQUAL explore-then-exploit (Lin et al., ICML 2023): fair yet asymptotically equal.

    **Explore** (stage 1): every available node receives the global model and trains;
    ``θ_{t+1} = θ_t + Σ_i w_i g_i``; this round's contributions ``φ_t`` are the Shapley
    values of a coalition utility (:mod:`mechsim.collab.contributions`) and
    ``ψ̂`` is their running mean. Exploration stops when the Hotelling T² test on
    the contributions of ``test_dim`` tracked nodes cannot reject that ``ψ̂`` equals
    its value ``window`` rounds ago (``p > alpha``), or after ``explore_rounds``.

    **Exploit** (stage 2): ``k = ⌊r N⌋`` nodes are drawn without replacement with
    probabilities ``softmax(β ψ̂)``; they receive the global model (their reward) and
    train; the others keep their stale models. ``θ_{t+1} = θ_t + Σ_{i∈S_t} w_i g_i``
    (not renormalised, as the official code, unless ``renormalise``).

    Parameters
    ----------
    beta : float >= 0, default 150.0
        Softmax temperature. Choose it against the spread of ``ψ̂`` (about
        ``1/N``): ``β Δψ`` of 1-3 balances fairness and equality.
    selection_ratio : float in (0, 1], default 0.4
        ``r``, the fraction of nodes selected per exploitation round.
    alpha : float in [0, 1], default 0.7
        Threshold of the stopping test (larger stops later).
    window : int >= 1, default 15
        ``τ``, the look-back of the stopping test.
    test_dim : int >= 1, default 10
        ``d``, the number of nodes (drawn once at reset) tracked by the test.
    explore_rounds : int >= 1 or None, default None
        A fixed exploration length instead of the test.
    max_explore_rounds : int >= 1 or None, default None
        Stop exploring after this many rounds even if the test has not stopped.
    utility : {"cosine", "validation"}, default "cosine"
    estimator : {"stratified", "permutation", "truncated", "exact", "leave_one_out"}, default "stratified"
    n_samples : int >= 1, default 1
        Samples per stratum or permutations of the estimator.
    score_type : {"proportion", "reverse", "uniform"}, default "proportion"
        The selection ablations of the official code.
    renormalise : bool, default False
        Divide the aggregate by the reporting nodes' total weight.
    normalise : bool, default False
        Divide each round's contributions by their total absolute value (when it is
        positive). This puts any utility on the scale of the cosine utility, whose
        values sum to about one, so the same ``beta`` fits; the official ``mr``
        valuation normalises its per-round values in the same spirit.
    """

    _parameter_constraints: ClassVar[dict] = {
        "beta": Real(0.0, None),
        "selection_ratio": Real(0.0, 1.0, closed="right"),
        "alpha": Real(0.0, 1.0),
        "window": Integer(1, None),
        "test_dim": Integer(1, None),
        "explore_rounds": Nullable(Integer(1, None)),
        "max_explore_rounds": Nullable(Integer(1, None)),
        "utility": Options(UTILITIES),
        "estimator": Options(ESTIMATORS),
        "n_samples": Integer(1, None),
        "score_type": Options(("proportion", "reverse", "uniform")),
        "renormalise": Boolean(),
        "normalise": Boolean(),
    }
    claims: ClassVar[Claims] = Claims(
        fair=True, randomized=True, extra={"asymptotically_equal": True, "estimates_contributions": True}
    )
    reward_kind: ClassVar[str] = "model-refresh"

    def __init__(
        self,
        *,
        beta: float = 150.0,
        selection_ratio: float = 0.4,
        alpha: float = 0.7,
        window: int = 15,
        test_dim: int = 10,
        explore_rounds: int | None = None,
        max_explore_rounds: int | None = None,
        utility: str = "cosine",
        estimator: str = "stratified",
        n_samples: int = 1,
        score_type: str = "proportion",
        renormalise: bool = False,
        normalise: bool = False,
    ) -> None:
        self.beta = beta
        self.selection_ratio = selection_ratio
        self.alpha = alpha
        self.window = window
        self.test_dim = test_dim
        self.explore_rounds = explore_rounds
        self.max_explore_rounds = max_explore_rounds
        self.utility = utility
        self.estimator = estimator
        self.n_samples = n_samples
        self.score_type = score_type
        self.renormalise = renormalise
        self.normalise = normalise

    def reset(self, *, n_agents, rng, n_params, weights, layer_sizes=None) -> None:
        self.params_ = self._start(n_agents, n_params, weights, layer_sizes)
        self.rng_ = rng
        d = min(self.params_["test_dim"], self.n_nodes_)
        self.tracked_ = np.sort(rng.choice(self.n_nodes_, size=d, replace=False))
        self.stage_ = 1
        self.psi_hat_ = np.zeros(self.n_nodes_)
        self.history_: list[np.ndarray] = []
        self.n_explore_ = 0
        self.stop_round_: int | None = None
        self.p_value_ = math.nan
        self.k_ = max(1, math.floor(self.params_["selection_ratio"] * self.n_nodes_))

    def select(self, t: int, available: np.ndarray) -> Plan:
        available = np.asarray(available, dtype=bool)
        if self.stage_ == 1:
            return Plan(train=available.copy(), sync=available.copy())
        p = selection_probabilities(self.psi_hat_, self.params_["beta"], available, self.params_["score_type"])
        chosen = np.zeros(self.n_nodes_, dtype=bool)
        k = min(self.k_, int(available.sum()))
        if k > 0:
            chosen[self.rng_.choice(self.n_nodes_, size=k, replace=False, p=p)] = True
        return Plan(train=chosen, sync=chosen.copy())

    def selection_probabilities(self, available: np.ndarray) -> np.ndarray:
        """The exploitation-stage probabilities ``softmax(β ψ̂)`` over ``available`` nodes."""
        return selection_probabilities(self.psi_hat_, self.params_["beta"], available, self.params_["score_type"])

    def step(self, t: int, submission: Submission) -> Outcome:
        stage = self.stage_
        aggregate = _weighted_sum(submission, renormalise=self.params_["renormalise"])
        contributions = self._nan_scores()
        p_value = math.nan
        if stage == 1:
            game = coalition_game(
                submission.updates,
                submission.weights,
                submission.reported,
                utility=self.params_["utility"],
                params=submission.params,
                evaluate=submission.evaluate,
            )
            contributions = estimate_contributions(game, self.params_["estimator"], self.params_["n_samples"], self.rng_)
            total = np.abs(contributions).sum()
            if self.params_["normalise"] and total > 0:
                contributions = contributions / total
            self.n_explore_ += 1
            self.psi_hat_ = self.psi_hat_ + (contributions - self.psi_hat_) / self.n_explore_
            self.history_.append(contributions[self.tracked_])
            stop, p_value = self._stop()
            self.p_value_ = p_value
            if stop:
                self.stage_ = 2
                self.stop_round_ = self.n_explore_
            allocation = submission.available.copy()
        else:
            allocation = submission.trained.copy()
        return Outcome(
            aggregate=aggregate,
            allocation=allocation,
            rewards=allocation.astype(float),
            scores=self.psi_hat_.copy(),
            info={"contributions": contributions, "stage": stage, "p_value": p_value},
        )

    def _stop(self) -> tuple[bool, float]:
        p = self.params_
        n = self.n_explore_
        if p["explore_rounds"] is not None:
            return n >= p["explore_rounds"], math.nan
        stop, p_value = hotelling_stop(np.asarray(self.history_), p["window"], p["alpha"])
        if p["max_explore_rounds"] is not None and n >= p["max_explore_rounds"]:
            stop = True
        return stop, p_value
