"""Ratings, weights, Yuma, compression, sampling and behaviours against independent computations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from openskill.models import PlackettLuce

from mechsim.core.seeding import SeedTree
from mechsim.core.strategy import parse_behaviour
from mechsim.errors import ParameterError
from mechsim.gauntlet.behaviours import plan
from mechsim.gauntlet.compress import decode, ef_step, index_overlap, valid_payload
from mechsim.gauntlet.learner import QuadraticLearner
from mechsim.gauntlet.mechanism import GauntletValidator
from mechsim.gauntlet.ratings import OpenSkillRater
from mechsim.gauntlet.weights import gather_reserve_weights, power_weights, yuma_incentive


def test_openskill_rater_reproduces_the_spec_table():
    # spec section 6: PlackettLuce(beta=7, tau=0.1), A > B > C > D every window
    rater = OpenSkillRater(mu=25.0, sigma=25 / 3, beta=7.0, tau=0.1, kappa=1e-4)
    mu, sigma = np.full(4, 25.0), np.full(4, 25 / 3)
    for w in range(1, 31):
        mu, sigma = rater.rate(mu, sigma, np.array([4.0, 3.0, 2.0, 1.0]))
        if w in (1, 10, 30):
            ords = mu - 3 * sigma
            expect = {1: [2.52, 1.62, 0.20, -2.99], 10: [21.30, 10.79, -0.74, -18.61], 30: [43.92, 19.40, -2.86, -32.80]}[w]
            np.testing.assert_allclose(ords, expect, atol=0.01)


def test_ratings_equal_openskill_rate_on_the_same_matches():
    """Every match the validator played, replayed through openskill's own rate()."""
    from mechsim.gauntlet.quick import simulate

    res = simulate(["truthful"] * 8, n_rounds=60, learner=dict(dim=128, chunk=32, topk=4), mechanism=dict(uids_per_window=3))
    # replay: the validator's matches are recorded in the outcome of each window; rerun with a hook
    learner = QuadraticLearner(dim=128, chunk=32, topk=4)
    learner.reset(n_replications=1, n_agents=8, seeds=SeedTree(0).child("nature"))
    mech = GauntletValidator(uids_per_window=3)
    mech.reset(n_agents=8, rng=SeedTree(0).generator("validator"), learner=learner)
    from mechsim.gauntlet.peers import Peers, draw_types

    peers = Peers(learner=learner, behaviours=["truthful"] * 8, types=draw_types(8, SeedTree(0).generator("types")),
                  n_replications=1, rng=SeedTree(0).generator("peers"))
    model = PlackettLuce(beta=7.0, tau=0.1)
    R = {}
    pending = {}
    for t in range(60):
        out = mech.step(t, peers.produce(t, mech.theta_, mech.weights_))
        learner.advance()
        for p in np.flatnonzero(out.info["scored"][0]):
            pending[int(p)] = float(mech.last_s_[0, p])
        if len(pending) >= 2:
            ids = sorted(pending)
            new = model.rate([[R.get(p, model.rating())] for p in ids], scores=[pending[p] for p in ids])
            for p, team in zip(ids, new):
                R[p] = team[0]
            pending = {}
        for p in R:
            assert mech.mu_[0, p] == pytest.approx(R[p].mu, abs=1e-12)
            assert mech.sigma_[0, p] == pytest.approx(R[p].sigma, abs=1e-12)
    assert len(R) == 8 and res.share.sum() == pytest.approx(1.0)


def test_power_weights_example_and_floor():
    w = power_weights(np.array([10.0, 8, 6, 4, 2, 1]), 2.2)
    np.testing.assert_allclose(w, [0.475, 0.291, 0.154, 0.063, 0.014, 0.003], atol=6e-4)
    assert power_weights(np.array([-3.0, 0.0, 2.0]), 2.2).tolist() == [0.0, 0.0, 1.0]
    assert power_weights(np.array([1e-5, 1e-5]), 2.2).sum() == 0.0  # sum F^gamma <= 1e-8


def test_gather_reserve_shares():
    F = np.arange(40, 0, -1, dtype=float)
    w = gather_reserve_weights(F, 0.5)
    assert w.sum() == pytest.approx(0.5)
    assert w[:20].sum() == pytest.approx(0.484, abs=1e-3) and w[20:30].sum() == pytest.approx(0.016, abs=1e-3)
    assert w[0] == pytest.approx(0.0323, abs=1e-4) and w[19] == pytest.approx(0.0161, abs=1e-4)
    assert w[30:].sum() == 0.0


def _yuma_brute(W, S, kappa=0.5):
    S = S / S.sum()
    V, Nm = W.shape
    C = np.zeros(Nm)
    for j in range(Nm):
        # the largest candidate weight that validators with >= kappa of the stake reach
        C[j] = max(w for w in W[:, j] if S[W[:, j] >= w].sum() >= kappa - 1e-12)
    Rk = np.array([sum(S[i] * min(W[i, j], C[j]) for i in range(V)) for j in range(Nm)])
    return Rk / Rk.sum()


@pytest.mark.parametrize("seed", range(5))
def test_yuma_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    W = rng.random((5, 7)) ** 3
    W /= W.sum(axis=1, keepdims=True)
    S = rng.random(5) + 0.1
    np.testing.assert_allclose(yuma_incentive(W, S), _yuma_brute(W, S), atol=1e-12)


def test_yuma_single_validator_is_its_weights_and_clips_an_outlier():
    w = np.array([[0.5, 0.3, 0.2, 0.0]])
    np.testing.assert_allclose(yuma_incentive(w, np.array([1.0])), w[0])
    W = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])  # the small validator backs miner 2 alone
    inc = yuma_incentive(W, np.array([0.4, 0.4, 0.2]))
    assert inc[2] == 0.0 and inc[0] == pytest.approx(0.5)


def test_topk_error_feedback_and_decode():
    rng = np.random.default_rng(0)
    g = rng.standard_normal((3, 64)).astype(np.float32)
    e = np.zeros_like(g)
    idx, vals = ef_step(e, g, 0.999, 1.0, 16, 4)
    dense = decode(idx, vals, 16)
    np.testing.assert_allclose(dense + e, g, rtol=1e-6)  # sent + residual = accumulated
    for r in range(3):
        for c in range(4):
            chunk = np.abs(g[r, c * 16:(c + 1) * 16])
            assert set(idx[r, c].tolist()) == set(np.argsort(-chunk)[:4].tolist())
    count = np.full(3, 4)
    assert valid_payload(idx, vals, count, 16, 4).all()
    bad = idx.copy()
    bad[1, 0, 0] = 16
    v2 = vals.copy()
    v2[2, 3, 1] = np.inf
    assert valid_payload(bad, v2, np.array([3, 4, 4]), 16, 4).tolist() == [False, False, False]


def test_index_overlap_matches_sets():
    rng = np.random.default_rng(1)
    idx = np.stack([np.stack([np.sort(rng.choice(16, 4, replace=False)) for _ in range(3)]) for _ in range(5)])
    ov = index_overlap(idx, 16)
    for i, j in itertools.product(range(5), repeat=2):
        ref = np.mean([len(set(idx[i, c]) & set(idx[j, c])) / 4 for c in range(3)])
        assert ov[i, j] == pytest.approx(ref)


def test_sampling_stays_in_one_ordinal_bin_and_counters_follow_templar():
    learner = QuadraticLearner(dim=64, chunk=16, topk=4)
    learner.reset(n_replications=1, n_agents=50, seeds=SeedTree(0))
    mech = GauntletValidator()
    mech.reset(n_agents=50, rng=np.random.default_rng(0), learner=learner)
    mech.rated_[:] = True
    mech.mu_[0] = np.arange(50, dtype=float)  # distinct ordinals
    elig = np.ones((1, 50), bool)
    elig[0, 7] = False
    order = np.argsort(-mech.ordinal()[0][elig[0]], kind="stable")
    bins = np.array_split(np.flatnonzero(elig[0])[order], 10)
    assert [len(b) for b in bins] == [5] * 9 + [4]  # the first (49 mod 10) bins get one extra
    for _ in range(30):
        batch = mech._sample(elig)[0]
        assert len(set(batch.tolist())) == 4 and any(set(batch.tolist()) <= set(b.tolist()) for b in bins)
        assert 7 not in batch
    # counters: picked -> 1, other eligible +1 (a new unpicked peer has 2 after its first window)
    from mechsim.gauntlet.peers import Peers, draw_types

    peers = Peers(learner=learner, behaviours=["truthful"] * 50, types=draw_types(50, np.random.default_rng(0)),
                  n_replications=1, rng=np.random.default_rng(1))
    mech2 = GauntletValidator()
    mech2.reset(n_agents=50, rng=np.random.default_rng(0), learner=learner)
    out = mech2.step(0, peers.produce(0, mech2.theta_, mech2.weights_))
    picked = out.info["evaluated"][0]
    assert (mech2.counter_[0, picked] == 1).all()
    others = np.setdiff1d(np.arange(50), picked)
    assert (mech2.counter_[0, others] == 2).all()


def test_behaviour_plan_maps_the_zoo_and_family_kinds():
    beh = [parse_behaviour(b) for b in ["truthful", "free_ride", "sybil:3", "copy:0", "partial_copy:0:0.3", "late:12",
                                        "early:2", "stale:0.5", "intermittent:0", "intermittent:0", "malformed:0.2"]]
    p = plan(beh)
    assert p.owner.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 2, 2, 10]
    assert p.compute[[2, 8, 9]].tolist() == pytest.approx([1 / 3] * 3)
    assert p.present_p[[8, 9]].tolist() == [1.0, 1.0]
    assert p.copy[3] == 0 and p.blend[3] == 1.0 and p.blend[4] == 0.3
    assert p.delay[5] == 12 and p.delay[6] == -2
    assert p.honest.tolist() == [True, False, True, False, False, False, False, False, True, True, False]
    with pytest.raises(ParameterError, match="spare slots"):
        plan([parse_behaviour("sybil:2"), parse_behaviour("truthful")])
    with pytest.raises(ParameterError, match="unknown behaviour"):
        parse_behaviour("copycat")


def test_bad_settings_are_typed_errors():
    learner = QuadraticLearner(dim=64, chunk=16, topk=4)
    learner.reset(n_replications=1, n_agents=3, seeds=SeedTree(0))
    with pytest.raises(ParameterError, match="'gamma' parameter of GauntletValidator"):
        GauntletValidator(gamma=-1.0).reset(n_agents=3, rng=np.random.default_rng(0), learner=learner)
    with pytest.raises(ParameterError, match="'preset' parameter"):
        GauntletValidator(preset="v9").reset(n_agents=3, rng=np.random.default_rng(0), learner=learner)
    with pytest.raises(ParameterError, match="multiple of chunk"):
        QuadraticLearner(dim=65, chunk=16).reset(n_replications=1, n_agents=3, seeds=SeedTree(0))


def test_peers_join_late_catch_up_and_leave():
    from mechsim.gauntlet.peers import Peers, PeerTypes

    learner = QuadraticLearner(dim=64, chunk=16, topk=4)
    learner.reset(n_replications=1, n_agents=3, seeds=SeedTree(0))
    types = PeerTypes(compute=np.array([4.0, 4.0, 4.0]), latency=np.array([3.0, 3.0, 3.0]),
                      join=np.array([0.0, 5.0, 0.0]), leave=np.array([np.inf, np.inf, 3.0]))
    peers = Peers(learner=learner, behaviours=["truthful", "truthful", "stale:1"], types=types, n_replications=1,
                  rng=np.random.default_rng(0))
    canon = np.zeros((1, 64), np.float32)
    for t in range(8):
        canon = canon - 0.01  # the canonical model moves every window
        rep = peers.produce(t, canon, np.zeros((1, 3)))
        assert rep.uploaded[0, 1] == (t >= 5) and rep.uploaded[0, 2] == (t < 3)
        assert np.isnan(rep.upload_time[0, 1]) == (t < 5)
    np.testing.assert_allclose(peers.theta[0, 1], canon[0])  # the joiner caught up from the checkpoint
    assert np.abs(peers.theta[0, 2] - canon[0]).max() > 0.05  # a peer that never applies the aggregate drifts


def test_copied_gradients_tie_and_ties_share_the_update():
    # a pure copier's payload is the victim's: same s, a tie in the match (openskill 6.2.0 semantics)
    rater = OpenSkillRater(mu=25.0, sigma=25 / 3, beta=7.0, tau=0.1, kappa=1e-4)  # templar parameters
    mu, _ = rater.rate(np.full(3, 25.0), np.full(3, 25 / 3), np.array([1.0, 1.0, 0.5]))
    np.testing.assert_allclose(mu, [25.61, 25.61, 23.77], atol=0.01)
