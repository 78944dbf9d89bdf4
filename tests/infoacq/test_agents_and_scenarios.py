"""Senders' behaviours, instance components, and the shipped infoacq scenarios."""

from __future__ import annotations

import numpy as np
import pytest

import mechsim
from mechsim.core.scenario import load_scenario
from mechsim.core.strategy import Observation
from mechsim.errors import ParameterError, ScenarioError
from mechsim.infoacq.agents import SignalMap, apply_sender_behaviours, map_deviations, parse_sender_behaviour, Senders
from mechsim.infoacq.game import sanity_game

SCENARIOS = ["sanity", "strategic", "random-instances", "regret-full", "regret-bandit", "alpha-sweep"]


def test_behaviours_map_to_signal_reports():
    truth = np.array([[0, 1, 2], [2, 0, 1]])
    beh = [parse_sender_behaviour(b) for b in ("map:2,2,0", "fixed:1", "copy:0")]
    out = apply_sender_behaviours(beh, (3, 3, 3), truth, np.random.default_rng(0))
    assert out.tolist() == [[2, 1, 0], [0, 1, 2]]
    r = apply_sender_behaviours([parse_sender_behaviour("random:0:2")] * 3, (3, 3, 3), np.zeros((500, 3), dtype=int), np.random.default_rng(1))
    assert set(np.unique(r)) == {0, 1, 2}


@pytest.mark.parametrize(("text", "match"), [("scaled:2", "no meaning for a signal report"), ("map:a,b", "integer signals"), ("sybil:2", "no meaning")])
def test_unsupported_behaviours_are_refused(text, match):
    with pytest.raises(ParameterError, match=match):
        parse_sender_behaviour(text)


def test_a_map_must_fit_the_signal_range():
    with pytest.raises(ParameterError, match="must map each of its 2 signals"):
        apply_sender_behaviours([SignalMap((0, 1, 1))], (2,), np.zeros((1, 1), dtype=int), np.random.default_rng(0))


def test_map_deviations_cover_all_maps_when_small():
    assert len(map_deviations(2)) == 3
    big = map_deviations(4, max_full=8)
    assert len(big) == 4 * 3 + 4 and SignalMap((1, 1, 2, 3)) in big


def test_best_responding_senders_against_the_first_best():
    g = sanity_game()
    from mechsim.infoacq.mechanisms import FirstBest

    fb = FirstBest()
    fb.reset(n_agents=2, rng=np.random.default_rng(0), game=g)
    s = Senders(behaviours={"1": "best_response"})
    s.reset(n_agents=2, rng=np.random.default_rng(0))
    truth = np.array([[0, 0], [1, 0]])
    assert s.act(Observation(t=0, truthful=truth, info={"game": g, "table": fb.table_})).tolist() == [[0, 1], [1, 1]]
    with pytest.raises(ParameterError, match="names sender 5"):
        Senders(behaviours={"5": "fixed:1"}).reset(n_agents=2, rng=np.random.default_rng(0))


def test_shipped_scenarios_load():
    for name in SCENARIOS:
        sc = load_scenario(f"infoacq/{name}")
        assert sc.family == "infoacq" and sc.description


def test_sanity_scenario_runs_and_shows_the_optimum(tmp_path):
    res = mechsim.run("infoacq/sanity", overrides=("scenario.n_rounds=300", "scenario.n_replications=2"))
    s = res.summary
    assert s["game"]["opt_payments"]["mean"] == pytest.approx(56 / 85)
    v = s["variants"]
    assert v["ic_payments"]["value"]["mean"] == pytest.approx(56 / 85) and v["ic_payments"]["violation"]["mean"] == 0.0
    assert v["relaxed_eps002"]["violation"]["mean"] == pytest.approx(0.02 * 300, rel=1e-6)
    assert v["uninformed"]["value"]["mean"] == pytest.approx(0.5) and v["first_best"]["value"]["mean"] == pytest.approx(0.8)
    again = mechsim.run("infoacq/sanity", overrides=("scenario.n_rounds=300", "scenario.n_replications=2"))
    assert again.tables["epochs"] == res.tables["epochs"]
    paths = res.plot(tmp_path)
    assert {p.name for p in paths} == {"value.png", "regret_loglog.png", "violation_loglog.png"}


def test_horizons_give_slopes_and_random_instances_order_values():
    res = mechsim.run("infoacq/regret-full", overrides=("scenario.horizons=[500, 2000]", "scenario.n_rounds=2000", "scenario.n_replications=1"))
    assert np.isfinite(res.summary["variants"]["full_c1"]["regret_slope"])
    res = mechsim.run("infoacq/random-instances", overrides=("scenario.n_rounds=50", "scenario.n_replications=3"))
    games = res.tables["games"]
    assert np.all(games["first_best"] + 1e-9 >= games["opt_payments"])
    assert np.all(games["opt_payments"] + 1e-9 >= games["opt_no_payments"])
    assert np.all(games["opt_no_payments"] + 1e-9 >= games["no_information"])


def test_bad_settings_name_the_key():
    with pytest.raises(ScenarioError, match="mechanisms.etc_alpha08.alpha"):
        load_scenario("infoacq/regret-bandit", overrides=("mechanisms.etc_alpha08.alpha=0.3",))
    with pytest.raises(ScenarioError, match="instance.name"):
        load_scenario("infoacq/sanity", overrides=("instance.name='nope'",))
