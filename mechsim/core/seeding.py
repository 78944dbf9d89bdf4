"""One root seed per run, and a tree of independent streams derived from it by name.

A child stream is addressed by a path of names or integers
(``seeds.generator("policy", "ucb1")``, ``seeds.child("replication", 3)``). Paths,
not spawn order, define the streams, so adding a component to a scenario does not
change the draws of the others, and every process in a sweep can rebuild the same
stream from the seed alone.
"""

from __future__ import annotations

import zlib

import numpy as np

from mechsim.core.params import Integer, check_value

__all__ = ["SeedTree", "as_key"]


def as_key(name: str | int) -> int:
    """A stable non-negative integer for a path element (crc32 for strings)."""
    if isinstance(name, (int, np.integer)) and not isinstance(name, bool):
        if name < 0:
            raise ValueError(f"seed path integers must be >= 0, got {name}")
        return int(name)
    if isinstance(name, str):
        return zlib.crc32(name.encode("utf-8"))
    raise TypeError(f"seed path elements must be str or int, got {type(name).__name__}")


class SeedTree:
    """A node of the run's seed tree.

    Parameters
    ----------
    seed : int
        The run's root seed (>= 0).
    path : tuple of int
        The spawn key of this node below the root; ``()`` is the root.
    """

    __slots__ = ("seed", "path")

    def __init__(self, seed: int, path: tuple[int, ...] = ()) -> None:
        self.seed = check_value(Integer(0, None), seed, name="seed", owner="SeedTree")
        self.path = tuple(path)

    def child(self, *names: str | int) -> SeedTree:
        return SeedTree(self.seed, self.path + tuple(as_key(n) for n in names))

    def sequence(self, *names: str | int) -> np.random.SeedSequence:
        node = self.child(*names) if names else self
        return np.random.SeedSequence(entropy=node.seed, spawn_key=node.path)

    def generator(self, *names: str | int) -> np.random.Generator:
        """A fresh PCG64 generator for the stream at ``names`` below this node."""
        return np.random.Generator(np.random.PCG64(self.sequence(*names)))

    def __repr__(self) -> str:
        return f"SeedTree(seed={self.seed}, path={self.path})"
