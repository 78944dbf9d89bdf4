"""The learning world of one replication, rebuilt identically in any process from a small recipe.

A :class:`CollabTask` names the data source, heterogeneity profile and model by
component id and parameters, plus the training settings and the replication's seed
path. It is small and picklable: Flower's Ray runtime ships the client app (and so
the task) to its actors with every message, so the task must not carry the data.
:func:`world` builds the :class:`World` (data pool, validation set, heterogeneity,
learner) once per process and caches it; chunks are then cut on demand,
deterministically, from ``(node, round)`` alone, so the in-process driver and Ray
actors see the same data bit for bit.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechsim.collab.data import DataInfo, Dataset
from mechsim.collab.learner import TorchLearner, resolve_device
from mechsim.core.registry import make
from mechsim.core.seeding import SeedTree, as_key
from mechsim.errors import ParameterError

__all__ = ["ComponentRef", "CollabTask", "World", "world"]

_CHUNK_KEY = as_key("chunks")
_CACHE_SIZE = 8


@dataclass(frozen=True)
class ComponentRef:
    """A registered component by id and (hashable) parameters."""

    id: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, id: str, params: Any = ()) -> ComponentRef:
        items = params.items() if hasattr(params, "items") else params
        return cls(id, tuple(sorted((k, v) for k, v in items)))

    def build(self) -> Any:
        return make(self.id, **dict(self.params))


@dataclass(frozen=True)
class CollabTask:
    """The recipe of one replication's world (see the module docstring)."""

    data: ComponentRef
    heterogeneity: ComponentRef
    model: ComponentRef
    n_nodes: int
    n_rounds: int
    lr: float
    local_steps: int
    batch_size: int
    device: str
    seed: int
    path: tuple[int, ...] = ()
    threads: int | None = 1
    lr_decay: float = 1.0

    def lr_at(self, t: int) -> float:
        """The local step size of round ``t``: ``lr * lr_decay**t``."""
        return self.lr * self.lr_decay**t

    @property
    def seeds(self) -> SeedTree:
        return SeedTree(self.seed, self.path)


class World:
    """Data, heterogeneity and learner of one replication (built by :func:`world`).

    Attributes
    ----------
    dataset : Dataset
    info : DataInfo
    heterogeneity : Heterogeneity (reset)
    sizes : (N,) int, samples per chunk of every node
    weights : (N,) float, data shares ``sizes / sizes.sum()``
    quality : (N,) float, ground-truth noise level of every node (higher is worse)
    learner : TorchLearner (its validation set loaded)
    """

    def __init__(self, task: CollabTask) -> None:
        self.task = task
        seeds = task.seeds
        with _section("data"):
            source = task.data.build()
            self.dataset: Dataset = source.load(seeds.generator("data"))
        self.info: DataInfo = self.dataset.info
        with _section("heterogeneity"):
            self.heterogeneity = task.heterogeneity.build()
            self.heterogeneity.reset(
                n_nodes=task.n_nodes, n_rounds=task.n_rounds, chunk_size=source.chunk_size, rng=seeds.generator("heterogeneity")
            )
        self.sizes = self.heterogeneity.sizes_.copy()
        self.weights = self.sizes / self.sizes.sum()
        self.quality = np.asarray(self.heterogeneity.quality(), dtype=float)
        with _section("model"):
            model = task.model.build()
            model.check(self.info)
        self.learner = TorchLearner(
            model,
            self.info,
            lr=task.lr,
            local_steps=task.local_steps,
            batch_size=task.batch_size,
            device=resolve_device(task.device),
            threads=task.threads,
        )
        self.learner.set_validation(self.dataset.x_val, self.dataset.y_val)
        self._chunk_path = seeds.path + (_CHUNK_KEY,)

    def chunk(self, node: int, t: int) -> tuple[np.ndarray, np.ndarray]:
        """The (corrupted) chunk node ``node`` receives at round ``t``: ``(x, y)``."""
        ss = np.random.SeedSequence(entropy=self.task.seed, spawn_key=self._chunk_path + (int(node), int(t)))
        rng = np.random.Generator(np.random.PCG64(ss))
        idx = rng.integers(0, len(self.dataset.y_pool), size=int(self.sizes[node]))
        x, y = self.dataset.x_pool[idx], self.dataset.y_pool[idx]
        return self.heterogeneity.corrupt(int(node), int(t), x, y, info=self.info, rng=rng)

    def init_params(self) -> list[np.ndarray]:
        """The initial global model (the same for every mechanism of the replication)."""
        seed = int(self.task.seeds.sequence("model-init").generate_state(1)[0])
        return self.learner.init_params(seed)


@contextlib.contextmanager
def _section(name: str) -> Iterator[None]:
    """Tag a :class:`ParameterError` raised inside with the scenario section it comes from."""
    try:
        yield
    except ParameterError as exc:
        raise exc.in_section(name) from None


_WORLDS: OrderedDict[CollabTask, World] = OrderedDict()


def world(task: CollabTask) -> World:
    """The cached :class:`World` of ``task`` in this process (built on first use)."""
    w = _WORLDS.get(task)
    if w is None:
        w = World(task)
        _WORLDS[task] = w
        while len(_WORLDS) > _CACHE_SIZE:
            _WORLDS.popitem(last=False)
    else:
        _WORLDS.move_to_end(task)
    return w
