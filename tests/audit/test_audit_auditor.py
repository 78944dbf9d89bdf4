"""The auditor is family-independent: sealed-bid auctions with known answers, the report, errors.

Two bidders with private values ~ U[0, 1] (one pair per seed: common random numbers).
The audited bidder scales its bid by a factor; the other bids truthfully.

- Second-price: truthful bidding is dominant, so every paired gain is <= 0 and epsilon = 0.
- First-price: truthful bidding wins nothing net; bidding f*v earns v (1 - f) when
  f v > v_2, with expectation (1 - f) f / 3, maximal (1/12) at f = 1/2.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from mechsim.audit import AuditGame, AuditReport, Deviation, audit_game, audit_scenario
from mechsim.core.scenario import load_scenario
from mechsim.errors import MechsimError, ParameterError, ScenarioError


class Auction:
    utility_unit = "surplus per auction"

    def __init__(self, rule: str, n_seeds: int = 4000) -> None:
        self.rule = rule
        self.n_seeds = n_seeds
        self.name = f"{rule}-price"

    def agents(self):
        return ["bidder0", "bidder1"]

    def deviations(self, agent):
        return [Deviation(name=f"bid {f:.2f} v", value=f) for f in np.linspace(0.25, 1.5, 6)]

    def utility(self, agent, strategies, seeds):
        me = self.agents().index(agent)
        rng = [np.random.default_rng([7, int(j)]) for j in seeds]
        values = np.array([r.random(2) for r in rng])  # (J, 2): the same pair for every strategy
        mine, other = values[:, me], values[:, 1 - me]
        out = []
        for d in strategies:
            bid = mine * (1.0 if d is None else d.value)
            win = bid > other
            price = other if self.rule == "second" else bid
            out.append(np.where(win, mine - price, 0.0))
        return np.array(out)


def test_second_price_is_truthful():
    a = audit_game(Auction("second"))
    assert all(g.gain <= 1e-12 for g in a.gains)
    assert a.epsilon == 0.0


def test_first_price_shading_pays_one_twelfth():
    a = audit_game(Auction("first"), agents=["bidder0"])
    top = a.argmax
    assert top.value == pytest.approx(0.5)
    assert top.ci_low <= 1 / 12 <= top.ci_high
    for g in a.gains:  # every deviation, against its closed form
        f = g.value
        exact = (1 - f) * f / 3 if f <= 1 else _overbid(f)
        assert g.ci_low - 1e-3 <= exact <= g.ci_high + 1e-3, (f, g.gain, exact)


def _overbid(f: float) -> float:
    """E[v (1 - f) 1{f v > v2}] for f > 1: (1 - f) * E[v * min(1, f v)]."""
    # E[v min(1, f v)] = int_0^{1/f} f v^2 dv + int_{1/f}^1 v dv = 1/(3 f^2) + (1 - 1/f^2) / 2
    return (1 - f) * (1 / (3 * f * f) + (1 - 1 / (f * f)) / 2)


def test_report_format_table_and_files(tmp_path):
    sc = load_scenario("clickbandit/truthful")
    report = AuditReport(scenario=sc, games=[audit_game(Auction("first"), n_seeds=200), audit_game(Auction("second"), n_seeds=200)])
    text = report.format()
    assert "game first-price: utility in surplus per auction, 200 CRN seeds, 95% CI" in text
    assert "bidder0" in text and "epsilon =" in text
    table = report.table()
    assert len(table) == 2 * 2 * 6 and table["best"].sum() == 4
    path = report.write(folder=tmp_path / "audit")
    assert (path / "audit.csv").read_text().splitlines()[0] == "game,agent,deviation,baseline,utility,gain,ci_low,ci_high,n_seeds,best"
    data = json.loads((path / "audit.json").read_text())
    assert data["games"]["first-price"]["argmax"]["deviation"] == "bid 0.50 v"
    assert data["epsilon"] == pytest.approx(report.epsilon)


def test_protocol_and_errors():
    assert isinstance(Auction("first"), AuditGame)
    with pytest.raises(ParameterError, match="must implement the AuditGame protocol"):
        audit_game(object())
    with pytest.raises(ParameterError, match="unknown agent 'bidder9' in game 'first-price'. Did you mean 'bidder1' or 'bidder0'"):
        audit_game(Auction("first"), agents=["bidder9"])
    with pytest.raises(ParameterError, match=r"The 'n_seeds' parameter of audit_game must be an int in \[2, inf\). Got 1 instead."):
        audit_game(Auction("first"), n_seeds=1)

    class Wrong(Auction):
        def utility(self, agent, strategies, seeds):
            return super().utility(agent, strategies, seeds)[:1]

    with pytest.raises(MechsimError, match=r"Wrong.utility returned shape \(1, 50\); expected \(7, 50\)"):
        audit_game(Wrong("first"), n_seeds=50)


def test_a_family_without_a_deviation_space_cannot_be_audited():
    with pytest.raises(ScenarioError, match="family 'bandits' declares no deviation space"):
        audit_scenario("bandits/default", out=None)


def test_the_auditor_finds_clickbait_for_truthful_arms_under_ucb(tmp_path):
    """The click-bandit as the first family: the truthful scenario, UCB only, small."""
    report = audit_scenario(
        "clickbandit/truthful",
        overrides=["scenario.n_rounds=1500", "scenario.audit_seeds=8", "scenario.deviation_grid=6", 'learners.ucb.index="opt_utility"'],
        agents=["arm0", "arm1"],
        out=tmp_path,
    )
    ucb = report.game("ucb")
    assert (ucb.argmax.agent, ucb.argmax.deviation) == ("arm0", "s=1.000")
    assert ucb.epsilon > 0.05 and ucb.argmax.ci_low > 0
    assert report.game("oracle").argmax.deviation == "s=1.000"  # Prop. 4.1: clickbait pays against the oracle too
    assert report.path is not None and (report.path / "audit.csv").is_file()
