"""Settling round payments through ``ledger/token-payout-v1`` (basis ``payments``).

Work-around: ``TokenPayout.reset`` in the shared ledger package refers to an
undefined ``n_nodes`` on its last line (a rename to ``n_agents`` left behind), so
it raises ``NameError`` after setting everything else. :func:`payout_reset` calls
it and, on that error only, finishes the reset (the missing ``weights_``). Remove
once the shared reset is fixed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["payout_reset"]


def payout_reset(payout: Any, *, n_agents: int, n_rounds: int) -> Any:
    """``payout.reset(n_agents=, n_rounds=)``, tolerant of the shared reset's ``n_nodes`` slip."""
    try:
        payout.reset(n_agents=n_agents, n_rounds=n_rounds)
    except NameError as exc:
        if "n_nodes" not in str(exc):
            raise
        payout.weights_ = np.zeros(n_agents)
    return payout
