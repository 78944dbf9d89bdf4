"""Conformance checks of the collab component kinds (run over every registered component).

``collab.mechanism``: ``select`` returns a :class:`Plan` of bool (N,) masks within
the available nodes; ``step`` returns an :class:`Outcome` of the documented shapes
with finite values; the same seed gives the same trace (two fresh objects, and one
object reset again); only the given generator is used; the claims hold on a
synthetic run (``equal``: every available node is synced every round; contribution
estimates rank nodes by the quality of their updates). The other kinds (data,
heterogeneity, model, resources) are checked for shapes, dtypes, finiteness and
determinism under a seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mechsim.collab.base import Mechanism, Outcome, Plan, Submission
from mechsim.collab.data import DataInfo
from mechsim.core.registry import ComponentSpec
from mechsim.errors import ParameterError
from mechsim.metrics import spearman
from mechsim.testing import (
    GlobalRandomGuard,
    build_component,
    check_finite_float,
    conformance_error,
    register_check,
    same_output,
)

__all__ = ["check_mechanism", "synthetic_trace"]

_N, _P, _T = 6, 24, 40
_LAYERS = (16, 8)


def _submission_stream(seed: int) -> list[dict[str, Any]]:
    """Synthetic rounds: node i's update is a shared direction plus noise growing with i (unit norm, scaled)."""
    rng = np.random.default_rng(seed)
    direction = rng.standard_normal(_P)
    noise = np.linspace(0.0, 3.0, _N)
    rounds = []
    for t in range(_T):
        g = direction[None, :] + noise[:, None] * rng.standard_normal((_N, _P))
        g /= np.linalg.norm(g, axis=1, keepdims=True)
        available = np.ones(_N, dtype=bool)
        if t % 7 == 3:
            available[t % _N] = False
        late = rng.random(_N) < 0.05
        rounds.append({"updates": 0.1 * g, "available": available, "late": late})
    return rounds


def _check_repeatable(spec: ComponentSpec, params: Mapping[str, Any], trace: Any) -> None:
    """``trace(obj)`` (a list of arrays) repeats for two fresh objects and for one object reset again."""
    obj = build_component(spec, params)
    with GlobalRandomGuard(spec):
        obj.get_params()
        first = trace(obj)
    for name, again in (("two fresh objects", trace(build_component(spec, params))), ("the same object reset again", trace(obj))):
        if not all(np.array_equal(a, b) for a, b in zip(first, again, strict=True)):
            raise conformance_error(spec, f"not deterministic under a seed ({name})")


def synthetic_trace(mechanism: Mechanism, seed: int, spec: ComponentSpec | None = None) -> list[tuple]:
    """Run ``mechanism`` on :func:`_submission_stream`; returns per round (plan masks, outcome arrays)."""
    fail = (lambda msg: conformance_error(spec, msg)) if spec is not None else AssertionError
    weights = np.full(_N, 1.0 / _N)
    mechanism.reset(n_agents=_N, n_params=_P, weights=weights, rng=np.random.default_rng(seed), layer_sizes=_LAYERS)
    params = np.zeros(_P)
    target = np.ones(_P)

    def evaluate(x: np.ndarray) -> float:
        return -float(np.sum((x - target) ** 2))

    out = []
    for t, r in enumerate(_submission_stream(seed + 1)):
        plan = mechanism.select(t, r["available"].copy())
        if not isinstance(plan, Plan):
            raise fail(f"select must return a Plan; got {type(plan).__name__}")
        for name in ("train", "sync"):
            m = getattr(plan, name)
            if not isinstance(m, np.ndarray) or m.shape != (_N,) or m.dtype != bool:
                raise fail(f"Plan.{name} must be a bool array of shape ({_N},); got {getattr(m, 'dtype', type(m))} {getattr(m, 'shape', '')}")
            if np.any(m & ~r["available"]):
                raise fail(f"Plan.{name} selects an unavailable node at round {t}")
        trained = plan.train & r["available"]
        reported = trained & ~r["late"]
        updates = np.where(reported[:, None], r["updates"], 0.0)
        sub = Submission(t, updates, reported, trained, r["available"].copy(), weights.copy(), params.copy(), evaluate)
        o = mechanism.step(t, sub)
        if not isinstance(o, Outcome):
            raise fail(f"step must return an Outcome; got {type(o).__name__}")
        if spec is not None:
            check_finite_float(spec, f"Outcome.aggregate at round {t}", o.aggregate, (_P,))
            check_finite_float(spec, f"Outcome.rewards at round {t}", o.rewards, (_N,))
            if not isinstance(o.scores, np.ndarray) or o.scores.shape != (_N,) or o.scores.dtype.kind != "f":
                raise fail(f"Outcome.scores must be a float array of shape ({_N},)")
            if not isinstance(o.allocation, np.ndarray) or o.allocation.shape != (_N,) or o.allocation.dtype != bool:
                raise fail(f"Outcome.allocation must be a bool array of shape ({_N},)")
            if o.reward_updates is not None:
                check_finite_float(spec, f"Outcome.reward_updates at round {t}", o.reward_updates, (_N, _P))
            c = np.asarray(o.info.get("contributions", np.full(_N, np.nan)))
            if c.shape != (_N,):
                raise fail(f"Outcome.info['contributions'] must have shape ({_N},)")
        params = params + o.aggregate
        out.append(
            (
                plan.train.copy(),
                plan.sync.copy(),
                np.array(o.aggregate),
                np.array(o.allocation),
                np.array(o.rewards),
                np.array(o.scores),
                None if o.reward_updates is None else np.array(o.reward_updates),
                r["available"],
            )
        )
    return out


def _compare(spec: ComponentSpec, a: list[tuple], b: list[tuple], what: str) -> None:
    names = ("Plan.train", "Plan.sync", "aggregate", "allocation", "rewards", "scores", "reward_updates")
    for t, (ra, rb) in enumerate(zip(a, b, strict=True)):
        for name, xa, xb in zip(names, ra, rb):
            if not (same_output(xa, xb) or (xa is not None and xb is not None and np.array_equal(xa, xb, equal_nan=True))):
                raise conformance_error(spec, f"not deterministic under a seed: {name} differs at round {t} ({what})")


@register_check("collab.mechanism")
def check_mechanism(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    """Shapes, determinism, own generator, and the declared claims on a synthetic run."""
    mech = build_component(spec, params)
    if not isinstance(mech, Mechanism):
        raise conformance_error(spec, f"a collab.mechanism must subclass mechsim.collab.Mechanism; got {type(mech).__name__}")
    with GlobalRandomGuard(spec):
        mech.get_params()
        first = synthetic_trace(mech, 3, spec)
    _compare(spec, first, synthetic_trace(build_component(spec, params), 3, spec), "two fresh objects, same seed")
    _compare(spec, first, synthetic_trace(mech, 3, spec), "the same object reset again: reset must clear all state")
    claims = type(mech).claims
    if claims.extra.get("equal", False):
        for t, row in enumerate(first):
            if not np.array_equal(row[1], row[7]):
                raise conformance_error(spec, f"claims equal but did not send the global model to every available node at round {t}")
    if claims.extra.get("estimates_contributions", False):
        scores = first[-1][5]
        if not np.all(np.isfinite(scores)):
            raise conformance_error(spec, "claims estimates_contributions but its final scores are not finite")
        rho = spearman(scores, np.arange(_N))
        if not rho < -0.5:
            raise conformance_error(spec, f"its contribution estimates do not rank nodes by update quality (Spearman {rho:.2f} with the noise)")


@register_check("collab.data")
def check_data(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    """The dataset's shapes, dtypes and label range; the same generator gives the same data."""
    source = build_component(spec, params)
    with GlobalRandomGuard(spec):
        a = source.load(np.random.default_rng(0))
    b = build_component(spec, params).load(np.random.default_rng(0))
    info = a.info
    if not isinstance(info, DataInfo) or info.task not in ("classification", "regression"):
        raise conformance_error(spec, f"load must return a Dataset with a DataInfo; got {info!r}")
    for name in ("x_pool", "y_pool", "x_val", "y_val"):
        if not np.array_equal(getattr(a, name), getattr(b, name)):
            raise conformance_error(spec, f"not deterministic under a seed: {name} differs")
    for x, y, what in ((a.x_pool, a.y_pool, "pool"), (a.x_val, a.y_val, "validation")):
        if x.ndim != 2 or x.shape[1] != info.n_features or len(y) != len(x) or len(y) == 0:
            raise conformance_error(spec, f"the {what} set has shapes {x.shape} and {y.shape}; expected (n, {info.n_features}) and (n,)")
        if x.dtype != np.float32 or not np.all(np.isfinite(x)):
            raise conformance_error(spec, f"the {what} features must be finite float32")
        if info.task == "classification" and (y.dtype != np.int64 or y.min() < 0 or y.max() >= info.n_outputs):
            raise conformance_error(spec, f"the {what} labels must be int64 in [0, {info.n_outputs})")
        if info.task == "regression" and (y.dtype != np.float32 or not np.all(np.isfinite(y))):
            raise conformance_error(spec, f"the {what} targets must be finite float32")
    if not isinstance(source.chunk_size, int) or source.chunk_size < 1:
        raise conformance_error(spec, "a data source must have an int chunk_size >= 1")


@register_check("collab.heterogeneity")
def check_heterogeneity(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    """Sizes, levels and quality of shape (N,); corrupt keeps shapes, never edits its input, is seeded."""
    n, t_max = 5, 10
    info = DataInfo("classification", 4, 3)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 4)).astype(np.float32)
    y = rng.integers(0, 3, 8)

    def trace(obj: Any) -> list[Any]:
        obj.reset(n_nodes=n, n_rounds=t_max, chunk_size=8, rng=np.random.default_rng(2))
        sizes, quality = np.asarray(obj.sizes_), np.asarray(obj.quality(), dtype=float)
        if sizes.shape != (n,) or sizes.dtype.kind != "i" or sizes.min() < 1:
            raise conformance_error(spec, f"sizes_ must be ints >= 1 of shape ({n},); got {sizes}")
        check_finite_float(spec, "quality()", quality, (n,))
        out: list[Any] = [sizes, quality]
        for t in range(t_max):
            check_finite_float(spec, f"levels({t})", np.asarray(obj.levels(t), dtype=float), (n,))
            for node in range(n):
                x0, y0 = x.copy(), y.copy()
                xc, yc = obj.corrupt(node, t, x0, y0, info=info, rng=np.random.default_rng(100 * t + node))
                if not (np.array_equal(x0, x) and np.array_equal(y0, y)):
                    raise conformance_error(spec, "corrupt changed its input arrays in place; it must copy")
                if xc.shape != x.shape or yc.shape != y.shape or xc.dtype != x.dtype:
                    raise conformance_error(spec, "corrupt must keep the shapes and dtypes of the chunk")
                out += [xc, yc]
        return out

    _check_repeatable(spec, params, trace)


@register_check("collab.model")
def check_model(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    """Builds for a task it learns, refuses one it does not, gives (B, outputs) finite outputs, seeded init."""
    import torch

    from mechsim.collab.learner import TorchLearner

    model = build_component(spec, params)
    tasks = getattr(model, "tasks", ())
    good = DataInfo("classification", 64, 3, (1, 8, 8)) if "classification" in tasks else DataInfo("regression", 6, 1)
    model.check(good)
    if "regression" not in tasks:
        try:
            model.check(DataInfo("regression", 6, 1))
        except ParameterError:
            pass
        else:
            raise conformance_error(spec, "check accepted a regression task that the model does not learn")
    before = torch.random.get_rng_state()
    learner = TorchLearner(model, good, lr=0.1, local_steps=2, batch_size=4)
    a, b = learner.init_params(5), learner.init_params(5)
    if not torch.equal(before, torch.random.get_rng_state()):
        raise conformance_error(spec, "initialising the model changed torch's global generator")
    if not all(np.array_equal(u, v) for u, v in zip(a, b, strict=True)):
        raise conformance_error(spec, "init_params is not deterministic under a seed")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, good.n_features)).astype(np.float32)
    y = rng.integers(0, good.n_outputs, 10) if good.task == "classification" else rng.standard_normal(10).astype(np.float32)
    out = model.build(good)(torch.from_numpy(x))
    if tuple(out.shape) != (10, good.n_outputs) or not bool(torch.isfinite(out).all()):
        raise conformance_error(spec, f"the model's output must be finite of shape (10, {good.n_outputs}); got {tuple(out.shape)}")
    u1, _ = learner.train(a, x, y, seed=3)
    u2, _ = learner.train(a, x, y, seed=3)
    if not all(np.array_equal(p, q) and p.shape == s.shape for p, q, s in zip(u1, u2, a, strict=True)):
        raise conformance_error(spec, "local training is not deterministic under a seed, or changes the parameter shapes")


@register_check("collab.resources")
def check_resources(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    """Availability and latencies of shape (N,), positive and finite; seeded."""
    n = 7

    def trace(obj: Any) -> list[np.ndarray]:
        obj.reset(n_nodes=n, rng=np.random.default_rng(4))
        out = []
        for t in range(5):
            avail = obj.available(float(t))
            if not isinstance(avail, np.ndarray) or avail.shape != (n,) or avail.dtype != bool:
                raise conformance_error(spec, f"available must return a bool array of shape ({n},)")
            lat = obj.latencies(2)
            check_finite_float(spec, "latencies", lat, (n,))
            if np.any(lat < 0):
                raise conformance_error(spec, "latencies must be >= 0")
            on_time, duration = obj.round_outcome(float(t), lat, avail)
            if on_time.shape != (n,) or np.any(on_time & ~avail) or not (duration > 0):
                raise conformance_error(spec, "round_outcome must give on-time trainers and a positive duration")
            out += [avail, lat, on_time]
        return out

    _check_repeatable(spec, params, trace)
