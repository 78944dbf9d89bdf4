"""The IC LP against the spec's verified numbers and an independent scipy.optimize.linprog formulation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from mechsim.errors import ParameterError
from mechsim.infoacq.game import InfoGame, conditionally_independent, named_game, random_game, sanity_game
from mechsim.infoacq.lp import (
    ParametricICLP,
    best_response_maps,
    coefficients,
    ic_gains,
    receiver_value,
    solve_ic_lp,
    uninformed_table,
    violation,
)


def linprog_ic(q, uR, uS, *, payments, eps=0.0, cap=None):
    """Written from §3.1 with loops over profiles, dense matrices, scipy's HiGHS: no code shared."""
    n = q.ndim - 1
    sizes = q.shape[1:]
    nA = uR.shape[0]
    profiles = list(itertools.product(*[range(k) for k in sizes]))
    P = len(profiles)
    pid = {s: j for j, s in enumerate(profiles)}
    nv = P * nA + (n * P if payments else 0)
    fi = lambda j, a: j * nA + a  # noqa: E731
    pi = lambda i, j: P * nA + i * P + j  # noqa: E731
    c = np.zeros(nv)
    for s, j in pid.items():
        for a in range(nA):
            c[fi(j, a)] = -sum(q[(th,) + s] * uR[a, th] for th in range(q.shape[0]))
        if payments:
            for i in range(n):
                c[pi(i, j)] = q[(slice(None),) + s].sum()
    A_eq = np.zeros((P, nv))
    for j in range(P):
        A_eq[j, [fi(j, a) for a in range(nA)]] = 1.0
    rows = []
    for i in range(n):
        for t in range(sizes[i]):
            for r in range(sizes[i]):
                if t == r:
                    continue
                row = np.zeros(nv)
                for s in profiles:
                    if s[i] != t:
                        continue
                    sr = s[:i] + (r,) + s[i + 1 :]
                    for a in range(nA):
                        w = sum(q[(th,) + s] * uS[i, a, th] for th in range(q.shape[0]))
                        row[fi(pid[sr], a)] += w
                        row[fi(pid[s], a)] -= w
                    if payments:
                        row[pi(i, pid[sr])] += q[(slice(None),) + s].sum()
                        row[pi(i, pid[s])] -= q[(slice(None),) + s].sum()
                rows.append(row)
    bounds = [(0, None)] * (P * nA) + [(0, cap)] * (nv - P * nA)
    res = linprog(c, A_ub=np.array(rows) if rows else None, b_ub=np.full(len(rows), eps) if rows else None, A_eq=A_eq, b_eq=np.ones(P), bounds=bounds, method="highs")
    assert res.status == 0
    return -res.fun


@pytest.mark.parametrize("payments", [True, False])
def test_sanity_instance_optimum_is_56_over_85(payments):
    g = sanity_game()
    sol = solve_ic_lp(coefficients(g), payments=payments)
    assert sol.value == pytest.approx(56 / 85, abs=1e-7)
    assert sol.value == pytest.approx(0.6588, abs=5e-5)
    assert np.allclose(sol.table.pay, 0.0, atol=1e-7)
    assert g.first_best() == pytest.approx(0.8) and g.no_information() == pytest.approx(0.5)
    assert solve_ic_lp(coefficients(g), payments=payments, solver="CLARABEL").value == pytest.approx(56 / 85, abs=1e-6)


def test_sanity_variants_from_the_verified_facts():
    assert solve_ic_lp(coefficients(sanity_game(1)), payments=True).value == pytest.approx(0.5, abs=1e-8)
    g3 = sanity_game(3)
    assert solve_ic_lp(coefficients(g3), payments=True).value == pytest.approx(0.7409, abs=5e-5)
    assert g3.first_best() == pytest.approx(0.896)


def _random_games(k=6):
    rng = np.random.default_rng(2026)
    shapes = [(2, 2, 2), (3, 3, 3), (2, 3, 2), (3, 2, 2, 2)]
    out = []
    for m in range(k):
        nS, *sig = shapes[m % len(shapes)]
        out.append(random_game(rng, n_states=nS, n_senders=len(sig), n_signals=sig, n_actions=2 + m % 2, correlated=m % 2 == 1))
    return out


@pytest.mark.parametrize("game", _random_games(), ids=lambda g: str(g.q.shape))
def test_value_ordering_and_own_violation(game):
    c = coefficients(game)
    with_pay = solve_ic_lp(c, payments=True)
    no_pay = solve_ic_lp(c, payments=False)
    tol = 1e-7
    assert game.first_best() + tol >= with_pay.value >= no_pay.value - tol >= game.no_information() - 2 * tol
    assert receiver_value(c, uninformed_table(c)) == pytest.approx(game.no_information())
    for eps in (0.0, 0.01, 0.1):
        for pay in (True, False):
            sol = solve_ic_lp(c, payments=pay, epsilon=eps, payment_cap=1.0)
            assert violation(c, sol.table) <= eps + 1e-7
            assert receiver_value(c, sol.table) == pytest.approx(sol.value, abs=1e-7)


@pytest.mark.parametrize("game", _random_games(), ids=lambda g: str(g.q.shape))
@pytest.mark.parametrize(("payments", "eps", "cap"), [(True, 0.0, None), (False, 0.0, None), (True, 0.02, 0.5), (False, 0.05, None)])
def test_optimum_equals_an_independent_linprog(game, payments, eps, cap):
    ours = solve_ic_lp(coefficients(game), payments=payments, epsilon=eps, payment_cap=cap).value
    theirs = linprog_ic(game.q, game.u_receiver, game.u_senders, payments=payments, eps=eps, cap=cap)
    assert ours == pytest.approx(theirs, abs=1e-6)


def test_parametric_lp_matches_one_off_solves():
    for game in _random_games(4):
        c = coefficients(game)
        lp = ParametricICLP(c.sizes, c.n_actions, payments=True, payment_cap=1.0)
        for eps in (0.0, 0.03, 0.2):
            assert lp.solve(c, eps).value == pytest.approx(solve_ic_lp(c, payments=True, epsilon=eps, payment_cap=1.0).value, abs=1e-7)


def test_ic_gains_and_best_responses_against_brute_force():
    game = _random_games(3)[1]
    c = coefficients(game)
    rng = np.random.default_rng(5)
    phi = rng.dirichlet(np.ones(c.n_actions), size=c.n_profiles)
    from mechsim.infoacq.lp import MechanismTable

    table = MechanismTable(phi=phi, pay=rng.random((c.n_senders, c.n_profiles)) * 0.1)
    gains = ic_gains(c, table)
    profiles = list(itertools.product(*[range(k) for k in c.sizes]))
    for i, k in enumerate(c.sizes):
        for t in range(k):
            for r in range(k):
                g = 0.0
                for s in profiles:
                    if s[i] != t:
                        continue
                    j = np.ravel_multi_index(s, c.sizes)
                    jr = np.ravel_multi_index(s[:i] + (r,) + s[i + 1 :], c.sizes)
                    g += c.W_S[i, j] @ (phi[jr] - phi[j]) + c.q_s[j] * (table.pay[i, jr] - table.pay[i, j])
                assert gains[i][t, r] == pytest.approx(g, abs=1e-12)
        assert np.array_equal(best_response_maps(c, table)[i], np.where(gains[i].max(axis=1) > 1e-7, gains[i].argmax(axis=1), np.arange(k)))
    assert violation(c, table) == pytest.approx(max(0.0, max(g.max() for g in gains)))


def test_exact_lp_leaves_senders_truthful_and_the_first_best_does_not():
    g = sanity_game()
    c = coefficients(g)
    sol = solve_ic_lp(c, payments=True)
    assert all(np.array_equal(m, np.arange(2)) for m in best_response_maps(c, sol.table))
    phi = np.zeros_like(g.W_R)
    phi[np.arange(g.n_profiles), g.W_R.argmax(axis=1)] = 1
    from mechsim.infoacq.lp import MechanismTable

    fb = MechanismTable(phi=phi, pay=np.zeros((2, 4)))
    assert [m.tolist() for m in best_response_maps(c, fb)] == [[1, 1], [1, 1]]


def test_ten_thousand_profiles_solve_sparse():
    # 2^13 = 8192 profiles of binary senders: the sparse build stays small and HiGHS solves it
    rng = np.random.default_rng(3)
    g = random_game(rng, n_states=2, n_senders=13, n_signals=2, n_actions=2)
    sol = solve_ic_lp(coefficients(g), payments=False)
    assert g.first_best() + 1e-7 >= sol.value >= g.no_information() - 1e-7
    assert violation(coefficients(g), sol.table) <= 1e-7


def test_joint_law_validation():
    with pytest.raises(ParameterError, match="'q' parameter of InfoGame must be a pmf"):
        InfoGame(q=np.ones((2, 2)), u_receiver=np.eye(2), u_senders=np.zeros((1, 2, 2)))
    with pytest.raises(ParameterError, match="u_senders"):
        InfoGame(q=np.full((2, 2), 0.25), u_receiver=np.eye(2), u_senders=np.zeros((2, 2, 2)))
    with pytest.raises(ParameterError, match="likelihood 0"):
        conditionally_independent([0.5, 0.5], [np.ones((2, 2))], np.eye(2), np.zeros((1, 2, 2)))
    with pytest.raises(ParameterError, match="unknown named game 'sanit'"):
        named_game("sanit")


def test_sampling_follows_the_joint_law():
    g = _random_games(2)[1]
    states, profiles = g.sample(200_000, np.random.default_rng(0))
    freq = np.zeros(g.Q.shape)
    np.add.at(freq, (states, profiles), 1.0)
    assert np.abs(freq / 200_000 - g.Q).max() < 0.01


@pytest.mark.parametrize("game", _random_games(4), ids=lambda g: str(g.q.shape))
@pytest.mark.parametrize("eps", [0.0, 0.03])
def test_column_generation_reaches_the_lp_optimum(game, eps):
    from mechsim.infoacq.lp import solve_ic_lp_colgen

    c = coefficients(game)
    cg = solve_ic_lp_colgen(c, epsilon=eps)
    assert cg.value == pytest.approx(solve_ic_lp(c, payments=False, epsilon=eps).value, abs=1e-7)
    assert receiver_value(c, cg.table) == pytest.approx(cg.value, abs=1e-7)
    assert violation(c, cg.table) <= eps + 1e-7
