"""Peer behaviours: the shared zoo mapped to Gauntlet actions, plus the family's own kinds.

The kinds the shared zoo (:mod:`mechsim.core.strategy`) lacks are registered with
:func:`~mechsim.core.strategy.register_behaviour` when this module is imported (a kind
another family already added with other parameters is an error, never silently
replaced). Every kind, zoo or family, maps
to the per-peer action arrays of :class:`Plan`, so the protocol stays vectorised.

=====================  ====================================================================
behaviour              what the peer does (spec section 7 row)
=====================  ====================================================================
``truthful``           honest: trains on its assigned pages with its compute, uploads in time
``free_ride``          uploads a zero pseudo-gradient (row 1)
``random:lo:hi``       noise: values uniform in [lo, hi] on random indices (row 2)
``copy:j``             copies peer j's payload and re-uploads it ``copy_delay_s`` later (row 3)
``copy_best``          copies the peer with the highest current weight (row 3)
``partial_copy:j:l``   blends its own gradient with (1 - l) and peer j's payload with l (row 4)
``partial_copy_best:l`` the same with the peer of highest current weight (row 4)
``wrong_data``         trains on a shared public data set instead of its pages (row 5)
``overfit:e``          amplifies its pages' specific component e times (row 6)
``lazy:f``             uses a fraction f of its compute (row 7)
``stale:q``            skips applying the aggregate with probability q (row 8)
``late:d``             uploads d seconds after its usual time (row 9, TOO_LATE if past the put window)
``early:d``            uploads d seconds before the window end (row 9, TOO_EARLY)
``intermittent:p``     takes part in a window with probability p (row 10)
``malformed:p``        with probability p sends a malformed payload (row 11)
``negneg:z``           sends zeros for z windows, then huge noise (row 12, the legacy exploit)
``scaled:f``           magnitude attack: its honest payload times f (row 14)
``sybil:k``            splits its compute over k identities (row 15; spare slots are used)
``fixed:v``            every value set to v on its honest indices
=====================  ====================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mechsim.core.strategy import Behaviour, register_behaviour
from mechsim.errors import ParameterError

__all__ = ["FAMILY_KINDS", "Plan", "plan", "HONEST_KINDS"]

#: the Gauntlet kinds the shared zoo lacks: kind -> parameter names
FAMILY_KINDS: dict[str, tuple[str, ...]] = {
    "copy_best": (),
    "partial_copy": ("target", "blend"),
    "partial_copy_best": ("blend",),
    "wrong_data": (),
    "overfit": ("epochs",),
    "lazy": ("fraction",),
    "stale": ("q",),
    "early": ("lead",),
    "malformed": ("p",),
    "negneg": ("zero_windows",),
}

for _k, _names in FAMILY_KINDS.items():
    register_behaviour(_k, _names, family="gauntlet")

#: kinds whose peers do honest, unique work (their gradient, their pages, their time)
HONEST_KINDS = ("truthful", "lazy", "sybil", "scaled")

#: data source codes
OWN, PUBLIC, NONE = 0, 1, 2


@dataclass
class Plan:
    """Per-peer action arrays (N,) derived from the behaviours (and the spare slots a Sybil takes).

    Attributes
    ----------
    kind : (N,) object, the behaviour kind of each slot (``"spare"`` for an unused slot)
    owner : (N,) int, the agent a slot earns for (a Sybil's identities share one owner; -1 spare)
    data : (N,) int, OWN / PUBLIC / NONE (zeros or noise)
    compute : (N,) float, factor on the owner's batches (lazy f, Sybil 1/k)
    overfit : (N,) float, amplification of the own-shard component
    scale : (N,) float, payload multiplier (magnitude attack)
    fixed : (N,) float or nan, value every sent coordinate takes
    noise : (N, 2) float or nan, [lo, hi] of uniform noise values
    copy : (N,) int, peer copied (-1 none; -2 the best current peer)
    blend : (N,) float, share of the copied payload (1 for a pure copier)
    delay : (N,) float, seconds added to the upload time (negative: early)
    skip_sync : (N,) float, probability of skipping the aggregate
    present_p : (N,) float, probability of taking part in a window
    malformed_p : (N,) float
    zero_windows : (N,) float, negneg: windows of zeros before the noise
    """

    kind: np.ndarray
    owner: np.ndarray
    data: np.ndarray
    compute: np.ndarray
    overfit: np.ndarray
    scale: np.ndarray
    fixed: np.ndarray
    noise: np.ndarray
    copy: np.ndarray
    blend: np.ndarray
    delay: np.ndarray
    skip_sync: np.ndarray
    present_p: np.ndarray
    malformed_p: np.ndarray
    zero_windows: np.ndarray

    @property
    def honest(self) -> np.ndarray:
        """(N,) bool: slots doing honest unique work (the oracle aggregate's set)."""
        return np.isin(self.kind, HONEST_KINDS)

    @property
    def used(self) -> np.ndarray:
        return self.owner >= 0


def plan(behaviours: Sequence[Behaviour]) -> Plan:
    """The action arrays of ``len(behaviours)`` slots.

    Slots playing ``intermittent:0`` are *spare* (registered, never present): a
    ``sybil:k`` agent takes the next k - 1 of them as its extra identities.
    """
    n_agents = n = len(behaviours)
    spares = [j for j, b in enumerate(behaviours) if b.kind == "intermittent" and b.p == 0.0]
    p = Plan(
        kind=np.array(["truthful"] * n, dtype=object),
        owner=np.arange(n),
        data=np.full(n, OWN),
        compute=np.ones(n),
        overfit=np.ones(n),
        scale=np.ones(n),
        fixed=np.full(n, np.nan),
        noise=np.full((n, 2), np.nan),
        copy=np.full(n, -1),
        blend=np.zeros(n),
        delay=np.zeros(n),
        skip_sync=np.zeros(n),
        present_p=np.ones(n),
        malformed_p=np.zeros(n),
        zero_windows=np.zeros(n),
    )
    taken: set[int] = set()
    for i, b in enumerate(behaviours):
        k = b.kind
        if i in taken:
            continue
        p.kind[i] = k
        if k == "free_ride":
            p.data[i] = NONE
            p.fixed[i] = 0.0
        elif k == "random":
            p.data[i] = NONE
            p.noise[i] = (b.low, b.high)
        elif k == "fixed":
            p.fixed[i] = b.value
        elif k == "scaled":
            p.scale[i] = b.factor
        elif k in ("copy", "copy_best"):
            target = int(b.target) if k == "copy" else -2
            if target >= n_agents:
                raise ParameterError(f"behaviour 'copy:{target}' of agent {i} names agent {target}, but there are {n_agents} agents.")
            p.copy[i], p.blend[i], p.data[i] = target, 1.0, NONE
        elif k == "partial_copy":
            if not (0 <= b.target < n_agents and 0.0 <= b.blend <= 1.0):
                raise ParameterError(f"behaviour 'partial_copy:{b.target:g}:{b.blend:g}' of agent {i} needs a target in [0, {n_agents}) and a blend in [0, 1].")
            p.copy[i], p.blend[i] = int(b.target), b.blend
        elif k == "partial_copy_best":
            if not 0.0 <= b.blend <= 1.0:
                raise ParameterError(f"behaviour 'partial_copy_best:{b.blend:g}' of agent {i} needs a blend in [0, 1].")
            p.copy[i], p.blend[i] = -2, b.blend
        elif k == "wrong_data":
            p.data[i] = PUBLIC
        elif k == "overfit":
            p.overfit[i] = max(b.epochs, 1.0)
        elif k == "lazy":
            p.compute[i] = b.fraction
        elif k == "stale":
            p.skip_sync[i] = b.q
        elif k == "late":
            p.delay[i] = b.delay
        elif k == "early":
            p.delay[i] = -b.lead
        elif k == "intermittent":
            p.present_p[i] = b.p
            if b.p == 0.0 and i in spares:
                p.kind[i], p.owner[i] = "spare", -1
        elif k == "malformed":
            p.malformed_p[i] = b.p
        elif k == "negneg":
            p.zero_windows[i] = b.zero_windows
            p.data[i] = NONE
        elif k == "sybil":
            kk = int(b.k)
            if len(spares) < kk - 1:
                raise ParameterError(f"behaviour 'sybil:{kk}' of agent {i} needs {kk - 1} spare slots ('intermittent:0'); only {len(spares)} are left.")
            ids = [i, *spares[: kk - 1]]
            del spares[: kk - 1]
            taken.update(ids[1:])
            p.owner[ids] = i
            p.kind[ids] = "sybil"
            p.compute[ids] = 1.0 / kk
            p.present_p[ids] = 1.0
    return p
