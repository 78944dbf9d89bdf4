"""Conformance check of the family-independent payout component (kind ``payout``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mechsim.core.registry import ComponentSpec
from mechsim.testing import GlobalRandomGuard, build_component, conformance_error, register_check

_N, _T = 6, 40


@register_check("payout")
def check_payout(spec: ComponentSpec, params: Mapping[str, Any]) -> None:
    """Payouts: settle once per epoch, conserve each epoch's budget, repeat under the same inputs."""
    from mechsim.ledger import from_units

    def trace(obj: Any) -> list[tuple]:
        obj.reset(n_agents=_N, n_rounds=_T)
        rng = np.random.default_rng(0)
        out = []
        for t in range(_T):
            c = rng.random(_N) - 0.2
            settlement = obj.observe(t, c)
            if settlement is not None:
                rows = obj.node_rows(settlement)
                out.append((settlement.epoch, tuple(rows["amount_units"]), tuple(rows["balance"])))
                allocated = sum(int(u) for u in rows["amount_units"])
                if allocated > settlement.budget:
                    raise conformance_error(spec, f"epoch {settlement.epoch} allocated {allocated} > budget {settlement.budget}")
        return out

    with GlobalRandomGuard(spec):
        a = trace(build_component(spec, params))
        b = trace(build_component(spec, params))
    if a != b:
        raise conformance_error(spec, "the same contributions gave different payouts")
    epoch_rounds = build_component(spec, params).epoch_rounds
    expected = -(-_T // epoch_rounds)
    if len(a) != expected:
        raise conformance_error(spec, f"settled {len(a)} epochs in {_T} rounds; expected {expected}")
    if not all(np.isfinite(from_units(int(u))) for _, units, _ in a for u in units):
        raise conformance_error(spec, "payouts must be finite")
