"""The shapes the paper reports, on a fixed small instance (K=3, lambda=2, T = 1000..4000).

Strategic arms learn their click-rates by projected gradient ascent (CRN finite
differences). Under the incentive-unaware UCB the best arm clickbaits to s = 1 and
regret is linear in T; under UCB-S the click-rates settle just above s* and regret is
sublinear. With truthful arms both learners have sublinear regret. The auditor finds a
small epsilon at the profile UCB-S's dynamics settle on and, unaided, the profitable
clickbait deviation of truthful arms under UCB.
"""

from __future__ import annotations

import numpy as np
import pytest

import mechsim
from mechsim.audit import audit_game
from mechsim.clickbandit.audit import ClickAuditGame
from mechsim.clickbandit.world import World
from mechsim.core import tomlio
from mechsim.core.scenario import parse_scenario
from mechsim.core.seeding import SeedTree

MU = [0.6, 0.4, 0.25]
HORIZONS = [1000, 2000, 4000]
INSTANCE = f"""
[scenario]
name = "clickbandit-test-shapes"
family = "clickbandit"
seed = 3
n_rounds = {HORIZONS}
epochs = 12
n_replications = 2
tail = 4

[environment]
id = "clickbandit/bernoulli-v1"
mu = {MU}

[utility]
id = "clickbandit/quadratic-v1"
lam = 2.0

[strategy]
id = "clickbandit/gradient-v1"
lr = 0.05
fd_step = 0.03
seeds = 2
init = "truthful"

[learners.ucb]
id = "clickbandit/ucb-v1"

[learners.ucbs]
id = "clickbandit/ucb-s-v1"
index = "opt_utility"

[learners.ucbs_mu]
id = "clickbandit/ucb-s-v1"
index = "mu_ucb"
"""


def _scenario():
    return parse_scenario(tomlio.loads(INSTANCE))


@pytest.fixture(scope="module")
def strategic():
    scenario = _scenario()
    return scenario, mechsim.run(scenario).summary


def _at(summary, label, horizon=HORIZONS[-1]):
    return summary["variants"][label]["horizons"][str(horizon)]


def test_under_ucb_the_best_arm_clickbaits_and_regret_is_linear(strategic):
    _, sm = strategic
    assert sm["best_arm"] == 0
    assert _at(sm, "ucb")["best_arm_gap"]["mean"] == pytest.approx(1.0 - sm["s_star"][0])  # all the way to s = 1
    # linear: the loss of the clickbaiting best arm, u*(mu_1) - u(1, mu_1) = 0.125 per round, never goes away
    loss = sm["u_star"][0] - (MU[0] - 2.0 * (1.0 - MU[0]) ** 2)
    for h in HORIZONS:
        assert _at(sm, "ucb", h)["regret_per_round"] >= loss
    assert sm["variants"]["ucb"]["regret_slope"] >= 0.8


@pytest.mark.parametrize("label", ["ucbs", "ucbs_mu"])
def test_under_ucbs_click_rates_settle_close_above_s_star_and_regret_is_sublinear(strategic, label):
    _, sm = strategic
    gaps = [_at(sm, label, h)["best_arm_gap"]["mean"] for h in HORIZONS]
    assert -0.02 <= gaps[-1] <= 0.15  # close above s*
    assert gaps[-1] < gaps[1] and gaps[-1] < _at(sm, "ucb")["best_arm_gap"]["mean"] - 0.1  # the slack shrinks with T
    assert sm["variants"][label]["regret_slope"] <= 0.5
    assert _at(sm, label)["regret_per_round"] <= 0.6 * _at(sm, "ucb")["regret_per_round"]


def _audit(scenario, label, profile, horizon):
    world = World.from_scenario(scenario, SeedTree(scenario.seed))
    game = world.game(scenario["learners"][label], horizon)
    return audit_game(ClickAuditGame(game, profile, grid=11, n_seeds=16, seeds=SeedTree(1).child("audit"), name=label))


def test_auditor_epsilon_is_small_at_the_profile_ucbs_dynamics_settle_on(strategic):
    scenario, sm = strategic
    a = _audit(scenario, "ucbs", np.asarray(_at(sm, "ucbs")["profile"]), HORIZONS[-1])
    top = a.argmax
    assert a.epsilon < 0.05  # clicks per round
    assert a.epsilon < 0.06 * top.baseline  # a few per cent of the deviating arm's clicks


def test_auditor_finds_clickbait_for_truthful_arms_under_ucb(strategic):
    scenario, sm = strategic
    a = _audit(scenario, "ucb", np.asarray(sm["s_star"]), 2000)
    top = a.argmax
    assert (top.agent, top.deviation) == ("arm0", "s=1.000")
    assert a.epsilon > 0.15 and top.ci_low > 0.15
    assert a.epsilon > 0.25 * top.baseline


def test_truthful_arms_give_sublinear_regret_under_ucb_and_ucbs():
    raw = tomlio.loads(INSTANCE)
    raw["scenario"].update(epochs=1, n_rounds=[1000, 2000, 4000, 8000])
    raw["strategy"] = {"id": "clickbandit/truthful-v1", "seeds": 8}
    del raw["learners"]["ucbs"]  # with truthful arms it never screens: it plays exactly as ucb
    sm = mechsim.run(parse_scenario(raw)).summary
    for label in ("ucb", "ucbs_mu"):
        slope = sm["variants"][label]["regret_slope"]
        assert slope < 0.7, (label, slope)
        per_round = [_at(sm, label, h)["regret_per_round"] for h in (1000, 2000, 4000, 8000)]
        assert per_round == sorted(per_round, reverse=True)
