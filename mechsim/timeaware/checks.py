"""Conformance checks of the timeaware family (imported by mechsim.testing, never by the package).

``timeaware.mechanism``: outcome shapes and determinism; every F condition a scheme
claims in ``Claims.extra`` holds on small structured instances (random superadditive
games, a duplicate-data pair joining together, a null party, a key holder joining
late) at several join profiles; the base claims (IR, truthful = "join as early as you
can") are tested by :func:`mechsim.testing.check_mechanism` on the instances below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mechsim.audit.game import MechanismGame
from mechsim.core.registry import ComponentSpec
from mechsim.core.seeding import SeedTree
from mechsim.testing import CheckInstance, build_component, check_finite_float, conformance_error, register_check, register_instances
from mechsim.timeaware.agents import JoiningParty
from mechsim.timeaware.conditions import check_conditions
from mechsim.valuation.dividends import game_table
from mechsim.valuation.structured import key_holder_game, power_game, random_superadditive_table

_N, _H = 4, 5


def _instances(rng: np.random.Generator) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, table, join times): F-condition instances with known structure."""
    out = []
    for k in range(3):
        out.append((f"random superadditive {k}", random_superadditive_table(_N, rng), rng.integers(0, _H, _N).astype(float)))
    # parties 0 and 1 hold equally valuable data (symmetric) and join together; 3 is strictly less valuable than 2
    sym = game_table(power_game([1.0, 1.0, 0.8, 0.5], 2.0))
    out.append(("symmetric pair together", sym, np.array([2.0, 2.0, 0.0, 0.0])))
    out.append(("desirable pair together", sym, np.array([0.0, 1.0, 3.0, 3.0])))
    nul = game_table(power_game([1.0, 0.7, 0.4, 0.0], 1.5))
    out.append(("null party", nul, np.array([1.0, 0.0, 2.0, 3.0])))
    key = game_table(key_holder_game([1.0, 2.0, 1.5, 1.0], key=0, power=1.2))
    out.append(("late key holder", key, np.array([4.0, 0.0, 0.0, 1.0])))
    return out


@register_check("timeaware.mechanism")
def check_timeaware_mechanism(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    mech = build_component(spec, params)
    claims = type(mech).claims
    rng = np.random.default_rng(3)
    for name, table, join in _instances(rng):
        mech.reset(n_agents=_N, rng=np.random.default_rng(0), values=table, n_intervals=_H)
        out = mech.step(0, join)
        for field in ("allocation", "payments", "scores"):
            check_finite_float(spec, f"outcome.{field}", getattr(out, field), (_N,))
        mech.reset(n_agents=_N, rng=np.random.default_rng(99), values=table, n_intervals=_H)
        if not np.array_equal(mech.step(0, join).allocation, out.allocation):
            raise conformance_error(spec, f"rewards depend on the generator on {name!r}")
        report = check_conditions(table, join, out.allocation, recompute=mech.rewards, tol=1e-9)
        for cond, claimed in claims.extra.items():
            if claimed and report.holds(cond) is False:
                r = report[cond]
                raise conformance_error(spec, f"claims {cond} ({r.name}), but it fails on {name!r} with margin {r.margin:.4g} (join times {join.tolist()})")


@register_instances("timeaware.mechanism")
def timeaware_instances(spec: ComponentSpec, params: Mapping[str, Any]) -> list[CheckInstance]:
    def types(rng: np.random.Generator) -> dict[str, Any]:
        return {"values": random_superadditive_table(_N, rng), "join": rng.integers(0, _H, _N).astype(float)}

    game = MechanismGame(
        name="random superadditive, random join times",
        make_mechanism=lambda: spec.make(**params),
        agent_type=JoiningParty(n_intervals=_H),
        n_agents=_N,
        types=types,
        n_rounds=1,
        seeds=SeedTree(2026).child("timeaware-check"),
        context=lambda ty: {"values": ty["values"], "n_intervals": _H},
        n_seeds=6,
    )
    return [CheckInstance(game=game, n_seeds=6, tol=1e-9)]
