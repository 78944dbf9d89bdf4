"""Batched learner populations: every node's model in one tensor, trained as one batched model.

``scenario.backend = "batched"`` replaces the per-node ``ClientApp`` calls by a
:class:`BatchedTransport`: the models a run's nodes hold live in one (N, P) tensor per
run state (on the learners' device, CPU or CUDA), and a round's local training is one
``torch.func.vmap`` of ``grad_and_value`` over the trainers' stacked parameters and
minibatches (``functional_call`` on the shared architecture), evaluation one vmapped
forward pass over the validation set.

What each node computes is what :class:`~mechsim.collab.learner.TorchLearner` computes
for it: the same chunk (:meth:`World.chunk`), the same minibatch draws (one numpy
generator per node and round, from the round's train seed), the same loss and step
sizes, float32 parameters loaded from the stored model, the update ``θ_local - θ_start``
in float32; a stored model is float32, as the layers in a node's ``ArrayRecord`` are. The per-round metrics therefore equal the in-process
driver's up to float32 rounding (batched matrix products sum in another order); the
test compares them on the shipped small models. The Flower ``ClientApp`` path stays the
reference and the one real deployments use: this backend exists for populations of
thousands of simulated clients.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mechsim.collab.learner import _session, _torch
from mechsim.collab.transport import EvalReplies, TrainReplies, Transport
from mechsim.collab.world import CollabTask, World, world
from mechsim.errors import MechsimError

__all__ = ["BatchedTransport", "BatchedPopulation"]

#: Nodes per vmapped call (bounds the activations held at once, e.g. the CNN's on the validation set).
GROUP = 512


class BatchedPopulation:
    """The batched forward, loss and SGD step of one architecture (shared by all nodes of a world).

    Parameters
    ----------
    w : World
        Supplies the architecture (``w.learner``), the task kind and the device.
    """

    def __init__(self, w: World) -> None:
        torch = _torch()
        from torch.func import functional_call, grad_and_value, vmap

        self.torch = torch
        self.learner = w.learner
        self.device = w.learner.device
        self.module = w.learner._setup()
        named = list(self.module.named_parameters())
        self.names = [k for k, _ in named]
        self.shapes = [tuple(p.shape) for _, p in named]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.n_params = sum(self.sizes)
        classification = w.info.task == "classification"
        module = self.module

        def loss_fn(params: dict, x: Any, y: Any) -> Any:
            out = functional_call(module, params, (x,))
            if classification:
                return torch.nn.functional.cross_entropy(out, y)
            return torch.nn.functional.mse_loss(out.squeeze(-1), y)

        def forward(params: dict, x: Any) -> Any:
            return functional_call(module, params, (x,))

        self.step = vmap(grad_and_value(loss_fn))
        self.forward = vmap(forward, in_dims=(0, None))
        self.classification = classification

    def as_dict(self, flat: Any) -> dict[str, Any]:
        """Views of a (g, P) tensor as the module's parameters, each (g, *shape)."""
        out, start = {}, 0
        g = flat.shape[0]
        for name, shape, size in zip(self.names, self.shapes, self.sizes):
            out[name] = flat[:, start : start + size].view(g, *shape)
            start += size
        return out

    def as_flat(self, params: Mapping[str, Any]) -> Any:
        g = next(iter(params.values())).shape[0]
        return self.torch.cat([params[n].reshape(g, -1) for n in self.names], dim=1)


class BatchedTransport(Transport):
    """Runs the nodes' side of the protocol as batched tensor operations (no messages).

    Parameters
    ----------
    tasks : mapping of str to CollabTask
        The worlds of the run, by replication key (as :func:`make_client_app` takes them).
    n_nodes : int
    """

    def __init__(self, tasks: Mapping[str, CollabTask], n_nodes: int) -> None:
        self.tasks = dict(tasks)
        self.n_nodes = n_nodes
        self._models: dict[tuple[str, str], Any] = {}
        self._has: dict[tuple[str, str], np.ndarray] = {}
        self._pops: dict[str, BatchedPopulation] = {}

    # -- state ------------------------------------------------------------------------------

    def _world(self, task: str) -> World:
        return world(self.tasks[str(task)])

    def _pop(self, task: str) -> BatchedPopulation:
        if task not in self._pops:
            self._pops[task] = BatchedPopulation(self._world(task))
        return self._pops[task]

    def _state(self, task: str, state: str) -> tuple[Any, np.ndarray]:
        key = (str(task), str(state))
        if key not in self._models:
            pop = self._pop(task)
            self._models[key] = pop.torch.zeros((self.n_nodes, pop.n_params), dtype=pop.torch.float32, device=pop.device)
            self._has[key] = np.zeros(self.n_nodes, dtype=bool)
        return self._models[key], self._has[key]

    def _flat(self, task: str, arrays: Sequence[np.ndarray]) -> Any:
        pop = self._pop(task)
        # the float32 cast of TorchLearner._load; the protocol's layers are float32 already
        vec = np.concatenate([np.asarray(a, dtype=np.float32).ravel() for a in arrays])
        return pop.torch.from_numpy(vec).to(pop.device)

    # -- the three exchanges ----------------------------------------------------------------

    def reward(
        self, *, task: str, state: str, nodes: np.ndarray, arrays: Sequence[Sequence[np.ndarray]], replace: bool = False
    ) -> None:
        models, has = self._state(task, state)
        nodes = np.asarray(nodes, dtype=np.int64)
        if nodes.size == 0:
            return
        torch = self._pop(task).torch
        stacked = torch.stack([self._flat(task, a) for a in arrays])
        idx = torch.from_numpy(nodes).to(models.device)
        if replace:
            models[idx] = stacked
            has[nodes] = True
        else:
            if not np.all(has[nodes]):
                raise MechsimError(f"nodes {nodes[~has[nodes]].tolist()} were sent a reward delta but hold no model")
            models[idx] = models[idx] + stacked  # float32 layers + float32 deltas, as the client adds them

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
        models, has = self._state(task, state)
        nodes = np.asarray(nodes, dtype=np.int64)
        if nodes.size == 0:
            return TrainReplies(np.zeros((0, 0)), np.zeros(0, dtype=np.int64), np.zeros(0))
        pop = self._pop(task)
        torch = pop.torch
        w = self._world(task)
        sync = np.asarray(sync, dtype=bool)
        if np.any(sync):
            glob = self._flat(task, params)
            models[torch.from_numpy(nodes[sync]).to(models.device)] = glob
            has[nodes[sync]] = True
        if not np.all(has[nodes]):
            raise MechsimError(f"nodes {nodes[~has[nodes]].tolist()} were asked to train from their own model but hold none")
        t = int(round)
        lr = w.task.lr_at(t)
        updates = np.zeros((nodes.size, pop.n_params))
        losses = np.zeros(nodes.size)
        sizes = w.sizes[nodes]
        with _session(pop.device, w.task.threads):
            for size in np.unique(sizes):  # nodes with chunks of one size share a batch
                where = np.flatnonzero(sizes == size)
                for lo in range(0, where.size, GROUP):
                    part = where[lo : lo + GROUP]
                    u, ls = self._train_group(pop, w, models, nodes[part], seeds[part], t, lr, int(size))
                    updates[part], losses[part] = u, ls
        return TrainReplies(updates, sizes.astype(np.int64), losses)

    def _train_group(
        self, pop: BatchedPopulation, w: World, models: Any, nodes: np.ndarray, seeds: np.ndarray, t: int, lr: float, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        torch = pop.torch
        chunks = [w.chunk(int(node), t) for node in nodes]
        x = torch.from_numpy(np.ascontiguousarray(np.stack([c[0] for c in chunks]), dtype=np.float32)).to(pop.device)
        y = torch.from_numpy(np.ascontiguousarray(np.stack([c[1] for c in chunks]))).to(pop.device)
        start = models[torch.from_numpy(nodes).to(models.device)]
        params = start.clone()
        g = nodes.size
        bs = pop.learner.batch_size
        steps = pop.learner.local_steps
        # one generator per node, as TorchLearner.train draws its minibatches (only when it draws)
        rngs = [np.random.default_rng(int(s)) for s in seeds] if bs < n else []
        rows = torch.arange(g, device=pop.device)[:, None]
        losses = torch.zeros((steps, g), device=pop.device)
        for e in range(steps):
            if bs < n:
                idx = torch.from_numpy(np.stack([r.choice(n, size=bs, replace=False) for r in rngs])).to(pop.device)
                xb, yb = x[rows, idx], y[rows, idx]
            else:
                xb, yb = x, y
            grads, loss = pop.step(pop.as_dict(params), xb, yb)
            with torch.no_grad():
                params = params - lr * pop.as_flat(grads)
            losses[e] = loss.detach()
        delta = (params - start).detach().double().cpu().numpy()
        return delta, losses.double().mean(dim=0).cpu().numpy() if steps else np.full(g, np.nan)

    def evaluate(self, *, task: str, state: str, round: int, nodes: np.ndarray) -> EvalReplies:
        models, has = self._state(task, state)
        nodes = np.asarray(nodes, dtype=np.int64)
        pop = self._pop(task)
        torch = pop.torch
        w = self._world(task)
        perf, loss = np.full(nodes.size, np.nan), np.full(nodes.size, np.nan)
        held = has[nodes]
        xv, yv = pop.learner._val
        with _session(pop.device, w.task.threads), torch.no_grad():
            todo = np.flatnonzero(held)
            for lo in range(0, todo.size, GROUP):
                part = todo[lo : lo + GROUP]
                p = models[torch.from_numpy(nodes[part]).to(models.device)]
                out = pop.forward(pop.as_dict(p), xv)  # (g, n_val, outputs)
                if pop.classification:
                    g = out.shape[0]
                    ce = torch.nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), yv.repeat(g), reduction="none")
                    l_ = ce.view(g, -1).mean(dim=1)
                    pf = (out.argmax(dim=2) == yv).float().mean(dim=1)
                else:
                    l_ = ((out.squeeze(-1) - yv) ** 2).mean(dim=1)
                    var = float(yv.var(unbiased=False))
                    pf = 1.0 - l_ / var if var > 0 else torch.full_like(l_, float("nan"))
                loss[part] = l_.double().cpu().numpy()
                perf[part] = pf.double().cpu().numpy()
        return EvalReplies(np.where(held, perf, np.nan), np.where(held, loss, np.nan), held)
