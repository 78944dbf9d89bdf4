"""Conformance checks and check instances of the ``infoacq`` family (imported by mechsim.testing).

- ``infoacq.mechanism``: outcomes have the contract's shapes (payments >= 0, one action
  in range, a lottery ``phi``), a block of rounds equals the same rounds one by one, two
  fresh objects give the same trace, ``reset`` clears all state, no global randomness.
  :func:`check_instances` declares where the claims are tested: the LP mechanisms on the
  spec's sanity instance and a three-state game (Bayesian IC: no significant gain;
  epsilon-IC: no gain above ``max_i S_i * epsilon``), the online ones on the sanity game.
- ``infoacq.senders``: reports are in range, truthful by default, seeded, and a
  best-responding sender misreports against the first best on the sanity game.
- ``infoacq.instance``: ``build`` returns a valid game, the same one for the same seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mechsim.core.registry import ComponentSpec
from mechsim.core.seeding import SeedTree
from mechsim.core.strategy import Observation
from mechsim.testing import CheckInstance, GlobalRandomGuard, build_component, conformance_error, register_check, register_instances

from mechsim.infoacq.audit import InfoAcqGame
from mechsim.infoacq.game import InfoGame, named_game, sanity_game
from mechsim.infoacq.mechanisms import FirstBest, InfoOutcome
from mechsim.infoacq.online import _Online

_T = 24


def _trace(mech: Any, game: InfoGame, seed: int, *, blocks: bool) -> list[tuple]:
    rng = np.random.default_rng(seed)
    mech.reset(n_agents=game.n_senders, rng=np.random.default_rng(seed + 1), game=game, n_rounds=_T)
    states, profiles = game.sample(_T, rng)
    signals = game.profiles(profiles)
    out, t = [], 0
    while t < _T:
        mech.prepare(t)
        end = min(_T, mech.block_end(t)) if blocks else t + 1
        end = max(end, t + 1)
        a, pay, _ = mech.play_block(t, signals[t:end])
        samples = (rng.random((end - t, game.n_senders, game.n_actions)) < 0.5).astype(float)
        if mech.feedback == "bandit":
            samples = samples[np.arange(end - t), :, a]
        mech.observe_block(t, states[t:end], profiles[t:end], a, samples)
        out.extend(zip(a.tolist(), map(tuple, pay.tolist()), strict=True))
        t = end
    return out


@register_check("infoacq.mechanism")
def check_info_mechanism(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    game = sanity_game()
    mech = build_component(spec, params)
    with GlobalRandomGuard(spec):
        mech.get_params()
        first = _trace(mech, game, 3, blocks=True)
    mech.reset(n_agents=2, rng=np.random.default_rng(0), game=game, n_rounds=4)
    out = mech.step(0, np.array([1, 0]))
    if not isinstance(out, InfoOutcome):
        raise conformance_error(spec, f"step must return an InfoOutcome; got {type(out).__name__}")
    if out.payments.shape != (2,) or np.any(out.payments < -1e-9) or not 0 <= out.action < game.n_actions:
        raise conformance_error(spec, f"bad outcome: payments {out.payments}, action {out.action}")
    if abs(out.phi.sum() - 1.0) > 1e-8 or np.any(out.phi < -1e-12):
        raise conformance_error(spec, f"phi must be a lottery over actions; got {out.phi}")
    if _trace(build_component(spec, params), game, 3, blocks=True) != first:
        raise conformance_error(spec, "not deterministic under a seed: two fresh objects differ")
    if _trace(mech, game, 3, blocks=True) != first:
        raise conformance_error(spec, "the same object reset again differs: reset must clear all state")
    if _trace(build_component(spec, params), game, 3, blocks=False) != first:
        raise conformance_error(spec, "play_block over a block differs from the same rounds played one at a time")


@register_instances("infoacq.mechanism")
def check_instances(spec: ComponentSpec, params: Mapping[str, Any]) -> list[CheckInstance]:
    cls = spec.factory
    seeds = SeedTree(20261202).child("checks", spec.id)

    def make() -> Any:
        return spec.make(**params)

    if issubclass(cls, _Online):
        g = sanity_game()
        return [CheckInstance(game=InfoAcqGame(name="sanity-online", make_mechanism=make, game=g, n_rounds=16, seeds=seeds, n_seeds=6), n_seeds=6)]
    out = []
    eps_param = float(getattr(make(), "epsilon", 0.0))  # RelaxedIC's row relaxation
    for g in (sanity_game(), named_game("three-state")):
        bound = max(g.sig_sizes) * eps_param  # a map changes at most S_i rows
        game = InfoAcqGame(name=g.name, make_mechanism=make, game=g, n_rounds=40, seeds=seeds.child(g.name), n_seeds=16)
        out.append(CheckInstance(game=game, epsilon=bound, n_seeds=16))
    return out


@register_check("infoacq.senders")
def check_info_senders(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    game = sanity_game()
    first_best = FirstBest()
    first_best.reset(n_agents=2, rng=np.random.default_rng(0), game=game)
    truth = game.profiles(game.sample(50, np.random.default_rng(1))[1])

    def reports(p: Mapping[str, Any], seed: int) -> np.ndarray:
        s = build_component(spec, p)
        s.reset(n_agents=2, n_replications=1, types=game, rng=np.random.default_rng(seed))
        return s.act(Observation(t=0, truthful=truth, info={"game": game, "table": first_best.table_}))

    with GlobalRandomGuard(spec):
        r = reports(params, 4)
    if r.shape != truth.shape or r.dtype.kind not in "iu" or r.min() < 0 or r.max() > 1:
        raise conformance_error(spec, f"reports must be (B, n) ints in range; got {r.shape} {r.dtype}")
    if not np.array_equal(r, reports(params, 4)):
        raise conformance_error(spec, "not deterministic under a seed")
    if not params and not np.array_equal(r, truth):
        raise conformance_error(spec, "the default population must report truthfully")
    if not params and not np.all(reports({"default": "best_response"}, 4) == 1):
        raise conformance_error(spec, "best-responding senders who always want a = 1 must report 1 to the first best")


@register_check("infoacq.instance")
def check_info_instance(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    inst = build_component(spec, params)
    with GlobalRandomGuard(spec):
        a = inst.build(np.random.default_rng(9))
    if not isinstance(a, InfoGame):
        raise conformance_error(spec, f"build must return an InfoGame; got {type(a).__name__}")
    b = build_component(spec, params).build(np.random.default_rng(9))
    if not (np.array_equal(a.q, b.q) and np.array_equal(a.u_receiver, b.u_receiver) and np.array_equal(a.u_senders, b.u_senders)):
        raise conformance_error(spec, "not deterministic under a seed")
    if abs(a.q.sum() - 1.0) > 1e-9 or a.first_best() < a.no_information() - 1e-12:
        raise conformance_error(spec, "the game's law must sum to 1 and its first best be at least the no-information value")
