"""Arm strategies: Prop. 4.1 of the paper under the oracle, finite differences, typed errors."""

from __future__ import annotations

import numpy as np
import pytest

from mechsim.clickbandit import ClickGame, Oracle, QuadraticUtility
from mechsim.clickbandit.protocol import Trajectory, dynamics
from mechsim.clickbandit.strategies import ArmTypes, BestResponse, FixedProfile, GradientAscent, Truthful
from mechsim.core.seeding import SeedTree
from mechsim.errors import ParameterError

MU = np.array([0.6, 0.45])
UTIL = QuadraticUtility(lam=5.0)


def prop41_level() -> float:
    """Largest s with u(s, mu_1) >= u*(mu_2): where the best arm stops clickbaiting under the oracle."""
    a, b = UTIL.lam, 0.6  # u(s, b) = s b - a (s - b)^2 = u2  <=>  a s^2 - (b + 2ab) s + a b^2 + u2 = 0
    u2 = float(UTIL.u_star(MU[1]))
    qa, qb, qc = a, -(b + 2 * a * b), a * b * b + u2
    return (-qb + np.sqrt(qb * qb - 4 * qa * qc)) / (2 * qa)


def _run(strategy, epochs, horizon=200, replications=1):
    game = ClickGame(learner=Oracle, mu=MU, utility=UTIL, horizon=horizon)
    traj = Trajectory(label="oracle", horizon=horizon)
    for _ in dynamics(game, strategy, epochs=epochs, n_replications=replications, seeds=SeedTree(0), trajectory=traj):
        pass
    return traj


def test_best_response_under_the_oracle_reaches_prop_4_1():
    level = prop41_level()
    assert 0.84 < level < 0.845
    traj = _run(BestResponse(grid=101, seeds=1, init="truthful"), epochs=6)
    final = traj.profiles[-1][0]
    # the best arm: the largest grid click-rate that still beats arm 2's best utility (ties go to arm 0)
    assert final[0] == pytest.approx(np.floor(level * 100) / 100)
    # arm 2 cannot win at any click-rate, so it never moves
    assert final[1] == pytest.approx(UTIL.s_star(MU[1]))


def test_gradient_ascent_under_the_oracle_climbs_to_prop_4_1():
    level = prop41_level()
    traj = _run(GradientAscent(lr=0.02, fd_step=0.02, seeds=1, init="truthful"), epochs=25, replications=2)
    s0 = np.array([p[:, 0] for p in traj.profiles])  # (epochs, R)
    np.testing.assert_allclose(np.diff(s0[:8], axis=0), 0.02)  # a saturated, clipped gradient: +lr per epoch
    # then it hovers just below the level: a probe s + h above it loses every pull and steps back
    assert np.all(s0[-5:] <= level) and np.all(s0[-5:] >= level - 0.02 - 0.02 - 1e-9)


def test_forward_differences_stay_inside_the_unit_interval():
    g = GradientAscent(fd_step=0.03)
    prof = np.array([[0.99, 0.5, 0.0]])
    cand = g.propose(0, prof)
    assert cand.shape == (1, 4, 3)
    np.testing.assert_allclose(np.diagonal(cand[0, 1:]), [0.96, 0.53, 0.03])
    central = GradientAscent(fd_step=0.03, scheme="central").propose(0, prof)
    assert central.shape == (1, 7, 3) and central.min() >= 0.0 and central.max() <= 1.0


def _reset(strategy, k=2):
    strategy.reset(n_agents=k, n_replications=2, types=ArmTypes(MU[:k], UTIL.s_star(MU[:k])), rng=np.random.default_rng(0))
    return strategy.profiles_


def test_static_strategies():
    np.testing.assert_allclose(_reset(Truthful()), np.tile(UTIL.s_star(MU), (2, 1)))
    np.testing.assert_allclose(_reset(FixedProfile(s=[0.9, 0.1])), [[0.9, 0.1], [0.9, 0.1]])
    init = _reset(GradientAscent(init_low=0.6, init_high=0.7))
    assert init.shape == (2, 2) and init.min() >= 0.6 and init.max() <= 0.7


def test_strategy_errors_are_typed():
    with pytest.raises(ParameterError, match=r"The 'lr' parameter of GradientAscent must be a float in \(0.0, inf\). Got 0.0 instead."):
        _reset(GradientAscent(lr=0.0))
    with pytest.raises(ParameterError, match="The 'init_s' parameter of BestResponse must be a list of click-rates when init='fixed'"):
        _reset(BestResponse(init="fixed"))
    with pytest.raises(ParameterError, match=r"The 's' parameter of FixedProfile must list one click-rate per arm \(2\). Got 3 instead."):
        _reset(FixedProfile(s=[0.5, 0.5, 0.5]))
    with pytest.raises(ParameterError, match="The 'init_low' parameter of GradientAscent must not exceed 'init_high'"):
        _reset(GradientAscent(init_low=0.9, init_high=0.5))
