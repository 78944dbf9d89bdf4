"""Flower interop: mechsim's mechanisms as Flower strategies, mechsim's nodes as conventional Flower clients.

All of these run Flower's own ``Strategy.start`` loop on :class:`InProcessGrid` (direct
ClientApp calls, no Ray), so they are quick; the Ray path is in test_collab_flower_app.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import mechsim

pytest.importorskip("flwr")

from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MessageType, MetricRecord, RecordDict  # noqa: E402
from flwr.clientapp import ClientApp  # noqa: E402
from flwr.serverapp import ServerApp  # noqa: E402
from flwr.serverapp.strategy import FedAvg  # noqa: E402

from mechsim.collab import flower as mf  # noqa: E402
from mechsim.collab._flower_compat import task_identity  # noqa: E402
from mechsim.collab.world import world  # noqa: E402
from mechsim.core.seeding import SeedTree  # noqa: E402

pytestmark = pytest.mark.flower


def _setup(path):
    sc = mechsim.load_scenario(path)
    w = world(mf._scenario_tasks(sc)["0"])
    return sc, w, mf.client_app(sc)


@pytest.mark.parametrize("label, cls", [("fair_equal", mf.FairEqual), ("cgsv", mf.CGSV), ("fedavg", mf.FedAvgWithContributions)])
def test_strategy_metrics_equal_the_in_process_driver(tiny_path, label, cls):
    local = mechsim.run(tiny_path)
    sc, w, app = _setup(tiny_path)
    params = dict(sc["mechanisms"][label].params)
    if label == "fedavg":
        params["contributions"] = None  # the driver's plain FedAvg
    seeds = SeedTree(sc.seed).child("replication", 0)
    strategy = cls(**params, seed=seeds.generator("mechanism", label), label=label, min_available_nodes=4, server_evaluate=w.learner.evaluate)
    result = mf.run_in_process(strategy, app, n_nodes=4, initial_arrays=ArrayRecord(w.init_params()), num_rounds=8)
    tables = strategy.tables()
    for name in ("rounds", "server", "equality"):
        a, b = local.tables[name].where(variant=label), tables[name]
        assert len(a) == len(b) > 0
        for col, kind in a.schema.items():
            if col == "time":
                continue  # simulated seconds in the driver, the server round here
            if kind == "float":
                np.testing.assert_allclose(a[col], b[col], rtol=1e-5, atol=1e-6, equal_nan=True, err_msg=f"{name}.{col}")
            else:
                assert np.array_equal(a[col], b[col]), f"{name}.{col}"
    # the same figures are Flower metrics
    last = result.train_metrics_clientapp[8]
    np.testing.assert_allclose(last["rewards"], tables["rounds"].where(round=7)["reward"])
    np.testing.assert_allclose(last["contributions"], tables["rounds"].where(round=7)["contribution"], equal_nan=True)
    assert result.evaluate_metrics_clientapp[8]["perf-gap"] >= 0.0


def test_mechsim_clients_learn_under_stock_fedavg(tiny_path):
    sc, w, app = _setup(tiny_path)
    init = w.init_params()
    start = w.learner.evaluate(init)[0]
    strategy = FedAvg(fraction_train=1.0, fraction_evaluate=1.0, min_available_nodes=4)
    result = mf.run_in_process(strategy, app, n_nodes=4, initial_arrays=ArrayRecord(init), num_rounds=8)
    perf = [result.evaluate_metrics_clientapp[r]["perf"] for r in range(1, 9)]
    assert perf[-1] > start + 0.1  # accuracy rises from the initial model
    # FedAvg adopts what clients return: full models, so the global model is near them, not near zero
    final = result.arrays.to_numpy_ndarrays()
    assert w.learner.evaluate(final)[0] == pytest.approx(perf[-1], abs=0.15)
    # metrics are metrics: no partition-id averaged in
    assert set(result.train_metrics_clientapp[1]) == {"train-loss"}
    assert set(result.evaluate_metrics_clientapp[1]) == {"loss", "perf"}


def test_the_chunk_advances_with_server_round(tiny_path):
    sc, w, app = _setup(tiny_path)
    init = ArrayRecord(w.init_params())
    ctx = Context(run_id=1, node_id=7, node_config={"partition-id": 1, "num-partitions": 4}, state=RecordDict(), run_config={})

    def trained(server_round, seed=None):
        cfg = {"server-round": server_round} if seed is None else {"server-round": server_round, "seed": seed}
        msg = Message(RecordDict({"arrays": init, "config": ConfigRecord(cfg)}), dst_node_id=7, message_type=MessageType.TRAIN)
        reply = app(msg, ctx)
        assert not reply.has_error(), reply.error
        return np.concatenate([a.ravel() for a in reply.content["arrays"].to_numpy_ndarrays()])

    with task_identity():
        r1, r1_again, r2 = trained(1), trained(1), trained(2)
        fixed_a, fixed_b = trained(1, seed=3), trained(2, seed=3)
    assert np.array_equal(r1, r1_again)
    assert not np.allclose(r1, r2)
    # with the minibatch seed fixed, rounds differ only by the chunk (round = server-round - 1)
    x1, _ = w.chunk(1, 0)
    x2, _ = w.chunk(1, 1)
    assert not np.array_equal(x1, x2)
    assert not np.allclose(fixed_a, fixed_b)


# -- Flower's own quickstart-style client under mechsim's FAIR-EQUAL ------------------------

DIM, N_NODES = 5, 4
TRUE_W = np.linspace(-1.0, 1.0, DIM).astype(np.float32)


def _quickstart_client_app() -> ClientApp:
    """A quickstart-numpy-style client: linear regression, nodes 2 and 3 have noisy targets."""
    app = ClientApp()

    def data(pid: int, server_round: int):
        rng = np.random.default_rng([pid, server_round])
        x = rng.normal(size=(64, DIM)).astype(np.float32)
        y = x @ TRUE_W
        if pid >= 2:
            y = rng.normal(scale=3.0, size=64).astype(np.float32)  # pure noise
        return x, y

    @app.train()
    def train(msg: Message, context: Context) -> Message:
        (w,) = msg.content["arrays"].to_numpy_ndarrays()
        x, y = data(int(context.node_config["partition-id"]), int(msg.content["config"]["server-round"]))
        for _ in range(5):
            w = w - 0.05 * (2.0 / len(y)) * x.T @ (x @ w - y)
        loss = float(np.mean((x @ w - y) ** 2))
        return Message(RecordDict({"arrays": ArrayRecord([w]), "metrics": MetricRecord({"num-examples": len(y), "train_loss": loss})}), reply_to=msg)

    @app.evaluate()
    def evaluate(msg: Message, context: Context) -> Message:
        (w,) = msg.content["arrays"].to_numpy_ndarrays()
        err = float(np.sum((w - TRUE_W) ** 2))
        return Message(RecordDict({"metrics": MetricRecord({"num-examples": 1, "eval_loss": err, "eval_acc": -err})}), reply_to=msg)

    return app


def test_quickstart_client_under_fair_equal_gets_contributions_and_rewards():
    strategy = mf.FairEqual(beta=20.0, explore_rounds=6, selection_ratio=0.5, min_available_nodes=N_NODES, seed=1, perf_key="eval_acc", loss_key="eval_loss")
    result = mf.run_in_process(
        strategy, _quickstart_client_app(), n_nodes=N_NODES, initial_arrays=ArrayRecord([np.zeros(DIM, np.float32)]), num_rounds=16
    )
    rounds = strategy.tables()["rounds"]
    explore = rounds.where(round=0)
    assert np.all(np.isfinite(explore["contribution"]))
    psi = np.asarray(rounds.where(round=15)["score"])
    assert psi[:2].min() > psi[2:].max()  # the clean nodes contribute more
    stages = [result.train_metrics_clientapp[r]["stage"] for r in range(1, 17)]
    assert stages[:6] == [1] * 6 and set(stages[6:]) == {2}
    # exploitation: the chosen half is refreshed with the global model; the clean nodes more often
    exploit = rounds.where(round=15)
    assert int(np.sum(exploit["rewarded"])) == 2
    n_rewarded = np.zeros(N_NODES)
    for r in range(6, 16):
        n_rewarded += np.asarray(rounds.where(round=r)["rewarded"], dtype=float)
    assert n_rewarded[:2].sum() > n_rewarded[2:].sum()
    # a refreshed node holds the global model of that round
    assert np.isfinite(np.asarray(rounds["perf"], dtype=float)).all()


def test_fair_equal_in_a_users_own_server_app():
    """The README's few lines, run on Flower's ServerApp main with a quickstart client."""
    app = ServerApp()

    @app.main()
    def main(grid, context):
        strategy = mf.FairEqual(beta=20.0, explore_rounds=4, min_available_nodes=N_NODES, perf_key="eval_acc")
        strategy.start(grid=grid, initial_arrays=ArrayRecord([np.zeros(DIM, np.float32)]), num_rounds=6)
        context.state["mechsim"] = ConfigRecord({"n-rows": len(strategy.tables()["rounds"])})

    grid = mf.InProcessGrid(_quickstart_client_app(), N_NODES)
    ctx = Context(run_id=1, node_id=1, node_config={}, state=RecordDict(), run_config={})
    with task_identity():
        main(grid, ctx)
    assert ctx.state["mechsim"]["n-rows"] == 6 * N_NODES


def test_fedavg_with_contributions_ranks_clean_nodes_first():
    strategy = mf.FedAvgWithContributions(min_available_nodes=N_NODES, seed=0, perf_key="eval_acc")
    result = mf.run_in_process(
        strategy, _quickstart_client_app(), n_nodes=N_NODES, initial_arrays=ArrayRecord([np.zeros(DIM, np.float32)]), num_rounds=6
    )
    psi = np.asarray(result.train_metrics_clientapp[6]["scores"])
    assert psi[:2].min() > psi[2:].max()
    assert result.train_metrics_clientapp[6]["rewards"] == [1.0] * N_NODES


def test_bad_node_order_is_a_parameter_error():
    from mechsim.errors import ParameterError

    strategy = mf.FairEqual(node_order="random", min_available_nodes=N_NODES)
    with pytest.raises(ParameterError, match="'node_order' parameter of FairEqual"):
        mf.run_in_process(strategy, _quickstart_client_app(), n_nodes=N_NODES, initial_arrays=ArrayRecord([np.zeros(DIM, np.float32)]), num_rounds=1)


def test_partition_id_node_order_asks_the_nodes(tiny_path):
    sc, w, app = _setup(tiny_path)
    strategy = mf.FairEqual(explore_rounds=2, node_order="partition-id", min_available_nodes=4, evaluate=False)
    mf.run_in_process(strategy, app, n_nodes=4, initial_arrays=ArrayRecord(w.init_params()), num_rounds=2)
    assert strategy.nodes_ == [1000, 1001, 1002, 1003]


def test_server_app_factory_runs_any_strategy():
    seen = []
    app = mf.server_app(
        lambda ctx: mf.CGSV(gamma=0.1, min_available_nodes=N_NODES, perf_key="eval_acc"),
        initial=lambda ctx: ArrayRecord([np.zeros(DIM, np.float32)]),
        num_rounds=lambda ctx: int(ctx.run_config["rounds"]),
        on_result=lambda strategy, result, ctx: seen.append((strategy.tables()["rounds"], result)),
    )
    ctx = Context(run_id=1, node_id=1, node_config={}, state=RecordDict(), run_config={"rounds": 3})
    with task_identity():
        app(mf.InProcessGrid(_quickstart_client_app(), N_NODES), ctx)
    rounds, result = seen[0]
    assert len(rounds) == 3 * N_NODES
    # CGSV: every node trains from its own model and receives a quota-sized share of the aggregate
    assert np.all(np.asarray(rounds["reward"]) > 0) and np.asarray(rounds["reward"]).max() == pytest.approx(1.0)
    assert sorted(result.train_metrics_clientapp) == [1, 2, 3]
