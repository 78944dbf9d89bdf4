"""The federated protocol in simulated time: client steps, the event trigger and communication rounds.

One SimPy process per mechanism variant steps all replications' clients at once
(a batch of ``R * N`` rows, :class:`~mechsim.fedbandits.kernels.ClientBatch`); one
iteration (every client acts once, or with its activity probability) takes one
unit of simulated time. After each iteration, a client whose data since the last
round satisfies DisLinUCB's event trigger

    ``n_t * (log det A_i - log det(A_i - nV_i)) >= threshold``

starts a communication round in its replication (spec §2.3's protocol step):
clients report costs (the strategy), the mechanism selects participants and pays
them, participants upload their pending ``Delta V, Delta b`` and download the
server's statistics (after ``2 * hops * hop_latency`` time, in a process of its
own), and every client's trigger buffer is reset. Non-participants keep their
pending data for later rounds.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechsim.core.strategy import Observation
from mechsim.fedbandits.agents import CostModel, client_utility
from mechsim.fedbandits.kernels import ClientBatch, logdet_spd
from mechsim.fedbandits.mechanisms import RoundReports
from mechsim.fedbandits.network import round_scalars
from mechsim.core.mechanism import Outcome

__all__ = ["FedConfig", "FedRun", "fed_process", "STEPS_SCHEMA", "ROUNDS_SCHEMA", "CLIENTS_SCHEMA", "CURVE_SCHEMA"]

STEPS_SCHEMA = {
    "variant": "str", "replication": "int", "t": "int", "time": "float", "regret": "float", "comm_scalars": "float",
    "comm_rounds": "int", "triggers": "int", "payments": "float", "social_cost": "float", "data_value": "float",
}
ROUNDS_SCHEMA = {
    "variant": "str", "replication": "int", "round": "int", "t": "int", "time": "float", "n_selected": "int",
    "n_available": "int", "payments": "float", "social_cost": "float", "data_value": "float", "comm_scalars": "float", "det_ratio": "float",
}
CLIENTS_SCHEMA = {
    "variant": "str", "replication": "int", "round": "int", "t": "int", "agent": "int", "behaviour": "str", "cost": "float",
    "bid": "float", "selected": "bool", "payment": "float", "data_value": "float", "critical": "float", "utility": "float",
    "truthful_utility": "float",
}
CURVE_SCHEMA = {
    "variant": "str", "agent": "int", "cost": "float", "factor": "float", "report": "float", "selected": "bool",
    "utility": "float", "critical": "float",
}


@dataclass(frozen=True)
class FedConfig:
    """The run's settings (see :mod:`mechsim.fedbandits.family` for their meaning)."""

    n_agents: int
    n_rounds: int
    n_replications: int
    dim: int
    reg: float
    delta: float
    noise: float
    alpha_scale: float
    threshold: float
    kappa: float
    hop_latency: float
    activity: float
    activity_spread: float
    record_every: int
    curve_points: int
    curve_agents: int
    costs: CostModel


class FedRun:
    """State of one mechanism variant over all replications.

    Parameters
    ----------
    cfg : the run's settings
    variant : label of the variant
    worlds : one :class:`~mechsim.fedbandits.environment.PoolWorld` per replication (nature)
    mechanisms, strategies, payouts : one per replication (payouts may be ``None``)
    costs : (R, N) true participation costs
    activity_rngs : one generator per replication for the clients' activity draws
    hops : (N,) hops from every client to the server
    """

    def __init__(self, cfg: FedConfig, *, variant: str, worlds: Sequence[Any], mechanisms: Sequence[Any], strategies: Sequence[Any],
                 payouts: Sequence[Any] | None, costs: np.ndarray, activity_rngs: Sequence[np.random.Generator], hops: np.ndarray) -> None:
        self.cfg, self.variant = cfg, variant
        self.worlds, self.mechanisms, self.strategies = list(worlds), list(mechanisms), list(strategies)
        self.payouts = list(payouts) if payouts is not None else None
        self.costs, self.activity_rngs, self.hops = costs, list(activity_rngs), hops
        R, N, d = cfg.n_replications, cfg.n_agents, cfg.dim
        self.batch = ClientBatch().bind(dim=d, n_rows=R * N, reg=cfg.reg, noise=cfg.noise, delta=cfg.delta, scale=cfg.alpha_scale)
        self.up_v = np.zeros((R * N, d, d))
        self.up_b = np.zeros((R * N, d))
        self.up_n = np.zeros(R * N)
        self.trig_gain = np.zeros(R * N)
        self.trig_n = np.zeros(R * N)
        self.server_v = np.zeros((R, d, d))
        self.server_b = np.zeros((R, d))
        self.server_n = np.zeros(R)
        share = np.linspace(0.0, 1.0, N) if N > 1 else np.zeros(1)
        self.p_active = cfg.activity * (1.0 - cfg.activity_spread * share)
        self.acc = {k: np.zeros(R) for k in ("regret", "comm_scalars", "comm_rounds", "triggers", "payments", "social_cost", "data_value")}
        self.n_round = np.zeros(R, dtype=int)
        self.pay_now = np.zeros((R, N))
        self.labels = [s.labels() for s in self.strategies]
        self.curve_done = cfg.curve_points == 0

    # -- client steps ----------------------------------------------------------------

    def client_step(self) -> None:
        if self.batch.kernel_ == "numba":
            self._client_step_fused()
            return
        R, N = self.cfg.n_replications, self.cfg.n_agents
        draws = [w.draw(N) for w in self.worlds]
        ctx = np.concatenate([dr.contexts for dr in draws])
        rew = np.concatenate([dr.rewards for dr in draws])
        means = np.concatenate([dr.means for dr in draws])
        active = np.concatenate([rng.random(N) < self.p_active for rng in self.activity_rngs])
        arms, x, gain = self.batch.step(ctx, rew, active)
        rows = np.arange(R * N)
        y = rew[rows, arms] * active
        self.up_v += x[:, :, None] * x[:, None, :]
        self.up_b += y[:, None] * x
        self.up_n += active
        self.trig_gain += gain
        self.trig_n += active
        regret = (means.max(axis=1) - means[rows, arms]) * active
        self.acc["regret"] += regret.reshape(R, N).sum(axis=1)

    def _client_step_fused(self) -> None:
        """The numba path of :meth:`client_step`: the same draws, one fused kernel for every row."""
        R, N = self.cfg.n_replications, self.cfg.n_agents
        if not hasattr(self, "_pools"):
            self._pools = np.ascontiguousarray(np.stack([w.pool for w in self.worlds]))
        if R == 1:
            w = self.worlds[0]
            idx, rew, means = w.draw_items(N)
            active = self.activity_rngs[0].random(N) < self.p_active
        else:
            draws = [w.draw_items(N) for w in self.worlds]
            idx = np.concatenate([dr[0] for dr in draws])
            rew = np.concatenate([dr[1] for dr in draws])
            means = np.concatenate([dr[2] for dr in draws])
            active = np.concatenate([rng.random(N) < self.p_active for rng in self.activity_rngs])
        arms, gain = self.batch.step_fused(self._pools, idx, rew, active, self.up_v, self.up_b, self.up_n, self.trig_n, N)
        self.trig_gain += gain
        rows = np.arange(R * N)
        regret = (means.max(axis=1) - means[rows, arms]) * active
        self.acc["regret"] += regret.reshape(R, N).sum(axis=1)

    def fired(self) -> np.ndarray:
        """(R,) replications in which some client's trigger fired."""
        hit = self.trig_n * self.trig_gain >= self.cfg.threshold
        return hit.reshape(self.cfg.n_replications, self.cfg.n_agents).any(axis=1)

    # -- communication rounds -----------------------------------------------------------

    def reports(self, r: int) -> RoundReports:
        N, d = self.cfg.n_agents, self.cfg.dim
        rows = slice(r * N, (r + 1) * N)
        base = self.server_v[r] + self.cfg.reg * np.eye(d)
        return RoundReports(np.array(self.costs[r]), base, self.up_v[rows].copy(), self.batch.logdet_[rows].copy())

    def round(self, r: int, t: int, now: float, recorder: Any, engine: Any) -> None:
        cfg, N = self.cfg, self.cfg.n_agents
        mech, costs = self.mechanisms[r], self.costs[r]
        rep = self.reports(r)

        def evaluate(bids: np.ndarray) -> np.ndarray:
            return client_utility(costs, mech.step(t, rep.with_bids(bids)))

        bids = self.strategies[r].act(Observation(t, costs.copy(), {"time": now, "evaluate": evaluate, "replication": r}))
        rep = rep.with_bids(bids)
        out = mech.step(t, rep)
        if not self.curve_done and r == 0:
            self._curve(rep, recorder, t)
        sel = np.flatnonzero(out.allocation > 0)
        util = client_utility(costs, out)
        honest = util.copy()
        for i in np.flatnonzero(bids != costs):  # what a misreporting client would have had by telling the truth
            trial = bids.copy()
            trial[i] = costs[i]
            honest[i] = evaluate(trial)[i]
        avail = np.isfinite(bids)
        full = float(logdet_spd(rep.base + rep.uploads[avail].sum(axis=0)))
        scal = round_scalars(self.hops, sel, cfg.dim)
        rows = r * N + sel
        if sel.size:
            self.server_v[r] += self.up_v[rows].sum(axis=0)
            self.server_b[r] += self.up_b[rows].sum(axis=0)
            self.server_n[r] += self.up_n[rows].sum()
            self.up_v[rows], self.up_b[rows], self.up_n[rows] = 0.0, 0.0, 0.0
            snap = (self.server_v[r].copy(), self.server_b[r].copy(), float(self.server_n[r]))
            lat = 2.0 * self.hops[sel] * cfg.hop_latency
            for delay in np.unique(lat):
                group = rows[lat == delay]
                if delay == 0:
                    self.download(group, snap)
                else:
                    engine.process(self._deliver(engine, delay, group, snap))
        allr = slice(r * N, (r + 1) * N)
        self.trig_gain[allr], self.trig_n[allr] = 0.0, 0.0
        a = self.acc
        a["triggers"][r] += 1
        a["comm_rounds"][r] += sel.size > 0
        a["comm_scalars"][r] += scal
        pay = float(out.payments.sum())
        social = float(costs[sel].sum())
        value = float(out.data_value.sum())
        a["payments"][r] += pay
        a["social_cost"][r] += social
        a["data_value"][r] += value
        self.pay_now[r] += out.payments
        k = int(self.n_round[r])
        self.n_round[r] += 1
        recorder.append("rounds", variant=self.variant, replication=r, round=k, t=t, time=now, n_selected=int(sel.size),
                        n_available=int(avail.sum()), payments=pay, social_cost=social, data_value=value, comm_scalars=scal,
                        det_ratio=float(np.exp(min(out.info["logdet"] - full, 0.0))))
        sel_mask = out.allocation > 0
        recorder.extend("clients", variant=self.variant, replication=r, round=k, t=t, agent=np.arange(N),
                        behaviour=np.array(self.labels[r], dtype=object), cost=costs, bid=bids, selected=sel_mask,
                        payment=out.payments, data_value=out.data_value, critical=out.critical, utility=util,
                        truthful_utility=honest)

    def download(self, rows: np.ndarray, snap: tuple[np.ndarray, np.ndarray, float]) -> None:
        """Participants' local statistics become the server's plus what they gathered since the upload."""
        v, b, n = snap
        self.batch.load(rows, v[None] + self.up_v[rows], b[None] + self.up_b[rows], n + self.up_n[rows])

    def _deliver(self, engine: Any, delay: float, rows: np.ndarray, snap: tuple) -> Generator:
        yield engine.timeout(float(delay))
        self.download(rows, snap)

    def _curve(self, rep: RoundReports, recorder: Any, t: int) -> None:
        """Utility of reported cost ``factor * D_i`` for the ``curve_agents`` cheapest clients (others truthful)."""
        self.curve_done = True
        cfg, mech, costs = self.cfg, self.mechanisms[0], self.costs[0]
        factors = np.linspace(0.0, 4.0, cfg.curve_points)
        for i in np.argsort(costs, kind="stable")[: cfg.curve_agents]:
            for f in factors:
                bids = costs.copy()
                bids[i] = f * costs[i]
                out = mech.step(t, rep.with_bids(bids))
                u = client_utility(costs, out)
                recorder.append("utility_curve", variant=self.variant, agent=int(i), cost=float(costs[i]), factor=float(f), report=float(bids[i]),
                                selected=bool(out.allocation[i] > 0), utility=float(u[i]), critical=float(out.critical[i]))

    # -- per-iteration bookkeeping ---------------------------------------------------------

    def settle(self, t: int, now: float, recorder: Any) -> None:
        if self.payouts is None:
            self.pay_now[:] = 0.0
            return
        N = self.cfg.n_agents
        for r, payout in enumerate(self.payouts):
            out = Outcome(allocation=np.zeros(N), payments=self.pay_now[r].copy(), scores=np.full(N, np.nan))
            st = payout.observe_outcome(t, out)
            if st is not None:
                recorder.extend("payouts", variant=self.variant, replication=r, round=t, time=now, **payout.node_rows(st))
                recorder.append("ledger_gas", variant=self.variant, replication=r, **payout.gas_row(st))
        self.pay_now[:] = 0.0

    def record(self, t: int, now: float, recorder: Any) -> None:
        R = self.cfg.n_replications
        recorder.extend("steps", variant=self.variant, replication=np.arange(R), t=t + 1, time=now,
                        **{k: (v.astype(int) if k in ("comm_rounds", "triggers") else v.copy()) for k, v in self.acc.items()})


def fed_process(engine: Any, run: FedRun, recorder: Any, bar: Any = None) -> Generator:
    """Iterations ``t = 0 .. n_rounds - 1`` of one variant, one unit of simulated time each."""
    cfg = run.cfg
    for t in range(cfg.n_rounds):
        now = float(engine.now)
        run.client_step()
        for r in np.flatnonzero(run.fired()):
            run.round(int(r), t, now, recorder, engine)
        run.settle(t, now, recorder)
        if (t + 1) % cfg.record_every == 0 or t + 1 == cfg.n_rounds:
            run.record(t, now, recorder)
        if bar is not None:
            bar.update(1)
        yield engine.timeout(1.0)
