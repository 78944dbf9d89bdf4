"""mechsim: a simulator for incentive and mechanism design in learning systems."""

from __future__ import annotations

from mechsim.core import Results, Scenario, SeedTree, load_scenario, make, run_scenario

__version__ = "0.1.0"

__all__ = ["__version__", "Results", "Scenario", "SeedTree", "load_scenario", "make", "run_scenario", "run"]


def run(scenario: str | Scenario, *, seed: int | None = None, overrides: tuple[str, ...] = ()) -> Results:
    """Load (if given a name or path) and run a scenario; returns unwritten :class:`Results`."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides, seed=seed)
    elif seed is not None or overrides:
        scenario = scenario.with_overrides(overrides, seed=seed)
    return run_scenario(scenario)
