"""The Gauntlet validator (templar v0.2.88), vectorised over replications and peers.

One :meth:`GauntletValidator.step` is one validator ``sync_window`` (spec section 2.2):

1. uptime: inactive peers' positive F decays x0.75 per window, full reset after 25;
2. gather from the top-G peer list inside the put window [T, T + 10 s]; skipped
   (missing, TOO_EARLY, TOO_LATE, malformed) and out-of-sync gather peers get
   F, B x0.75 (positive F only);
3. k = 4 peers, drawn from one ordinal bin with weights = eval counters, are scored:
   loss before/after theta - 0.2 lr sign(delta) on their own pages and on the window's
   random pages; s = r_rand; b = +1 iff r_own > r_rand; B <- 0.95 B + 0.05 b;
4. OpenSkill PlackettLuce on the window's scores (>= 2 of them), F = ordinal x max(0, B) x sync;
5. w = F^gamma / sum F^gamma over evaluated peers with F > 0;
6. every 5 windows the next peer list (top G by w, effective 2 windows later); the
   canonical model takes a sign-SGD step on the per-peer L2-normalised mean of the
   gathered payloads; weights go on chain every 50 windows.

Outcome fields are (R, N): ``allocation`` = in the aggregation set this window,
``payments`` = the on-chain weights (the peers' share of this window's miner emission
for a single validator), ``scores`` = F.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mechsim.core.mechanism import Claims, Mechanism, Outcome
from mechsim.core.params import Nullable, Options, validate_params
from mechsim.core.registry import register
from mechsim.errors import ParameterError
from mechsim.gauntlet import presets
from mechsim.gauntlet.compress import probe_indices, decode, index_overlap, row_normalise, valid_payload
from mechsim.gauntlet.ratings import OpenSkillRater, lr_at
from mechsim.gauntlet.weights import map_weights

__all__ = ["WindowReports", "GauntletOutcome", "GauntletValidator"]

_NEVER = -(10**9)


@dataclass(frozen=True)
class WindowReports:
    """What the validator can see of window ``t`` (all arrays have leading (R, N)).

    uploaded : bool, a gradient object exists for the window (any time)
    upload_time : float, seconds after the window end T (nan: no object)
    idx, vals : (R, N, n_chunks, topk) payload
    count : int, indices per row the payload claims
    debug : (R, N, P) float, the peer's published theta[probe] after its last update (nan: none)
    honest : (N,) bool, ground truth used only by ``aggregation='oracle'``
    """

    uploaded: np.ndarray
    upload_time: np.ndarray
    idx: np.ndarray
    vals: np.ndarray
    count: np.ndarray
    debug: np.ndarray
    honest: np.ndarray | None = None


@dataclass(frozen=True, kw_only=True)
class GauntletOutcome(Outcome):
    """Outcome plus the window's weights, evaluated peers and canonical-model state."""

    weights: np.ndarray
    onchain: np.ndarray
    set_weights: bool


def _settings_constraints() -> dict[str, Any]:
    out: dict[str, Any] = {"preset": Options(tuple(presets.PRESETS))}
    out.update({k: Nullable(c) for k, c in presets.CONSTRAINTS.items()})
    return out


@register("gauntlet/validator-v1", kind="gauntlet.mechanism")
class GauntletValidator(Mechanism):
    """templar's validator scoring (v0.2.88 by default); every constant is a setting.

    Parameters
    ----------
    preset : {"paper-v0.2.88", "legacy-v0.2.60", "legacy-pre-pr108"}, default "paper-v0.2.88"
    every other parameter : default None (the preset's value); see
        :mod:`mechsim.gauntlet.presets` for meaning and provenance.

    ``reset`` context: ``learner`` (a reset :class:`~mechsim.gauntlet.learner.QuadraticLearner`),
    ``n_replications`` (default 1), ``probe`` (indices of the debug slice).
    """

    _parameter_constraints: ClassVar[dict] = _settings_constraints()
    claims: ClassVar[Claims] = Claims(randomized=True, extra={"positive_scores_only_slashed": True})

    def __init__(
        self, *, preset: str = "paper-v0.2.88", put_window_s: float | None = None, use_put_window: bool | None = None,
        recent_windows: int | None = None, reset_inactivity_windows: int | None = None, inactivity_slash: float | None = None,
        missing_slash: float | None = None, sync_slash: float | None = None, sync_max_steps_behind: float | None = None,
        sync_full_steps: float | None = None, sync_exponent: float | None = None, use_sync: bool | None = None,
        uids_per_window: int | None = None, n_bins: int | None = None, eval_lr_factor: float | None = None,
        eval_step: str | None = None, binary_alpha: float | None = None, binary_init: float | None = None,
        use_indicator: bool | None = None, formula: str | None = None, rating: str | None = None,
        rating_score: str | None = None, openskill_beta: float | None = None, openskill_tau: float | None = None,
        openskill_mu: float | None = None, openskill_sigma: float | None = None, openskill_kappa: float | None = None,
        ema_alpha: float | None = None, max_gradient_score: float | None = None, gradient_ma_alpha: float | None = None,
        ma_window: int | None = None, legacy_product: str | None = None, weight_map: str | None = None,
        gamma: float | None = None, weight_floor: float | None = None, burn_rate: float | None = None, max_topk_peers: int | None = None,
        peer_replacement_frequency: int | None = None, peer_list_margin: int | None = None, minimum_peers: int | None = None,
        windows_per_weights: int | None = None, aggregation: str | None = None, copy_detector: str | None = None,
        overlap_thresholds: float | None = None, naughty_windows: int | None = None, overlap_grace_windows: int | None = None,
        lr: float | None = None, warmup_windows: int | None = None, cosine_t0: int | None = None, lr_min_factor: float | None = None,
    ) -> None:
        for k, v in dict(locals()).items():
            if k not in ("self", "__class__"):
                setattr(self, k, v)

    # -- start ---------------------------------------------------------------------------

    def reset(self, *, n_agents: int, rng: np.random.Generator, learner: Any = None, n_replications: int = 1,
              probe: np.ndarray | None = None, **context: Any) -> None:
        p = validate_params(self)
        self.p_ = presets.resolve(p.pop("preset"), p)
        if learner is None:
            raise ParameterError("GauntletValidator.reset needs the 'learner' context (a reset QuadraticLearner).")
        R, N = int(n_replications), int(n_agents)
        self.R_, self.N_, self.rng_, self.learner_ = R, N, rng, learner
        self.chunk_, self.topk_ = learner.p_["chunk"], learner.p_["topk"]
        self.probe_ = np.asarray(probe if probe is not None else probe_indices(learner.d_, self.chunk_), dtype=int)
        s = self.p_
        z = lambda: np.zeros((R, N))  # noqa: E731
        self.F_, self.B_, self.sync_ = z(), np.full((R, N), s["binary_init"]), z()
        self.mu_, self.sigma_ = np.full((R, N), s["openskill_mu"]), np.full((R, N), s["openskill_sigma"])
        self.rated_ = np.zeros((R, N), bool)
        self.ema_ = z()
        self.counter_ = np.ones((R, N))
        self.prev_elig_ = np.zeros((R, N), bool)
        self.inactive_since_ = np.full((R, N), -1, dtype=np.int64)
        self.evaluated_ = np.zeros((R, N), bool)
        self.weights_, self.onchain_ = z(), z()
        self.last_upload_ = np.full((R, N), _NEVER, dtype=np.int64)
        G = s["max_topk_peers"]
        self.peer_list_ = np.full((R, G), -1, dtype=np.int64)
        self.next_list_ = np.full((R, G), -1, dtype=np.int64)
        self.next_effective_ = np.full(R, _NEVER, dtype=np.int64)
        self.naughty_until_ = np.full((R, N), _NEVER, dtype=np.int64)
        self.pending_ = np.zeros((R, N), bool)
        self.pending_s_ = z()
        self.G_legacy_ = z()
        self.fhist_ = np.zeros((R, N, s["ma_window"]))
        self.fcount_ = np.zeros((R, N), dtype=np.int64)
        self.last_s_ = np.full((R, N), np.nan)
        self.last_b_ = np.zeros((R, N))
        self.theta_ = np.zeros((R, learner.d_), dtype=np.float32)
        self.rater_ = (OpenSkillRater(mu=s["openskill_mu"], sigma=s["openskill_sigma"], beta=s["openskill_beta"],
                                      tau=s["openskill_tau"], kappa=s["openskill_kappa"]) if s["rating"] == "openskill" else None)

    # -- helpers -----------------------------------------------------------------------------

    def learning_rate(self, t: int) -> float:
        s = self.p_
        return lr_at(t, s["lr"], s["warmup_windows"], s["cosine_t0"], s["lr_min_factor"])

    def ordinal(self) -> np.ndarray:
        """(R, N) OpenSkill ordinal mu - 3 sigma (0 for unrated peers)."""
        return np.where(self.rated_, self.mu_ - 3.0 * self.sigma_, 0.0)

    def _rating_value(self) -> np.ndarray:
        if self.p_["rating_score"] == "mu":
            return np.where(self.rated_, self.mu_, 0.0)
        return self.ordinal()

    def full_reset(self, mask: np.ndarray) -> None:
        """Inactivity / copy reset: F, weight, B, sync, indicator, OpenSkill, counter, legacy state."""
        s = self.p_
        for a in (self.F_, self.weights_, self.sync_, self.ema_, self.G_legacy_, self.last_b_):
            a[mask] = 0.0
        self.B_[mask] = 0.0
        self.mu_[mask], self.sigma_[mask] = s["openskill_mu"], s["openskill_sigma"]
        self.rated_[mask] = False
        self.counter_[mask] = 1.0
        self.pending_[mask] = False
        self.fhist_[mask] = 0.0
        self.fcount_[mask] = 0

    def _slash(self, mask: np.ndarray, rate: float, both: bool = True) -> None:
        """x rate on positive F (and on B when the gate passes): 'only reduce positive scores'."""
        m = mask & (self.F_ > 0)
        self.F_[m] *= rate
        if both:
            self.B_[m] *= rate

    def _steps_behind(self, debug: np.ndarray, lr: float) -> np.ndarray:
        """(R, N) x = mean |theta[probe] - debug| / lr (nan where the debug dict is missing)."""
        mine = self.theta_[:, self.probe_][:, None, :]
        return np.mean(np.abs(mine - debug), axis=-1) / lr

    # -- one window --------------------------------------------------------------------------

    def step(self, t: int, reports: WindowReports) -> GauntletOutcome:
        s, R, N = self.p_, self.R_, self.N_
        lr = self.learning_rate(t)
        rows = np.arange(R)[:, None]

        # A1 uptime / inactivity
        self.last_upload_[reports.uploaded] = t
        naughty = self.naughty_until_ > t
        elig = (t - self.last_upload_ <= s["recent_windows"]) & ~naughty
        newly = self.prev_elig_ & ~elig & (self.inactive_since_ < 0)
        self.inactive_since_[newly] = t
        has = self.inactive_since_ >= 0
        self.inactive_since_[has & elig] = -1
        gone = has & ~elig
        reset = gone & (t - self.inactive_since_ > s["reset_inactivity_windows"])
        self.full_reset(reset)
        self._slash(gone & ~reset, s["inactivity_slash"], both=False)
        self.prev_elig_ = elig

        # A2 / A3 gather (the peer list posted peer_list_margin windows ago), reliability and sync filters
        due = self.next_effective_ == t
        self.peer_list_[due] = self.next_list_[due]
        in_window = reports.uploaded & np.isfinite(reports.upload_time)
        if s["use_put_window"]:
            in_window &= (reports.upload_time >= 0.0) & (reports.upload_time <= s["put_window_s"])
        valid = valid_payload(reports.idx, reports.vals, reports.count, self.chunk_, self.topk_)
        ok = in_window & valid
        agg = np.zeros((R, N), bool)
        lst = self.peer_list_
        agg[np.broadcast_to(rows, lst.shape)[lst >= 0], lst[lst >= 0]] = True
        x = self._steps_behind(reports.debug, lr)
        if s["use_sync"]:
            self._slash(agg & (np.isnan(x) | (x > s["sync_max_steps_behind"])), s["sync_slash"])
        skipped = agg & ~ok
        self._slash(skipped, s["missing_slash"])
        self.evaluated_ |= skipped

        # B1 evaluation peers, counters
        batch = self._sample(elig)
        picked = np.zeros((R, N), bool)
        picked[np.broadcast_to(rows, batch.shape)[batch >= 0], batch[batch >= 0]] = True
        self.counter_[elig & ~picked] += 1.0
        self.counter_[picked] = 1.0

        # B2-B4 loss before / after on own and random pages
        scored = self._evaluate(t, lr, batch, reports, in_window, valid, x)

        # B5-B6 rating and final score
        self._rate(scored)

        # B7 weights
        self.weights_ = map_weights(np.where(self.evaluated_, self.F_, 0.0), s)

        # copy detection on the gathered set, then B9 aggregation
        got = agg & ok
        if s["copy_detector"] == "index_overlap" and t >= s["overlap_grace_windows"]:
            got = self._detect_copies(t, got, reports)
        self._aggregate(lr, got, ok, reports)

        # B8 peer lists
        self._refresh_peer_list(t, elig)

        set_now = t % s["windows_per_weights"] == 0
        if set_now:
            self.onchain_ = self.weights_.copy()
        return GauntletOutcome(
            allocation=agg.astype(float), payments=self.onchain_.copy(), scores=self.F_.copy(),
            info={"evaluated": batch, "scored": scored, "in_window": in_window, "valid": valid, "steps_behind": x,
                  "eligible": elig, "B": self.B_.copy(), "ordinal": self.ordinal(), "lr": lr},
            weights=self.weights_.copy(), onchain=self.onchain_.copy(), set_weights=set_now,
        )

    def _sample(self, elig: np.ndarray) -> np.ndarray:
        """(R, k) evaluated peers per replication (-1 padded): one ordinal bin, counter-weighted draws."""
        s = self.p_
        k, nb = s["uids_per_window"], s["n_bins"]
        out = np.full((self.R_, k), -1, dtype=np.int64)
        ordv = self.ordinal()
        for r in range(self.R_):
            cand = np.flatnonzero(elig[r])
            if cand.size == 0:
                continue
            if cand.size >= nb * k and nb > 1:
                order = cand[np.argsort(-ordv[r, cand], kind="stable")]
                bins = np.array_split(order, nb)
                cand = bins[int(self.rng_.integers(nb))]
            m = min(k, cand.size)
            c = self.counter_[r, cand]
            out[r, :m] = self.rng_.choice(cand, size=m, replace=False, p=c / c.sum())
        return out

    def _evaluate(self, t: int, lr: float, batch: np.ndarray, rep: WindowReports, in_window: np.ndarray,
                  valid: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Score the batch; returns (R, N) bool of peers with a new loss score."""
        s, R = self.p_, self.R_
        rows = np.broadcast_to(np.arange(R)[:, None], batch.shape)
        has = batch >= 0
        b = np.where(has, batch, 0)
        sel = lambda a: a[rows, b]  # noqa: E731
        missing = has & ~sel(in_window)
        invalid = has & ~missing & ~sel(valid)
        good = has & ~missing & ~invalid
        m = np.zeros((R, self.N_), bool)
        m[rows[missing], b[missing]] = True
        self._slash(m, s["missing_slash"])
        m[:] = False
        m[rows[invalid], b[invalid]] = True
        self.F_[m & (self.F_ > 0)] = 0.0
        self.evaluated_[rows[has], b[has]] = True
        scored = np.zeros((R, self.N_), bool)
        xi_rand = self.learner_.random_shard(self.rng_)  # drawn every window (CRN)
        if not good.any():
            return scored
        delta = decode(sel(rep.idx), sel(rep.vals), self.chunk_).astype(np.float32)  # (R, k, d)
        delta = np.nan_to_num(delta)
        step = np.sign(delta) if s["eval_step"] == "sign" else delta
        beta = s["eval_lr_factor"] * lr
        th = self.theta_[:, None, :]
        th_new = th - beta * step.astype(np.float64)
        xi_own = self.learner_.own_shards(t)[rows, b]  # (R, k, d)
        L = self.learner_.loss
        l0o, l1o = L(th, xi_own), L(th_new, xi_own)
        l0r, l1r = L(th, xi_rand[:, None, :]), L(th_new, xi_rand[:, None, :])
        r_own, r_rand = (l0o - l1o) / l0o, (l0r - l1r) / l0r
        ind = np.where(r_own > r_rand, 1.0, -1.0)
        gi, gb = rows[good], b[good]
        a = s["binary_alpha"]
        self.B_[gi, gb] = (1 - a) * self.B_[gi, gb] + a * ind[good]
        self.last_b_[gi, gb] = ind[good]
        self.last_s_[gi, gb] = r_rand[good]
        if s["use_sync"]:
            xs = x[gi, gb]
            sync = np.where(np.isnan(xs), 0.0, np.maximum(0.0, 1 - np.minimum(np.nan_to_num(xs), s["sync_full_steps"]) / s["sync_full_steps"]) ** s["sync_exponent"])
        else:
            sync = np.ones(gi.size)
        self.sync_[gi, gb] = sync
        scored[gi, gb] = True
        return scored

    def _rate(self, scored: np.ndarray) -> None:
        s = self.p_
        Bf = np.maximum(0.0, self.B_) if s["use_indicator"] else np.ones_like(self.B_)
        if s["formula"] == "legacy":
            self._rate_legacy(scored)
            return
        if s["rating"] == "openskill":
            self.pending_ |= scored
            self.pending_s_[scored] = self.last_s_[scored]
            new = ~self.rated_ & self.pending_
            self.rated_[new] = True
            for r in range(self.R_):
                ids = np.flatnonzero(self.pending_[r])
                if ids.size < 2:
                    continue  # the lone score waits for the next window's match
                self.mu_[r, ids], self.sigma_[r, ids] = self.rater_.rate(self.mu_[r, ids], self.sigma_[r, ids], self.pending_s_[r, ids])
                self.F_[r, ids] = self._rating_value()[r, ids] * Bf[r, ids] * self.sync_[r, ids]
                self.pending_[r, ids] = False
            return
        if s["rating"] == "ema":
            a = s["ema_alpha"]
            self.ema_[scored] = (1 - a) * self.ema_[scored] + a * self.last_s_[scored]
            val = self.ema_
        else:
            val = np.nan_to_num(self.last_s_)
        self.F_[scored] = (val * Bf * self.sync_)[scored]

    def _rate_legacy(self, scored: np.ndarray) -> None:
        """v0.2.60: capped s, its EMA G, B/2, (sign-preserving) product, mean of the last products."""
        s = self.p_
        sc = np.minimum(s["max_gradient_score"], np.nan_to_num(self.last_s_))
        a = s["gradient_ma_alpha"]
        self.G_legacy_[scored] = (1 - a) * self.G_legacy_[scored] + a * sc[scored]
        g, bt = self.G_legacy_, (self.B_ / 2.0 if s["use_indicator"] else np.full_like(self.B_, 0.5))
        if s["legacy_product"] == "plain":
            f = g * bt
        else:
            f = np.where((g < 0) | (bt < 0), -np.abs(g) * np.abs(bt), g * bt)
        w = s["ma_window"]
        pos = self.fcount_ % w
        ri, ni = np.nonzero(scored)
        self.fhist_[ri, ni, pos[ri, ni]] = f[ri, ni]
        self.fcount_[scored] += 1
        n = np.minimum(self.fcount_, w)
        self.F_[scored] = (self.fhist_.sum(axis=-1) / np.maximum(n, 1))[scored]

    def _detect_copies(self, t: int, got: np.ndarray, rep: WindowReports) -> np.ndarray:
        """Index-overlap check on the gathered peers; the later uploader of a pair is punished."""
        s, thr = self.p_, self.p_["overlap_thresholds"]
        out = got.copy()
        for r in range(self.R_):
            ids = np.flatnonzero(got[r])
            if ids.size < 2:
                continue
            ov = index_overlap(rep.idx[r, ids], self.chunk_)
            np.fill_diagonal(ov, 0.0)
            times = rep.upload_time[r, ids]
            later = times[:, None] > times[None, :]  # i uploaded after j
            worst = np.where(later, ov, 0.0).max(axis=1)
            high = ids[(worst >= thr) & (worst < thr + 0.1)]
            maxl = ids[(worst >= thr + 0.1) & (worst < thr + 0.2)]
            mega = ids[worst >= thr + 0.2]
            m = np.zeros((self.R_, self.N_), bool)
            m[r, high] = True
            self._slash(m, 0.5)
            m[:] = False
            m[r, np.concatenate([maxl, mega])] = True
            self.full_reset(m)
            self.naughty_until_[r, mega] = t + s["naughty_windows"]
            out[r, maxl] = out[r, mega] = False
        return out

    def _aggregate(self, lr: float, got: np.ndarray, ok: np.ndarray, rep: WindowReports) -> None:
        """theta <- theta - lr sign(mean of per-peer row-normalised payloads) over the aggregation set."""
        mode = self.p_["aggregation"]
        use = got if mode == "top_g" else (ok & np.asarray(rep.honest, bool)[None, :] if mode == "oracle" else ok)
        if not use.any():
            return
        for r in range(self.R_):
            ids = np.flatnonzero(use[r])
            if ids.size == 0:
                continue
            vals = np.nan_to_num(rep.vals[r, ids])
            if mode != "all_raw":
                vals = row_normalise(vals)
            dense = decode(rep.idx[r, ids], vals, self.chunk_)
            hit = decode(rep.idx[r, ids], np.ones_like(vals), self.chunk_)
            total, cnt = dense.sum(axis=0), hit.sum(axis=0)
            mean = np.divide(total, cnt, out=np.zeros_like(total), where=cnt > 0)
            self.theta_[r] -= np.float32(lr) * np.sign(mean).astype(np.float32)

    def _refresh_peer_list(self, t: int, elig: np.ndarray) -> None:
        s = self.p_
        if t % s["peer_replacement_frequency"]:
            return
        G = s["max_topk_peers"]
        for r in range(self.R_):
            cand = np.flatnonzero(elig[r])
            if cand.size < s["minimum_peers"] and (self.peer_list_[r] < 0).all():
                continue
            tie = self.rng_.random(cand.size)
            order = cand[np.lexsort((tie, -self.weights_[r, cand]))][:G]
            self.next_list_[r] = -1
            self.next_list_[r, : order.size] = order
            self.next_effective_[r] = t + s["peer_list_margin"]
            if s["peer_list_margin"] == 0:
                self.peer_list_[r] = self.next_list_[r]
