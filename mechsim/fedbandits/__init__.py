"""Federated linear bandits with incentivised, truthful communication (spec §2).

N clients share ``theta*``; each faces its own stream of arm sets and runs LinUCB
on its local plus downloaded statistics; a server aggregates. A client's data since
the last round triggers a communication round (DisLinUCB's log-det event
trigger), in which a mechanism chooses who uploads and downloads and pays them:
DisLinUCB (everyone, no payments), Inc-FedUCB (payment-free step plus a
payment-efficient search, pay as bid), Truth-FedBan (monotone greedy with
critical-value incentives: truthful and IR per round), a brute-force optimum for
small N, and local-only learning.

Modules: :mod:`~.kernels` (the vectorised LinUCB kernels), :mod:`~.selection`
(greedy cover, critical values, brute force), :mod:`~.mechanisms`,
:mod:`~.agents` (costs, reports, strategies), :mod:`~.environment`,
:mod:`~.network`, :mod:`~.protocol` (SimPy), :mod:`~.audit`, :mod:`~.family`,
:mod:`~.plots`.
"""

from __future__ import annotations

from mechsim.fedbandits import agents, audit, environment, family, mechanisms  # noqa: F401  (registers)
from mechsim.fedbandits.mechanisms import BruteForceOptimal, DisLinUCB, IncFedUCB, LocalOnly, RoundOutcome, RoundReports, TruthFedBan

__all__ = ["DisLinUCB", "IncFedUCB", "TruthFedBan", "BruteForceOptimal", "LocalOnly", "RoundReports", "RoundOutcome"]
