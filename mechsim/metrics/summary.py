"""Means with confidence intervals over replications, inside each statistic's range.

- :func:`mean_ci`: the Student-t band of a mean (plots, any unbounded statistic).
- :func:`ci_dict`: the summary block ``{mean, ci_low, ci_high, std, n}`` of a sample.
  ``kind="correlation"`` builds the interval on Fisher's z = atanh(r) and maps it back,
  so it stays in [-1, 1]; ``kind="proportion"`` (accuracies, rates, shares) and any
  ``bounds=`` clip the t interval to the range. With fewer than 2 values there is no
  interval: ``ci_low`` / ``ci_high`` are ``nan`` (``null`` in ``summary.json``) and
  ``n_too_small`` says why.
- :func:`bound_summary`: the same guarantees for a whole summary, by metric name, for
  summaries built without a ``kind`` (clipping; it cannot redo Fisher z without the sample).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["mean_ci", "ci_dict", "correlation_ci", "kind_of", "bound_summary", "KIND_BOUNDS"]

#: The range of each bounded kind of statistic.
KIND_BOUNDS: dict[str, tuple[float, float]] = {
    "correlation": (-1.0, 1.0),
    "proportion": (0.0, 1.0),
    "nonnegative": (0.0, math.inf),
}
_CORRELATION = re.compile(r"(pearson|spearman|kendall|correlation|(^|[_.])corr($|[_.]))", re.I)
_PROPORTION = re.compile(r"(accuracy|(^|[_.])acc($|[_.])|(^|[_.])rate($|[_.])|_rate$|^rate|share|jain|fraction|probability|ir_rate)", re.I)
_NOT_PROPORTION = re.compile(r"(per_round|regret|growth|learning_rate|lr)", re.I)
_NONNEGATIVE = re.compile(r"((^|[_.])(gap|std|gini|staleness|gas)($|[_.]))", re.I)


def mean_ci(x: np.ndarray, axis: int = 0, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and Student-t confidence band of ``x`` along ``axis``.

    Returns ``(mean, low, high)``. With one replication the band collapses to the mean
    (plots draw no band then; :func:`ci_dict` reports ``nan`` instead).
    """
    x = np.asarray(x, dtype=float)
    n = x.shape[axis]
    mean = x.mean(axis=axis)
    if n < 2:
        return mean, mean.copy(), mean.copy()
    sem = x.std(axis=axis, ddof=1) / np.sqrt(n)
    half = stats.t.ppf(0.5 + level / 2, df=n - 1) * sem
    return mean, mean - half, mean + half


def correlation_ci(r: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean correlation and a CI through Fisher's z: t interval of ``atanh(r)``, mapped back with ``tanh``.

    The mean reported is the plain mean of ``r`` (what a reader expects); the interval is
    always inside [-1, 1]. Fewer than 2 values give ``nan`` bounds.
    """
    r = np.asarray(r, dtype=float).ravel()
    if r.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(np.mean(r))
    if r.size < 2:
        return mean, math.nan, math.nan
    z = np.arctanh(np.clip(r, -1 + 1e-12, 1 - 1e-12))
    zm, lo, hi = mean_ci(z, level=level)
    low, high = float(np.tanh(lo)), float(np.tanh(hi))
    return mean, min(low, mean), max(high, mean)


def ci_dict(
    x: np.ndarray, level: float = 0.95, *, kind: str = "mean", bounds: tuple[float, float] | None = None
) -> dict[str, Any]:
    """``{"mean", "ci_low", "ci_high", "std", "n"}`` of a 1-D sample (plus ``n_too_small`` when n < 2).

    Parameters
    ----------
    x : 1-D sample (one value per replication)
    level : confidence level
    kind : ``"mean"`` (t interval), ``"correlation"`` (Fisher z, inside [-1, 1]) or
        ``"proportion"`` (t interval clipped to [0, 1]) or ``"nonnegative"`` (clipped at 0)
    bounds : ``(low, high)`` to clip the interval to (overrides the kind's range)
    """
    if kind not in ("mean", *KIND_BOUNDS):
        raise ValueError(f"kind must be one of 'mean', {', '.join(map(repr, KIND_BOUNDS))}; got {kind!r}")
    x = np.asarray(x, dtype=float).ravel()
    n = int(x.size)
    out: dict[str, Any] = {"std": float(x.std(ddof=1)) if n > 1 else 0.0, "n": n}
    if kind == "correlation":
        m, lo, hi = correlation_ci(x, level)
        out["ci_method"] = "Fisher z"
    else:
        mean = float(np.mean(x)) if n else math.nan
        if n < 2:
            m, lo, hi = mean, math.nan, math.nan
        else:
            m, lo, hi = (float(v) for v in mean_ci(x, level=level))
    rng = bounds if bounds is not None else KIND_BOUNDS.get(kind)
    if rng is not None and math.isfinite(lo):
        lo, hi = max(lo, rng[0]), min(hi, rng[1])
        if kind != "correlation":
            out["ci_method"] = f"t, clipped to [{rng[0]:g}, {rng[1]:g}]"
    out.update({"mean": m, "ci_low": lo, "ci_high": hi})
    if n < 2:
        out["n_too_small"] = f"n = {n}: a confidence interval needs at least 2 replications"
    return {k: out[k] for k in ("mean", "ci_low", "ci_high", "std", "n", *[k for k in out if k not in ("mean", "ci_low", "ci_high", "std", "n")])}


def kind_of(name: str) -> str:
    """The kind of a statistic from its metric name: ``correlation``, ``proportion``, ``nonnegative`` or ``mean``."""
    if _CORRELATION.search(name):
        return "correlation"
    if (_PROPORTION.search(name) or re.search(r"gini", name, re.I)) and not _NOT_PROPORTION.search(name):
        return "proportion"
    if _NONNEGATIVE.search(name):
        return "nonnegative"
    return "mean"


def _is_ci(block: Any) -> bool:
    return isinstance(block, Mapping) and {"mean", "ci_low", "ci_high"} <= set(block)


def bound_summary(summary: Any, _name: str = "") -> Any:
    """A copy of ``summary`` where every CI block of a bounded statistic (by its key's name)
    lies inside the statistic's range and a CI over fewer than 2 values is ``nan`` with a note.

    Blocks already built with a kind (they carry ``ci_method``) are left as they are.
    """
    if isinstance(summary, Mapping):
        if _is_ci(summary):
            block = dict(summary)
            n = block.get("n")
            if isinstance(n, int) and n < 2:
                block["ci_low"] = block["ci_high"] = math.nan
                block.setdefault("n_too_small", f"n = {n}: a confidence interval needs at least 2 replications")
                return block
            kind = kind_of(_name)
            lo, hi = block["ci_low"], block["ci_high"]
            if kind in KIND_BOUNDS and "ci_method" not in block and isinstance(lo, float) and isinstance(hi, float):
                a, b = KIND_BOUNDS[kind]
                block["ci_low"], block["ci_high"] = max(lo, a), min(hi, b)
                block["ci_method"] = f"t, clipped to [{a:g}, {b:g}]"
            return block
        return {k: bound_summary(v, str(k)) for k, v in summary.items()}
    if isinstance(summary, list):
        return [bound_summary(v, _name) for v in summary]
    return summary
