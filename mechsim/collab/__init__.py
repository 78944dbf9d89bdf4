"""Collaborative learning: Flower learners on streaming data, contribution valuation, fair rewards.

Nodes are real Flower ``ClientApp`` s (:mod:`mechsim.collab.client`) training torch
models on data streams whose quality differs across nodes
(:mod:`mechsim.collab.heterogeneity`); a SimPy protocol
(:mod:`mechsim.collab.protocol`) runs the rounds in simulated time, with per-node
compute and link times, deadlines, late arrivals and dropouts, either by calling
the ClientApp directly (default) or through Flower's runtime on Ray. Mechanisms
(:mod:`mechsim.collab.mechanisms`): FedAvg, CGSV gradient rewards and FAIR-EQUAL
(Lin et al., ICML 2023). torch and flwr are imported only when a run needs them.
"""

from __future__ import annotations

from mechsim.collab import data, family, heterogeneity, mechanisms, models, resources  # noqa: F401  (registers components)
from mechsim.collab import partitions  # noqa: F401  (registers the standard partitions)
from mechsim.collab.base import Claims, Mechanism, Outcome, Plan, Submission

__all__ = ["Claims", "Mechanism", "Outcome", "Plan", "Submission"]
