"""The F1-F8 time-aware incentive conditions, checked on (valuation, join times, rewards).

Numbering (the spec's; F1, F4, F5 are inferred there and kept as such here):

====  ==================================  ===========================================================
id    name                                what is checked
====  ==================================  ===========================================================
F1    non-negativity & feasibility        ``0 <= r_i <= v_N``
F2    individual rationality              ``r_i >= v_i``
F3    simultaneous symmetry (F3*)         ``t_i = t_j`` and ``i, j`` symmetric in ``v`` => ``r_i = r_j``
F4    uselessness                         null party => ``r_i = 0``
F5    strict desirability (simultaneous)  ``t_i = t_j``, ``i`` strictly more desirable => ``r_i > r_j``
F6    necessity                           ``v_C = 0`` for all ``C ∌ i`` => ``r_i >= max_j r_j``
F7    time-based monotonicity             ``r_i(t_i - 1, t_-i) >= r_i(t)`` (counterfactual)
F8    strict time-based monotonicity      ``>`` in F7 when the premise holds (see below)
====  ==================================  ===========================================================

F8's premise (``premise``): ``"synergy"`` (default) — party ``i`` has synergy with
the parties that joined before it, ``∃ C ⊆ E_i: v(C ∪ i) > v(C) + v_i`` with
``E_i = {j : t_j < t_i}`` (under this premise both schemes are strict);
``"value"`` — ``i`` is not a null party (under which both schemes fail F8 on
additive games, spec §7 fact 3). F7/F8 need ``recompute(join_times) -> rewards``;
a condition with no case to test is reported as not applicable (``holds = None``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mechsim.core.params import Options, Real, check_value
from mechsim.valuation.dividends import check_table

__all__ = ["CONDITIONS", "ConditionResult", "ConditionReport", "check_conditions", "structure"]

CONDITIONS = {
    "F1": "non-negativity & feasibility",
    "F2": "individual rationality",
    "F3": "simultaneous symmetry",
    "F4": "uselessness",
    "F5": "strict desirability",
    "F6": "necessity",
    "F7": "time-based monotonicity",
    "F8": "strict time-based monotonicity",
}


@dataclass(frozen=True)
class ConditionResult:
    """One condition on one instance: ``holds`` is None when no case applies; ``margin < 0`` (or ``<= 0`` for strict ones) fails."""

    condition: str
    name: str
    n_cases: int
    holds: bool | None
    margin: float
    detail: str = ""


@dataclass(frozen=True)
class ConditionReport:
    """The F1-F8 results of one (valuation, join times, rewards) instance."""

    results: tuple[ConditionResult, ...]
    info: dict = field(default_factory=dict)

    def __getitem__(self, condition: str) -> ConditionResult:
        for r in self.results:
            if r.condition == condition:
                return r
        raise KeyError(condition)

    def holds(self, condition: str) -> bool | None:
        return self[condition].holds

    def failed(self) -> list[str]:
        return [r.condition for r in self.results if r.holds is False]

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"condition": r.condition, "name": r.name, "n_cases": r.n_cases, "holds": r.holds, "margin": r.margin, "detail": r.detail}
            for r in self.results
        ]

    def to_text(self) -> str:
        lines = [f"{'cond':4}  {'name':34}  {'cases':>5}  {'holds':>5}  {'margin':>10}"]
        for r in self.results:
            h = "n/a" if r.holds is None else ("yes" if r.holds else "NO")
            lines.append(f"{r.condition:4}  {r.name:34}  {r.n_cases:5d}  {h:>5}  {r.margin:10.4g}")
        return "\n".join(lines)


def structure(values: Any, tol: float = 1e-9) -> dict[str, Any]:
    """Pairs and parties with known structure in a table: symmetric pairs, strict desirability, null and necessary parties."""
    v, n = check_table(values, "structure")
    masks = np.arange(1 << n, dtype=np.int64)
    null = [i for i in range(n) if np.all(np.abs(v[masks[(masks >> i) & 1 == 1]] - v[masks[(masks >> i) & 1 == 1] ^ (1 << i)]) <= tol)]
    necessary = [i for i in range(n) if np.all(np.abs(v[masks[(masks >> i) & 1 == 0]]) <= tol)]
    symmetric, desirable = [], []
    for i in range(n):
        for j in range(i + 1, n):
            rest = masks[((masks >> i) & 1 == 0) & ((masks >> j) & 1 == 0)]
            diff = v[rest | (1 << i)] - v[rest | (1 << j)]
            if np.all(np.abs(diff) <= tol):
                symmetric.append((i, j))
            elif np.all(diff >= -tol):
                desirable.append((i, j))
            elif np.all(diff <= tol):
                desirable.append((j, i))
    return {"null": null, "necessary": necessary, "symmetric": symmetric, "desirable": desirable}


def _synergy(v: np.ndarray, n: int, i: int, earlier: np.ndarray, tol: float) -> bool:
    e = int(sum(1 << int(j) for j in np.flatnonzero(earlier)))
    masks = np.arange(1 << n, dtype=np.int64)
    sub = masks[(masks & ~e) == 0]
    sub = sub[sub != 0]
    return bool(sub.size and np.any(v[sub | (1 << i)] - v[sub] - v[1 << i] > tol))


def check_conditions(
    values: Any,
    join_times: Any,
    rewards: Any,
    *,
    recompute: Callable[[np.ndarray], np.ndarray] | None = None,
    tol: float = 1e-9,
    premise: str = "synergy",
    step: float = 1.0,
) -> ConditionReport:
    """Test F1-F8 on one instance.

    Parameters
    ----------
    values : (2**n,) valuation table
    join_times : (n,) join times
    rewards : (n,) the scheme's reward values at ``join_times``
    recompute : (n,) join times -> (n,) rewards, optional
        The scheme, for the F7/F8 counterfactuals (party ``i`` joining ``step`` earlier).
        Without it F7/F8 are not applicable.
    tol : float >= 0, default 1e-9
    premise : {"synergy", "value"}, default "synergy" (see the module docstring)
    step : float > 0, default 1.0
    """
    tol = check_value(Real(0.0, None), tol, name="tol", owner="check_conditions")
    premise = check_value(Options(("synergy", "value")), premise, name="premise", owner="check_conditions")
    v, n = check_table(values, "check_conditions")
    t = np.asarray(join_times, dtype=float).reshape(-1)
    r = np.asarray(rewards, dtype=float).reshape(-1)
    st = structure(v, tol)
    vi = v[1 << np.arange(n)]
    vn = float(v[-1])
    out: list[ConditionResult] = []

    def add(cid: str, margins: list[float], strict: bool = False, detail: str = "") -> None:
        if not margins:
            out.append(ConditionResult(cid, CONDITIONS[cid], 0, None, float("nan"), detail or "no case"))
            return
        m = float(min(margins))
        ok = m > tol if strict else m >= -tol
        out.append(ConditionResult(cid, CONDITIONS[cid], len(margins), ok, m, detail))

    add("F1", [float(r.min()), vn - float(r.max())])
    add("F2", list(r - vi))
    add("F3", [-abs(r[i] - r[j]) for i, j in st["symmetric"] if t[i] == t[j]])
    add("F4", [-abs(r[i]) for i in st["null"]])
    add("F5", [r[i] - r[j] for i, j in st["desirable"] if t[i] == t[j]], strict=True)
    add("F6", [r[i] - float(r.max()) for i in st["necessary"]])
    f7: list[float] = []
    f8: list[float] = []
    if recompute is not None:
        for i in range(n):
            if t[i] < step:
                continue
            t2 = t.copy()
            t2[i] -= step
            gain = float(np.asarray(recompute(t2), dtype=float)[i] - r[i])
            f7.append(gain)
            ok = _synergy(v, n, i, t < t[i], tol) if premise == "synergy" else i not in st["null"]
            if ok:
                f8.append(gain)
    add("F7", f7, detail="" if recompute is not None else "no recompute given")
    add("F8", f8, strict=True, detail=f"premise: {premise}")
    return ConditionReport(tuple(out), info={"structure": st, "premise": premise})
