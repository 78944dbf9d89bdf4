"""A direct loop over windows without the scenario machinery, for tests, the benchmark and notebooks.

:func:`simulate` plays one population against one validator configuration and returns
the per-slot emission shares and the final mechanism state. The scenario runner
(:mod:`mechsim.gauntlet.protocol`) does the same on SimPy time with tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechsim.core.seeding import SeedTree
from mechsim.core.strategy import parse_behaviour
from mechsim.core import registry
from mechsim.gauntlet.learner import QuadraticLearner
from mechsim.gauntlet.mechanism import GauntletValidator
from mechsim.gauntlet.peers import Peers, PeerTypes, draw_types, probe_indices

__all__ = ["SimResult", "simulate", "share_by_behaviour"]


@dataclass
class SimResult:
    """share: (R, N) emission share over the measured windows; mech, peers, learner: final state."""

    share: np.ndarray
    behaviours: list[str]
    types: PeerTypes
    mech: GauntletValidator
    peers: Peers
    learner: QuadraticLearner
    excess_loss: np.ndarray

    def by_behaviour(self) -> dict[str, float]:
        return share_by_behaviour(self.share, self.behaviours, self.peers.plan.owner)


def share_by_behaviour(share: np.ndarray, behaviours: Sequence[str], owner: np.ndarray) -> dict[str, float]:
    """Mean over replications of the summed emission share of each behaviour's slots."""
    lab = np.array([parse_behaviour(b).kind for b in behaviours], dtype=object)
    slot = np.where(owner >= 0, lab[np.where(owner >= 0, owner, 0)], "spare")
    return {k: float(share[:, slot == k].sum(axis=1).mean()) for k in dict.fromkeys(slot) if k != "spare"}


def simulate(behaviours: Sequence[str], *, n_rounds: int, seed: int = 0, n_replications: int = 1,
             mechanism: Mapping[str, Any] | None = None, learner: Mapping[str, Any] | None = None,
             types: PeerTypes | None = None, measure_from: float = 0.5, compute_low: float = 1.0,
             compute_high: float = 16.0) -> SimResult:
    """Play ``n_rounds`` windows; shares are of the emission (on-chain weights) from window
    ``measure_from * n_rounds`` on."""
    n = len(behaviours)
    root = SeedTree(seed)
    lcfg = dict(learner or {})
    lid = lcfg.pop("id", "gauntlet/quadratic-learner-v1")  # any registered gauntlet.learner
    lrn = QuadraticLearner(**lcfg) if lid == "gauntlet/quadratic-learner-v1" else registry.get(lid, kind="gauntlet.learner").make(**lcfg)
    lrn.reset(n_replications=n_replications, n_agents=n, seeds=root.child("nature"))
    mech = GauntletValidator(**dict(mechanism or {}))
    mech.reset(n_agents=n, rng=root.generator("validator"), learner=lrn, n_replications=n_replications,
               probe=probe_indices(lrn.d_, lrn.p_["chunk"]))
    types = types if types is not None else draw_types(n, root.generator("types"), compute_low=compute_low, compute_high=compute_high)
    peers = Peers(learner=lrn, behaviours=list(behaviours), types=types, n_replications=n_replications, rng=root.generator("peers"))
    acc = np.zeros((n_replications, n))
    start = int(measure_from * n_rounds)
    for t in range(n_rounds):
        out = mech.step(t, peers.produce(t, mech.theta_, mech.weights_))
        lrn.advance()
        if t >= start:
            acc += out.onchain
    tot = acc.sum(axis=1, keepdims=True)
    share = np.divide(acc, tot, out=np.zeros_like(acc), where=tot > 0)
    return SimResult(share=share, behaviours=list(behaviours), types=types, mech=mech, peers=peers, learner=lrn,
                     excess_loss=lrn.excess_loss(mech.theta_))
