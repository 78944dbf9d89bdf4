"""The bandit family: environments and textbook policies, vectorised over replications."""

from __future__ import annotations

from mechsim.bandits import environments, family, policies  # noqa: F401  (registers components)
from mechsim.bandits.base import BanditEnvironment, EnvInfo, Policy, Round

__all__ = ["BanditEnvironment", "EnvInfo", "Policy", "Round"]
