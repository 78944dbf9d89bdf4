"""Every constant of the Gauntlet validator, with its provenance, and the presets.

Each constant is a setting of :class:`~mechsim.gauntlet.mechanism.GauntletValidator`.
A setting left at ``None`` takes the value of the chosen ``preset``:

``paper-v0.2.88``   templar tag v0.2.88 (2025-05-25, two days before the paper): OpenSkill
                    PlackettLuce(beta 7, tau 0.1), F = ordinal x max(0, B) x sync,
                    gamma 2.2, 10 s put window, 4 peers evaluated per window, 10 bins.
``legacy-v0.2.60``  templar tag v0.2.60 (2025-03-30), pre-OpenSkill: capped gradient score,
                    its EMA (alpha 0.6), the normalised binary MA B/2, the sign-preserving
                    product, a 5-window mean, gamma 2.0, a 25 s put window.
``legacy-pre-pr108`` v0.2.60 with the plain product G x B/2 that PR #108 (2025-02-28)
                    replaced: the formula the "negative x negative" recipe exploited.

Values marked *reconstructed* in the table are not read from the source: see the
family note (``legacy`` evaluation step, the legacy number of evaluated peers).
"""

from __future__ import annotations

from typing import Any

from mechsim.core.params import Boolean, Constraint, Integer, Options, Real

__all__ = ["PRESETS", "CONSTRAINTS", "DOCS", "resolve"]

_P = Real(0.0, 1.0)
_POS = Real(0.0, None, closed="neither")
_NN = Real(0.0, None)

#: name -> (constraint, paper-v0.2.88 value, doc). Legacy presets override a few below.
_TABLE: dict[str, tuple[Constraint, Any, str]] = {
    # timing (seconds, windows)
    "put_window_s": (_NN, 10.0, "put window length after the window end T: accepted uploads lie in [T, T + put_window_s]"),
    "use_put_window": (Boolean(), True, "ablation: False accepts any upload time (copying is then easy)"),
    "recent_windows": (Integer(0, None), 5, "a peer is active iff it uploaded for a window in [w - recent_windows, w]"),
    "reset_inactivity_windows": (Integer(0, None), 25, "inactive longer than this: full reset (OpenSkill deleted)"),
    "inactivity_slash": (_P, 0.75, "F <- inactivity_slash * F per inactive window (positive F only)"),
    "missing_slash": (_P, 0.75, "F, B <- x * F, x * B for a missing, late or malformed gather/eval payload"),
    "sync_slash": (_P, 0.75, "F, B <- x * F, x * B for a gather peer out of sync"),
    "sync_max_steps_behind": (_NN, 3.0, "gather peers with x > this (or no debug) are sync-slashed"),
    "sync_full_steps": (_POS, 5.0, "sync score = (1 - min(x, s)/s) ** sync_exponent"),
    "sync_exponent": (_POS, 2.5, "exponent of the sync score"),
    "use_sync": (Boolean(), True, "ablation: False sets the sync score to 1 and skips the sync slash"),
    # evaluation
    "uids_per_window": (Integer(1, None), 4, "peers evaluated in depth per window (k)"),
    "n_bins": (Integer(1, None), 10, "OpenSkill-ordinal bins (used when >= n_bins * k peers are eligible)"),
    "eval_lr_factor": (_POS, 0.2, "beta_eval = eval_lr_factor * lr(t)"),
    "eval_step": (Options(("sign", "raw")), "sign", "theta' = theta - beta sign(delta) (v0.2.88) or - beta delta (raw)"),
    "binary_alpha": (_P, 0.05, "EMA rate of the +-1 proof-of-computation indicator"),
    "binary_init": (Real(-1.0, 1.0), 0.0, "initial B (PR #102 tried 0.5; PR #111 restored 0)"),
    "use_indicator": (Boolean(), True, "ablation: False replaces max(0, B) by 1 (no proof of computation)"),
    # rating and final score
    "formula": (Options(("v0.2.88", "legacy")), "v0.2.88", "final-score formula"),
    "rating": (Options(("openskill", "ema", "none")), "openskill", "rating model: openskill PlackettLuce, raw EMA of s, or s itself"),
    "rating_score": (Options(("ordinal", "mu")), "ordinal", "openskill quantity entering F (PR #270 switched mu -> ordinal)"),
    "openskill_beta": (_POS, 7.0, "PlackettLuce beta"),
    "openskill_tau": (_NN, 0.1, "PlackettLuce tau (dynamics)"),
    "openskill_mu": (Real(None, None), 25.0, "initial mu"),
    "openskill_sigma": (_POS, 25.0 / 3.0, "initial sigma"),
    "openskill_kappa": (_POS, 1e-4, "PlackettLuce kappa"),
    "ema_alpha": (_P, 0.1, "rating='ema': R <- (1 - a) R + a s"),
    # legacy (v0.2.60) formula
    "max_gradient_score": (Real(None, None), 0.05, "legacy cap: s = min(cap, r_rand)"),
    "gradient_ma_alpha": (_P, 0.6, "legacy G <- (1 - a) G + a s"),
    "ma_window": (Integer(1, None), 5, "legacy F = mean of the last ma_window products"),
    "legacy_product": (Options(("sign_preserving", "plain")), "sign_preserving", "legacy G x B/2 product"),
    # weights and aggregation
    "weight_map": (Options(("power", "gather_reserve")), "power", "power-normalised F^gamma, or HEAD's burn + gather/reserve"),
    "gamma": (_POS, 2.2, "power normalisation exponent"),
    "weight_floor": (_NN, 1e-8, "all weights are zero when sum F^gamma <= weight_floor (min_power_normalization)"),
    "burn_rate": (_P, 0.5, "weight_map='gather_reserve': share burned"),
    "max_topk_peers": (Integer(1, None), 15, "G: peers aggregated per window"),
    "peer_replacement_frequency": (Integer(1, None), 5, "windows between peer-list refreshes"),
    "peer_list_margin": (Integer(0, None), 2, "a posted list becomes effective this many windows later"),
    "minimum_peers": (Integer(1, None), 5, "fewest active peers for a first list"),
    "windows_per_weights": (Integer(1, None), 50, "windows between set_weights on chain"),
    "aggregation": (Options(("top_g", "all", "all_raw", "oracle")), "top_g",
                    "who is aggregated: the peer list; every upload (normalised); every upload, raw values (naive); the honest peers (oracle baseline)"),
    # copy detection (HEAD, June 2025 onward)
    "copy_detector": (Options(("off", "index_overlap")), "off", "index-overlap detection on the gathered set"),
    "overlap_thresholds": (Real(0.0, 1.0), 0.4, "lowest overlap that punishes (levels at +0.1, +0.2: high / max / mega)"),
    "naughty_windows": (Integer(0, None), 200, "'mega' offenders are excluded this many windows"),
    "overlap_grace_windows": (Integer(0, None), 20, "no overlap check during the first windows"),
    # learning-rate schedule (sign-SGD)
    "lr": (_POS, 4e-4, "eta"),
    "warmup_windows": (Integer(0, None), 250, "linear warm-up from 0.1 eta"),
    "cosine_t0": (Integer(1, None), 20000, "CosineAnnealingWarmRestarts T_0 (T_mult 2)"),
    "lr_min_factor": (_P, 0.1, "eta_min = lr_min_factor * eta"),
}

_LEGACY = {
    "formula": "legacy",
    "rating": "none",
    "gamma": 2.0,
    "put_window_s": 25.0,
    "uids_per_window": 2,  # reconstructed: v0.2.60 evaluated few peers per window
    "n_bins": 1,  # binning arrived with PR #309 (2025-05-11)
    "eval_step": "raw",  # reconstructed: see the family note
    "max_topk_peers": 20,  # `topk_peers` 20 at v0.2.60
    # legacy F is in units of relative loss improvement; the cheap learner's are ~1e-5, so the
    # absolute 1e-8 floor on sum F^2 would zero every weight (see the family note)
    "weight_floor": 0.0,
}

PRESETS: dict[str, dict[str, Any]] = {
    "paper-v0.2.88": {k: v[1] for k, v in _TABLE.items()},
    "legacy-v0.2.60": {**{k: v[1] for k, v in _TABLE.items()}, **_LEGACY},
    "legacy-pre-pr108": {**{k: v[1] for k, v in _TABLE.items()}, **_LEGACY, "legacy_product": "plain"},
}

CONSTRAINTS: dict[str, Constraint] = {k: v[0] for k, v in _TABLE.items()}
DOCS: dict[str, str] = {k: v[2] for k, v in _TABLE.items()}


def resolve(preset: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The preset's values with every non-``None`` override applied."""
    out = dict(PRESETS[preset])
    out.update({k: v for k, v in overrides.items() if v is not None})
    return out
