"""Runs of the fedbandits family: regret and the beta trade-off, determinism, payouts, graphs, audit, errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from mechsim.audit.estimate import audit_game
from mechsim.core.registry import ComponentSpec
from mechsim.core.runner import run_scenario
from mechsim.core.scenario import parse_scenario
from mechsim.core.seeding import SeedTree
from mechsim.errors import ParameterError, ScenarioError
from mechsim.fedbandits.audit import build_audit_games
from mechsim.fedbandits.mechanisms import IncFedUCB, TruthFedBan
from mechsim.testing import ConformanceError, check_mechanism

BASE = {
    "scenario": {"name": "fb-test", "family": "fedbandits", "seed": 3, "n_agents": 10, "n_rounds": 300, "n_replications": 2,
                 "threshold": 4.0, "curve_points": 0, "audit_agents": 5, "audit_seeds": 16},
    "environment": {"id": "fedbandits/arm-pool-v1", "dim": 6},
    "mechanisms": {
        "local": {"id": "fedbandits/local-only-v1"},
        "dislinucb": {"id": "fedbandits/dislinucb-v1"},
        "inc_b05": {"id": "fedbandits/inc-feducb-v1", "beta": 0.5},
        "tfb_b01": {"id": "fedbandits/truth-fedban-v1", "beta": 0.1},
        "tfb_b05": {"id": "fedbandits/truth-fedban-v1", "beta": 0.5},
        "tfb_b09": {"id": "fedbandits/truth-fedban-v1", "beta": 0.9},
        "tfb_b10": {"id": "fedbandits/truth-fedban-v1", "beta": 1.0},
    },
}


def scenario(**settings):
    raw = copy.deepcopy(BASE)
    for k, v in settings.items():
        if k in ("mechanisms", "strategy", "payout"):
            raw[k] = v
        else:
            raw["scenario"][k] = v
    return parse_scenario(raw)


@pytest.fixture(scope="module")
def results():
    return run_scenario(scenario())


def _m(results, label, metric):
    return results.summary["variants"][label][metric]["mean"]


def test_regret_close_to_dislinucb_and_far_below_local(results):
    dis, local = _m(results, "dislinucb", "regret"), _m(results, "local", "regret")
    print({k: round(v["regret"]["mean"], 1) for k, v in results.summary["variants"].items()})
    assert local > 2.5 * dis
    for label in ("inc_b05", "tfb_b05"):
        assert _m(results, label, "regret") < 1.3 * dis
        assert _m(results, label, "regret") < 0.5 * local


def test_beta_lowers_regret_and_raises_payments_sharply_near_one(results):
    pay = [_m(results, f"tfb_b{b}", "payments") for b in ("01", "05", "09", "10")]
    cost = [_m(results, f"tfb_b{b}", "social_cost") for b in ("01", "05", "09", "10")]
    print("payments by beta", [round(p, 1) for p in pay], "social cost", [round(c, 1) for c in cost])
    assert pay == sorted(pay) and cost == sorted(cost)
    slope_low, slope_high = (pay[1] - pay[0]) / 0.4, (pay[3] - pay[1]) / 0.5
    assert slope_high > 3 * slope_low and pay[3] > 5 * pay[1]  # sharp as beta -> 1
    assert _m(results, "tfb_b01", "regret") > _m(results, "tfb_b10", "regret")
    assert _m(results, "tfb_b10", "regret") == pytest.approx(_m(results, "dislinucb", "regret"), rel=0.05)


def test_tables_and_ci_ranges(results):
    t = results.tables
    assert {"steps", "rounds", "clients", "utility_curve"} <= set(t)
    for block in results.summary["variants"].values():
        for m in ("regret", "social_cost", "comm_scalars"):
            assert 0 <= block[m]["ci_low"] <= block[m]["mean"] <= block[m]["ci_high"]
    dis = t["rounds"].where(variant="dislinucb")
    assert np.all(dis["n_selected"] == 10) and np.allclose(dis["det_ratio"], 1.0)
    assert np.all(t["rounds"].where(variant="local")["n_selected"] == 0)


def test_same_seed_same_tables():
    s = scenario(n_rounds=60, mechanisms={"tfb": {"id": "fedbandits/truth-fedban-v1"}, "inc": {"id": "fedbandits/inc-feducb-v1"}})
    a, b = run_scenario(s), run_scenario(s)
    for name in a.tables:
        assert a.tables[name] == b.tables[name]


def test_payout_settles_payments_through_the_ledger():
    s = scenario(n_rounds=120, n_replications=1, mechanisms={"tfb": {"id": "fedbandits/truth-fedban-v1"}},
                 payout={"id": "ledger/token-payout-v1", "basis": "payments", "pattern": "batched", "epoch_rounds": 40, "budget_per_epoch": 50.0})
    res = run_scenario(s)
    pay = res.tables["payouts"]
    assert len(pay) == 3 * 10 and len(res.tables["ledger_gas"]) == 3
    paid = res.tables["clients"].where(variant="tfb")
    epochs_with_pay = {int(t // 40) for t, p in zip(paid["t"], paid["payment"], strict=True) if p > 0}
    for e in epochs_with_pay:
        assert pay.where(epoch=e)["amount"].sum() == pytest.approx(50.0)
    assert pay["balance"].max() > 0


def test_other_graphs_and_latency():
    mechs = {"dis": {"id": "fedbandits/dislinucb-v1"}}
    star = run_scenario(scenario(n_rounds=100, n_replications=1, mechanisms=mechs))
    ring = run_scenario(scenario(n_rounds=100, n_replications=1, mechanisms=mechs, topology="ring", hop_latency=0.4))
    rs, rr = star.tables["rounds"], ring.tables["rounds"]
    # a ring moves each upload over up to N/2 hops: more scalars per participant
    assert rr["comm_scalars"].sum() / rr["n_selected"].sum() > rs["comm_scalars"].sum() / rs["n_selected"].sum()
    with pytest.raises(ScenarioError, match="not connected"):
        run_scenario(scenario(n_rounds=5, mechanisms=mechs, topology="erdos_renyi", edge_probability=0.0))


def test_best_responders_stay_truthful_under_truthfedban_and_over_report_under_incfeducb():
    s = scenario(n_agents=8, n_rounds=150, n_replications=1,
                 mechanisms={"tfb": {"id": "fedbandits/truth-fedban-v1"}, "inc": {"id": "fedbandits/inc-feducb-v1"}},
                 strategy={"id": "fedbandits/clients-v1", "best_response": 0.25, "behaviours": {"scaled:1.5": 0.25}})
    res = run_scenario(s)
    c = res.tables["clients"]
    br = c.where(variant="tfb", behaviour="best_response")
    np.testing.assert_allclose(br["bid"], br["cost"])
    assert np.any(c.where(variant="inc", behaviour="best_response")["bid"] > c.where(variant="inc", behaviour="best_response")["cost"])
    gains = res.summary["misreport_gain"]
    assert gains["tfb"]["scaled:1.5"] <= 1e-12 and gains["inc"]["best_response"] > 0


def test_auditor_finds_the_over_report_under_incfeducb_and_nothing_under_truthfedban():
    s = scenario(mechanisms={"inc": {"id": "fedbandits/inc-feducb-v1"}, "tfb": {"id": "fedbandits/truth-fedban-v1"}})
    games = {g.name: g for g in build_audit_games(s, SeedTree(1), None)}
    three = ["client0", "client1", "client2"]
    inc = audit_game(games["inc"], agents=three, n_seeds=16)
    best = inc.argmax
    assert best.deviation.startswith("scaled:") and float(best.deviation.split(":")[1]) > 1
    significant = [g for g in inc.gains if g.ci_low > 0]
    assert significant and all(g.deviation.startswith("scaled:") and float(g.deviation.split(":")[1]) > 1 for g in significant)
    tfb = audit_game(games["tfb"], agents=three, n_seeds=16)
    assert all(g.ci_low <= 1e-12 for g in tfb.gains) and tfb.epsilon <= 1e-12


def test_a_false_truthfulness_claim_fails_the_check():
    class ClaimsTooMuch(IncFedUCB):
        claims = TruthFedBan.claims

    spec = ComponentSpec(id="fedbandits/claims-too-much-v1", kind="fedbandits.mechanism", factory=ClaimsTooMuch)
    with pytest.raises(ConformanceError, match="dominant truthfulness"):
        check_mechanism(spec)


def test_bad_parameters_get_typed_errors():
    m = TruthFedBan(beta=2.0)
    with pytest.raises(ParameterError, match=r"The 'beta' parameter of TruthFedBan must be a float in \(0, 1\]. Got 2.0 instead."):
        m.reset(n_agents=3, rng=np.random.default_rng(0))
    with pytest.raises(ScenarioError, match="beta"):
        scenario(mechanisms={"x": {"id": "fedbandits/truth-fedban-v1", "beta": -1.0}})
    with pytest.raises(ScenarioError, match="n_clients"):
        scenario(n_clients=3)
