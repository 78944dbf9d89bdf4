"""The engine room: SimPy wrapper, seed tree, registry, scenarios, recorder, results."""

from __future__ import annotations

from mechsim.core.engine import Engine
from mechsim.core.family import FamilySpec, Section, Setting, get_family, register_family
from mechsim.core.params import validate_params
from mechsim.core.recorder import Recorder
from mechsim.core.registry import make, register
from mechsim.core.results import Results
from mechsim.core.runner import RunContext, run_scenario
from mechsim.core.scenario import ComponentConfig, Scenario, load_scenario
from mechsim.core.seeding import SeedTree
from mechsim.core.table import Table

__all__ = [
    "Engine",
    "FamilySpec",
    "Section",
    "Setting",
    "get_family",
    "register_family",
    "validate_params",
    "Recorder",
    "make",
    "register",
    "Results",
    "RunContext",
    "run_scenario",
    "ComponentConfig",
    "Scenario",
    "load_scenario",
    "SeedTree",
    "Table",
]
