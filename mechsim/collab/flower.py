"""mechsim's mechanisms as Flower strategies, and mechsim's learners as Flower ClientApps.

Flower 1.42 Message API. Two halves, usable separately:

**Strategies** (:class:`MechanismStrategy` and its subclasses :class:`FedAvgWithContributions`,
:class:`CGSV`, :class:`FairEqual`) are :class:`flwr.serverapp.strategy.Strategy`
subclasses that any Flower ``ServerApp`` can use with its own clients. Each wraps
the *same* mechanism object mechsim's in-process driver uses
(:mod:`mechsim.collab.mechanisms`), so there is one implementation of the rule::

    from flwr.serverapp import ServerApp
    from mechsim.collab.flower import FairEqual

    app = ServerApp()

    @app.main()
    def main(grid, context):
        strategy = FairEqual(beta=50.0, explore_rounds=10, min_available_nodes=5, seed=0)
        result = strategy.start(grid=grid, initial_arrays=ArrayRecord(model.state_dict()), num_rounds=30)
        contributions = strategy.tables()["rounds"]      # a mechsim table, one row per round and node

Clients are plain Flower clients: a ``train`` message carries full model arrays in
``content["arrays"]`` and ``config["server-round"]``; the reply carries the trained
full model in an ``ArrayRecord`` and a ``MetricRecord`` with ``num-examples``. The
strategy turns a reply into the update ``g_i = θ_i^returned - θ_i^sent``.

Rewards travel in the messages. The strategy keeps the model every node holds (Flower
ClientApps are stateless by convention) and sends a node *its* model in every train
and evaluate message: the global model when the mechanism refreshes the node
(FedAvg, FAIR-EQUAL's selected nodes), its stale model otherwise, or, for CGSV, its
own model plus its sparsified share of the aggregate. Contributions, scores and
rewards come back as Flower metrics (lists in node order, from ``aggregate_train``)
and as mechsim tables (:meth:`MechanismStrategy.tables`: ``rounds``, ``server``,
``equality``, the schemas of the in-process driver).

**Clients**: :func:`client_app` serves a mechsim scenario's learners as a ClientApp that
follows Flower's conventions (it also understands the in-process driver's own
messages), so mechsim nodes work under Flower's stock ``FedAvg``.
:func:`server_app` is the matching ``ServerApp`` factory, and :class:`InProcessGrid`
is a Ray-free :class:`flwr.serverapp.Grid` that calls a ClientApp directly (for tests
and quick runs of ``strategy.start``).

Node indices: the mechanism numbers nodes ``0 .. N-1``. By default they are the
connected Flower node ids in sorted order; with ``node_order="partition-id"`` the
strategy asks every node once (``query.identify``, answered by mechsim's clients)
for its ``partition-id``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from mechsim.collab import mechanisms as _mech
from mechsim.collab._flower_compat import require_flower, task_identity
from mechsim.collab.base import Mechanism, Plan, Submission
from mechsim.collab.protocol import ROUNDS_SCHEMA, SERVER_SCHEMA
from mechsim.core.recorder import Recorder
from mechsim.errors import MechsimError, ParameterError

require_flower()

from flwr.app import Array, ArrayRecord, ConfigRecord, Context, Message, MessageType, MetricRecord, RecordDict  # noqa: E402
from flwr.serverapp import Grid  # noqa: E402
from flwr.serverapp.strategy import Strategy  # noqa: E402

__all__ = [
    "MechanismStrategy",
    "FedAvgWithContributions",
    "CGSV",
    "FairEqual",
    "InProcessGrid",
    "client_app",
    "server_app",
    "run_in_process",
    "initial_arrays",
]

IDENTIFY = "query.identify"


def _record(keys: Sequence[str], arrays: Sequence[np.ndarray]) -> ArrayRecord:
    return ArrayRecord({k: Array(np.ascontiguousarray(a)) for k, a in zip(keys, arrays)})


class MechanismStrategy(Strategy):
    """A mechsim collab mechanism as a Flower Message-API strategy (see the module docstring).

    Parameters
    ----------
    mechanism : mechsim.collab.base.Mechanism
        The rule (for example ``mechsim.collab.mechanisms.FairEqual(beta=50)``); it
        is reset at the first round with the connected nodes.
    min_available_nodes : int, default 2
        Nodes to wait for before the first round; the federation is fixed then.
    seed : int or numpy.random.Generator, default 0
        The mechanism's random generator (FAIR-EQUAL's draws, FedAvg's sampling).
    node_order : {"sorted", "partition-id"}, default "sorted"
        How Flower node ids map to the mechanism's node indices.
    evaluate : bool, default True
        Send every node holding a model an evaluate message each round (with its own model).
    server_evaluate : callable or None
        ``server_evaluate(arrays) -> (perf, loss)`` on the global model's per-layer
        arrays: fills ``server_perf`` / ``server_loss`` and gives valuation utilities
        that score coalition models (``utility="validation"``) their utility ``-loss``.
    weighted_by_key, arrayrecord_key, configrecord_key : str
        Record keys, as Flower's ``FedAvg`` (``num-examples``, ``arrays``, ``config``).
    perf_key, loss_key : str, default "perf", "loss"
        Keys of the evaluate replies' metrics used for the tables and the gap
        (a quickstart client reports ``eval_acc`` and ``eval_loss``).
    label : str, default "strategy"
        The ``variant`` column of the tables.
    """

    def __init__(
        self,
        mechanism: Mechanism,
        *,
        min_available_nodes: int = 2,
        seed: int | np.random.Generator = 0,
        node_order: str = "sorted",
        evaluate: bool = True,
        server_evaluate: Callable[[list[np.ndarray]], tuple[float, float]] | None = None,
        weighted_by_key: str = "num-examples",
        arrayrecord_key: str = "arrays",
        configrecord_key: str = "config",
        perf_key: str = "perf",
        loss_key: str = "loss",
        label: str = "strategy",
    ) -> None:
        self.mechanism = mechanism
        self.min_available_nodes = min_available_nodes
        self.seed = seed
        self.node_order = node_order
        self.evaluate = evaluate
        self.server_evaluate = server_evaluate
        self.weighted_by_key = weighted_by_key
        self.arrayrecord_key = arrayrecord_key
        self.configrecord_key = configrecord_key
        self.perf_key = perf_key
        self.loss_key = loss_key
        self.label = label
        self.started_ = False

    # -- Flower's Strategy interface -------------------------------------------

    def summary(self) -> None:
        from logging import INFO

        from flwr.common.logger import log

        log(INFO, "\t├── mechsim mechanism: %s %s", type(self.mechanism).__name__, self.mechanism.get_params())
        log(INFO, "\t└── node order: %s; evaluate: %s", self.node_order, self.evaluate)

    def configure_train(self, server_round: int, arrays: ArrayRecord, config: ConfigRecord, grid: Grid) -> Iterable[Message]:
        if not self.started_:
            self._start(arrays, grid)
        self._flush()
        t = server_round - 1
        connected = set(grid.get_node_ids())
        available = np.array([nid in connected for nid in self.nodes_], dtype=bool)
        plan = self.mechanism.select(t, available.copy())
        if not isinstance(plan, Plan):
            raise MechsimError(f"{type(self.mechanism).__name__}.select must return a Plan; got {type(plan).__name__}")
        train = np.asarray(plan.train, dtype=bool) & available
        sync = (np.asarray(plan.sync, dtype=bool) | (train & ~self.has_model_)) & available
        for i in np.flatnonzero(sync):
            self.held_[i] = self.theta_.copy()
        self.has_model_ |= sync
        self.last_sync_[sync] = t
        self.round_ = {"t": t, "available": available, "train": train, "sync": sync}
        self.sent_ = {int(i): self.held_[i].copy() for i in np.flatnonzero(train)}
        return [self._message(i, server_round, config, MessageType.TRAIN) for i in np.flatnonzero(train)]

    def aggregate_train(self, server_round: int, replies: Iterable[Message]) -> tuple[ArrayRecord | None, MetricRecord | None]:
        r = self.round_
        n, p = self.n_nodes_, self.theta_.size
        updates = np.zeros((n, p))
        reported = np.zeros(n, dtype=bool)
        loss = np.full(n, np.nan)
        for reply in replies:
            i = self.index_.get(reply.metadata.src_node_id)
            if i is None or reply.has_error() or i not in self.sent_:
                continue
            content = reply.content
            record = content.array_records.get(self.arrayrecord_key) or next(iter(content.array_records.values()))
            updates[i] = self._flat(record) - self.sent_[i]
            metrics = next(iter(content.metric_records.values()), {})
            if self.weighted_by_key in metrics:
                self.examples_[i] = float(metrics[self.weighted_by_key])
            for key in ("train-loss", "train_loss", "loss"):
                if key in metrics:
                    loss[i] = float(metrics[key])
                    break
            reported[i] = True
        known = np.isfinite(self.examples_)
        sizes = np.where(known, self.examples_, self.examples_[known].mean() if known.any() else 1.0)
        weights = sizes / sizes.sum()
        submission = Submission(
            round=r["t"],
            updates=updates,
            reported=reported,
            trained=r["train"].copy(),
            available=r["available"].copy(),
            weights=weights,
            params=self.theta_.copy(),
            evaluate=None if self.server_evaluate is None else self._utility,
        )
        out = self.mechanism.step(r["t"], submission)
        self.theta_ = self.theta_ + np.asarray(out.aggregate, dtype=float)
        allocation = np.asarray(out.allocation, dtype=bool)
        if out.reward_updates is not None:
            for i in np.flatnonzero(allocation & self.has_model_):
                self.held_[i] = self.held_[i] + out.reward_updates[i]
        info = out.info or {}
        contributions = np.asarray(info.get("contributions", np.full(n, np.nan)), dtype=float)
        r.update(
            reported=reported,
            allocation=allocation,
            rewards=np.asarray(out.rewards, dtype=float),
            scores=np.asarray(out.scores, dtype=float),
            contributions=contributions,
            stage=int(info.get("stage", 0)),
            p_value=float(info.get("p_value", math.nan)),
            perf=np.full(n, np.nan),
            loss=np.full(n, np.nan),
        )
        w = np.where(reported & np.isfinite(loss), sizes, 0.0)
        metrics = MetricRecord(
            {
                "train-loss": float(w @ np.nan_to_num(loss) / w.sum()) if w.sum() > 0 else math.nan,
                "stage": r["stage"],
                "n-reported": int(reported.sum()),
                "contributions": [float(x) for x in contributions],
                "scores": [float(x) for x in r["scores"]],
                "rewards": [float(x) for x in r["rewards"]],
                "rewarded": [int(x) for x in allocation],
            }
        )
        return self._global(), metrics

    def configure_evaluate(self, server_round: int, arrays: ArrayRecord, config: ConfigRecord, grid: Grid) -> Iterable[Message]:
        if not self.evaluate or not self.started_:
            return []
        return [self._message(i, server_round, config, MessageType.EVALUATE) for i in np.flatnonzero(self.has_model_)]

    def aggregate_evaluate(self, server_round: int, replies: Iterable[Message]) -> MetricRecord | None:
        r = self.round_
        for reply in replies:
            i = self.index_.get(reply.metadata.src_node_id)
            if i is None or reply.has_error():
                continue
            metrics = next(iter(reply.content.metric_records.values()), {})
            if self.perf_key in metrics:
                r["perf"][i] = float(metrics[self.perf_key])
            if self.loss_key in metrics:
                r["loss"][i] = float(metrics[self.loss_key])
        perf = r["perf"][np.isfinite(r["perf"])]
        self._flush()
        if perf.size == 0:
            return None
        return MetricRecord(
            {self.perf_key: float(perf.mean()), "perf-min": float(perf.min()), "perf-max": float(perf.max()), "perf-gap": float(perf.max() - perf.min())}
        )

    # -- mechsim's side ---------------------------------------------------------

    def tables(self) -> dict[str, Any]:
        """The run so far as mechsim tables: ``rounds``, ``server`` and ``equality`` (the in-process driver's schemas)."""
        from mechsim.collab.analysis import equality_table

        self._flush()
        tables = self.recorder_.tables() if self.started_ else {}
        if "rounds" in tables:
            tables["equality"] = equality_table(tables["rounds"])
        return tables

    @property
    def global_arrays(self) -> list[np.ndarray]:
        """The current global model, per layer."""
        return self._layers(self.theta_)

    def held_arrays(self, node: int) -> list[np.ndarray] | None:
        """The model node ``node`` (an index) holds, per layer (``None`` before its first model)."""
        return None if self.held_[node] is None else self._layers(self.held_[node])

    # -- internals --------------------------------------------------------------

    def _start(self, arrays: ArrayRecord, grid: Grid) -> None:
        if self.node_order not in ("sorted", "partition-id"):
            raise ParameterError(
                f"The 'node_order' parameter of {type(self).__name__} must be 'sorted' or 'partition-id'. Got {self.node_order!r} instead."
            )
        waited = 0.0
        while len(list(grid.get_node_ids())) < self.min_available_nodes:
            time.sleep(0.05)  # wall-clock wait for Flower's runtime to connect nodes
            waited += 0.05
            if waited > 600:
                raise MechsimError(f"only {len(list(grid.get_node_ids()))} of {self.min_available_nodes} Flower nodes connected")
        ids = sorted(grid.get_node_ids())
        if self.node_order == "partition-id":
            ids = self._identify(grid, ids)
        self.nodes_ = ids
        self.index_ = {nid: i for i, nid in enumerate(ids)}
        self.n_nodes_ = n = len(ids)
        self.keys_ = list(arrays.keys())
        values = arrays.to_numpy_ndarrays()
        self.shapes_ = [v.shape for v in values]
        self.dtypes_ = [v.dtype for v in values]
        self.theta_ = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in values])
        rng = self.seed if isinstance(self.seed, np.random.Generator) else np.random.default_rng(self.seed)
        self.mechanism.reset(
            n_agents=n,
            rng=rng,
            n_params=self.theta_.size,
            weights=np.full(n, 1.0 / n),
            layer_sizes=tuple(int(np.prod(s)) for s in self.shapes_),
        )
        self.held_: list[np.ndarray | None] = [None] * n
        self.has_model_ = np.zeros(n, dtype=bool)
        self.last_sync_ = np.full(n, -1, dtype=np.int64)
        self.examples_ = np.full(n, np.nan)
        self.recorder_ = Recorder()
        self.recorder_.declare("rounds", **ROUNDS_SCHEMA)
        self.recorder_.declare("server", **SERVER_SCHEMA)
        self.round_: dict[str, Any] = {}
        self.started_ = True

    def _identify(self, grid: Grid, ids: list[int]) -> list[int]:
        msgs = [Message(RecordDict({"config": ConfigRecord({})}), dst_node_id=nid, message_type=IDENTIFY) for nid in ids]
        part: dict[int, int] = {}
        for reply in grid.send_and_receive(msgs, timeout=600):
            if reply.has_error():
                raise MechsimError(f"node {reply.metadata.src_node_id} cannot tell its partition-id: {reply.error.reason}")
            metrics = next(iter(reply.content.metric_records.values()))
            part[int(metrics["partition-id"])] = reply.metadata.src_node_id
        if sorted(part) != list(range(len(ids))):
            raise MechsimError(f"Flower nodes reported partition ids {sorted(part)}; expected 0..{len(ids) - 1}")
        return [part[k] for k in range(len(ids))]

    def _flat(self, record: ArrayRecord) -> np.ndarray:
        return np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in record.to_numpy_ndarrays()])

    def _layers(self, flat: np.ndarray) -> list[np.ndarray]:
        out, start = [], 0
        for shape, dtype in zip(self.shapes_, self.dtypes_):
            size = int(np.prod(shape))
            out.append(np.asarray(flat[start : start + size], dtype=dtype).reshape(shape))
            start += size
        return out

    def _global(self) -> ArrayRecord:
        return _record(self.keys_, self._layers(self.theta_))

    def _utility(self, flat: np.ndarray) -> float:
        return -float(self.server_evaluate(self._layers(flat))[1])

    def _message(self, i: int, server_round: int, config: ConfigRecord, mtype: str) -> Message:
        cfg = ConfigRecord({**dict(config.items()), "server-round": int(server_round)})
        content = RecordDict({self.arrayrecord_key: _record(self.keys_, self._layers(self.held_[i])), self.configrecord_key: cfg})
        return Message(content, dst_node_id=self.nodes_[i], message_type=mtype)

    def _flush(self) -> None:
        """Record the pending round (after its evaluation, or at the next round without one)."""
        r = getattr(self, "round_", None)
        if not r or "allocation" not in r:
            return
        n, t = self.n_nodes_, r["t"]
        server_perf, server_loss = math.nan, math.nan
        if self.server_evaluate is not None:
            server_perf, server_loss = (float(v) for v in self.server_evaluate(self.global_arrays))
        self.recorder_.extend(
            "rounds",
            variant=self.label,
            replication=0,
            round=t,
            time=float(t + 1),
            node=np.arange(n),
            available=r["available"],
            trained=r["train"],
            reported=r["reported"],
            synced=r["sync"],
            rewarded=r["allocation"],
            reward=r["rewards"],
            perf=r["perf"],
            loss=r["loss"],
            contribution=r["contributions"],
            score=r["scores"],
            staleness=np.where(self.last_sync_ >= 0, t - self.last_sync_, -1),
        )
        self.recorder_.append(
            "server",
            variant=self.label,
            replication=0,
            round=t,
            time=float(t + 1),
            stage=r["stage"],
            n_available=int(r["available"].sum()),
            n_trained=int(r["train"].sum()),
            n_reported=int(r["reported"].sum()),
            server_perf=server_perf,
            server_loss=server_loss,
            p_value=r["p_value"],
        )
        self.round_ = {}


_STRATEGY_KEYS = frozenset(
    (
        "min_available_nodes",
        "seed",
        "node_order",
        "evaluate",
        "server_evaluate",
        "weighted_by_key",
        "arrayrecord_key",
        "configrecord_key",
        "perf_key",
        "loss_key",
        "label",
    )
)


def _split(kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    strategy = {k: v for k, v in kwargs.items() if k in _STRATEGY_KEYS}
    mechanism = {k: v for k, v in kwargs.items() if k not in _STRATEGY_KEYS}
    return strategy, mechanism


class FedAvgWithContributions(MechanismStrategy):
    """FedAvg (every node gets the global model) that also estimates contributions.

    Keyword arguments are those of :class:`MechanismStrategy` plus those of
    :class:`mechsim.collab.mechanisms.FedAvg` (``fraction``, ``contributions``, the
    estimator, default ``"stratified"`` on the cosine game; ``None`` for plain FedAvg).
    """

    def __init__(self, **kwargs: Any) -> None:
        strategy, mechanism = _split(kwargs)
        mechanism.setdefault("contributions", "stratified")
        super().__init__(_mech.FedAvg(**mechanism), **strategy)


class CGSV(MechanismStrategy):
    """CGSV gradient rewards: each node trains from its own model and gets a sparsified share of the aggregate.

    Keyword arguments are those of :class:`MechanismStrategy` plus those of
    :class:`mechsim.collab.mechanisms.CGSV` (``beta``, ``alpha``, ``gamma``, ...).
    """

    def __init__(self, **kwargs: Any) -> None:
        strategy, mechanism = _split(kwargs)
        super().__init__(_mech.CGSV(**mechanism), **strategy)


class FairEqual(MechanismStrategy):
    """FAIR-EQUAL: explore (everyone refreshed, contributions estimated), then refresh nodes drawn by softmax(β ψ̂).

    Keyword arguments are those of :class:`MechanismStrategy` plus those of
    :class:`mechsim.collab.mechanisms.FairEqual` (``beta``, ``selection_ratio``,
    ``explore_rounds``, ``utility``, ...).
    """

    def __init__(self, **kwargs: Any) -> None:
        strategy, mechanism = _split(kwargs)
        super().__init__(_mech.FairEqual(**mechanism), **strategy)


# -- a Ray-free grid ----------------------------------------------------------------


class InProcessGrid(Grid):
    """A :class:`flwr.serverapp.Grid` that delivers messages by calling a ClientApp directly.

    One ``Context`` per node (``partition-id`` ``0 .. n_nodes-1``, Flower node id
    ``1000 + partition-id``), kept across rounds like a SuperNode's. Deterministic
    and without Ray; messages must be built inside :func:`mechsim.collab._flower_compat.task_identity`
    (:func:`run_in_process` does it).
    """

    NODE_ID_OFFSET = 1000

    def __init__(self, client_app: Any, n_nodes: int, run_config: Mapping[str, Any] | None = None) -> None:
        self.client_app = client_app
        self.contexts = {
            self.NODE_ID_OFFSET + i: Context(
                run_id=1,
                node_id=self.NODE_ID_OFFSET + i,
                node_config={"partition-id": i, "num-partitions": n_nodes},
                state=RecordDict(),
                run_config=dict(run_config or {}),
            )
            for i in range(n_nodes)
        }
        self._run: Any = None
        self._pending: dict[str, Message] = {}
        self._count = 0

    def set_run(self, run: Any) -> None:
        self._run = run

    @property
    def run(self) -> Any:
        return self._run

    def create_message(self, content: RecordDict, message_type: str, dst_node_id: int, group_id: str = "", ttl: float | None = None) -> Message:
        return Message(content, dst_node_id=dst_node_id, message_type=message_type)

    def get_node_ids(self) -> Iterable[int]:
        return list(self.contexts)

    def push_messages(self, messages: Iterable[Message]) -> Iterable[str]:
        ids = []
        for msg in messages:
            self._count += 1
            key = str(self._count)
            self._pending[key] = self.client_app(msg, self.contexts[msg.metadata.dst_node_id])
            ids.append(key)
        return ids

    def pull_messages(self, message_ids: Iterable[str]) -> Iterable[Message]:
        return [self._pending.pop(k) for k in message_ids if k in self._pending]

    def send_and_receive(self, messages: Iterable[Message], *, timeout: float | None = None) -> Iterable[Message]:
        return self.pull_messages(self.push_messages(messages))


def run_in_process(strategy: Strategy, client_app: Any, *, n_nodes: int, initial_arrays: ArrayRecord, num_rounds: int, **start_kwargs: Any) -> Any:
    """``strategy.start(...)`` on an :class:`InProcessGrid` of ``n_nodes`` nodes; returns Flower's ``Result``."""
    with task_identity():
        return strategy.start(grid=InProcessGrid(client_app, n_nodes), initial_arrays=initial_arrays, num_rounds=num_rounds, **start_kwargs)


# -- app factories ------------------------------------------------------------------


def _scenario_tasks(scenario: Any, overrides: Sequence[str] = (), seed: int | None = None) -> dict[str, Any]:
    """The world recipe of every replication of a collab scenario (a Scenario, a path or a shipped name)."""
    from mechsim.collab.family import tasks_of
    from mechsim.core import Scenario, SeedTree, load_scenario
    from mechsim.core.runner import RunContext

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, tuple(overrides), seed=seed)
    elif seed is not None or overrides:
        scenario = scenario.with_overrides(tuple(overrides), seed=seed)
    return tasks_of(scenario, RunContext(seeds=SeedTree(scenario.seed)))


def client_app(scenario: Any, *, replication: int = 0, overrides: Sequence[str] = (), seed: int | None = None) -> Any:
    """A ClientApp serving a collab scenario's learners (partition-id = node index).

    ``scenario`` is a :class:`mechsim.core.scenario.Scenario`, a path or a shipped
    name. Under Flower's conventions the app trains replication ``replication``'s
    world: the chunk of round ``server-round - 1``, minibatches seeded as in the
    in-process driver (or by ``config["seed"]``), and replies with the full model.
    """
    from mechsim.collab.client import make_client_app

    tasks = _scenario_tasks(scenario, overrides, seed)
    return make_client_app(tasks, default=str(replication))


def initial_arrays(scenario: Any, *, replication: int = 0, overrides: Sequence[str] = (), seed: int | None = None) -> ArrayRecord:
    """The scenario's initial global model (as the in-process driver starts it)."""
    from mechsim.collab.world import world

    w = world(_scenario_tasks(scenario, overrides, seed)[str(replication)])
    return ArrayRecord(w.init_params())


def server_app(strategy_factory: Callable[[Context], Strategy], *, initial: Callable[[Context], ArrayRecord], num_rounds: Callable[[Context], int] | int, on_result: Callable[[Strategy, Any, Context], None] | None = None) -> Any:
    """A ServerApp whose main runs ``strategy_factory(context).start(...)`` from ``initial(context)``.

    ``on_result(strategy, result, context)`` receives the strategy (its
    :meth:`MechanismStrategy.tables`) and Flower's ``Result`` at the end.
    """
    from flwr.serverapp import ServerApp

    app = ServerApp()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        strategy = strategy_factory(context)
        rounds = num_rounds(context) if callable(num_rounds) else int(num_rounds)
        result = strategy.start(grid=grid, initial_arrays=initial(context), num_rounds=rounds)
        if on_result is not None:
            on_result(strategy, result, context)

    return app
