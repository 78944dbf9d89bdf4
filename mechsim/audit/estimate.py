"""Deviation gains with common random numbers and confidence intervals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mechsim.audit.base import AuditGame, Deviation
from mechsim.core.params import Integer, Real, check_value
from mechsim.core.registry import suggest
from mechsim.errors import MechsimError, ParameterError
from mechsim.metrics.summary import mean_ci

__all__ = ["DeviationGain", "GameAudit", "estimate_gains", "audit_game"]


@dataclass(frozen=True)
class DeviationGain:
    """The measured effect of one unilateral deviation.

    ``gain`` is the mean over seeds of the paired difference
    ``utility(deviation) - utility(profile)``; ``ci_low``/``ci_high`` its Student-t
    confidence interval; ``baseline`` and ``utility`` the two means.
    """

    game: str
    agent: str
    deviation: str
    value: Any
    baseline: float
    utility: float
    gain: float
    ci_low: float
    ci_high: float
    n_seeds: int

    @property
    def rel_gain(self) -> float:
        """Gain as a fraction of the baseline utility (nan when the baseline is 0)."""
        return self.gain / self.baseline if self.baseline else float("nan")


@dataclass
class GameAudit:
    """Every measured deviation of one game, and its epsilon of incentive compatibility."""

    name: str
    utility_unit: str
    n_seeds: int
    level: float
    gains: list[DeviationGain] = field(default_factory=list)

    @property
    def argmax(self) -> DeviationGain | None:
        """The most profitable deviation measured (None when nothing was audited)."""
        return max(self.gains, key=lambda g: g.gain, default=None)

    @property
    def epsilon(self) -> float:
        """``max(0, largest mean gain)``: the profile is an epsilon-equilibrium on the deviations tried."""
        best = self.argmax
        return max(0.0, best.gain) if best is not None else 0.0

    @property
    def epsilon_upper(self) -> float:
        """``max(0, largest upper confidence bound)``: a conservative epsilon."""
        return max([0.0, *(g.ci_high for g in self.gains)])

    def best_by_agent(self) -> dict[str, DeviationGain]:
        out: dict[str, DeviationGain] = {}
        for g in self.gains:
            if g.agent not in out or g.gain > out[g.agent].gain:
                out[g.agent] = g
        return out


def estimate_gains(
    game: AuditGame, agent: str, deviations: Sequence[Deviation], seeds: np.ndarray, *, level: float = 0.95
) -> list[DeviationGain]:
    """Play the profile and every deviation of ``agent`` on the same seeds; paired gains with CIs."""
    seeds = np.asarray(seeds, dtype=np.int64)
    if not deviations:
        return []
    u = np.asarray(game.utility(agent, [None, *deviations], seeds), dtype=float)
    if u.shape != (len(deviations) + 1, seeds.size):
        raise MechsimError(
            f"{type(game).__name__}.utility returned shape {u.shape}; expected "
            f"({len(deviations) + 1}, {seeds.size}) (strategies x seeds)"
        )
    diff = u[1:] - u[0]
    mean, low, high = mean_ci(diff, axis=1, level=level)
    base = float(u[0].mean())
    return [
        DeviationGain(
            game=game.name,
            agent=agent,
            deviation=d.name,
            value=d.value,
            baseline=base,
            utility=float(u[p + 1].mean()),
            gain=float(mean[p]),
            ci_low=float(low[p]),
            ci_high=float(high[p]),
            n_seeds=int(seeds.size),
        )
        for p, d in enumerate(deviations)
    ]


def audit_game(
    game: AuditGame,
    *,
    agents: Sequence[str] | None = None,
    n_seeds: int | None = None,
    level: float = 0.95,
    progress: Any = None,
) -> GameAudit:
    """Estimate every declared deviation of ``agents`` (default: all) in ``game``."""
    if not isinstance(game, AuditGame):
        raise ParameterError(
            f"The 'game' parameter of audit_game must implement the AuditGame protocol "
            f"(name, utility_unit, n_seeds, agents, deviations, utility). Got {type(game).__name__} instead."
        )
    n = check_value(Integer(2, None), game.n_seeds if n_seeds is None else n_seeds, name="n_seeds", owner="audit_game")
    level = check_value(Real(0.0, 1.0, closed="neither"), level, name="level", owner="audit_game")
    known = list(game.agents())
    chosen = known if agents is None else list(agents)
    for a in chosen:
        if a not in known:
            raise ParameterError(
                f"unknown agent {a!r} in game {game.name!r}.{suggest(a, known)} Agents: {', '.join(known)}."
            )
    out = GameAudit(name=game.name, utility_unit=game.utility_unit, n_seeds=n, level=level)
    seeds = np.arange(n)
    for a in chosen:
        out.gains.extend(estimate_gains(game, a, list(game.deviations(a)), seeds, level=level))
        if progress is not None:
            progress.update(1)
    return out
