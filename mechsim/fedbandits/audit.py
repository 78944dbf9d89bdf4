"""The clients' deviation space, for ``mechsim audit`` and the mechanisms' conformance checks.

An audit game is one communication round, replayed per CRN seed: the seed draws
the clients' costs (the scenario's cost distribution) and the round's statistics
(:func:`synthetic_round`: a server that has seen ``server_samples`` items and
clients with a few new items each, drawn like the arm pool), the mechanism
selects and pays, and a client's utility is ``payment + data value - cost`` when
selected, 0 otherwise. The deviations are cost reports from the shared zoo
(:data:`~mechsim.fedbandits.agents.DEVIATIONS`: under- and over-reports, a zero
bid, opting out); everyone else reports truthfully.

The round's statistics are synthetic rather than snapshots of a run, so that an
audit is cheap and independent of the learning dynamics; the number of audited
clients is ``audit_agents`` (not N), because the auditor replays the round for
every (client, deviation, seed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mechsim.audit.base import register_audit_builder
from mechsim.audit.game import MechanismGame
from mechsim.core.progress import Progress
from mechsim.core.scenario import Scenario
from mechsim.core.seeding import SeedTree
from mechsim.fedbandits.agents import ClientType, CostModel
from mechsim.fedbandits.kernels import logdet_spd
from mechsim.fedbandits.mechanisms import RoundReports

__all__ = ["synthetic_round", "round_maker", "round_game", "build_audit_games"]


def _items(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    z = rng.standard_normal((n, dim - 1))
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    return np.hstack([z, np.ones((n, 1))]) / np.sqrt(2.0)


def synthetic_round(rng: np.random.Generator, *, n_agents: int, dim: int, reg: float = 1.0, server_samples: int = 40, new_samples: int = 6) -> RoundReports:
    """A round's statistics: ``B = reg I + sum x x^T`` over ``server_samples`` items; client ``j`` has
    ``1 .. 2 * new_samples`` new items (``Delta V_j``) and local statistics ``B + Delta V_j``. Bids are 0."""
    xs = _items(rng, server_samples, dim)
    base = reg * np.eye(dim) + xs.T @ xs
    counts = rng.integers(1, 2 * new_samples + 1, size=n_agents)
    uploads = np.zeros((n_agents, dim, dim))
    for j, c in enumerate(counts):
        x = _items(rng, int(c), dim)
        uploads[j] = x.T @ x
    local = logdet_spd(base[None] + uploads)
    return RoundReports(np.zeros(n_agents), base, uploads, local)


def round_maker(**kw: Any) -> Callable[[np.random.Generator], RoundReports]:
    return lambda rng: synthetic_round(rng, **kw)


def round_game(
    name: str, make_mechanism: Callable[[], Any], *, n_agents: int, dim: int, costs: CostModel, kappa: float, seeds: SeedTree,
    reg: float = 1.0, server_samples: int = 40, new_samples: int = 6, n_rounds: int = 2, n_seeds: int = 16, profile: Any = None,
    deviations: Any = None,
) -> MechanismGame:
    """A :class:`~mechsim.audit.game.MechanismGame` of ``n_rounds`` independent synthetic rounds."""
    kw = {"deviations": deviations} if deviations is not None else {}
    agent = ClientType(round_maker(n_agents=n_agents, dim=dim, reg=reg, server_samples=server_samples, new_samples=new_samples), **kw)
    return MechanismGame(
        name=name, make_mechanism=make_mechanism, agent_type=agent, n_agents=n_agents, types=lambda rng: costs.draw(rng, (n_agents,)),
        n_rounds=n_rounds, seeds=seeds, profile=profile, context={"kappa": kappa}, n_seeds=n_seeds,
        agent_names=[f"client{i}" for i in range(n_agents)],
    )


def build_audit_games(scenario: Scenario, seeds: SeedTree, progress: Progress) -> list[MechanismGame]:
    """One round game per mechanism variant, on the same CRN seeds (node ``audit``)."""
    from mechsim.fedbandits.family import config_of

    cfg = config_of(scenario)
    s = scenario.settings
    n = min(cfg.n_agents, s["audit_agents"])
    games = []
    for label, mcfg in scenario["mechanisms"].items():
        if mcfg.id == "fedbandits/brute-force-v1" and n > mcfg.params.get("max_agents", 16):
            continue
        games.append(
            round_game(label, mcfg.build, n_agents=n, dim=cfg.dim, costs=cfg.costs, kappa=cfg.kappa, seeds=seeds.child("audit"),
                       reg=cfg.reg, server_samples=10 * cfg.dim, new_samples=max(2, cfg.dim // 2), n_seeds=s["audit_seeds"])
        )
    return games


register_audit_builder("fedbandits", build_audit_games)
