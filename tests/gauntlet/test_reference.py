"""Hand-made windows scored by the vectorised validator and by a plain per-peer
reimplementation of the spec's section 2.2 pseudocode written here (dicts and loops,
openskill called directly): F, B, ordinals, weights and the canonical model must agree."""

from __future__ import annotations

import math

import numpy as np
import pytest
from openskill.models import PlackettLuce

from mechsim.core.seeding import SeedTree
from mechsim.gauntlet.compress import topk_compress
from mechsim.gauntlet.learner import QuadraticLearner
from mechsim.gauntlet.mechanism import GauntletValidator, WindowReports

N, D, CHUNK, K, T = 6, 128, 32, 4, 70
PROBE = np.array([10, 11, 42, 43, 74, 75, 106, 107])


class RecordingLearner(QuadraticLearner):
    """Logs the validator's random pages so the reference sees the same ones."""

    def random_shard(self, rng):
        x = super().random_shard(rng)
        self.log_.append(x)
        return x


class Reference:
    """Section 2.2, one peer at a time (also the per-peer loop baseline of benchmarks/bench_gauntlet.py).

    ``step`` evaluates every eligible peer and posts every eligible peer as the next
    list unless the caller passes the ``batch`` and the ``posted`` list (the benchmark
    passes the vectorised validator's random choices, so both do the same scoring).
    """

    def __init__(self, learner, n=N, d=D, chunk=CHUNK, k=K, probe=PROBE):
        self.L = learner
        self.n, self.d, self.chunk, self.k, self.probe = n, d, chunk, k, probe
        self.F, self.B, self.sync = {p: 0.0 for p in range(n)}, {p: 0.0 for p in range(n)}, {p: 0.0 for p in range(n)}
        self.R: dict[int, object] = {}
        self.PL = PlackettLuce(beta=7.0, tau=0.1)
        self.inactive_since: dict[int, int] = {}
        self.evaluated: set[int] = set()
        self.last_upload: dict[int, int] = {}
        self.prev_elig: set[int] = set()
        self.pending: dict[int, float] = {}
        self.theta = np.zeros(d, dtype=np.float32)
        self.peer_list: list[int] = []
        self.next_list, self.next_at = None, None
        self.w = {p: 0.0 for p in range(n)}

    @staticmethod
    def lr(t):  # warm-up 0.1 eta -> eta over 250 windows, then cosine with warm restarts (T_0 20000, T_mult 2)
        if t < 250:
            return 4e-4 * (0.1 + 0.9 * t / 250)
        e, length = t - 250, 20000
        while e >= length:
            e, length = e - length, 2 * length
        return 4e-5 + (4e-4 - 4e-5) * (1 + math.cos(math.pi * e / length)) / 2

    def loss(self, theta, xi):
        diff = theta.astype(np.float64) - self.L.star_[0].astype(np.float64) - xi.astype(np.float64)
        return 0.5 * float(np.mean(diff * diff)) + self.L.p_["loss_floor"]

    def dense(self, idx, vals):
        out = np.zeros(self.d)
        for c in range(idx.shape[0]):
            for j in range(idx.shape[1]):
                out[c * self.chunk + idx[c, j]] = vals[c, j]
        return out

    def valid(self, rep, p):
        return rep.count[0, p] == self.k and np.all((rep.idx[0, p] >= 0) & (rep.idx[0, p] < self.chunk)) and np.all(np.isfinite(rep.vals[0, p]))

    def in_window(self, rep, p):
        return bool(rep.uploaded[0, p]) and 0.0 <= rep.upload_time[0, p] <= 10.0

    def steps_behind(self, rep, p, lr):
        dbg = rep.debug[0, p]
        if np.any(np.isnan(dbg)):
            return None
        return float(np.mean(np.abs(self.theta[self.probe] - dbg))) / lr

    def full_reset(self, p):
        self.F[p] = self.B[p] = self.sync[p] = 0.0
        self.R.pop(p, None)
        self.pending.pop(p, None)

    def step(self, t, rep, xi_rand, batch=None, posted=None):
        N = self.n
        lr = self.lr(t)
        for p in range(N):
            if rep.uploaded[0, p]:
                self.last_upload[p] = t
        elig = {p for p in range(N) if p in self.last_upload and t - self.last_upload[p] <= 5}
        for p in self.prev_elig - elig:
            self.inactive_since.setdefault(p, t)
        for p, t0 in list(self.inactive_since.items()):
            if p in elig:
                del self.inactive_since[p]
                continue
            if t - t0 > 25:
                self.full_reset(p)
                continue
            if self.F[p] > 0:
                self.F[p] *= 0.75
        self.prev_elig = elig
        if self.next_at == t:
            self.peer_list = self.next_list
        agg_set = list(self.peer_list)
        got = [p for p in agg_set if self.in_window(rep, p) and self.valid(rep, p)]
        skipped = [p for p in agg_set if p not in got]
        for p in agg_set:
            x = self.steps_behind(rep, p, lr)
            if (x is None or x > 3) and self.F[p] > 0:
                self.F[p] *= 0.75
                self.B[p] *= 0.75
        for p in skipped:
            if self.F[p] > 0:
                self.F[p] *= 0.75
                self.B[p] *= 0.75
            self.evaluated.add(p)
        batch = sorted(elig) if batch is None else [int(p) for p in batch if p >= 0]
        xi_own = self.L.own_shards(t)[0]
        for p in batch:
            if not self.in_window(rep, p):
                if self.F[p] > 0:
                    self.F[p] *= 0.75
                    self.B[p] *= 0.75
                self.evaluated.add(p)
                continue
            if not self.valid(rep, p):
                self.F[p] = 0.0 if self.F[p] > 0 else self.F[p]
                self.evaluated.add(p)
                continue
            d = self.dense(rep.idx[0, p], rep.vals[0, p])
            th_own = self.theta.astype(np.float64) - 0.2 * lr * np.sign(d)
            l0o, l1o = self.loss(self.theta, xi_own[p]), self.loss(th_own, xi_own[p])
            l0r, l1r = self.loss(self.theta, xi_rand), self.loss(th_own, xi_rand)
            r_own, r_rand = (l0o - l1o) / l0o, (l0r - l1r) / l0r
            self.pending[p] = r_rand
            self.B[p] = 0.95 * self.B[p] + 0.05 * (1.0 if r_own > r_rand else -1.0)
            x = self.steps_behind(rep, p, lr)
            self.sync[p] = 0.0 if x is None else max(0.0, 1 - min(x, 5) / 5) ** 2.5
            self.evaluated.add(p)
            self.R.setdefault(p, self.PL.rating())
        if len(self.pending) >= 2:
            ids = sorted(self.pending)
            new = self.PL.rate([[self.R[p]] for p in ids], scores=[self.pending[p] for p in ids])
            for p, team in zip(ids, new):
                self.R[p] = team[0]
                self.F[p] = self.R[p].ordinal() * max(0.0, self.B[p]) * self.sync[p]
            self.pending = {}
        pos = [p for p in self.evaluated if self.F[p] > 0]
        tot = sum(self.F[q] ** 2.2 for q in pos)
        self.w = {p: (self.F[p] ** 2.2 / tot if (p in pos and tot > 1e-8) else 0.0) for p in range(N)}
        if got:
            total, cnt = np.zeros(self.d), np.zeros(self.d)
            for p in got:
                v = rep.vals[0, p].astype(np.float64)
                norms = np.sqrt((v * v).sum(axis=1, keepdims=True))
                v = np.where(norms > 0, v / np.where(norms > 0, norms, 1), 0.0)
                total += self.dense(rep.idx[0, p], v)
                cnt += self.dense(rep.idx[0, p], np.ones_like(v))
            mean = np.where(cnt > 0, total / np.where(cnt > 0, cnt, 1), 0.0)
            self.theta = self.theta - np.float32(lr) * np.sign(mean).astype(np.float32)
        if t % 5 == 0 and (len(elig) >= 5 or self.peer_list):
            self.next_list, self.next_at = (sorted(elig) if posted is None else [int(p) for p in posted if p >= 0]), t + 2

    def ordinal(self, p):
        return self.R[p].ordinal() if p in self.R else 0.0


def _window(t, rng, theta, learner):
    """Hand-made uploads: honest-ish payloads, a late and an early peer, malformed ones,
    desynchronised and missing debug slices, a peer that goes silent and comes back."""
    xi = learner.own_shards(t)[0]
    g = theta[None, :] - learner.star_[0][None, :] - xi + 0.02 * rng.standard_normal((N, D)).astype(np.float32)
    idx, vals = topk_compress(g, CHUNK, K)
    idx, vals = idx[None].copy(), vals[None].astype(np.float64).copy()
    vals[0, 4] = rng.uniform(-1, 1, vals[0, 4].shape)  # noise
    uploaded = np.ones((1, N), bool)
    uploaded[0, 5] = t < 8 or t >= 50  # silent 8..49: inactive, decays, full reset
    times = rng.uniform(0.5, 8.0, (1, N))
    if rng.random() < 0.3:
        times[0, 2] = 12.0  # TOO_LATE
    if rng.random() < 0.2:
        times[0, 3] = -1.0  # TOO_EARLY
    count = np.full((1, N), K)
    u = rng.random()
    if u < 0.2:
        count[0, 4] = K - 1
    elif u < 0.3:
        vals[0, 4, 0, 0] = np.nan
    lr = Reference.lr(t)
    debug = np.repeat(theta[PROBE][None, None, :], N, axis=1).astype(np.float64)
    debug[0, 1] += lr * rng.choice([0.0, 1.0, 2.0, 4.0, 6.0])
    if rng.random() < 0.2:
        debug[0, 0] = np.nan
    debug[~uploaded] = np.nan
    return WindowReports(uploaded=uploaded, upload_time=np.where(uploaded, times, np.nan), idx=idx, vals=vals, count=count, debug=debug)


@pytest.mark.parametrize("seed", [0, 1])
def test_validator_matches_the_section_2_2_reference(seed):
    learner = RecordingLearner(dim=D, chunk=CHUNK, topk=K)
    learner.reset(n_replications=1, n_agents=N, seeds=SeedTree(seed).child("nature"))
    learner.log_ = []
    mech = GauntletValidator(uids_per_window=N, max_topk_peers=N)
    mech.reset(n_agents=N, rng=SeedTree(seed).generator("validator"), learner=learner, probe=PROBE)
    ref = Reference(learner)
    rng = np.random.default_rng(seed)
    seen_reset = seen_slash = False
    for t in range(T):
        np.testing.assert_array_equal(mech.theta_[0], ref.theta)
        rep = _window(t, rng, ref.theta, learner)
        out = mech.step(t, rep)
        ref.step(t, rep, learner.log_[-1][0])
        F = np.array([ref.F[p] for p in range(N)])
        np.testing.assert_allclose(out.scores[0], F, rtol=1e-9, atol=1e-12, err_msg=f"F at window {t}")
        np.testing.assert_allclose(out.info["B"][0], [ref.B[p] for p in range(N)], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(out.info["ordinal"][0], [ref.ordinal(p) for p in range(N)], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(out.weights[0], [ref.w[p] for p in range(N)], rtol=1e-9, atol=1e-12)
        seen_slash |= 0 < ref.F[5] and 8 < t < 40
        seen_reset |= t == 40 and 5 not in ref.R
    assert seen_slash and seen_reset  # the silent peer decayed and was fully reset
    assert (out.weights[0] > 0).sum() >= 2


def test_reference_uses_the_templar_schedule():
    from mechsim.gauntlet.ratings import lr_at

    assert lr_at(0, 4e-4, 250, 20000, 0.1) == pytest.approx(4e-5)
    assert lr_at(125, 4e-4, 250, 20000, 0.1) == pytest.approx(Reference.lr(125))
    assert lr_at(250, 4e-4, 250, 20000, 0.1) == pytest.approx(4e-4)
    # CosineAnnealingWarmRestarts(T_0=20000, T_mult=2): minimum just before the first restart, then back to eta
    assert lr_at(250 + 10000, 4e-4, 250, 20000, 0.1) == pytest.approx(0.1 * 4e-4 + 0.9 * 4e-4 * 0.5)
    assert lr_at(250 + 20000, 4e-4, 250, 20000, 0.1) == pytest.approx(4e-4)
    assert lr_at(250 + 20000 + 20000, 4e-4, 250, 20000, 0.1) == pytest.approx(0.1 * 4e-4 + 0.9 * 4e-4 * 0.5)
    assert math.isclose(lr_at(250 + 60000, 4e-4, 250, 20000, 0.1), 4e-4)
