"""A thin wrapper on a SimPy environment: the run's only clock.

Families write their protocol as plain SimPy generator functions and start them
with :meth:`Engine.process`; mechanisms and agents never import SimPy.
"""

from __future__ import annotations

from collections.abc import Generator
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

    def run(self, until: float | simpy.Event | None = None) -> Any:
        return self.env.run(until=until)
