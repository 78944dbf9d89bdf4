"""The Gauntlet protocol on SimPy time: blocks and windows, uploads, the validators, emissions.

Time: a window is ``blocks_per_window`` blocks of ``block_s`` seconds (8 x 12 s = 96 s
at v0.2.88). Peers upload after the window end T at their latency (plus behaviour
delays); the validator scores window t ``validator_offset`` windows later (it lags the
chain), which is recorded as its decision time. Nothing in the validator depends on
wall time other than the upload times relative to T, so the lag is bookkeeping.

Emissions: every window pays ``emission_per_tempo / tempo_windows`` tokens of miner
emission in proportion to the incentive: the on-chain weights (set every
``windows_per_weights`` windows) of a single validator, or Yuma consensus of several
(stake-weighted median clipping, spec section 2.3). All validators score the same
uploads on the canonical model and peer list of the highest-stake validator.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechsim.core.skeleton import Job
from mechsim.core.strategy import Behaviour
from mechsim.gauntlet.peers import Peers, PeerTypes, probe_indices
from mechsim.gauntlet.weights import yuma_incentive

__all__ = ["WorldConfig", "gauntlet_process", "PEERS_SCHEMA", "SHARES_SCHEMA", "LOSS_SCHEMA"]

PEERS_SCHEMA = {
    "variant": "str", "replication": "int", "window": "int", "time": "float", "agent": "int", "behaviour": "str",
    "compute": "float", "weight": "float", "incentive": "float", "emission": "float", "F": "float", "B": "float",
    "ordinal": "float", "sync": "float", "in_peer_list": "bool",
}
SHARES_SCHEMA = {
    "variant": "str", "replication": "int", "window": "int", "behaviour": "str", "population_share": "float",
    "emission_share": "float", "peer_list_share": "float",
}
LOSS_SCHEMA = {"variant": "str", "replication": "int", "window": "int", "time": "float", "excess_loss": "float",
               "top5_share": "float", "hhi": "float"}


@dataclass(frozen=True)
class WorldConfig:
    """Run-time settings of one run (from the scenario's ``[scenario]`` table)."""

    n_agents: int
    n_rounds: int
    n_replications: int
    block_s: float = 12.0
    blocks_per_window: int = 8
    validator_offset: int = 2
    tempo_windows: int = 45
    emission_per_tempo: float = 1.0
    record_every: int = 50
    record_peers: bool = True
    validator_stakes: tuple[float, ...] = (1.0,)
    copy_delay_s: float = 2.0
    jitter_s: float = 1.0

    @property
    def window_s(self) -> float:
        return self.block_s * self.blocks_per_window


def _labels(behaviours: Sequence[Behaviour], owner: np.ndarray) -> np.ndarray:
    """Behaviour label of each slot (a Sybil's spare slots carry the owner's label)."""
    lab = np.array([b.name for b in behaviours], dtype=object)
    return np.where(owner >= 0, lab[np.where(owner >= 0, owner, 0)], "spare")


def gauntlet_process(engine: Any, job: Job, *, cfg: WorldConfig, learner: Any, behaviours: Sequence[Behaviour],
                     types: PeerTypes, recorder: Any, payouts: Sequence[Any] | None = None) -> Generator:
    """One variant's run, vectorised over replications (one SimPy process)."""
    R, N = cfg.n_replications, cfg.n_agents
    learner.reset(n_replications=R, n_agents=N, seeds=job.seeds.child("nature"))
    probe = probe_indices(learner.d_, learner.p_["chunk"])
    mechs = [job.build() for _ in cfg.validator_stakes]
    for v, m in enumerate(mechs):
        m.reset(n_agents=N, rng=job.own.generator("validator", v), learner=learner, n_replications=R, probe=probe)
    lead = mechs[0]
    peers = Peers(learner=learner, behaviours=behaviours, types=types, n_replications=R, rng=job.seeds.generator("peers"),
                  copy_delay_s=cfg.copy_delay_s, jitter_s=cfg.jitter_s)
    labels = _labels(behaviours, peers.plan.owner)
    kinds = sorted(set(labels) - {"spare"})
    owner = peers.plan.owner
    pop = {k: float(np.mean([b.name == k for b in behaviours])) for k in kinds}
    stakes = np.asarray(cfg.validator_stakes, dtype=float)
    per_window = cfg.emission_per_tempo / cfg.tempo_windows
    emitted = np.zeros((R, N))
    in_list = np.zeros((R, N))
    for t in range(cfg.n_rounds):
        yield engine.timeout(cfg.window_s)
        reports = peers.produce(t, lead.theta_, lead.weights_)
        theta, plist = lead.theta_.copy(), lead.peer_list_.copy()
        outs = [lead.step(t, reports)]
        for m in mechs[1:]:
            m.theta_, m.peer_list_ = theta.copy(), plist.copy()
            outs.append(m.step(t, reports))
        if len(mechs) == 1:
            incentive = outs[0].onchain
        else:
            W = np.stack([o.onchain for o in outs], axis=1)  # (R, V, N)
            incentive = np.stack([yuma_incentive(W[r], stakes) for r in range(R)])
        pay = per_window * incentive
        emitted += pay
        in_list += outs[0].allocation
        if payouts is not None:
            for r, po in enumerate(payouts):
                s = po.observe(t, pay[r])
                if s is not None:
                    _record_payout(recorder, job, r, t, engine.now, po, s)
        learner.advance()
        if (t + 1) % cfg.record_every == 0 or t + 1 == cfg.n_rounds:
            vtime = engine.now + cfg.validator_offset * cfg.window_s
            _record(recorder, job, t, vtime, lead, outs[0], incentive, emitted, in_list, labels, kinds, pop, owner, types, cfg)
            emitted[:] = 0.0
            in_list[:] = 0.0
        if job.bar is not None:
            job.bar.update(1)


def _record(recorder: Any, job: Job, t: int, vtime: float, mech: Any, out: Any, incentive: np.ndarray, emitted: np.ndarray,
            in_list: np.ndarray, labels: np.ndarray, kinds: list[str], pop: dict[str, float], owner: np.ndarray,
            types: PeerTypes, cfg: WorldConfig) -> None:
    R, N = emitted.shape
    tot = emitted.sum(axis=1, keepdims=True)
    share = np.divide(emitted, tot, out=np.zeros_like(emitted), where=tot > 0)
    ltot = in_list.sum(axis=1, keepdims=True)
    lshare = np.divide(in_list, ltot, out=np.zeros_like(in_list), where=ltot > 0)
    for k in kinds:
        m = labels == k
        recorder.extend("shares", variant=job.variant, replication=job.replication * R + np.arange(R), window=t, behaviour=k,
                        population_share=pop[k], emission_share=share[:, m].sum(axis=1), peer_list_share=lshare[:, m].sum(axis=1))
    srt = -np.sort(-share, axis=1)
    recorder.extend("loss", variant=job.variant, replication=job.replication * R + np.arange(R), window=t, time=vtime,
                    excess_loss=mech.learner_.excess_loss(mech.theta_), top5_share=srt[:, :5].sum(axis=1), hhi=(share**2).sum(axis=1))
    if cfg.record_peers:
        comp = types.compute[np.where(owner >= 0, owner, 0)]
        rr = np.repeat(job.replication * R + np.arange(R), N)
        recorder.extend("peers", variant=job.variant, replication=rr, window=t, time=vtime, agent=np.tile(np.arange(N), R),
                        behaviour=np.tile(labels, R), compute=np.tile(comp, R), weight=out.weights.ravel().copy(), incentive=incentive.ravel().copy(),
                        emission=emitted.ravel().copy(), F=mech.F_.ravel().copy(), B=mech.B_.ravel().copy(),
                        ordinal=mech.ordinal().ravel(), sync=mech.sync_.ravel().copy(), in_peer_list=out.allocation.ravel() > 0)


def _record_payout(recorder: Any, job: Job, r: int, t: int, now: float, po: Any, settlement: Any) -> None:
    rows = po.node_rows(settlement)
    recorder.extend("payouts", variant=job.variant, replication=r, round=t, time=now, **rows)
    recorder.append("ledger_gas", variant=job.variant, replication=r, **po.gas_row(settlement))
