"""Learners as Flower ClientApps, data streams, heterogeneity, node resources, determinism."""

from __future__ import annotations

import numpy as np
import pytest

import mechsim
from mechsim.collab.data import DataInfo
from mechsim.collab.heterogeneity import LabelNoise, NonStationaryNoise, PowerLaw
from mechsim.collab.world import CollabTask, ComponentRef, world

torch = pytest.importorskip("torch")


def _task(**kw) -> CollabTask:
    base = dict(
        data=ComponentRef.of("collab/synthetic-classification-v1", {"n_features": 6, "n_informative": 4, "pool_size": 500, "n_validation": 100, "chunk_size": 12}),
        heterogeneity=ComponentRef.of("collab/label-noise-v1", {"max_noise": 0.6}),
        model=ComponentRef.of("collab/logreg-v1"),
        n_nodes=3,
        n_rounds=5,
        lr=0.5,
        local_steps=2,
        batch_size=8,
        device="cpu",
        seed=11,
    )
    base.update(kw)
    return CollabTask(**base)


def test_client_app_direct_calls_train_reward_evaluate():
    from flwr.app import ArrayRecord, ConfigRecord, Context, Message, RecordDict

    from mechsim.collab._flower_compat import task_identity
    from mechsim.collab.client import make_client_app

    task = _task()
    w = world(task)
    app = make_client_app({"0": task})
    ctx = Context(run_id=1, node_id=7, node_config={"partition-id": 2, "num-partitions": 3}, state=RecordDict(), run_config={})
    params = w.init_params()
    with task_identity():
        cfg = {"task": "0", "state": "s", "round": 3, "seed": 99, "sync": True}
        msg = Message(RecordDict({"config": ConfigRecord(cfg), "arrays": ArrayRecord(params)}), dst_node_id=7, message_type="train")
        reply = app(msg, ctx)
        update = reply.content["arrays"].to_numpy_ndarrays()
        metrics = reply.content["metrics"]
        assert metrics["partition-id"] == 2 and metrics["num-examples"] == 12
        # the reply is the learner's update on node 2's chunk of round 3, with the seed sent
        x, y = w.chunk(2, 3)
        expected, _ = w.learner.train(params, x, y, 99, lr=task.lr_at(3))
        assert all(np.array_equal(a, b) for a, b in zip(update, expected))
        # the node keeps the global model it received (training does not change it)
        held = ctx.state.array_records["mechsim-model/s"].to_numpy_ndarrays()
        assert all(np.array_equal(a, b) for a, b in zip(held, params))
        # a reward delta is added to its own model; evaluation reports that model's performance
        delta = [np.full_like(a, 0.1) for a in params]
        cfg = {"task": "0", "state": "s", "replace": False}
        app(Message(RecordDict({"config": ConfigRecord(cfg), "arrays": ArrayRecord(delta)}), dst_node_id=7, message_type="train.reward"), ctx)
        ev = app(Message(RecordDict({"config": ConfigRecord({"task": "0", "state": "s", "round": 3})}), dst_node_id=7, message_type="evaluate"), ctx)
        perf, loss = w.learner.evaluate([a + d for a, d in zip(params, delta)])
        assert ev.content["metrics"]["has-model"] == 1
        assert ev.content["metrics"]["perf"] == pytest.approx(perf) and ev.content["metrics"]["loss"] == pytest.approx(loss)
        # a node without a model says so
        other = Context(run_id=1, node_id=8, node_config={"partition-id": 0, "num-partitions": 3}, state=RecordDict(), run_config={})
        ev = app(Message(RecordDict({"config": ConfigRecord({"task": "0", "state": "s", "round": 0})}), dst_node_id=8, message_type="evaluate"), other)
        assert ev.content["metrics"]["has-model"] == 0


def test_task_identity_is_restored():
    from flwr.supercore.task_identity import TaskIdentity

    from mechsim.collab._flower_compat import task_identity

    before = TaskIdentity._run_id
    with task_identity(run_id=42):
        assert TaskIdentity.run_id == 42
    assert TaskIdentity._run_id == before


def test_local_sgd_step_matches_a_closed_form_gradient():
    task = _task(local_steps=1, batch_size=100)
    w = world(task)
    params = w.init_params()
    x, y = w.chunk(0, 0)
    update, _ = w.learner.train(params, x, y, seed=0, lr=0.5)
    weight, bias = params
    logits = x @ weight.T + bias
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    grad_w, grad_b = p.T @ x / len(y), p.mean(0)
    assert np.allclose(update[0], -0.5 * grad_w, atol=1e-5) and np.allclose(update[1], -0.5 * grad_b, atol=1e-5)


def test_chunks_are_deterministic_and_label_noise_rises_across_nodes():
    w = world(_task(n_nodes=4, heterogeneity=ComponentRef.of("collab/label-noise-v1", {"max_noise": 0.9})))
    x1, y1 = w.chunk(1, 2)
    x2, y2 = w.chunk(1, 2)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(w.chunk(1, 3)[1], y1)
    assert np.allclose(w.quality, [0.0, 0.3, 0.6, 0.9])
    # the corruption itself: a fraction `level` of labels is redrawn uniformly (changed w.p. 2/3 for 3 classes)
    het = LabelNoise(max_noise=0.9)
    het.reset(n_nodes=4, n_rounds=1, chunk_size=8, rng=np.random.default_rng(0))
    info = DataInfo("classification", 2, 3)
    y = np.zeros(20000, dtype=np.int64)
    for node, level in enumerate([0.0, 0.3, 0.6, 0.9]):
        _, yc = het.corrupt(node, 0, np.zeros((y.size, 2), np.float32), y, info=info, rng=np.random.default_rng(node))
        assert np.mean(yc != 0) == pytest.approx(level * 2 / 3, abs=0.015)


def test_powerlaw_sizes_and_nonstationary_levels():
    het = PowerLaw()
    het.reset(n_nodes=5, n_rounds=10, chunk_size=20, rng=np.random.default_rng(0))
    assert np.all(np.diff(het.sizes_) <= 0) and het.sizes_.mean() == pytest.approx(20, abs=1)
    assert np.allclose(het.quality(), -het.sizes_ / het.sizes_.sum())
    ns = NonStationaryNoise(max_noise=0.8, node=0, direction="inc", ramp_rounds=4)
    ns.reset(n_nodes=3, n_rounds=8, chunk_size=4, rng=np.random.default_rng(0))
    assert [ns.levels(t)[0] for t in (0, 2, 4, 7)] == [0.0, 0.4, 0.8, 0.8]
    assert np.allclose(ns.levels(3)[1:], [0.4, 0.8])
    assert ns.quality()[0] == pytest.approx(np.mean([0.0, 0.2, 0.4, 0.6, 0.8, 0.8, 0.8, 0.8]))


def test_same_seed_identical_tables_and_no_global_torch_side_effects(tiny_path):
    state = torch.random.get_rng_state()
    threads = torch.get_num_threads()
    a = mechsim.run(tiny_path)
    b = mechsim.run(tiny_path)
    c = mechsim.run(tiny_path, seed=6)
    assert torch.equal(state, torch.random.get_rng_state()) and torch.get_num_threads() == threads
    for name in ("rounds", "server", "nodes", "equality"):
        assert a.tables[name] == b.tables[name]
        assert a.tables[name].to_csv() == b.tables[name].to_csv()
    assert not (a.tables["rounds"] == c.tables["rounds"])


RESOURCES = """
[resources]
id = "collab/nodes-v1"
compute_time = 1.0
compute_spread = 0.8
comm_time = 0.1
jitter = 0.2
deadline = 1.5
late_fraction = 0.34
max_join_time = 6.0
dropout_fraction = 0.34
dropout_start = 4.0
dropout_end = 8.0
"""


def test_stragglers_late_joiners_and_dropouts(tiny_path):
    text = tiny_path.read_text().replace("n_agents = 4", "n_agents = 6").replace("n_rounds = 8", "n_rounds = 12")
    tiny_path.write_text(text + RESOURCES)
    res = mechsim.run(tiny_path)
    rounds, nodes, server = res.tables["rounds"], res.tables["nodes"], res.tables["server"]
    assert np.all(rounds["reported"] <= rounds["trained"]) and np.all(rounds["trained"] <= rounds["available"])
    assert np.any(rounds["trained"] & ~rounds["reported"])  # some replies missed the deadline
    # a round with a late reply lasts exactly the deadline, and none lasts longer
    fe = server.where(variant="fedavg")
    starts = np.concatenate([[0.0], fe["time"][:-1]])
    durations = fe["time"] - starts
    assert np.all(durations <= 1.5 + 1e-12) and np.any(np.isclose(durations, 1.5))
    nd = nodes.where(variant="fedavg", replication=0)
    late = nd["node"][nd["join_time"] > 0]
    gone = nd["node"][np.isfinite(nd["drop_time"])]
    assert late.size == 2 and gone.size == 2
    r = rounds.where(variant="fedavg")
    for node in late.tolist():
        sub = r.where(node=node)
        offline = starts < nd["join_time"][nd["node"] == node][0]
        assert offline.any() and not np.any(sub["available"][offline])
        never_synced = sub["staleness"] < 0
        assert np.all(np.isnan(sub["perf"][never_synced]))  # no model, no performance
    for node in gone.tolist():
        sub = r.where(node=node)
        after = starts >= nd["drop_time"][nd["node"] == node][0]
        assert not np.any(sub["trained"][after])
    # a node that did not report is a null player: contribution exactly 0 in an exploration round
    fr = rounds.where(variant="fair_equal")
    explore = np.isfinite(fr["contribution"])
    assert np.any(explore & ~fr["reported"])
    assert np.all(fr["contribution"][explore & ~fr["reported"]] == 0.0)


def test_feature_noise_missing_values_and_regression_label_noise():
    from mechsim.collab.heterogeneity import FeatureNoise, MissingValues

    x = np.ones((20000, 3), np.float32)
    info = DataInfo("classification", 3, 2)
    y = np.zeros(20000, np.int64)
    fn = FeatureNoise(max_noise=0.5, noise_std=2.0)
    fn.reset(n_nodes=2, n_rounds=1, chunk_size=4, rng=np.random.default_rng(0))
    xc, _ = fn.corrupt(1, 0, x, y, info=info, rng=np.random.default_rng(1))
    hit = np.any(xc != 1.0, axis=1)
    assert hit.mean() == pytest.approx(0.5, abs=0.015) and (xc[hit] - 1.0).std() == pytest.approx(2.0, rel=0.03)
    mv = MissingValues(max_noise=1.0, missing_prob=0.25)
    mv.reset(n_nodes=2, n_rounds=1, chunk_size=4, rng=np.random.default_rng(0))
    xc, _ = mv.corrupt(1, 0, x, y, info=info, rng=np.random.default_rng(2))
    assert set(np.unique(xc)) == {0.0, 1.0} and (xc == 0).mean() == pytest.approx(0.25, abs=0.01)
    ln = LabelNoise(max_noise=1.0)
    ln.reset(n_nodes=2, n_rounds=1, chunk_size=4, rng=np.random.default_rng(0))
    _, yr = ln.corrupt(1, 0, x, np.full(20000, 5.0, np.float32), info=DataInfo("regression", 3, 1), rng=np.random.default_rng(3))
    assert yr.mean() == pytest.approx(0.0, abs=0.03) and yr.std() == pytest.approx(1.0, abs=0.03)


def test_fedavg_with_sampling_still_sends_everyone_the_model(tiny_path):
    res = mechsim.run(tiny_path, overrides=["mechanisms.fedavg.fraction=0.5"])
    r = res.tables["rounds"].where(variant="fedavg")
    assert np.all(r["synced"] == r["available"])
    per_round = [int(r.where(round=t)["trained"].sum()) for t in range(8)]
    assert per_round == [2] * 8
    eq = res.tables["equality"].where(variant="fedavg")
    assert np.all(eq["gap"] == 0.0)
