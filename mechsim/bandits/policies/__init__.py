"""Textbook bandit policies (Slivkins, *Introduction to Multi-Armed Bandits*)."""

from __future__ import annotations

from mechsim.bandits.policies.ucb import UCB1

__all__ = ["UCB1"]
