"""Conformance checks of the fedbandits kinds and the instances their mechanisms' claims are tested on.

Imported by :mod:`mechsim.testing` only (never by the package). Kinds:
``fedbandits.mechanism`` (outcome shapes, 0/1 allocation, finite payments, replay
without state, own generator only; :func:`mechsim.testing.check_mechanism` then
tests the claims on :func:`instances`), ``fedbandits.environment`` and
``fedbandits.strategy``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mechsim.core.registry import ComponentSpec
from mechsim.core.seeding import SeedTree
from mechsim.core.strategy import Observation
from mechsim.fedbandits.agents import CostModel
from mechsim.fedbandits.audit import round_game, synthetic_round
from mechsim.fedbandits.mechanisms import RoundOutcome
from mechsim.testing import CheckInstance, GlobalRandomGuard, build_component, check_finite_float, conformance_error, register_check, register_instances, same_output

__all__ = ["check_fed_mechanism", "check_fed_environment", "check_fed_strategy", "instances"]

_N, _D = 5, 4


@register_check("fedbandits.mechanism")
def check_fed_mechanism(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    rng = np.random.default_rng(3)
    rnd = synthetic_round(rng, n_agents=_N, dim=_D)
    bids = rng.random(_N)
    bids[-1] = np.inf  # one client opts out
    mech = build_component(spec, params)
    with GlobalRandomGuard(spec):
        mech.reset(n_agents=_N, rng=np.random.default_rng(0), kappa=0.1)
        a = mech.step(0, rnd.with_bids(bids))
        b = mech.step(1, rnd.with_bids(bids))
    if not isinstance(a, RoundOutcome):
        raise conformance_error(spec, f"step must return a RoundOutcome; got {type(a).__name__}")
    for name in ("allocation", "payments", "data_value"):
        check_finite_float(spec, name, getattr(a, name), (_N,))
    if not np.all(np.isin(a.allocation, (0.0, 1.0))):
        raise conformance_error(spec, f"allocation must be 0/1 per client; got {a.allocation}")
    if a.allocation[-1] or a.payments[-1] or a.data_value[-1]:
        raise conformance_error(spec, "a client that opts out (bid inf) must not be selected, paid or sent the download")
    if np.any((a.allocation == 0) & ((a.payments != 0) | (a.data_value != 0))):
        raise conformance_error(spec, "non-participants must get no payment and no download")
    if not (same_output(a.allocation, b.allocation) and same_output(a.payments, b.payments)):
        raise conformance_error(spec, "step must not keep state between rounds: the same reports gave another outcome")


@register_check("fedbandits.environment")
def check_fed_environment(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    env = build_component(spec, params)
    with GlobalRandomGuard(spec):
        w1, w2 = env.world(np.random.default_rng(5)), env.world(np.random.default_rng(5))
        d1, d2 = w1.draw(3), w2.draw(3)
    k, d = env.get_params()["n_arms"], env.get_params()["dim"]
    check_finite_float(spec, "contexts", d1.contexts, (3, k, d))
    check_finite_float(spec, "rewards", d1.rewards, (3, k))
    if np.linalg.norm(d1.contexts, axis=-1).max() > 1 + 1e-9 or abs(np.linalg.norm(w1.theta) - 1) > 1e-9:
        raise conformance_error(spec, "features must have norm <= 1 and theta* unit norm")
    if not (same_output(d1.contexts, d2.contexts) and same_output(d1.rewards, d2.rewards)):
        raise conformance_error(spec, "not deterministic under a seed")


@register_check("fedbandits.strategy")
def check_fed_strategy(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    costs = np.linspace(0.1, 0.9, _N)

    def bids() -> np.ndarray:
        s = build_component(spec, params)
        s.reset(n_agents=_N, n_replications=1, rng=np.random.default_rng(1))
        return s.act(Observation(0, costs.copy(), {"time": 0.0, "evaluate": lambda b: np.zeros(_N)}))

    with GlobalRandomGuard(spec):
        a, b = bids(), bids()
    check_finite_float(spec, "bids (finite part)", np.where(np.isfinite(a), a, 0.0), (_N,))
    if not same_output(a, b):
        raise conformance_error(spec, "not deterministic under a seed")
    if np.any(a < 0):
        raise conformance_error(spec, "bids must be >= 0")


@register_instances("fedbandits.mechanism")
def instances(spec: ComponentSpec, params: Mapping[str, Any]) -> list[CheckInstance]:
    """Two synthetic round games (uniform and exponential costs); dominant-strategy claims are also
    tested with the others over-reporting and bidding zero."""
    seeds = SeedTree(2024).child("fedbandits-check")
    out = []
    for k, costs in enumerate((CostModel("uniform", 0.0, 1.0), CostModel("exponential", 0.0, 1.0, 0.5))):
        def make(profile: Any = None, name: str = "truthful", k: int = k, costs: CostModel = costs) -> Any:
            return round_game(f"{spec.id}:{costs.kind}:{name}", lambda: spec.make(**params), n_agents=_N, dim=_D, costs=costs, kappa=0.05,
                              seeds=seeds.child(k), n_rounds=2, n_seeds=8, server_samples=10, new_samples=3, profile=profile)

        others = (make(["truthful"] + ["scaled:1.5"] * (_N - 1), "others-over"), make(["truthful"] + ["fixed:0"] * (_N - 1), "others-zero"))
        out.append(CheckInstance(game=make(), n_seeds=8, others=others, tol=1e-9))
    return out
