"""How the arms choose their click-rates across epochs (kind ``clickbandit.strategy``).

Every arm wants as many clicks as possible against the committed learner:
``v_i(s) = E[sum_t 1{i_t = i} c_t] = s_i E[n_i(T)]``. A strategy (the shared
:class:`~mechsim.core.strategy.Strategy` contract: a population of K arms) holds ``R``
independent profiles ``profiles_`` (R, K) (replications of the dynamics) and, each epoch,

1. ``act(Observation(t=epoch, ...)) -> candidates (R, P, K)``: the profiles it wants
   played (:meth:`ArmStrategy.propose`), ``candidates[:, 0]`` being the current profile;
2. the protocol plays every candidate on the same ``seeds`` CRN seeds;
3. ``update(evaluation)``: the next profiles (:meth:`ArmStrategy.learn`).

Strategies never run the game themselves, so every click they learn from is a
click the protocol recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mechsim.clickbandit.game import Evaluation
from mechsim.core.params import Constraint, Integer, Nullable, Options, Real, RealArray
from mechsim.core.registry import register
from mechsim.core.strategy import Observation, Strategy
from mechsim.errors import ParameterError

__all__ = ["ArmTypes", "ArmStrategy", "Truthful", "FixedProfile", "GradientAscent", "BestResponse"]


@dataclass(frozen=True)
class ArmTypes:
    """The arms' private types: post-click means ``mu`` (K,) and desired click-rates ``s_star`` (K,)."""

    mu: np.ndarray
    s_star: np.ndarray


class ArmStrategy(Strategy):
    """Base class of arm strategies: a population of K arms on the shared strategy contract.

    ``reset(n_agents=K, n_replications=R, types=ArmTypes(mu, s_star), rng)`` starts the
    profiles ``profiles_`` (R, K); each epoch ``act(Observation(t=epoch, ...))`` returns
    the candidates to play (R, P, K) and ``update(evaluation)`` learns from how they did.
    Subclasses implement :meth:`initial` (the first profiles) and may override
    :meth:`propose` and :meth:`learn`.
    """

    #: False for strategies whose profile never changes (one epoch tells all).
    dynamic: ClassVar[bool] = True

    def reset(self, *, n_agents: int, n_replications: int, types: ArmTypes, rng: np.random.Generator) -> None:
        mu, s_star = np.asarray(types.mu, dtype=float), np.asarray(types.s_star, dtype=float)
        if mu.shape != (n_agents,) or s_star.shape != (n_agents,):
            raise ParameterError(f"{type(self).__name__}.reset: types must hold one mu and s* per arm ({n_agents}).")
        self.profiles_ = np.asarray(self.initial(mu=mu, s_star=s_star, n_replications=n_replications, rng=rng), dtype=float)
        self.epoch_ = 0

    def act(self, observation: Observation) -> np.ndarray:
        self.epoch_ = observation.t
        self.candidates_ = self.propose(observation.t, self.profiles_)
        return self.candidates_

    def update(self, outcome: Evaluation) -> None:
        self.profiles_ = self.learn(self.epoch_, self.profiles_, self.candidates_, outcome)

    def initial(self, *, mu: np.ndarray, s_star: np.ndarray, n_replications: int, rng: np.random.Generator) -> np.ndarray:
        """The first profiles (R, K)."""
        raise NotImplementedError

    @property
    def n_seeds(self) -> int:
        return self.seeds  # type: ignore[attr-defined]

    def propose(self, epoch: int, profiles: np.ndarray) -> np.ndarray:
        return profiles[:, None, :]

    def learn(self, epoch: int, profiles: np.ndarray, candidates: np.ndarray, ev: Evaluation) -> np.ndarray:
        """The next profiles (R, K) from this epoch's candidates and their evaluation."""
        return profiles


def _profile(values: Any, n_arms: int, *, name: str, owner: str) -> np.ndarray:
    s = np.asarray(values, dtype=float)
    if s.shape != (n_arms,):
        raise ParameterError(
            f"The '{name}' parameter of {owner} must list one click-rate per arm ({n_arms}). Got {len(s)} instead."
        )
    return s


@register("clickbandit/truthful-v1", kind="clickbandit.strategy")
class Truthful(ArmStrategy):
    """Every arm plays its desired click-rate ``s* = s*(mu)``, always.

    Parameters
    ----------
    seeds : int >= 1, default 16
        CRN seeds per replication and epoch (more seeds, tighter regret estimates).
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {"seeds": Integer(1, None)}
    dynamic: ClassVar[bool] = False

    def __init__(self, *, seeds: int = 16) -> None:
        self.seeds = seeds

    def initial(self, *, mu, s_star, n_replications, rng):
        self.get_params()
        return np.tile(np.asarray(s_star, dtype=float), (n_replications, 1))


@register("clickbandit/fixed-v1", kind="clickbandit.strategy")
class FixedProfile(ArmStrategy):
    """The arms play a given click-rate profile, always.

    Parameters
    ----------
    s : list of float in [0, 1], one per arm
    seeds : int >= 1, default 16
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "s": RealArray(0.0, 1.0, min_len=2),
        "seeds": Integer(1, None),
    }
    dynamic: ClassVar[bool] = False

    def __init__(self, *, s: Any = (1.0, 1.0), seeds: int = 16) -> None:
        self.s = s
        self.seeds = seeds

    def initial(self, *, mu, s_star, n_replications, rng):
        p = self.get_params()
        return np.tile(_profile(p["s"], len(mu), name="s", owner=type(self).__name__), (n_replications, 1))


_INIT_CONSTRAINTS: dict[str, Constraint] = {
    "init": Options(("uniform", "truthful", "fixed")),
    "init_low": Real(0.0, 1.0),
    "init_high": Real(0.0, 1.0),
    "init_s": Nullable(RealArray(0.0, 1.0, min_len=2)),
}


class _Learning(ArmStrategy):
    """Shared start of the learning dynamics: uniform, truthful or fixed initial profiles."""

    def initial(self, *, mu, s_star, n_replications, rng):
        p = self.get_params()
        owner = type(self).__name__
        k = len(mu)
        if p["init"] == "truthful":
            return np.tile(np.asarray(s_star, dtype=float), (n_replications, 1))
        if p["init"] == "fixed":
            if p["init_s"] is None:
                raise ParameterError(f"The 'init_s' parameter of {owner} must be a list of click-rates when init='fixed'. Got None instead.")
            return np.tile(_profile(p["init_s"], k, name="init_s", owner=owner), (n_replications, 1))
        if not p["init_low"] <= p["init_high"]:
            raise ParameterError(
                f"The 'init_low' parameter of {owner} must not exceed 'init_high'. "
                f"Got init_low={p['init_low']!r}, init_high={p['init_high']!r} instead."
            )
        return rng.uniform(p["init_low"], p["init_high"], size=(n_replications, k))


@register("clickbandit/gradient-v1", kind="clickbandit.strategy")
class GradientAscent(_Learning):
    """Projected gradient ascent on expected clicks, from finite differences with CRN.

    Each epoch, every arm ``i`` of every replication estimates
    ``g_i = (v_i(s + h e_i) - v_i(s)) / (h * N_i)`` by playing the base profile and
    the ``K`` perturbed profiles on the same ``seeds`` seeds (common random numbers),
    then steps ``s_i <- clip(s_i + lr * clip(g_i, -clip, clip), 0, 1)``. All arms move
    at once.

    Parameters
    ----------
    lr : float > 0, default 0.03
        Step size (click-rate units per epoch at a saturated gradient).
    fd_step : float in (0, 0.5], default 0.03
        The perturbation ``h``.
    scheme : {"forward", "central"}, default "forward"
        ``"forward"``: ``v_i(s_i + h) - v_i(s_i)`` (``s_i - h`` when ``s_i + h > 1``),
        ``K + 1`` candidates; ``"central"``: ``v_i(s_i + h) - v_i(s_i - h)`` with both
        ends clipped to [0, 1], ``2K + 1`` candidates.
    seeds : int >= 1, default 2
        CRN seeds averaged per gradient.
    clip : float > 0, default 1.0
        Gradient clipping: screening makes clicks jump with ``s``, and unclipped
        differences give huge steps.
    normalise : {"pulls", "none"}, default "pulls"
        ``N_i`` = the arm's mean pulls in the base run (at least ``min_share * T``)
        so that rarely pulled arms learn as fast as popular ones; ``"none"``: ``N_i = T``.
    min_share : float in (0, 1], default 0.01
    init : {"uniform", "truthful", "fixed"}, default "uniform"
        Initial click-rates: uniform in [init_low, init_high], ``s*``, or ``init_s``.
    init_low, init_high : float in [0, 1], defaults 0.5 and 1.0
    init_s : list of float or None
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "lr": Real(0.0, None, closed="neither"),
        "fd_step": Real(0.0, 0.5, closed="right"),
        "seeds": Integer(1, None),
        "clip": Real(0.0, None, closed="neither"),
        "normalise": Options(("pulls", "none")),
        "min_share": Real(0.0, 1.0, closed="right"),
        "scheme": Options(("forward", "central")),
        **_INIT_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        lr: float = 0.03,
        fd_step: float = 0.03,
        seeds: int = 2,
        clip: float = 1.0,
        normalise: str = "pulls",
        min_share: float = 0.01,
        scheme: str = "forward",
        init: str = "uniform",
        init_low: float = 0.5,
        init_high: float = 1.0,
        init_s: Any = None,
    ) -> None:
        self.lr = lr
        self.fd_step = fd_step
        self.seeds = seeds
        self.clip = clip
        self.normalise = normalise
        self.min_share = min_share
        self.scheme = scheme
        self.init = init
        self.init_low = init_low
        self.init_high = init_high
        self.init_s = init_s

    def propose(self, epoch, profiles):
        r, k = profiles.shape
        eye = np.eye(k)
        up = profiles[:, None, :] + self.fd_step * eye
        if self.scheme == "forward":
            flip = up > 1.0
            up = np.where(flip, profiles[:, None, :] - self.fd_step * eye, up)
            return np.concatenate([profiles[:, None, :], up], axis=1)
        down = np.clip(profiles[:, None, :] - self.fd_step * eye, 0.0, 1.0)
        return np.concatenate([profiles[:, None, :], np.clip(up, 0.0, 1.0), down], axis=1)

    def learn(self, epoch, profiles, candidates, ev):
        r, k = profiles.shape
        arms = np.arange(k)
        clicks = ev.expected_clicks.mean(axis=2)  # (R, P, K)
        if self.scheme == "forward":
            hi, lo = clicks[:, 1:, :][:, arms, arms], clicks[:, 0, :]
            s_hi, s_lo = candidates[:, 1:, :][:, arms, arms], profiles
        else:
            hi, lo = clicks[:, 1 : k + 1, :][:, arms, arms], clicks[:, k + 1 :, :][:, arms, arms]
            s_hi, s_lo = candidates[:, 1 : k + 1, :][:, arms, arms], candidates[:, k + 1 :, :][:, arms, arms]
        if self.normalise == "pulls":
            scale = np.maximum(ev.pulls[:, 0].mean(axis=1), self.min_share * ev.horizon)
        else:
            scale = np.full((r, k), float(ev.horizon))
        width = s_hi - s_lo
        grad = np.where(width != 0, (hi - lo) / np.where(width != 0, width, 1.0) / scale, 0.0)
        step = self.lr * np.clip(grad, -self.clip, self.clip)
        return np.clip(profiles + step, 0.0, 1.0)


@register("clickbandit/best-response-v1", kind="clickbandit.strategy")
class BestResponse(_Learning):
    """Best-response dynamics on a grid of click-rates, estimated with CRN.

    ``order="round-robin"``: in epoch ``e`` arm ``e mod K`` moves to the grid point
    (or its current click-rate) with the most expected clicks against the others'
    current click-rates; ``"simultaneous"``: every arm does so at once. If the
    dynamics settle, the profile is an approximate pure Nash equilibrium on the grid.

    Parameters
    ----------
    grid : int >= 2, default 21
        Grid ``{0, 1/(grid-1), ..., 1}``.
    seeds : int >= 1, default 8
    order : {"round-robin", "simultaneous"}, default "round-robin"
    init, init_low, init_high, init_s : as for ``clickbandit/gradient-v1``.
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "grid": Integer(2, None),
        "seeds": Integer(1, None),
        "order": Options(("round-robin", "simultaneous")),
        **_INIT_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        grid: int = 21,
        seeds: int = 8,
        order: str = "round-robin",
        init: str = "uniform",
        init_low: float = 0.5,
        init_high: float = 1.0,
        init_s: Any = None,
    ) -> None:
        self.grid = grid
        self.seeds = seeds
        self.order = order
        self.init = init
        self.init_low = init_low
        self.init_high = init_high
        self.init_s = init_s

    def _movers(self, epoch: int, k: int) -> np.ndarray:
        return np.arange(k) if self.order == "simultaneous" else np.array([epoch % k])

    def propose(self, epoch, profiles):
        r, k = profiles.shape
        values = np.linspace(0.0, 1.0, self.grid)
        blocks = [profiles[:, None, :]]
        for i in self._movers(epoch, k):
            c = np.repeat(profiles[:, None, :], self.grid, axis=1)
            c[:, :, i] = values
            blocks.append(c)
        return np.concatenate(blocks, axis=1)

    def learn(self, epoch, profiles, candidates, ev):
        k = profiles.shape[1]
        clicks = ev.expected_clicks.mean(axis=2)  # (R, P, K)
        new = profiles.copy()
        for b, i in enumerate(self._movers(epoch, k)):
            cols = np.concatenate([[0], 1 + b * self.grid + np.arange(self.grid)])
            best = np.argmax(clicks[:, cols, i], axis=1)  # ties keep the current click-rate
            new[:, i] = candidates[np.arange(len(new)), cols[best], i]
        return new
