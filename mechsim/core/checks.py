"""Conformance check of the shared strategy kind (``strategy``: the behaviour zoo's populations)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mechsim.core.registry import ComponentSpec
from mechsim.core.strategy import Observation, Strategy
from mechsim.testing import GlobalRandomGuard, build_component, conformance_error, register_check, same_output

_N, _R, _T = 5, 3, 6


@register_check("strategy")
def check_strategy(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    """A population strategy: reports keep the truthful reports' shape, finite, reproducible under a seed."""

    def trace(obj: Any) -> list[np.ndarray]:
        if not isinstance(obj, Strategy):
            raise conformance_error(spec, f"a strategy must subclass mechsim.core.strategy.Strategy; got {type(obj).__name__}")
        obj.reset(n_agents=_N, n_replications=_R, types=None, rng=np.random.default_rng(3))
        out = []
        for t in range(_T):
            truthful = np.linspace(0.1, 1.0, _R * _N).reshape(_R, _N) + t
            rep = np.asarray(obj.act(Observation(t=t, truthful=truthful)))
            if rep.shape != truthful.shape or not np.all(np.isfinite(rep)):
                raise conformance_error(spec, f"act must return finite reports of shape {truthful.shape}; got {rep.shape}")
            out.append(rep)
        return out

    with GlobalRandomGuard(spec):
        a = trace(build_component(spec, params))
    b = trace(build_component(spec, params))
    if not all(same_output(x, y) for x, y in zip(a, b, strict=True)):
        raise conformance_error(spec, "not deterministic under a seed: two fresh objects gave different reports")
