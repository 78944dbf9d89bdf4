"""The peers: local models, DeMo error feedback, behaviours, upload timing; and their AgentType.

:class:`Peers` is the whole population of one run, vectorised over (R, N): each
window it computes every peer's pseudo-gradient on its own local model, compresses it
(top-k with error feedback), applies the behaviours of :mod:`mechsim.gauntlet.behaviours`
to payload, timing and presence, and publishes the debug probe. After the validator's
step, peers that apply the aggregate move their local model by the canonical update.

:class:`PeerType` is the :class:`~mechsim.core.strategy.AgentType` the auditor and the
conformance checks use (through :class:`~mechsim.audit.game.MechanismGame`): its
utility is an agent's share of the window's miner emission (the on-chain weights of
all the slots it owns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechsim.core.strategy import AgentType, Behaviour, parse_behaviour
from mechsim.gauntlet.behaviours import NONE, PUBLIC, Plan, plan
from mechsim.gauntlet.compress import decode, ef_step, probe_indices, topk_compress
from mechsim.gauntlet.mechanism import WindowReports

__all__ = ["PeerTypes", "Peers", "PeerType", "draw_types", "probe_indices"]

#: the value scale of "huge" noise in the negative x negative recipe
NEGNEG_SCALE = 1e3


@dataclass(frozen=True)
class PeerTypes:
    """Private types of N agents (slots).

    compute : (N,) batches per window
    latency : (N,) mean upload latency after the window end, seconds
    join, leave : (N,) first window present, first window gone (``inf``: never leaves)
    """

    compute: np.ndarray
    latency: np.ndarray
    join: np.ndarray
    leave: np.ndarray


def draw_types(n_agents: int, rng: np.random.Generator, *, compute_low: float = 1.0, compute_high: float = 16.0,
               latency_s: float = 3.0, join_spread: int = 0, leave_p: float = 0.0, n_rounds: int = 1) -> PeerTypes:
    """Heterogeneous compute (log-uniform in [low, high]), latencies, joins and leaves."""
    compute = np.exp(rng.uniform(np.log(compute_low), np.log(compute_high), n_agents))
    latency = latency_s * rng.uniform(0.5, 1.5, n_agents)
    join = rng.integers(0, join_spread + 1, n_agents) if join_spread > 0 else np.zeros(n_agents, dtype=int)
    leave = np.where(rng.random(n_agents) < leave_p, rng.integers(n_rounds // 2, max(n_rounds, n_rounds // 2 + 1), n_agents), np.inf)
    return PeerTypes(compute=compute, latency=latency, join=join.astype(float), leave=leave.astype(float))


class Peers:
    """Every peer of a run (see the module docstring)."""

    def __init__(self, *, learner: Any, behaviours: Sequence[Behaviour], types: PeerTypes, n_replications: int,
                 rng: np.random.Generator, copy_delay_s: float = 2.0, jitter_s: float = 1.0) -> None:
        self.learner, self.R, self.rng = learner, int(n_replications), rng
        self.plan: Plan = plan([parse_behaviour(b) for b in behaviours])
        self.N = len(self.plan.kind)
        own = np.where(self.plan.owner >= 0, self.plan.owner, 0)
        self.batches = types.compute[own] * self.plan.compute
        self.latency, self.join, self.leave = types.latency[own], types.join[own], types.leave[own]
        self.copy_delay_s, self.jitter_s = copy_delay_s, jitter_s
        d = learner.d_
        self.theta = np.zeros((self.R, self.N, d), dtype=np.float32)
        self.e = np.zeros((self.R, self.N, d), dtype=np.float32)
        self.canon = np.zeros((self.R, d), dtype=np.float32)
        self.probe = probe_indices(d, learner.p_["chunk"])
        self.joined = np.zeros(self.N, bool)

    def _sync(self, canon: np.ndarray) -> None:
        """Apply the last canonical update (peers that skip it fall behind); joiners catch up."""
        step = canon - self.canon
        apply = self.rng.random((self.R, self.N)) >= self.plan.skip_sync[None, :]
        np.add(self.theta, step[:, None, :], out=self.theta, where=apply[..., None])
        self.canon = canon.copy()

    def produce(self, t: int, canon: np.ndarray, weights: np.ndarray) -> WindowReports:
        """Window ``t``: every peer's upload, given the canonical model and the current weights."""
        lr, P, R, N = self.learner, self.plan, self.R, self.N
        self._sync(canon)
        now = (self.join <= t) & (t < self.leave) & P.used
        fresh = now & ~self.joined
        self.theta[:, fresh] = canon[:, None, :]
        self.joined |= now
        present = now[None, :] & (self.rng.random((R, N)) < P.present_p[None, :])
        u_mal = self.rng.random((R, N, 2))
        u_time = self.rng.standard_normal((R, N))
        # local training on the chosen data
        xi = lr.own_shards(t)
        if (P.data == PUBLIC).any():
            xi = xi.copy()
            xi[:, P.data == PUBLIC] = lr.shared_shard(t)[:, None, :]
        if (P.overfit != 1).any():
            xi = xi * P.overfit[None, :, None].astype(np.float32)
        g = lr.gradient(self.theta, xi, np.broadcast_to(self.batches, (R, N)), self.rng)
        g[:, P.data == NONE] = 0.0
        idx, vals = ef_step(self.e, g, lr.p_["momentum_decay"], 1.0, lr.p_["chunk"], lr.p_["topk"])
        vals = vals * P.scale[None, :, None, None]
        chunk, topk = lr.p_["chunk"], lr.p_["topk"]
        # noise and the negative x negative recipe: random indices, uniform values
        noisy = np.isfinite(P.noise[:, 0]) | ((P.zero_windows > 0) & (t >= P.zero_windows))
        if noisy.any():
            ri, rv = self._random_payload(R, int(noisy.sum()), idx.shape[-2], chunk, topk)
            lo = np.where(np.isfinite(P.noise[noisy, 0]), P.noise[noisy, 0], -NEGNEG_SCALE)
            hi = np.where(np.isfinite(P.noise[noisy, 1]), P.noise[noisy, 1], NEGNEG_SCALE)
            idx[:, noisy] = ri
            vals[:, noisy] = lo[None, :, None, None] + (hi - lo)[None, :, None, None] * rv
        fixed = np.isfinite(P.fixed) | ((P.zero_windows > 0) & (t < P.zero_windows))
        vals[:, fixed] = np.where(np.isfinite(P.fixed[fixed]), P.fixed[fixed], 0.0)[None, :, None, None]
        times = self.latency[None, :] + self.jitter_s * u_time
        times = np.maximum(times, 0.1) + P.delay[None, :]
        self._copy(t, idx, vals, times, weights, chunk, topk)
        # malformed payloads: wrong count, an index out of range, or a NaN value
        count = np.full((R, N), topk)
        bad = u_mal[..., 0] < P.malformed_p[None, :]
        how = (u_mal[..., 1] * 3).astype(int)
        count[bad & (how == 0)] = topk - 1
        idx[bad & (how == 1), 0, 0] = chunk + 7
        vals[bad & (how == 2), 0, 0] = np.nan
        debug = np.where(present[..., None], self.theta[:, :, self.probe], np.nan)
        return WindowReports(uploaded=present, upload_time=np.where(present, times, np.nan), idx=idx, vals=vals,
                             count=count, debug=debug, honest=P.honest)

    def _random_payload(self, R: int, n: int, n_chunks: int, chunk: int, topk: int) -> tuple[np.ndarray, np.ndarray]:
        keys = self.rng.random((R, n, n_chunks, chunk))
        idx = np.argpartition(keys, topk - 1, axis=-1)[..., :topk]
        idx.sort(axis=-1)
        return idx, self.rng.random((R, n, n_chunks, topk))

    def _copy(self, t: int, idx: np.ndarray, vals: np.ndarray, times: np.ndarray, weights: np.ndarray, chunk: int, topk: int) -> None:
        """Copiers take their target's payload (after it was uploaded); partial copiers blend it in."""
        P = self.plan
        cp = np.flatnonzero(P.copy != -1)
        if cp.size == 0:
            return
        src_idx, src_vals, src_times = idx.copy(), vals.copy(), times.copy()
        for i in cp:
            if P.copy[i] >= 0:
                j = np.full(self.R, P.copy[i])
            else:  # copy_best: the current highest-weight peer other than itself
                w = weights.copy()
                w[:, i] = -1.0
                j = np.argmax(w, axis=1)
            rr = np.arange(self.R)
            if P.blend[i] >= 1.0:
                idx[:, i], vals[:, i] = src_idx[rr, j], src_vals[rr, j]
            else:
                own = decode(src_idx[:, i], src_vals[:, i], chunk)
                other = decode(src_idx[rr, j], src_vals[rr, j], chunk)
                n_own = np.linalg.norm(own, axis=-1, keepdims=True) + 1e-12
                n_oth = np.linalg.norm(other, axis=-1, keepdims=True) + 1e-12
                mix = (1 - P.blend[i]) * own / n_own + P.blend[i] * other / n_oth
                idx[:, i], vals[:, i] = topk_compress((mix * n_own).astype(np.float32), chunk, topk)
            times[:, i] = np.maximum(times[:, i], src_times[rr, j] + self.copy_delay_s)


class PeerType(AgentType):
    """Gauntlet peers for :class:`~mechsim.audit.game.MechanismGame` (audit and conformance).

    ``types`` is a mapping ``{"types": PeerTypes, "seed": int}``; the game's context
    callable (:meth:`context`) builds the learner from that seed, and the mechanism
    factory is wrapped by :meth:`bind` so that peers read the canonical model.
    """

    utility_unit = "share of the window's miner emission"

    def __init__(self, *, learner_factory: Any, deviations: Sequence[str] = ()) -> None:
        self.learner_factory = learner_factory
        self._deviations = [parse_behaviour(d) for d in deviations]
        self.mech_: Any = None
        self.learner_: Any = None

    def bind(self, make_mechanism: Any) -> Any:
        def make() -> Any:
            self.mech_ = make_mechanism()
            return self.mech_
        return make

    def context(self, private: Any) -> dict[str, Any]:
        from mechsim.core.seeding import SeedTree
        learner = self.learner_factory()
        n = len(private["types"].compute)
        learner.reset(n_replications=1, n_agents=n, seeds=SeedTree(int(private["seed"])))
        self.learner_ = learner
        return {"learner": learner, "n_replications": 1, "probe": probe_indices(learner.d_, learner.p_["chunk"])}

    def truthful(self, t: int, private: Any) -> Any:
        return private

    def apply(self, t: int, behaviours: Sequence[Behaviour], truthful: Any, rng: np.random.Generator) -> WindowReports:
        if t == 0:
            self.peers_ = Peers(learner=self.learner_, behaviours=behaviours, types=truthful["types"], n_replications=1, rng=rng)
        reports = self.peers_.produce(t, self.mech_.theta_, self.mech_.weights_)
        return reports

    def utility(self, t: int, private: Any, reports: Any, outcome: Any) -> np.ndarray:
        self.learner_.advance()
        pay = np.asarray(outcome.payments)[0]
        owner = self.peers_.plan.owner
        out = np.zeros(len(owner))
        np.add.at(out, owner[owner >= 0], pay[owner >= 0])
        return out

    def outside_option(self, t: int, private: Any) -> np.ndarray:
        return np.zeros(len(private["types"].compute))

    def deviations(self) -> Sequence[Behaviour]:
        return self._deviations
