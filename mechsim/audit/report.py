"""The audit report: a table of deviation gains, epsilons, and the files it writes.

::

    results/<scenario-name>/audit-<run-id>/
      scenario.toml   the resolved scenario
      audit.csv       one row per (game, agent, deviation)
      audit.json      epsilons per game, each agent's best deviation, the rows
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mechsim.audit.estimate import DeviationGain, GameAudit
from mechsim.core.fileio import atomic_write, safe_child, swap_folder
from mechsim.core.results import jsonable, run_id
from mechsim.core.scenario import Scenario
from mechsim.core.table import Table
from mechsim.errors import ResultsError

__all__ = ["AUDIT_SCHEMA", "AuditReport", "gains_table", "game_summary"]

AUDIT_SCHEMA = {
    "game": "str",
    "agent": "str",
    "deviation": "str",
    "baseline": "float",
    "utility": "float",
    "gain": "float",
    "ci_low": "float",
    "ci_high": "float",
    "n_seeds": "int",
    "best": "bool",
}


def gains_table(audits: list[GameAudit]) -> Table:
    """All gains as a typed table; ``best`` marks each agent's most profitable deviation."""
    rows: list[DeviationGain] = [g for a in audits for g in a.gains]
    best = {id(g) for a in audits for g in a.best_by_agent().values()}
    cols: dict[str, list[Any]] = {c: [] for c in AUDIT_SCHEMA}
    for g in rows:
        for c in AUDIT_SCHEMA:
            cols[c].append(id(g) in best if c == "best" else getattr(g, c))
    return Table(AUDIT_SCHEMA, cols)


def game_summary(a: GameAudit) -> dict[str, Any]:
    """Epsilon, its argmax and each agent's best deviation, as plain data."""
    top = a.argmax
    return {
        "utility_unit": a.utility_unit,
        "n_seeds": a.n_seeds,
        "level": a.level,
        "epsilon": a.epsilon,
        "epsilon_upper": a.epsilon_upper,
        "argmax": None
        if top is None
        else {"agent": top.agent, "deviation": top.deviation, "gain": top.gain, "ci_low": top.ci_low, "ci_high": top.ci_high},
        "agents": {
            name: {"deviation": g.deviation, "baseline": g.baseline, "utility": g.utility, "gain": g.gain, "ci_low": g.ci_low, "ci_high": g.ci_high}
            for name, g in a.best_by_agent().items()
        },
    }


def _num(x: float) -> str:
    return "nan" if not math.isfinite(x) else f"{x:.4g}"


@dataclass
class AuditReport:
    """The audit of one scenario: one :class:`GameAudit` per game."""

    scenario: Scenario
    games: list[GameAudit] = field(default_factory=list)
    path: Path | None = None

    @property
    def epsilon(self) -> float:
        """The largest epsilon over the games."""
        return max((g.epsilon for g in self.games), default=0.0)

    def game(self, name: str) -> GameAudit:
        for g in self.games:
            if g.name == name:
                return g
        raise KeyError(name)

    def table(self) -> Table:
        return gains_table(self.games)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "family": self.scenario.family,
            "seed": self.scenario.seed,
            "epsilon": self.epsilon,
            "games": {g.name: game_summary(g) for g in self.games},
        }

    def format(self) -> str:
        """A plain-text table: each agent's utility at the profile (baseline), its best deviation, the gain; then epsilon."""
        lines = [f"audit of {self.scenario.name!r} (seed {self.scenario.seed})"]
        for a in self.games:
            pct = f"{a.level:.0%}"
            lines.append("")
            lines.append(f"game {a.name}: utility in {a.utility_unit}, {a.n_seeds} CRN seeds, {pct} CI")
            lines.append(f"  {'agent':<12} {'baseline':>10} {'best deviation':>16} {'utility':>10} {'gain':>10}   {pct + ' CI':<22}")
            for name, g in a.best_by_agent().items():
                ci = f"[{_num(g.ci_low)}, {_num(g.ci_high)}]"
                lines.append(f"  {name:<12} {_num(g.baseline):>10} {g.deviation:>16} {_num(g.utility):>10} {_num(g.gain):>10}   {ci:<22}")
            top = a.argmax
            where = f" ({top.agent} -> {top.deviation}, {pct} CI [{_num(top.ci_low)}, {_num(top.ci_high)}])" if top else ""
            lines.append(f"  epsilon = {_num(a.epsilon)}{where}; conservative epsilon = {_num(a.epsilon_upper)}")
        return "\n".join(lines)

    def write(self, out_root: str | os.PathLike = "results", *, folder: str | os.PathLike | None = None) -> Path:
        """Write ``audit.csv``, ``audit.json`` and the resolved scenario; returns the folder.

        The folder is written beside its target and swapped in (see :mod:`mechsim.core.fileio`);
        the scenario name must be a safe slug, so nothing lands outside ``out_root``.
        """
        if folder is not None:
            target = Path(folder)
            if target.is_dir() and any(target.iterdir()) and not (target / "audit.json").is_file():
                raise ResultsError(f"{target} is a non-empty folder that holds no mechsim audit; not replacing it")
        else:
            target = safe_child(out_root, self.scenario.name, f"audit-{run_id(self.scenario)}")
        target.parent.mkdir(parents=True, exist_ok=True)
        fresh = target.parent / f".{target.name}.writing-{os.getpid()}"
        if fresh.exists():
            shutil.rmtree(fresh)
        fresh.mkdir()
        try:
            atomic_write(fresh / "scenario.toml", self.scenario.to_toml())
            atomic_write(fresh / "audit.csv", self.table().to_csv())
            atomic_write(fresh / "audit.json", json.dumps(jsonable(self.to_dict()), indent=2, sort_keys=True) + "\n")
            swap_folder(fresh, target)
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        self.path = target
        return target
