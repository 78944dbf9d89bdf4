"""Conformance checks of the click-bandit's component kinds (see :mod:`mechsim.testing`).

Imported by :func:`mechsim.testing.check_component` when it checks a
``clickbandit/...`` component; it registers one check per kind:
``clickbandit.utility``, ``clickbandit.environment``, ``clickbandit.learner`` and
``clickbandit.strategy``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mechsim.clickbandit.draws import ClickDraws
from mechsim.clickbandit.environment import ClickEnvironment
from mechsim.clickbandit.game import Evaluation
from mechsim.clickbandit.learners.base import ClickLearner
from mechsim.clickbandit.play import play
from mechsim.clickbandit.strategies import ArmStrategy, ArmTypes
from mechsim.core.strategy import Observation
from mechsim.clickbandit.utility import QuadraticUtility, optimistic_utility, s_star_upper
from mechsim.core.registry import ComponentSpec
from mechsim.testing import CheckInstance, GlobalRandomGuard, build_component, conformance_error, register_check, register_instances

__all__ = ["check_click_utility", "check_click_environment", "check_click_learner", "check_click_strategy"]

_MU = np.array([0.7, 0.45, 0.2])
_B, _T = 4, 80


def _float_array(spec: ComponentSpec, name: str, x: Any, shape: tuple[int, ...], low: float = -np.inf, high: float = np.inf) -> None:
    x = np.asarray(x)
    if x.shape != shape or x.dtype.kind != "f" or not np.all(np.isfinite(x)):
        raise conformance_error(spec, f"{name} must be finite floats of shape {shape}; got {x.dtype} {x.shape}")
    if x.min() < low - 1e-12 or x.max() > high + 1e-12:
        raise conformance_error(spec, f"{name} must lie in [{low}, {high}]; got values in [{x.min():.4g}, {x.max():.4g}]")


@register_check("clickbandit.utility")
def check_click_utility(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    """Vectorised ``u`` and ``s_star``; ``s*`` in [0, 1], non-decreasing and the argmax of ``u``;
    the optimistic utility of a box is at least ``u`` anywhere in the box."""
    util = build_component(spec, params)
    rng = np.random.default_rng(0)
    mu = np.linspace(0.0, 1.0, 41)
    with GlobalRandomGuard(spec):
        if hasattr(util, "get_params"):
            util.get_params()
        star = np.asarray(util.s_star(mu))
        _float_array(spec, "s_star(mu)", star, mu.shape, 0.0, 1.0)
        if np.any(np.diff(star) < -1e-12):
            raise conformance_error(spec, "s_star must be non-decreasing in mu (assumption A2)")
        grid = np.linspace(0.0, 1.0, 401)
        values = np.asarray(util.u(grid[:, None], mu[None, :]))
        _float_array(spec, "u(s, mu) on a grid", values, (grid.size, mu.size))
        at_star = np.asarray(util.u(star, mu))
        if np.any(values.max(axis=0) > at_star + 1e-6):
            raise conformance_error(spec, "s_star(mu) is not the maximiser of u(., mu)")
        s = np.sort(rng.random((2, 50)), axis=0)
        m = np.sort(rng.random((2, 50)), axis=0)
        opt = np.asarray(optimistic_utility(util, s[0], s[1], m[0], m[1]))
        _float_array(spec, "optimistic(...)", opt, (50,))
        w = rng.random((2, 200, 1))
        inside = np.asarray(util.u(s[0] + w[0] * (s[1] - s[0]), m[0] + w[1] * (m[1] - m[0])))
        if np.any(inside > opt + 1e-6):
            raise conformance_error(spec, "optimistic(s_lo, s_hi, mu_lo, mu_hi) is below u at a point of the box")
        upper = np.asarray(s_star_upper(util, m[0], m[1]))
        if np.any(upper < np.asarray(util.s_star(m[1])) - 1e-9) or np.any(upper < np.asarray(util.s_star(m[0])) - 1e-9):
            raise conformance_error(spec, "s_star_upper(mu_lo, mu_hi) is below s_star at an end of the interval")


@register_check("clickbandit.environment")
def check_click_environment(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    """``reset(rng)`` gives means (K,) in [0, 1], K >= 2, the same under the same seed;
    ``rewards`` maps uniforms to finite float rewards of the same shape."""
    env = build_component(spec, params)
    if not isinstance(env, ClickEnvironment):
        raise conformance_error(spec, f"a clickbandit.environment must subclass ClickEnvironment; got {type(env).__name__}")
    with GlobalRandomGuard(spec):
        mu = env.reset(rng=np.random.default_rng(3))
        if not isinstance(mu, np.ndarray) or mu.ndim != 1 or mu.size < 2:
            raise conformance_error(spec, f"reset must return a 1-D array of at least 2 means; got {mu!r}")
        _float_array(spec, "mu", mu, mu.shape, 0.0, 1.0)
        again = build_component(spec, params).reset(rng=np.random.default_rng(3))
        if not np.array_equal(mu, again):
            raise conformance_error(spec, "not deterministic under a seed: reset gave different means")
        u = np.random.default_rng(4).random((5, mu.size))
        _float_array(spec, "rewards(u, mu)", np.asarray(env.rewards(u, np.broadcast_to(mu, u.shape)), dtype=float), u.shape)


def _learner_trace(spec: ComponentSpec, learner: ClickLearner) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    draws = ClickDraws.from_arrays(rng.random((_B, _MU.size, _T)), rng.random((_B, _MU.size, _T)), rng.random((_B, _T)))
    s = np.array([[0.8, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 1.0, 1.0], [0.2, 0.9, 0.6]])
    out = play(learner, s=s, mu=_MU, utility=QuadraticUtility(lam=2.0), horizon=_T, draws=draws, trace=True)
    arms = out.arms
    if arms.dtype.kind not in "iu" or arms.min() < 0 or arms.max() >= _MU.size:
        raise conformance_error(spec, f"select must return ints in [0, {_MU.size}); got {arms.dtype} in [{arms.min()}, {arms.max()}]")
    scr = out.screened
    if not isinstance(scr, np.ndarray) or scr.shape != (_B, _MU.size) or scr.dtype != bool:
        raise conformance_error(spec, f"screened() must be a bool array of shape {(_B, _MU.size)}")
    return arms, scr


@register_check("clickbandit.learner")
def check_click_learner(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    """Arms of shape (B,) int in range, reproducible from the draws alone, ``reset`` clears all
    state, no global random state."""
    learner = build_component(spec, params)
    if not isinstance(learner, ClickLearner):
        raise conformance_error(spec, f"a clickbandit.learner must subclass ClickLearner; got {type(learner).__name__}")
    with GlobalRandomGuard(spec):
        learner.get_params()
        first = _learner_trace(spec, learner)
    for what, other in (("two fresh objects, same draws", build_component(spec, params)), ("the same object reset again", learner)):
        again = _learner_trace(spec, other)
        if not all(np.array_equal(a, b) for a, b in zip(first, again)):
            raise conformance_error(spec, f"not deterministic given the draws ({what})")


def _fake_evaluation(candidates: np.ndarray, n_seeds: int, horizon: int = 100) -> Evaluation:
    """Clicks = s * horizon * a fixed share per arm (a smooth, known click function)."""
    r, p, k = candidates.shape
    share = np.linspace(0.6, 0.1, k)
    pulls = np.broadcast_to(np.round(share * horizon).astype(np.int64), (r, p, n_seeds, k)).copy()
    clicks = candidates[:, :, None, :] * pulls
    return Evaluation(horizon=horizon, expected_clicks=clicks, pulls=pulls, screened=np.zeros(pulls.shape, bool), regret=np.zeros((r, p, n_seeds)))


@register_check("clickbandit.strategy")
def check_click_strategy(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    """Profiles (R, K) in [0, 1]; candidates (R, P, K) in [0, 1] that start with the profile;
    ``update`` keeps profiles in [0, 1]; the same seed gives the same start."""
    strat = build_component(spec, params)
    if not isinstance(strat, ArmStrategy):
        raise conformance_error(spec, f"a clickbandit.strategy must subclass ArmStrategy; got {type(strat).__name__}")
    given = getattr(strat, "s", None)
    if given is None and getattr(strat, "init", None) == "fixed":
        given = strat.init_s
    k = _MU.size if given is None else len(given)
    mu = np.linspace(0.7, 0.2, k)
    star = QuadraticUtility(lam=2.0).s_star(mu)
    with GlobalRandomGuard(spec):
        strat.get_params()
        strat.reset(n_agents=k, n_replications=3, types=ArmTypes(mu, star), rng=np.random.default_rng(1))
        prof = strat.profiles_
        _float_array(spec, "reset(...)", prof, (3, k), 0.0, 1.0)
        other = build_component(spec, params)
        other.reset(n_agents=k, n_replications=3, types=ArmTypes(mu, star), rng=np.random.default_rng(1))
        if not np.array_equal(prof, other.profiles_):
            raise conformance_error(spec, "not deterministic under a seed: reset gave different profiles")
        for epoch in range(2 * k):
            cand = strat.act(Observation(t=epoch, truthful=np.broadcast_to(star, prof.shape)))
            if cand.ndim != 3 or cand.shape[0] != 3 or cand.shape[2] != k:
                raise conformance_error(spec, f"propose must return (R, P, K) = (3, P, {k}); got {cand.shape}")
            _float_array(spec, "propose(...)", cand, cand.shape, 0.0, 1.0)
            if not np.array_equal(cand[:, 0], prof):
                raise conformance_error(spec, "propose(...)[:, 0] must be the current profile")
            strat.update(_fake_evaluation(cand, strat.n_seeds))
            prof = strat.profiles_
            _float_array(spec, "update(...)", prof, (3, k), 0.0, 1.0)


@register_instances("clickbandit.learner")
def learner_instances(spec: ComponentSpec, params: Mapping[str, Any]) -> list[CheckInstance]:
    """Truthful arms (``s = s*``) on K = 3 arms, quadratic utility, T = 4000 rounds.

    The instance's epsilon for UCB-S's approximate claim is twice its screening slack: an
    arm may inflate its click-rate by up to the confidence radius ``c sqrt(2 L / n)``
    before it is screened, which brings ``c sqrt(2 L n) / T <= c sqrt(2 L / T)`` extra
    clicks per round on its own pulls, and at most as much again through the pulls the
    inflated rate attracts (``L = log T``, or ``log(1/delta)``). It shrinks as
    ``1/sqrt(T)``, while the incentive-unaware UCB's clickbait gain does not.
    """
    from mechsim.clickbandit.audit import ClickAuditGame
    from mechsim.clickbandit.game import ClickGame
    from mechsim.clickbandit.learners.confidence import log_term
    from mechsim.clickbandit.utility import QuadraticUtility
    from mechsim.core.seeding import SeedTree

    horizon = 4000
    mu = np.array([0.6, 0.4, 0.25])
    utility = QuadraticUtility(lam=2.0)
    game = ClickGame(learner=lambda: spec.make(**params), mu=mu, utility=utility, horizon=horizon)
    audit = ClickAuditGame(game, game.s_star, grid=6, n_seeds=8, seeds=SeedTree(17).child("check"), name=f"{spec.id} truthful arms, T={horizon}")
    learner = spec.make(**params)
    scale, delta = getattr(learner, "conf_scale", 1.0), getattr(learner, "delta", None)
    eps = float(2.0 * scale * np.sqrt(2.0 * log_term(horizon, delta) / horizon))
    return [CheckInstance(game=audit, epsilon=eps, n_seeds=8)]
