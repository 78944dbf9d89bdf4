"""The example family's conformance checks and claim-check instances (imported by mechsim.testing)."""

from __future__ import annotations

from mechsim.core.seeding import SeedTree
from mechsim.testing import CheckInstance, register_check, register_instances
from mechsim_example import Bidder
from mechsim.audit.game import MechanismGame


@register_check("auction.mechanism")
def check_auction(spec, params) -> None:
    """Nothing beyond the shared mechanism checks (claims, determinism)."""


@register_instances("auction.mechanism")
def instances(spec, params) -> list[CheckInstance]:
    game = MechanismGame(name=f"{spec.id} 3 bidders", make_mechanism=lambda: spec.make(**params), agent_type=Bidder(3), n_agents=3, n_rounds=30, seeds=SeedTree(4), n_seeds=24)
    return [CheckInstance(game=game, n_seeds=24)]
