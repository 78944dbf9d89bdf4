"""LinUCB / OFUL with a shared parameter (Abbasi-Yadkori, Pál, Szepesvári 2011; Slivkins Ch. 8)."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from mechsim.bandits.base import Policy, argmax_first
from mechsim.core.params import Nullable, Real
from mechsim.core.registry import register
from mechsim.errors import ParameterError

__all__ = ["LinUCB"]


@register("bandits/linucb-v1", kind="bandits.policy")
class LinUCB(Policy):
    """Optimism in the face of uncertainty for linear rewards ``y = x^T theta* + noise``.

    Every replication keeps ``V = reg * I + sum x x^T`` (through its inverse, shape
    (R, d, d), updated by Sherman-Morrison in O(d^2)) and ``b = sum y x`` (R, d).
    Round ``t`` plays ``argmax_k x_k^T theta_hat + beta_t ||x_k||_{V^-1}`` with
    ``theta_hat = V^-1 b``, ties to the lowest index.

    Parameters
    ----------
    alpha : float >= 0 or None, default None
        A fixed exploration width ``beta_t = alpha`` (Li et al. 2010 style). ``None``
        uses the confidence radius of Abbasi-Yadkori et al. (2011, Thm 2):
        ``beta_t = noise * sqrt(d log((1 + n L^2 / reg) / delta)) + sqrt(reg) S``,
        with ``n`` the number of observations so far.
    reg : float > 0, default 1.0
        Ridge regulariser ``lambda``.
    delta : float in (0, 1), default 0.05
        Confidence level of the radius.
    noise : float >= 0, default 0.1
        Sub-Gaussian scale ``R`` of the reward noise (0.1 is the default of
        ``bandits/linear-v1``).
    theta_bound : float >= 0, default 1.0
        ``S >= ||theta*||``.
    context_bound : float > 0, default 1.0
        ``L >= ||x||``.

    Needs contexts (``needs_contexts = True``): ``select`` takes the (R, K, d) arm
    features of the round. Deterministic: the ``rng`` is not used.
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": Nullable(Real(0.0, None)),
        "reg": Real(0.0, None, closed="neither"),
        "delta": Real(0.0, 1.0, closed="neither"),
        "noise": Real(0.0, None),
        "theta_bound": Real(0.0, None),
        "context_bound": Real(0.0, None, closed="neither"),
    }
    needs_contexts: ClassVar[bool] = True

    def __init__(
        self,
        *,
        alpha: float | None = None,
        reg: float = 1.0,
        delta: float = 0.05,
        noise: float = 0.1,
        theta_bound: float = 1.0,
        context_bound: float = 1.0,
    ) -> None:
        self.alpha = alpha
        self.reg = reg
        self.delta = delta
        self.noise = noise
        self.theta_bound = theta_bound
        self.context_bound = context_bound

    def _start(self, *, n_replications: int, n_arms: int, horizon: int, dim: int | None) -> None:
        if dim is None:
            raise ParameterError(
                "LinUCB needs the context dimension 'dim' (run it on a linear environment such as 'bandits/linear-v1')."
            )
        self.dim_ = dim
        self.rows_ = np.arange(n_replications)
        self.v_inv_ = np.broadcast_to(np.eye(dim) / self.params_["reg"], (n_replications, dim, dim)).copy()
        self.b_ = np.zeros((n_replications, dim))
        self.chosen_x_ = np.zeros((n_replications, dim))
        self.n_obs_ = 0

    def beta(self) -> float:
        """The exploration width of the current round."""
        p = self.params_
        if p["alpha"] is not None:
            return p["alpha"]
        growth = 1.0 + self.n_obs_ * p["context_bound"] ** 2 / p["reg"]
        radius = p["noise"] * math.sqrt(self.dim_ * math.log(growth / p["delta"]))
        return radius + math.sqrt(p["reg"]) * p["theta_bound"]

    def select(self, t: int, contexts: np.ndarray | None = None) -> np.ndarray:
        if contexts is None:
            raise ParameterError("LinUCB.select needs the (R, K, d) contexts of the round; got None.")
        xv = np.matmul(contexts, self.v_inv_)  # (R, K, d): rows x^T V^-1
        mean = np.einsum("rkd,rd->rk", xv, self.b_)  # x^T V^-1 b = x^T theta_hat
        width2 = np.einsum("rkd,rkd->rk", xv, contexts)  # ||x||^2 in the V^-1 norm
        index = mean + self.beta() * np.sqrt(np.maximum(width2, 0.0))
        arms = argmax_first(index)
        self.chosen_x_ = contexts[self.rows_, arms]
        return arms

    def update(self, t: int, arms: np.ndarray, rewards: np.ndarray) -> None:
        x = self.chosen_x_
        vx = np.matmul(self.v_inv_, x[:, :, None])  # (R, d, 1)
        denom = 1.0 + np.matmul(x[:, None, :], vx)  # (R, 1, 1)
        self.v_inv_ -= np.matmul(vx, vx.transpose(0, 2, 1)) / denom
        self.b_ += rewards[:, None] * x
        self.n_obs_ += 1
