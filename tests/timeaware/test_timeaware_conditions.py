"""The F1-F8 checker flags what it should, on hand-made rewards and known games."""

from __future__ import annotations

import numpy as np
import pytest

from mechsim.core.registry import make
from mechsim.errors import ParameterError
from mechsim.timeaware.conditions import check_conditions, structure
from mechsim.valuation.dividends import game_table
from mechsim.valuation.structured import key_holder_game, power_game, with_null


def test_structure_finds_null_necessary_symmetric_and_desirable() -> None:
    v = game_table(with_null(power_game([1.0, 1.0, 2.0], 2.0)))
    st = structure(v)
    assert st["null"] == [3] and (0, 1) in st["symmetric"] and (2, 0) in st["desirable"]
    assert structure(game_table(key_holder_game([1.0, 1.0, 1.0], key=1)))["necessary"] == [1]


def test_checker_flags_broken_rewards() -> None:
    v = game_table(with_null(power_game([1.0, 1.0, 2.0], 2.0)))
    t = np.zeros(4)
    bad = np.array([3.0, 2.0, 2.5, 0.5])  # asymmetric pair, less desirable ahead, null paid
    rep = check_conditions(v, t, bad)
    assert rep.holds("F3") is False and rep.holds("F4") is False and rep.holds("F5") is False
    assert rep.holds("F7") is None and rep["F7"].detail == "no recompute given"
    # a "scheme" that rewards joining later fails F7
    rep = check_conditions(v, np.array([1.0, 0, 0, 0]), bad, recompute=lambda t: bad - 1.0)
    assert rep.holds("F7") is False
    assert "F7" in rep.failed() and "NO" in rep.to_text()


def test_f7_fails_without_superadditivity_as_predicted() -> None:
    # v = (1, 1; 1.5): subadditive; the earlier joiner loses the negative synergy share by joining earlier
    v = np.array([0.0, 1.0, 1.0, 1.5])
    m = make("timeaware/valuation-v1", gamma=0.5)
    m.reset(n_agents=2, rng=np.random.default_rng(0), values=v)
    t = np.array([1.0, 0.0])
    rep = check_conditions(v, t, m.rewards(t), recompute=m.rewards)
    assert rep.holds("F7") is False


def test_premise_value_makes_f8_fail_on_additive_games() -> None:
    v = game_table(power_game([1.0, 2.0, 0.5], 1.0))  # additive: no synergy
    m = make("timeaware/valuation-v1", gamma=0.5)
    m.reset(n_agents=3, rng=np.random.default_rng(0), values=v)
    t = np.array([2.0, 0.0, 0.0])
    assert check_conditions(v, t, m.rewards(t), recompute=m.rewards, premise="synergy").holds("F8") is None
    assert check_conditions(v, t, m.rewards(t), recompute=m.rewards, premise="value").holds("F8") is False


def test_bad_premise_refused() -> None:
    with pytest.raises(ParameterError, match="'premise' parameter of check_conditions"):
        check_conditions(np.zeros(4), [0, 0], [0, 0], premise="strong")
