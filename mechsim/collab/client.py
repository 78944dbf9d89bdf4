"""The learner node as a real Flower ``ClientApp`` (Message API).

These are the in-process driver's own messages (they name the replication's
``task``); the same app also answers Flower's conventional messages (below). The
same app runs under mechsim's in-process driver (direct ``app(message,
context)`` calls) and under Flower's simulation runtime on Ray. Message types and
their records:

=====================  ===================================================  ===========================================
message type           content                                              reply
=====================  ===================================================  ===========================================
``train``              ``config``: task, state, round, seed, sync;          ``arrays``: the update ``θ_local - θ_start``;
                       ``arrays``: the global model when ``sync``           ``metrics``: partition-id, num-examples,
                                                                            train-loss
``train.reward``       ``config``: task, state, replace; ``arrays``: a       ``metrics``: partition-id
                       delta added to the node's own model (CGSV), or
                       with ``replace`` a model that replaces it
``evaluate``           ``config``: task, state, round                       ``metrics``: partition-id, perf, loss,
                                                                            has-model
``query.identify``     ``config``: (empty)                                  ``metrics``: partition-id
=====================  ===================================================  ===========================================

Messages without a ``task`` key follow Flower's own conventions (what stock
strategies such as ``FedAvg`` and :mod:`mechsim.collab.flower`'s strategies send):
``train`` carries the full model in ``content["arrays"]`` and ``config["server-round"]``;
the node trains from that model on its chunk of round ``server-round - 1`` (minibatch
seed ``config["seed"]``, or the in-process driver's seed of that node and round) and
replies with the trained *full model* (``arrays``) and ``metrics`` ``num-examples``,
``train-loss``; ``evaluate`` evaluates the received model and replies ``num-examples``
(the validation size), ``loss`` and ``perf``. Such a node serves the app's default
task (one replication) and keeps no state: the server owns the models.

A node keeps its own model in ``context.state`` under the run's ``state`` key (one
key per mechanism and replication, so several runs can share a federation). With
``sync`` the received global model replaces it (the node's reward in FedAvg and
FAIR-EQUAL); without, training starts from it (CGSV). Training never changes the
stored model: a node's model changes only by what the server sends. The node's data
of round ``t`` is cut from its stream (:meth:`mechsim.collab.world.World.chunk`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mechsim.collab.world import CollabTask, world
from mechsim.errors import MechsimError

__all__ = ["CollabClient", "make_client_app", "TRAIN", "REWARD", "EVALUATE", "IDENTIFY"]

TRAIN = "train"
REWARD = "train.reward"
EVALUATE = "evaluate"
IDENTIFY = "query.identify"


def _state_key(config: Any) -> str:
    return f"mechsim-model/{config['state']}"


class CollabClient:
    """The message handlers of a node (picklable; the tasks are small recipes).

    Parameters
    ----------
    tasks : mapping of str to CollabTask
        The worlds this federation serves, by the ``task`` key of the messages
        (one per replication).
    default : str or None
        The task of messages that follow Flower's conventions (no ``task`` key);
        ``None``: the only task, if there is one.
    """

    def __init__(self, tasks: Mapping[str, CollabTask], default: str | None = None) -> None:
        self.tasks = dict(tasks)
        self.default = default

    def _default_task(self) -> CollabTask:
        if self.default is not None:
            return self.tasks[self.default]
        if len(self.tasks) != 1:
            raise MechsimError(f"a message without a 'task' key needs a default task; this app serves {sorted(self.tasks)}")
        return next(iter(self.tasks.values()))

    @staticmethod
    def _private(msg: Any) -> bool:
        cfg = msg.content.config_records.get("config")
        return cfg is not None and "task" in cfg

    def _flower_train(self, msg: Any, context: Any) -> Any:
        from flwr.app import Array, ArrayRecord, Message, MetricRecord, RecordDict

        from mechsim.collab.protocol import train_seeds

        content = msg.content
        cfg = next(iter(content.config_records.values()), {})
        record = content.array_records.get("arrays") or next(iter(content.array_records.values()))
        node = self._node(context)
        task = self._default_task()
        w = world(task)
        t = int(cfg["server-round"]) - 1 if "server-round" in cfg else 0
        seed = int(cfg["seed"]) if "seed" in cfg else int(train_seeds(task.seeds, np.array([node]), t)[0])
        start = record.to_numpy_ndarrays()
        x, y = w.chunk(node, t)
        update, loss = w.learner.train(start, x, y, seed, lr=task.lr_at(t))
        trained = [np.asarray(a + u, dtype=a.dtype) for a, u in zip(start, update)]
        out = ArrayRecord({k: Array(v) for k, v in zip(record.keys(), trained)})
        metrics = MetricRecord({"num-examples": int(len(y)), "train-loss": float(loss)})
        return Message(RecordDict({"arrays": out, "metrics": metrics}), reply_to=msg)

    def _flower_evaluate(self, msg: Any, context: Any) -> Any:
        from flwr.app import Message, MetricRecord, RecordDict

        content = msg.content
        record = content.array_records.get("arrays") or next(iter(content.array_records.values()))
        w = world(self._default_task())
        perf, loss = w.learner.evaluate(record.to_numpy_ndarrays())
        metrics = MetricRecord({"num-examples": int(len(w.dataset.y_val)), "loss": float(loss), "perf": float(perf)})
        return Message(RecordDict({"metrics": metrics}), reply_to=msg)

    @staticmethod
    def _node(context: Any) -> int:
        return int(context.node_config["partition-id"])

    def train(self, msg: Any, context: Any) -> Any:
        from flwr.app import ArrayRecord, Message, MetricRecord, RecordDict

        if not self._private(msg):
            return self._flower_train(msg, context)
        cfg = msg.content["config"]
        node = self._node(context)
        w = world(self.tasks[str(cfg["task"])])
        key = _state_key(cfg)
        if bool(cfg["sync"]):
            held = msg.content["arrays"]
            context.state[key] = held
        elif key in context.state.array_records:
            held = context.state.array_records[key]
        else:
            raise RuntimeError(f"node {node} was asked to train from its own model but holds none")
        t = int(cfg["round"])
        x, y = w.chunk(node, t)
        update, loss = w.learner.train(held.to_numpy_ndarrays(), x, y, int(cfg["seed"]), lr=w.task.lr_at(t))
        metrics = MetricRecord({"partition-id": node, "num-examples": int(len(y)), "train-loss": float(loss)})
        return Message(RecordDict({"arrays": ArrayRecord(update), "metrics": metrics}), reply_to=msg)

    def reward(self, msg: Any, context: Any) -> Any:
        from flwr.app import ArrayRecord, Message, MetricRecord, RecordDict

        cfg = msg.content["config"]
        key = _state_key(cfg)
        if bool(cfg["replace"]):
            context.state[key] = msg.content["arrays"]
        else:
            held = context.state.array_records[key].to_numpy_ndarrays()
            delta = msg.content["arrays"].to_numpy_ndarrays()
            context.state[key] = ArrayRecord([a + d for a, d in zip(held, delta)])
        return Message(RecordDict({"metrics": MetricRecord({"partition-id": self._node(context)})}), reply_to=msg)

    def evaluate(self, msg: Any, context: Any) -> Any:
        from flwr.app import Message, MetricRecord, RecordDict

        if not self._private(msg):
            return self._flower_evaluate(msg, context)
        cfg = msg.content["config"]
        key = _state_key(cfg)
        perf, loss, has = 0.0, 0.0, 0
        if key in context.state.array_records:
            w = world(self.tasks[str(cfg["task"])])
            perf, loss = w.learner.evaluate(context.state.array_records[key].to_numpy_ndarrays())
            has = 1
        metrics = MetricRecord({"partition-id": self._node(context), "perf": float(perf), "loss": float(loss), "has-model": has})
        return Message(RecordDict({"metrics": metrics}), reply_to=msg)

    def identify(self, msg: Any, context: Any) -> Any:
        from flwr.app import Message, MetricRecord, RecordDict

        return Message(RecordDict({"metrics": MetricRecord({"partition-id": self._node(context)})}), reply_to=msg)


def make_client_app(tasks: Mapping[str, CollabTask], default: str | None = None) -> Any:
    """A :class:`flwr.clientapp.ClientApp` serving ``tasks`` (see the module docstring and :class:`CollabClient`)."""
    from mechsim.collab._flower_compat import require_flower

    require_flower()
    from flwr.clientapp import ClientApp

    client = CollabClient(tasks, default)
    app = ClientApp()
    app.train()(client.train)
    app.train("reward")(client.reward)
    app.evaluate()(client.evaluate)
    app.query("identify")(client.identify)
    return app
