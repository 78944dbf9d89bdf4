"""Conformance checks of the bandit kinds (policies and environments)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mechsim.bandits.base import BanditEnvironment, EnvInfo, Policy
from mechsim.core.registry import ComponentSpec, make
from mechsim.testing import GlobalRandomGuard, build_component, check_finite_float, conformance_error, register_check, same_output

__all__ = ["check_bandit_policy", "check_bandit_environment"]


_R, _T = 5, 60  # replications and rounds of the bandit checks


def _bandit_trace(env: Any, policy: Any, *, seed: int, spec: ComponentSpec) -> list[tuple]:
    """Run ``policy`` on ``env`` for ``_T`` rounds; return (contexts, arms, means, rewards) per round."""
    rngs = np.random.SeedSequence(seed).spawn(2)
    info = env.reset(n_replications=_R, horizon=_T, rng=np.random.default_rng(rngs[0]))
    policy.reset(n_replications=_R, n_arms=info.n_arms, horizon=_T, rng=np.random.default_rng(rngs[1]), dim=info.dim)
    rows = np.arange(_R)
    out = []
    for t in range(_T):
        x = env.contexts(t)
        arms = policy.select(t, x)
        if not isinstance(arms, np.ndarray) or arms.shape != (_R,) or arms.dtype.kind not in "iu":
            got = f"{type(arms).__name__} {getattr(arms, 'shape', '')} {getattr(arms, 'dtype', '')}"
            raise conformance_error(spec, f"select must return an int array of shape ({_R},); got {got} at round {t}")
        if arms.min() < 0 or arms.max() >= info.n_arms:
            raise conformance_error(spec, f"select returned arms outside [0, {info.n_arms}) at round {t}: {arms}")
        rnd = env.step(t)
        policy.update(t, arms, rnd.rewards[rows, arms])
        out.append((None if x is None else x.copy(), arms.copy(), np.array(rnd.means), rnd.rewards.copy()))
    return out


def _compare_traces(spec: ComponentSpec, a: list[tuple], b: list[tuple], what: str) -> None:
    names = ("contexts", "arms", "means", "rewards")
    for t, (ra, rb) in enumerate(zip(a, b, strict=True)):
        for name, xa, xb in zip(names, ra, rb, strict=True):
            if not same_output(xa, xb):
                raise conformance_error(spec, f"not deterministic under a seed: {name} differ at round {t} ({what})")


@register_check("bandits.policy")
def check_bandit_policy(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    """A bandit policy: arms of shape (R,) int in range, reproducible under a seed, own rng only.

    Runs the policy on ``bandits/linear-v1`` (if it ``needs_contexts``) or on a
    4-armed ``bandits/bernoulli-v1`` for a few rounds, twice with fresh objects and
    once more after re-resetting the first object, and compares the traces.
    """
    contextual = bool(getattr(spec.factory, "needs_contexts", False))

    def env() -> Any:
        if contextual:
            return make("bandits/linear-v1", n_arms=4, dim=3)
        return make("bandits/bernoulli-v1", means=(0.7, 0.5, 0.9, 0.2))

    policy = build_component(spec, params)
    if not isinstance(policy, Policy):
        raise conformance_error(spec, f"a bandits.policy must subclass mechsim.bandits.Policy; got {type(policy).__name__}")
    with GlobalRandomGuard(spec):
        policy.get_params()
        first = _bandit_trace(env(), policy, seed=11, spec=spec)
    second = _bandit_trace(env(), build_component(spec, params), seed=11, spec=spec)
    _compare_traces(spec, first, second, "two fresh objects, same seed")
    again = _bandit_trace(env(), policy, seed=11, spec=spec)
    _compare_traces(spec, first, again, "the same object reset again: reset must clear all state")


@register_check("bandits.environment")
def check_bandit_environment(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    """A bandit environment: shapes, float dtypes, finiteness and determinism under a seed.

    ``reset`` returns an :class:`EnvInfo`; ``contexts(t)`` is (R, K, d) float when
    ``has_contexts`` and ``None`` otherwise; ``step(t)`` gives means (R, K) or (K,)
    and rewards (R, K), finite floats; ``benchmark`` is ``"per_round"`` or ``"fixed_arm"``.
    """
    env = build_component(spec, params)
    if not isinstance(env, BanditEnvironment):
        raise conformance_error(spec, f"a bandits.environment must subclass BanditEnvironment; got {type(env).__name__}")
    if env.benchmark not in ("per_round", "fixed_arm"):
        raise conformance_error(spec, f"benchmark must be 'per_round' or 'fixed_arm'; got {env.benchmark!r}")

    def trace(obj: Any, seed: int) -> list[tuple]:
        info = obj.reset(n_replications=_R, horizon=_T, rng=np.random.default_rng(seed))
        if not isinstance(info, EnvInfo) or not isinstance(info.n_arms, int) or info.n_arms < 1:
            raise conformance_error(spec, f"reset must return an EnvInfo with n_arms >= 1; got {info!r}")
        k, d = info.n_arms, info.dim
        if obj.has_contexts and (not isinstance(d, int) or d < 1):
            raise conformance_error(spec, f"has_contexts is True, so EnvInfo.dim must be an int >= 1; got {d!r}")
        out = []
        for t in range(_T):
            x = obj.contexts(t)
            if obj.has_contexts:
                check_finite_float(spec, f"contexts({t})", x, (_R, k, d))
            elif x is not None:
                raise conformance_error(spec, f"has_contexts is False but contexts({t}) returned {type(x).__name__}")
            rnd = obj.step(t)
            check_finite_float(spec, f"step({t}).means", rnd.means, [(_R, k), (k,)])
            check_finite_float(spec, f"step({t}).rewards", rnd.rewards, (_R, k))
            out.append((None if x is None else x.copy(), None, np.array(rnd.means), rnd.rewards.copy()))
        return out

    with GlobalRandomGuard(spec):
        env.get_params()
        first = trace(env, 5)
    _compare_traces(spec, first, trace(build_component(spec, params), 5), "two fresh objects, same seed")
    _compare_traces(spec, first, trace(env, 5), "the same object reset again: reset must clear all state")
