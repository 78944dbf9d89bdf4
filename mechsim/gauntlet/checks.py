"""Conformance checks of the gauntlet kinds (imported by mechsim.testing, never by the package).

``gauntlet.mechanism``: on a small synthetic population the outcome has (R, N) float
arrays, weights are non-negative and sum to 1 or 0, only positive-F peers hold weight,
the same seed repeats (two fresh objects and one object reset again) and the global
random state is untouched. Its claims (``randomized``) are tested by
:func:`mechsim.testing.check_mechanism` on :func:`instances`.
``gauntlet.learner``: shards are a pure function of (seed, window), shapes and dtypes hold,
loss broadcasts, gradient repeats under a seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mechsim.core.registry import ComponentSpec
from mechsim.core.seeding import SeedTree
from mechsim.testing import CheckInstance, GlobalRandomGuard, build_component, check_finite_float, conformance_error, register_check, register_instances

_N, _T = 8, 30
_BEH = ["truthful"] * 5 + ["free_ride", "copy_best", "intermittent:0"]
_LEARNER = dict(dim=64, chunk=16, topk=4)


def _trace(mech: Any, seed: int) -> list[np.ndarray]:
    from mechsim.gauntlet.learner import QuadraticLearner
    from mechsim.gauntlet.peers import Peers, draw_types

    root = SeedTree(seed)
    lrn = QuadraticLearner(**_LEARNER)
    lrn.reset(n_replications=2, n_agents=_N, seeds=root.child("nature"))
    mech.reset(n_agents=_N, rng=root.generator("validator"), learner=lrn, n_replications=2)
    peers = Peers(learner=lrn, behaviours=_BEH, types=draw_types(_N, root.generator("types")), n_replications=2, rng=root.generator("peers"))
    out = []
    for t in range(_T):
        o = mech.step(t, peers.produce(t, mech.theta_, mech.weights_))
        lrn.advance()
        out += [o.scores, o.weights, o.payments, mech.theta_.copy()]
    return out


@register_check("gauntlet.mechanism")
def check_validator(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    mech = build_component(spec, params)
    with GlobalRandomGuard(spec):
        first = _trace(mech, 0)
    for name, x in zip(("scores", "weights", "payments"), first[-4:-1]):
        check_finite_float(spec, name, x, (2, _N))
    w = first[-3]
    if (w < 0).any() or not all(abs(s - 1) < 1e-9 or s == 0 for s in w.sum(axis=1)):
        raise conformance_error(spec, f"weights must be non-negative and sum to 1 or 0; got sums {w.sum(axis=1)}")
    if (w[first[-4] <= 0] > 0).any():
        raise conformance_error(spec, "a peer with F <= 0 holds weight")
    for what, again in (("two fresh objects", _trace(build_component(spec, params), 0)), ("one object reset again", _trace(mech, 0))):
        if not all(np.array_equal(a, b, equal_nan=True) for a, b in zip(first, again)):
            raise conformance_error(spec, f"not repeatable under a seed ({what})")


@register_check("gauntlet.learner")
def check_learner(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    accepted = getattr(spec.factory, "_parameter_constraints", _LEARNER)
    merged = {**{k: v for k, v in _LEARNER.items() if k in accepted}, **params}
    a, b = build_component(spec, merged), build_component(spec, merged)
    with GlobalRandomGuard(spec):
        for x in (a, b):
            x.reset(n_replications=2, n_agents=3, seeds=SeedTree(1))
    xa = a.own_shards(4)
    if xa.shape != (2, 3, a.shard_dim) or xa.dtype != np.float32:
        raise conformance_error(spec, f"own_shards must be float32 (R, N, shard_dim={a.shard_dim}); got {xa.shape} {xa.dtype}")
    if a.d_ % a.p_["chunk"]:
        raise conformance_error(spec, f"d_ = {a.d_} must be a multiple of chunk = {a.p_['chunk']}")
    a.own_shards(5)
    if not np.array_equal(a.own_shards(4), b.own_shards(4)):
        raise conformance_error(spec, "own_shards must be a pure function of (seed, window)")
    check_finite_float(spec, "loss", np.asarray(a.loss(np.zeros((2, 3, a.d_), np.float32), xa)), (2, 3))
    check_finite_float(spec, "loss (broadcast)", np.asarray(a.loss(np.zeros((2, 1, a.d_)), xa)), (2, 3))
    check_finite_float(spec, "excess_loss", np.asarray(a.excess_loss(np.zeros((2, a.d_), np.float32))), (2,))
    rng_a, rng_b = np.random.default_rng(0), np.random.default_rng(0)
    ga = a.gradient(np.zeros((2, 3, a.d_), np.float32), xa, np.full((2, 3), 4.0), rng_a)
    check_finite_float(spec, "gradient", ga[..., 0], (2, 3))
    if ga.shape != (2, 3, a.d_) or ga.dtype != np.float32:
        raise conformance_error(spec, f"gradient must be float32 (R, N, d); got {ga.shape} {ga.dtype}")
    if not np.array_equal(ga, b.gradient(np.zeros((2, 3, b.d_), np.float32), b.own_shards(4), np.full((2, 3), 4.0), rng_b)):
        raise conformance_error(spec, "gradient must be repeatable under a seed")


@register_instances("gauntlet.mechanism")
def instances(spec: ComponentSpec, params: Mapping[str, Any]) -> list[CheckInstance]:
    from mechsim.gauntlet.audit import peer_game
    from mechsim.gauntlet.peers import draw_types

    types = draw_types(_N, SeedTree(3).generator("types"))
    game = peer_game(name="small", make_mechanism=lambda: spec.make(**params), behaviours=_BEH, types=types, n_rounds=_T,
                     seeds=SeedTree(3), learner=_LEARNER, n_seeds=4, deviations=("free_ride",))
    return [CheckInstance(game=game, n_seeds=2)]
