"""A thin wrapper on a SimPy environment: the run's only clock.

Families write their protocol as plain SimPy generator functions and start them
with :meth:`Engine.process`; mechanisms and agents never import SimPy.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import simpy

__all__ = ["Engine"]


class Engine:
    """Owns one :class:`simpy.Environment` and the run's stop condition."""

    def __init__(self, initial_time: float = 0.0) -> None:
        self.env = simpy.Environment(initial_time=initial_time)

    @property
    def now(self) -> float:
        return self.env.now

    def process(self, generator: Generator[Any, Any, Any]) -> simpy.Process:
        return self.env.process(generator)

    def timeout(self, delay: float, value: Any = None) -> simpy.Timeout:
        return self.env.timeout(delay, value)

    def every(self, period: float, n_steps: int, step: Callable[[int], None], *, start: float = 0.0) -> simpy.Process:
        """Run ``step(k)`` for ``k = 0..n_steps-1`` at times ``start + (k + 1) * period``.

        This is the "one process per population" pattern: ``step`` updates a whole
        vectorised population at once.
        """

        def proc() -> Generator[Any, Any, None]:
            if start:
                yield self.env.timeout(start)
            for k in range(n_steps):
                yield self.env.timeout(period)
                step(k)

        return self.env.process(proc())

    def run(self, until: float | simpy.Event | None = None) -> Any:
        return self.env.run(until=until)
