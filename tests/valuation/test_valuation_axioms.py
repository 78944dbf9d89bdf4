"""The A1-A3 check finds each violation and its witness."""

from __future__ import annotations

import numpy as np
import pytest

from mechsim.errors import ParameterError
from mechsim.valuation import Game
from mechsim.valuation.axioms import check_axioms


def test_each_axiom_violation_is_found() -> None:
    # v(∅)=0, v(0)=1, v(1)=2, v(01)=2.5: monotone, not superadditive
    rep = check_axioms(np.array([0.0, 1.0, 2.0, 2.5]))
    assert rep.a1 and rep.a2 and not rep.a3
    assert rep.margin_a3 == pytest.approx(-0.5) and rep.witness["A3"] == (1, 2)
    rep = check_axioms(np.array([0.0, 1.0, 2.0, 1.5]))
    assert not rep.a2 and rep.margin_a2 == pytest.approx(-0.5)
    rep = check_axioms(np.array([0.0, -1.0, 2.0, 3.0]))
    assert not rep.a1
    assert check_axioms(Game.from_values([0.0, 1.0, 2.0, 5.0])).all


def test_too_many_players_refused() -> None:
    with pytest.raises(ParameterError, match="at most 14 players"):
        check_axioms(np.zeros(1 << 15))
