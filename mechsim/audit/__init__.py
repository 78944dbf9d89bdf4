"""The incentive-compatibility auditor (family-independent).

Given a scenario whose family declares a deviation space (see
:mod:`mechsim.audit.base`), measure every agent's gain from deviating alone from the
scenario's profile, with common random numbers and confidence intervals, and report
the largest gain: the measured epsilon of incentive compatibility.

    >>> report = audit_scenario("clickbandit/truthful")      # doctest: +SKIP
    >>> print(report.format()); report.epsilon               # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from mechsim.audit.base import AuditGame, Deviation, audit_families, get_audit_builder, register_audit_builder
from mechsim.audit.estimate import DeviationGain, GameAudit, audit_game, estimate_gains
from mechsim.audit.game import MechanismGame, PlayedRound, behaviour_deviations
from mechsim.audit.report import AUDIT_SCHEMA, AuditReport, game_summary, gains_table

__all__ = [
    "AuditGame",
    "Deviation",
    "DeviationGain",
    "GameAudit",
    "AuditReport",
    "MechanismGame",
    "PlayedRound",
    "behaviour_deviations",
    "AUDIT_SCHEMA",
    "audit_scenario",
    "audit_game",
    "estimate_gains",
    "gains_table",
    "game_summary",
    "register_audit_builder",
    "get_audit_builder",
    "audit_families",
]


def audit_scenario(
    scenario: Any,
    *,
    agents: Sequence[str] | None = None,
    overrides: Iterable[str | tuple[str, Any]] = (),
    seed: int | None = None,
    out: str | os.PathLike | None = "results",
    progress: bool | None = False,
    n_seeds: int | None = None,
) -> AuditReport:
    """Audit a scenario (a :class:`~mechsim.core.scenario.Scenario`, a file or a shipped name).

    Parameters
    ----------
    agents : agent names to audit (default: every agent of every game)
    overrides, seed : applied to the scenario as by ``mechsim run``
    out : results root to write ``<name>/audit-<run-id>/``; ``None`` writes nothing
    progress : show a progress bar (``None``: only on a terminal)
    n_seeds : CRN seeds per deviation (default: what each game declares)
    """
    from mechsim.core.progress import Progress
    from mechsim.core.scenario import Scenario, load_scenario
    from mechsim.core.seeding import SeedTree

    overrides = list(overrides)
    if isinstance(scenario, Scenario):
        sc = scenario.with_overrides(overrides, seed=seed) if (overrides or seed is not None) else scenario
    else:
        sc = load_scenario(scenario, overrides, seed=seed)
    prog = Progress(progress)
    games = get_audit_builder(sc)(sc, SeedTree(sc.seed), prog)
    report = AuditReport(scenario=sc)
    chosen = list(agents) if agents else None
    for game in games:
        bar = prog.bar(total=len(chosen or game.agents()), desc=f"audit {game.name}")
        try:
            report.games.append(audit_game(game, agents=chosen, n_seeds=n_seeds, progress=bar))
        finally:
            bar.close()
    if out is not None:
        report.write(out)
    return report
