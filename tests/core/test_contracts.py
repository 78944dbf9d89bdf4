"""The shared contracts: claims, the behaviour zoo, MechanismGame, check_mechanism, the run skeleton."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest

from mechsim.audit.game import MechanismGame
from mechsim.core.mechanism import BudgetBalance, Claims, Mechanism, Outcome, Truthfulness
from mechsim.core.registry import ComponentSpec
from mechsim.core.seeding import SeedTree
from mechsim.core.skeleton import variant_summary, variant_sweep_metrics
from mechsim.core.strategy import AgentType, Behaviour, Observation, Population, apply_behaviours, assign_behaviours, parse_behaviour, present_mask
from mechsim.core.table import Table
from mechsim.errors import ParameterError
from mechsim.testing import INSTANCES, CheckInstance, ConformanceError, check_mechanism


# -- claims -------------------------------------------------------------------------------


def test_claims_normalise_and_validate():
    c = Claims(truthful="approximate", epsilon=0.1, budget_balance="weak")
    assert c.truthful is Truthfulness.APPROXIMATE and c.budget_balance is BudgetBalance.WEAK
    assert c.as_dict()["truthful"] == "approximate" and "epsilon 0.1" in c.describe()
    with pytest.raises(ParameterError, match="only applies to truthful='approximate'"):
        Claims(truthful="dominant", epsilon=0.1)
    with pytest.raises(ParameterError, match="'epsilon' parameter of Claims"):
        Claims(truthful="approximate", epsilon=float("inf"))
    with pytest.raises(ValueError):
        Claims(truthful="sometimes")


# -- the zoo ------------------------------------------------------------------------------


def test_behaviour_text_forms_round_trip_and_bad_ones_are_refused():
    for text in ["truthful", "scaled:1.5", "fixed:0.2", "random:0:1", "copy:3", "free_ride", "sybil:2", "late:1.5", "intermittent:0.3"]:
        assert parse_behaviour(text).name == text
    assert parse_behaviour("scaled:1.5").factor == 1.5 and parse_behaviour("copy:3").target == 3
    for bad, msg in [("scaledd:2", "Did you mean 'scaled'"), ("scaled", "takes 1 parameter"), ("copy:-1", "agent index"),
                     ("sybil:1", "k >= 2"), ("intermittent:2", r"probability p in \[0, 1\]"), ("random:1:0", "low <= high"),
                     ("scaled:x", "must be numbers"), ("", "must be a text")]:
        with pytest.raises(ParameterError, match=msg):
            parse_behaviour(bad)


def test_apply_behaviours_transforms_truthful_reports():
    b = [parse_behaviour(x) for x in ["truthful", "scaled:2", "fixed:0.5", "copy:4", "copy:3", "free_ride", "random:2:3"]]
    x = np.arange(1.0, 15.0).reshape(2, 7)
    out = apply_behaviours(b, x, np.random.default_rng(0))
    np.testing.assert_array_equal(out[:, 0], x[:, 0])
    np.testing.assert_array_equal(out[:, 1], 2 * x[:, 1])
    np.testing.assert_array_equal(out[:, 2], 0.5)
    np.testing.assert_array_equal(out[:, 5], 0.0)
    assert np.all((out[:, 6] >= 2) & (out[:, 6] <= 3))
    # a chain of copiers with a cycle (3 copies 4, 4 copies 3) ends at the first copier's source: no infinite loop
    assert np.all(np.isfinite(out[:, 3:5]))
    # copying follows chains to the original: agent 1 copies 2, who copies 0
    out2 = apply_behaviours([Behaviour("truthful"), parse_behaviour("copy:2"), parse_behaviour("copy:0")], np.array([[1.0, 2.0, 3.0]]), np.random.default_rng(0))
    np.testing.assert_array_equal(out2, [[1.0, 1.0, 1.0]])
    # payloads with a trailing axis: the agent axis is given
    pay = apply_behaviours([Behaviour("truthful"), Behaviour("free_ride")], np.ones((3, 2, 4)), np.random.default_rng(0), axis=1)
    assert pay.shape == (3, 2, 4) and pay[:, 1].sum() == 0 and pay[:, 0].sum() == 12


def test_apply_behaviours_draws_the_same_uniforms_whatever_the_behaviours():
    x = np.zeros((4, 3))
    a = apply_behaviours([parse_behaviour("random:0:1")] * 3, x, np.random.default_rng(9))
    b = apply_behaviours([Behaviour("truthful"), parse_behaviour("random:0:1"), Behaviour("truthful")], x, np.random.default_rng(9))
    np.testing.assert_array_equal(a[:, 1], b[:, 1])  # common random numbers across deviations


def test_assign_behaviours_by_list_index_and_share():
    assert [b.name for b in assign_behaviours(3, ["truthful", "scaled:2", "free_ride"])] == ["truthful", "scaled:2", "free_ride"]
    got = assign_behaviours(10, {"free_ride": 0.2, "scaled:2": 0.3, "9": "copy:0"})
    assert [b.name for b in got] == ["free_ride"] * 2 + ["scaled:2"] * 3 + ["truthful"] * 4 + ["copy:0"]
    with pytest.raises(ParameterError, match="one behaviour per agent"):
        assign_behaviours(3, ["truthful"])
    with pytest.raises(ParameterError, match="names agent 5"):
        assign_behaviours(3, {"5": "free_ride"})
    with pytest.raises(ParameterError, match="shares summing above 1"):
        assign_behaviours(4, {"free_ride": 0.75, "scaled:2": 0.5})


def test_present_mask_and_population():
    m = present_mask([Behaviour("truthful"), parse_behaviour("intermittent:0.25")], (4000, 2), np.random.default_rng(1))
    assert m[:, 0].all() and abs(m[:, 1].mean() - 0.25) < 0.03
    pop = Population(behaviours={"1": "scaled:3"})
    pop.reset(n_agents=3, n_replications=2, types=None, rng=np.random.default_rng(0))
    rep = pop.act(Observation(t=0, truthful=np.ones((2, 3))))
    np.testing.assert_array_equal(rep, [[1, 3, 1], [1, 3, 1]])


# -- mechanisms whose claims are checked ----------------------------------------------------


class _Posted(Mechanism):
    """Sells to every agent whose report is at least a posted price (truthful, IR, weakly budget balanced)."""

    claims: ClassVar[Claims] = Claims(truthful="dominant", individually_rational=True, budget_balance="weak")
    _parameter_constraints: ClassVar[dict] = {}

    def __init__(self, *, price: float = 0.5) -> None:
        self.price = price

    def reset(self, *, n_agents: int, rng: np.random.Generator, **context: Any) -> None:
        self.n_ = n_agents
        self.rng_ = rng

    def step(self, t: int, reports: Any) -> Outcome:
        buy = (np.asarray(reports) >= self.price).astype(float)
        return Outcome(allocation=buy, payments=-self.price * buy, scores=np.full(self.n_, np.nan))


class _Buyer(AgentType):
    utility_unit = "surplus"

    def draw(self, t, types, rng):
        return rng.random(3)

    def utility(self, t, private, reports, outcome):
        return np.asarray(private) * outcome.allocation + outcome.payments

    def deviations(self):
        return ["scaled:0.5", "scaled:2", "fixed:1"]


def _spec(cls: type) -> ComponentSpec:
    return ComponentSpec(id="toy/posted-v1", kind="toy.mechanism", factory=cls)


@pytest.fixture
def toy_instances(monkeypatch):
    def make(spec, params):
        game = MechanismGame(name="posted", make_mechanism=lambda: spec.make(**params), agent_type=_Buyer(), n_agents=3, n_rounds=25, seeds=SeedTree(2), n_seeds=16)
        return [CheckInstance(game=game, n_seeds=16)]

    monkeypatch.setitem(INSTANCES, "toy.mechanism", make)


def test_true_claims_pass(toy_instances):
    report = check_mechanism(_spec(_Posted))
    assert set(report) == {"budget_balance", "individually_rational", "truthful"}
    assert report["truthful"]["worst"] == 0.0


@pytest.mark.parametrize(
    ("flaw", "claims", "message"),
    [
        ("overcharge", Claims(individually_rational=True), "claims individual rationality, but an agent's utility falls"),
        ("subsidy", Claims(budget_balance="weak"), "claims weak budget balance, but payments sum to"),
        ("subsidy", Claims(budget_balance="strong"), "claims strong budget balance"),
        ("first_price", Claims(truthful="dominant"), r"claims dominant truthfulness \(epsilon 0\), but in 'posted' agent\d gains"),
        ("first_price", Claims(truthful="approximate", epsilon=0.001), r"claims approximate truthfulness \(epsilon 0.001\)"),
        ("random", Claims(), "claims randomized=False, but another generator changed"),
    ],
)
def test_false_claims_fail(toy_instances, flaw, claims, message):
    class Flawed(_Posted):
        def step(self, t, reports):
            r = np.asarray(reports)
            if flaw == "overcharge":
                return Outcome(allocation=np.ones(self.n_), payments=np.full(self.n_, -0.9), scores=r)
            if flaw == "subsidy":
                return Outcome(allocation=np.zeros(self.n_), payments=np.full(self.n_, 0.1), scores=r)
            if flaw == "first_price":  # the highest report buys at its report
                alloc = np.zeros(self.n_)
                alloc[np.argmax(r)] = 1.0
                return Outcome(allocation=alloc, payments=-r * alloc, scores=r)
            alloc = (self.rng_.random(self.n_) < 0.5).astype(float)
            return Outcome(allocation=alloc, payments=np.zeros(self.n_), scores=r)

    Flawed.claims = claims
    with pytest.raises(ConformanceError, match=message):
        check_mechanism(_spec(Flawed))


def test_a_claim_without_instances_fails():
    spec = ComponentSpec(id="toy2/posted-v1", kind="toy2.mechanism", factory=_Posted)
    with pytest.raises(ConformanceError, match="declares no check instances"):
        check_mechanism(spec)


def test_mechanism_game_uses_common_random_numbers():
    game = MechanismGame(name="g", make_mechanism=_Posted, agent_type=_Buyer(), n_agents=3, n_rounds=5, seeds=SeedTree(1))
    a, b = game.play(3), game.play(3)
    assert all(np.array_equal(x.utility, y.utility) for x, y in zip(a, b))
    u = game.utility("agent1", [None, *game.deviations("agent1")], np.arange(4))
    assert u.shape == (4, 4) and np.all(u[1:, :] <= u[0, :] + 1e-12)  # no deviation beats truth, seed by seed
    with pytest.raises(ParameterError, match="unknown agent 'agent9'"):
        game.deviations("agent9")


# -- run skeleton ---------------------------------------------------------------------------


def test_variant_summary_pools_rows_per_replication_before_the_ci():
    t = Table(
        {"variant": "str", "replication": "int", "x": "float"},
        {"variant": ["a"] * 4 + ["b"] * 2, "replication": [0, 0, 1, 1, 0, 1], "x": [1.0, 3.0, 5.0, 7.0, 1.0, 1.0]},
    )
    s = variant_summary(t, ["x"])
    assert s["a"]["x"]["mean"] == 4.0 and s["a"]["x"]["n"] == 2  # replication means 2 and 6
    assert s["b"]["x"]["std"] == 0.0
    assert variant_sweep_metrics({"variants": s}) == {"a.x": 4.0, "b.x": 1.0}


def test_dominant_claims_are_tested_where_the_others_misreport(toy_instances, monkeypatch):
    def make(spec, params):
        def game(profile):
            return MechanismGame(name=f"posted {profile}", make_mechanism=lambda: spec.make(**params), agent_type=_Buyer(), n_agents=3,
                                 n_rounds=25, seeds=SeedTree(2), n_seeds=16, profile=profile)

        # agents 1 and 2 misreport; only agent 0, who tells the truth, is audited there
        return [CheckInstance(game=game(None), n_seeds=16, others=(game(["truthful", "scaled:2", "fixed:0"]),))]

    monkeypatch.setitem(INSTANCES, "toy.mechanism", make)
    assert check_mechanism(_spec(_Posted))["truthful"]["instances"] == 2


def test_a_family_registers_its_own_behaviour_kinds(monkeypatch):
    from mechsim.core import strategy

    monkeypatch.setitem(strategy.BEHAVIOURS, "toy_kind", ("x",))
    assert parse_behaviour("toy_kind:2").x == 2.0
    strategy.register_behaviour("toy_kind", ("x",), family="toy")  # the same again: fine
    with pytest.raises(ParameterError, match="already in the zoo"):
        strategy.register_behaviour("toy_kind", ("y",), family="other")
    with pytest.raises(ParameterError, match="already in the zoo"):
        strategy.register_behaviour("scaled", ("factor",), family="toy")  # shared kinds are not redefined
