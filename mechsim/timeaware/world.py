"""One replication's world: party data, the valuation table, and the realisation tools."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechsim.timeaware.data import PartyData, make_party_data
from mechsim.valuation.axioms import AxiomReport, check_axioms
from mechsim.valuation.bayes import BLRModel, blr_dual_information_gain_game, blr_information_gain_game, dual_game
from mechsim.valuation.dividends import game_table
from mechsim.valuation.learned import LearnerUtility
from mechsim.valuation.game import Game

__all__ = ["World", "build_world", "VALUATIONS", "REALISATIONS"]

VALUATIONS = ("dual_ig", "ig", "learner", "learner_dual")
REALISATIONS = ("auto", "tempering", "subset", "none")


@dataclass(frozen=True)
class World:
    data: PartyData
    values: np.ndarray  # (2**n,)
    blr: BLRModel
    util: LearnerUtility
    valuation: str
    axioms: AxiomReport | None

    @property
    def n(self) -> int:
        return len(self.data.parts)

    @property
    def standalone(self) -> np.ndarray:
        return self.values[1 << np.arange(self.n)]


def build_world(settings: Mapping[str, Any], rng: np.random.Generator) -> World:
    """Data, valuation table (all ``2**n`` coalitions) and axiom report for one replication."""
    s = settings
    data = make_party_data(
        s["dataset"], s["party_sizes"], s["n_test"], rng, party_noise=s["party_noise"], features=s["features"],
        friedman_noise=s["friedman_noise"],
    )
    blr = BLRModel(prior_var=s["prior_var"], noise_var=s["noise_var"])
    util = LearnerUtility(data.parts, data.x_test, data.y_test, metric="r2")
    xs = [x for x, _ in data.parts]
    kind = s["valuation"]
    if kind == "dual_ig":
        game = blr_dual_information_gain_game(xs, prior_var=blr.prior_var, noise_var=blr.noise_var)
    elif kind == "ig":
        game = blr_information_gain_game(xs, prior_var=blr.prior_var, noise_var=blr.noise_var)
    else:
        base = Game(util, len(xs), empty_value=0.0)
        game = dual_game(base) if kind == "learner_dual" else base
    values = game_table(game)
    axioms = check_axioms(values) if len(xs) <= 12 else None
    return World(data=data, values=values, blr=blr, util=util, valuation=kind, axioms=axioms)
