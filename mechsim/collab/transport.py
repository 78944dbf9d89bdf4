"""How the server's messages reach the ClientApps: directly in-process, or through Flower's grid.

Both transports build the same Flower messages (:mod:`mechsim.collab.client`) and
parse the same replies; they differ only in delivery:

- :class:`InProcessTransport` calls ``client_app(message, context)`` directly, one
  ``Context`` per node kept here (pattern C of ecosystem.md; deterministic, no Ray);
- :class:`GridTransport` sends them with ``grid.send_and_receive`` from inside a
  ``ServerApp``'s main, to ClientApps that Flower's runtime runs on Ray actors.

Simulated time is not wall time: both deliver a whole round's messages at once and
the protocol decides, in simulated time, which replies were on time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechsim.collab.client import EVALUATE, IDENTIFY, REWARD, TRAIN
from mechsim.collab.learner import flatten
from mechsim.errors import MechsimError

__all__ = ["TrainReplies", "EvalReplies", "Transport", "InProcessTransport", "GridTransport"]


@dataclass(frozen=True)
class TrainReplies:
    """Replies of the nodes asked to train, in request order.

    updates : (k, P) float64; n_examples : (k,) int; loss : (k,) float
    """

    updates: np.ndarray
    n_examples: np.ndarray
    loss: np.ndarray


@dataclass(frozen=True)
class EvalReplies:
    """perf, loss : (k,) float (``nan`` without a model); has_model : (k,) bool."""

    perf: np.ndarray
    loss: np.ndarray
    has_model: np.ndarray


class Transport:
    """Message exchange with the nodes; subclasses implement :meth:`_exchange`."""

    def _exchange(self, requests: list[tuple[int, Any, str]]) -> list[Any]:
        """Deliver ``(node, content, message_type)`` requests; return reply contents in order."""
        raise NotImplementedError

    def train(
        self,
        *,
        task: str,
        state: str,
        round: int,
        nodes: np.ndarray,
        sync: np.ndarray,
        params: Sequence[np.ndarray],
        seeds: np.ndarray,
    ) -> TrainReplies:
        """Ask ``nodes`` to train at ``round``; those with ``sync`` first receive ``params``."""
        from flwr.app import ArrayRecord, ConfigRecord, RecordDict

        arrays = ArrayRecord(list(params)) if np.any(sync) else None
        requests = []
        for node, s, seed in zip(nodes.tolist(), sync.tolist(), seeds.tolist()):
            content = {"config": ConfigRecord({"task": task, "state": state, "round": int(round), "seed": int(seed), "sync": bool(s)})}
            if s:
                content["arrays"] = arrays
            requests.append((node, RecordDict(content), TRAIN))
        replies = self._exchange(requests)
        if not replies:
            return TrainReplies(np.zeros((0, 0)), np.zeros(0, dtype=np.int64), np.zeros(0))
        updates = np.stack([flatten(r["arrays"].to_numpy_ndarrays()) for r in replies])
        n_ex = np.array([int(r["metrics"]["num-examples"]) for r in replies], dtype=np.int64)
        loss = np.array([float(r["metrics"]["train-loss"]) for r in replies])
        return TrainReplies(updates, n_ex, loss)

    def reward(
        self, *, task: str, state: str, nodes: np.ndarray, arrays: Sequence[Sequence[np.ndarray]], replace: bool = False
    ) -> None:
        """Add ``arrays[k]`` (per-layer deltas) to node ``nodes[k]``'s own model, or replace it with them."""
        from flwr.app import ArrayRecord, ConfigRecord, RecordDict

        requests = [
            (node, RecordDict({"config": ConfigRecord({"task": task, "state": state, "replace": bool(replace)}), "arrays": ArrayRecord(list(a))}), REWARD)
            for node, a in zip(nodes.tolist(), arrays)
        ]
        self._exchange(requests)

    def evaluate(self, *, task: str, state: str, round: int, nodes: np.ndarray) -> EvalReplies:
        """Every node in ``nodes`` evaluates its own model on the validation set."""
        from flwr.app import ConfigRecord, RecordDict

        requests = [
            (node, RecordDict({"config": ConfigRecord({"task": task, "state": state, "round": int(round)})}), EVALUATE)
            for node in nodes.tolist()
        ]
        replies = self._exchange(requests)
        has = np.array([bool(r["metrics"]["has-model"]) for r in replies], dtype=bool)
        perf = np.array([float(r["metrics"]["perf"]) for r in replies])
        loss = np.array([float(r["metrics"]["loss"]) for r in replies])
        return EvalReplies(np.where(has, perf, np.nan), np.where(has, loss, np.nan), has)

    @staticmethod
    def _check(reply: Any, node: int) -> Any:
        if reply.has_error():
            raise MechsimError(f"node {node} failed: {reply.error.reason}")
        return reply.content


class InProcessTransport(Transport):
    """Direct calls of the ClientApp from the simulation, one ``Context`` per node.

    Parameters
    ----------
    client_app : flwr.clientapp.ClientApp
    n_nodes : int
    """

    NODE_ID_OFFSET = 1000

    def __init__(self, client_app: Any, n_nodes: int) -> None:
        from flwr.app import Context, RecordDict

        self.client_app = client_app
        self.contexts = [
            Context(
                run_id=1,
                node_id=self.NODE_ID_OFFSET + i,
                node_config={"partition-id": i, "num-partitions": n_nodes},
                state=RecordDict(),
                run_config={},
            )
            for i in range(n_nodes)
        ]

    def _exchange(self, requests: list[tuple[int, Any, str]]) -> list[Any]:
        from flwr.app import Message

        out = []
        for node, content, mtype in requests:
            msg = Message(content, dst_node_id=self.NODE_ID_OFFSET + node, message_type=mtype)
            out.append(self._check(self.client_app(msg, self.contexts[node]), node))
        return out


class GridTransport(Transport):
    """Delivery through a Flower ``Grid`` (inside a ``ServerApp`` main).

    On creation it waits until ``n_nodes`` nodes are connected and asks each for its
    ``partition-id`` (``query.identify``), so requests can name nodes by index.

    Parameters
    ----------
    grid : flwr.serverapp.Grid
    n_nodes : int
    timeout : float
        Seconds to wait for the replies of one exchange (Flower hangs silently on a
        failing client otherwise).
    """

    def __init__(self, grid: Any, n_nodes: int, timeout: float = 300.0, poll: float = 0.05) -> None:
        import time

        from flwr.app import ConfigRecord, Message, RecordDict

        self.grid = grid
        self.timeout = timeout
        waited = 0.0
        while len(list(grid.get_node_ids())) < n_nodes:
            if waited > timeout:
                raise MechsimError(f"only {len(list(grid.get_node_ids()))} of {n_nodes} Flower nodes connected")
            time.sleep(poll)  # wall-clock wait for Flower's runtime; not simulated time
            waited += poll
        msgs = [
            Message(RecordDict({"config": ConfigRecord({})}), dst_node_id=i, message_type=IDENTIFY)
            for i in grid.get_node_ids()
        ]
        replies = list(grid.send_and_receive(msgs, timeout=timeout))
        self.flower_id: dict[int, int] = {}
        for r in replies:
            content = self._check(r, -1)
            self.flower_id[int(content["metrics"]["partition-id"])] = r.metadata.src_node_id
        if sorted(self.flower_id) != list(range(n_nodes)):
            raise MechsimError(f"Flower nodes reported partition ids {sorted(self.flower_id)}; expected 0..{n_nodes - 1}")
        self.partition = {f: p for p, f in self.flower_id.items()}

    def _exchange(self, requests: list[tuple[int, Any, str]]) -> list[Any]:
        from flwr.app import Message

        if not requests:
            return []
        msgs = [Message(content, dst_node_id=self.flower_id[node], message_type=mtype) for node, content, mtype in requests]
        replies = list(self.grid.send_and_receive(msgs, timeout=self.timeout))
        by_node = {}
        for r in replies:
            node = self.partition.get(r.metadata.src_node_id, -1)
            by_node[node] = self._check(r, node)
        missing = [node for node, _, _ in requests if node not in by_node]
        if missing:
            raise MechsimError(f"no reply from nodes {missing} within {self.timeout} s")
        return [by_node[node] for node, _, _ in requests]
