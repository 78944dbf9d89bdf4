"""The shipped scenarios show what their descriptions claim (small runs)."""

from __future__ import annotations

import numpy as np
import pytest

from mechsim.core.runner import run_scenario
from mechsim.core.scenario import load_scenario


def _run(name: str, *overrides: str):
    return run_scenario(load_scenario(f"scenarios/timeaware/{name}.toml").with_overrides(list(overrides)))


def _reward(res, variant: str, sweep: int, agent: int) -> float:
    return float(np.mean(res.tables["rewards"].where(variant=variant, sweep_join=sweep, agent=agent)["reward"]))


@pytest.fixture(scope="module")
def friedman():
    return _run("friedman", "scenario.n_replications=2")


def test_close_values_late_party_drops_below_its_peer(friedman) -> None:
    for v in ("cumulation", "valuation"):
        assert _reward(friedman, v, 0, 0) > _reward(friedman, v, 0, 1)  # ahead when everyone joins at 0
        assert _reward(friedman, v, 3, 0) < _reward(friedman, v, 3, 1)  # behind once it joins late
    assert _reward(friedman, "shapley", 5, 0) == _reward(friedman, "shapley", 0, 0)


def test_ir_and_f_checks_per_scheme(friedman) -> None:
    summ = friedman.summary["variants"]
    for v in ("shapley", "cumulation", "valuation"):
        assert summ[v]["ir_rate"]["mean"] == 1.0 and summ[v]["F7"]["mean"] == 1.0
    assert summ["cumulation"]["F8"]["mean"] == 1.0 and summ["valuation"]["F8"]["mean"] == 1.0
    assert summ["shapley"]["F8"]["mean"] == 0.0
    assert summ["cumulation_literal"]["ir_rate"]["mean"] < 1.0 and summ["naive"]["ir_rate"]["mean"] < 1.0


def test_reward_model_quality_rises_with_reward_value(friedman) -> None:
    rw = friedman.tables["rewards"].where(variant="valuation")
    assert set(rw["quality_metric"]) == {"mnlp"}
    assert np.corrcoef(rw["reward"], rw["quality"])[0, 1] < -0.5  # MNLP falls as the reward rises
    assert friedman.summary["variants"]["valuation"]["quality_spearman"]["mean"] > 0.5


def test_large_gap_valuable_party_stays_ahead_at_any_join_time() -> None:
    res = _run("large-gap", "scenario.n_replications=1")
    for v in ("shapley", "cumulation", "valuation", "naive"):
        for s in range(6):
            assert _reward(res, v, s, 0) > _reward(res, v, s, 2)


def test_diabetes_learner_trains_late_and_pays_tokens() -> None:
    res = _run("diabetes", "scenario.n_replications=1", "scenario.sweep_join_times=[0, 4]")
    iv = res.tables["intervals"].where(variant="shapley", episode=1)
    assert list(iv["n_present"]) == [1, 2, 3, 3, 4]  # party 0 joins at interval 4, the others at 0, 1, 2
    assert np.all(np.isfinite(iv["model_r2"]))
    rw = res.tables["rewards"].where(variant="valuation")
    assert set(rw["quality_metric"]) == {"r2"}
    assert np.corrcoef(rw["reward"], rw["quality"])[0, 1] > 0
    assert len(res.tables["payouts"]) > 0


def test_ten_parties_quick() -> None:
    res = _run("ten-parties", "scenario.n_replications=1")
    summ = res.summary["variants"]
    assert summ["cumulation"]["ir_rate"]["mean"] == 1.0 and summ["valuation"]["F8"]["mean"] == 1.0
    assert summ["naive"]["ir_rate"]["mean"] < 1.0


def test_late_behaviour_delays_the_join() -> None:
    res = _run("friedman", "scenario.n_replications=1", "scenario.sweep_join_times=[0]", 'scenario.behaviours=["late:2", "truthful", "truthful"]')
    rw = res.tables["rewards"].where(variant="valuation", agent=0)
    assert float(rw["join_time"][0]) == 2.0


def test_same_seed_gives_identical_tables() -> None:
    a = _run("large-gap", "scenario.n_replications=1", "scenario.sweep_join_times=[0, 3]")
    b = _run("large-gap", "scenario.n_replications=1", "scenario.sweep_join_times=[0, 3]")
    for name in ("rewards", "fchecks", "intervals"):
        assert a.tables[name] == b.tables[name]


def test_bad_scenario_names_the_key() -> None:
    from mechsim.errors import ScenarioError

    with pytest.raises(ScenarioError, match="scenario.party_sizes"):
        _run("friedman", "scenario.party_sizes=[10, 10]")


def test_audit_finds_no_gain_from_joining_late() -> None:
    from mechsim.audit.estimate import audit_game
    from mechsim.core.seeding import SeedTree
    from mechsim.timeaware.audit import build_audit_games

    games = build_audit_games(load_scenario("scenarios/timeaware/large-gap.toml"), SeedTree(1))
    assert len(games) == 4
    for g in games:
        assert audit_game(g).epsilon == 0.0
