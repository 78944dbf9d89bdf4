"""Reward schemes for parties that join at different times, as :class:`Mechanism` s.

Every scheme is started with the valuation and returns, for a profile of join
times, each party's **reward value** ``r_i`` (the value of the model it will
receive; Chen et al., NeurIPS 2025)::

    mech = make("timeaware/valuation-v1", gamma=0.5)
    mech.reset(n_agents=3, rng=rng, values=table)   # table: (2**n,) v by coalition mask
    out = mech.step(0, join_times)                  # join_times: (n,) in interval units

``Outcome.allocation`` and ``Outcome.payments`` are both ``r`` (the model reward's
value, and what a token payout with ``basis = "payments"`` settles); ``scores`` is
the plain Shapley value ``phi``; ``info`` holds ``standalone`` (``v_i``), ``grand``
(``v_N``) and the scheme's raw scores before an optional rho-Shapley map.

Claims (tested by :mod:`mechsim.timeaware.checks`): individual rationality
``r_i >= v_i`` on superadditive valuations, and the time-aware conditions F1-F8
in ``Claims.extra`` (see :mod:`mechsim.timeaware.conditions`). Claims hold for the
defaults (``rho = None``); a rho-Shapley map keeps IR but may break F7/F8, which
the F-check report shows. "Truthful" here means *join as early as you can*: by F7,
delaying one's join (the zoo's ``late:d``) never raises one's reward, whatever the
others do.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mechsim.core.mechanism import Claims, Mechanism, Outcome
from mechsim.core.params import Boolean, Integer, Nullable, Options, Real
from mechsim.core.registry import register
from mechsim.errors import ParameterError
from mechsim.timeaware import schemes
from mechsim.valuation.dividends import check_table, harsanyi_dividends, shapley_from_dividends

__all__ = ["TimeAwareMechanism", "ShapleyReward", "RewardCumulation", "LiteralRewardCumulation", "TimeAwareValuation", "NaiveTimeDivision"]

_F_ALL = {f"F{k}": True for k in range(1, 9)}


class TimeAwareMechanism(Mechanism):
    """Base class: holds the valuation's table and dividends; subclasses give ``_raw(join)``.

    ``reset`` context
    -----------------
    values : (2**n_agents,) array, required
        The valuation ``v`` by coalition bit mask, ``v[0] = 0``.
    n_intervals : int, optional
        Number of collaboration intervals of the run (used by schemes whose own
        ``n_intervals`` setting is ``None``).
    """

    _parameter_constraints: ClassVar[dict] = {"rho": Nullable(Real(0.0, 1.0))}

    def __init__(self, *, rho: float | None = None) -> None:
        self.rho = rho

    def reset(self, *, n_agents: int, rng: np.random.Generator, values: Any = None, n_intervals: int | None = None, **context: Any) -> None:
        self.params_ = self.get_params()
        if values is None:
            raise ParameterError(f"{type(self).__name__}.reset needs the valuation table 'values' of shape (2**{n_agents},).")
        table, n = check_table(values, type(self).__name__)
        if n != n_agents:
            raise ParameterError(f"The 'values' table of {type(self).__name__} has 2**{n} entries for {n_agents} agents.")
        self.n_agents_ = n
        self.values_ = table
        self.dividends_ = harsanyi_dividends(table)
        self.shapley_ = shapley_from_dividends(self.dividends_)
        self.context_intervals_ = n_intervals
        self.rng_ = rng

    def _raw(self, join: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _scores_and_rewards(self, join_times: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        join = np.asarray(join_times, dtype=float).reshape(-1)
        if join.shape != (self.n_agents_,) or not np.all(np.isfinite(join)):
            raise ParameterError(f"{type(self).__name__}: join times must be {self.n_agents_} finite numbers. Got {join_times!r}.")
        raw = self._raw(join)
        rho = self.params_["rho"]
        return join, raw, (raw if rho is None else schemes.rho_scale(raw, float(self.values_[-1]), rho))

    def rewards(self, join_times: Any) -> np.ndarray:
        """``(n,)`` reward values for a join-time profile (no state changes; for counterfactuals)."""
        return self._scores_and_rewards(join_times)[2]

    def step(self, t: int, reports: Any) -> Outcome:
        join, raw, r = self._scores_and_rewards(reports)
        standalone = self.values_[1 << np.arange(self.n_agents_)]
        return Outcome(
            allocation=r.copy(),
            payments=r.copy(),
            scores=self.shapley_.copy(),
            info={"standalone": standalone, "grand": float(self.values_[-1]), "join_times": join, "raw": raw},
        )


@register("timeaware/shapley-v1", kind="timeaware.mechanism")
class ShapleyReward(TimeAwareMechanism):
    """Plain Shapley value ``r_i = phi_i`` (time-blind: F7 holds with equality, F8 fails).

    Parameters
    ----------
    rho : float in [0, 1] or None, default None
        Optional rho-Shapley map ``r_i = (s_i / max s)^rho v_N``.
    """

    claims: ClassVar[Claims] = Claims(truthful="dominant", individually_rational=True, fair=True, extra={**_F_ALL, "F8": False})

    def _raw(self, join: np.ndarray) -> np.ndarray:
        return self.shapley_.copy()


@register("timeaware/cumulation-v1", kind="timeaware.mechanism")
class RewardCumulation(TimeAwareMechanism):
    """Scheme 1: time-aware reward cumulation over intervals ``tau = 0 .. n_intervals - 1``.

    ``r_i = sum_tau w_tau phi_i(v^tau)`` with ``w_tau ∝ beta^tau`` and the interval game
    ``v^tau(C) = v(C ∩ J_tau)`` (``J_tau``: parties joined by ``tau``). With
    ``standalone_fallback`` (default) a party not yet joined keeps its standalone
    value in ``v^tau`` (spec §2.4 option (i)), which makes the scheme IR on every
    superadditive valuation; the literal game is ``timeaware/cumulation-literal-v1``.

    Parameters
    ----------
    beta : float in (0, inf], default 1.0
        Interval discount; ``inf`` puts all weight on the last interval (plain Shapley).
    n_intervals : int >= 1 or None, default None
        Interval horizon; ``None`` uses the run's ``n_intervals`` (reset context), else
        ``max t + 1`` per call. Counterfactuals (F7/F8) need a fixed horizon.
    standalone_fallback : bool, default True
    rho : float in [0, 1] or None, default None
    """

    _parameter_constraints: ClassVar[dict] = {
        **TimeAwareMechanism._parameter_constraints,
        "beta": Real(0.0, None, closed="right"),
        "n_intervals": Nullable(Integer(1, None)),
        "standalone_fallback": Boolean(),
    }
    claims: ClassVar[Claims] = Claims(truthful="dominant", individually_rational=True, fair=True, extra=dict(_F_ALL))

    def __init__(self, *, beta: float = 1.0, n_intervals: int | None = None, standalone_fallback: bool = True, rho: float | None = None) -> None:
        super().__init__(rho=rho)
        self.beta = beta
        self.n_intervals = n_intervals
        self.standalone_fallback = standalone_fallback

    def horizon(self, join: np.ndarray) -> int:
        """The number of intervals used for ``join``."""
        h = self.params_["n_intervals"] or self.context_intervals_
        return int(h) if h is not None else int(np.max(join)) + 1

    def _raw(self, join: np.ndarray) -> np.ndarray:
        p = self.params_
        return schemes.cumulation_rewards(self.dividends_, join, p["beta"], self.horizon(join), p["standalone_fallback"])


@register("timeaware/cumulation-literal-v1", kind="timeaware.mechanism")
class LiteralRewardCumulation(RewardCumulation):
    """Scheme 1 with the literal interval game ``v(C ∩ J_tau)``: a late joiner earns 0 before it joins.

    Not individually rational: ``v = (1, 2; 5)``, ``t = (0, 1)``, ``beta = 1`` gives
    ``r = (1.5, 1.5) < v_2 = 2`` (reproduced in the tests and the F-check table).
    Same parameters as :class:`RewardCumulation`, with ``standalone_fallback = False``.
    """

    claims: ClassVar[Claims] = Claims(truthful="dominant", individually_rational=False, fair=True, extra={**_F_ALL, "F2": False})

    def __init__(self, *, beta: float = 1.0, n_intervals: int | None = None, standalone_fallback: bool = False, rho: float | None = None) -> None:
        super().__init__(beta=beta, n_intervals=n_intervals, standalone_fallback=standalone_fallback, rho=rho)


@register("timeaware/valuation-v1", kind="timeaware.mechanism")
class TimeAwareValuation(TimeAwareMechanism):
    """Scheme 2: the Shapley value of the time-aware game (collaborative capacity ``exp(-gamma t_i)``).

    ``v_{C,t} = sum_{S ⊆ C, |S| >= 2} d(v, S) min_{i in S} e^{-gamma t_i} + sum_{i in C} v_i``.

    Parameters
    ----------
    gamma : float >= 0, default 0.5
        ``0`` is plain Shapley (then F8 fails).
    method : {"closed_form", "shapley"}, default "closed_form"
        ``closed_form`` splits the weighted dividends; ``shapley`` builds the time-aware
        game's table and takes its exact Shapley value (the same numbers to ~1e-12).
    rho : float in [0, 1] or None, default None
    """

    _parameter_constraints: ClassVar[dict] = {
        **TimeAwareMechanism._parameter_constraints,
        "gamma": Real(0.0, None, closed="left"),
        "method": Options(("closed_form", "shapley")),
    }
    claims: ClassVar[Claims] = Claims(truthful="dominant", individually_rational=True, fair=True, extra=dict(_F_ALL))

    def __init__(self, *, gamma: float = 0.5, method: str = "closed_form", rho: float | None = None) -> None:
        super().__init__(rho=rho)
        self.gamma = gamma
        self.method = method

    def _raw(self, join: np.ndarray) -> np.ndarray:
        p = self.params_
        if not np.isfinite(p["gamma"]):
            raise ParameterError(f"The 'gamma' parameter of TimeAwareValuation must be a finite float in [0, inf). Got {p['gamma']!r} instead.")
        if p["method"] == "closed_form":
            return schemes.valuation_rewards(self.dividends_, join, p["gamma"])
        from mechsim.valuation.dividends import shapley_from_table

        return shapley_from_table(schemes.time_aware_table(self.dividends_, join, p["gamma"]))


@register("timeaware/naive-division-v1", kind="timeaware.mechanism")
class NaiveTimeDivision(TimeAwareMechanism):
    """Negative baseline: ``r_i = phi_i / (t_i + 1)`` (Shapley divided by the 1-based join time).

    Rewards fall with the join time, but a late party drops below its standalone value
    (F2 fails) and a late necessary party below others (F6 fails).
    """

    claims: ClassVar[Claims] = Claims(truthful="dominant", individually_rational=False, fair=True, extra={**_F_ALL, "F2": False, "F6": False})

    def _raw(self, join: np.ndarray) -> np.ndarray:
        return schemes.naive_rewards(self.shapley_, join)
