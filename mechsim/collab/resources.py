"""Node resources in simulated time: compute and communication times, deadlines, arrivals, dropouts.

A node's round trip in round ``t`` is ``comm_time * J_down + local_steps *
compute_time * s_i * J_compute + comm_time * J_up`` seconds of simulated time, with
``s_i ~ LogNormal(0, compute_spread)`` the node's fixed slowness and the ``J``
per-round ``LogNormal(0, jitter)`` factors. A reply that takes longer than the
round ``deadline`` is late: it is dropped from the aggregate (the node still got
the global model it was sent). A late-joining node is offline until its join time;
a dropping node goes offline at its drop time and loses a reply still in flight.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from mechsim.core.params import Constraint, Nullable, Real, validate_params
from mechsim.core.registry import register

__all__ = ["NodeResources"]


@register("collab/nodes-v1", kind="collab.resources")
class NodeResources:
    """Per-node compute speed, link time, round deadline, late arrivals and dropouts.

    Parameters
    ----------
    compute_time : float > 0, default 1.0
        Seconds per local step of a typical node.
    compute_spread : float >= 0, default 0.0
        ``σ`` of the log-normal slowness of the nodes (0: all equally fast).
    comm_time : float >= 0, default 0.25
        Seconds per model transfer (one down, one up per round).
    jitter : float >= 0, default 0.0
        ``σ`` of the per-round log-normal noise on every time.
    deadline : float > 0 or None, default None
        Round deadline in seconds; ``None`` waits for every node.
    late_fraction : float in [0, 1], default 0.0
        Fraction of nodes (drawn at random) that join late, at a time uniform in
        ``(0, max_join_time]``.
    max_join_time : float >= 0, default 0.0
    dropout_fraction : float in [0, 1], default 0.0
        Fraction of nodes (drawn at random) that leave for good, at a time uniform
        in ``[dropout_start, dropout_end]``.
    dropout_start : float >= 0, default 0.0
    dropout_end : float >= 0, default 0.0
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "compute_time": Real(0.0, None, closed="neither"),
        "compute_spread": Real(0.0, None),
        "comm_time": Real(0.0, None),
        "jitter": Real(0.0, None),
        "deadline": Nullable(Real(0.0, None, closed="neither")),
        "late_fraction": Real(0.0, 1.0),
        "max_join_time": Real(0.0, None),
        "dropout_fraction": Real(0.0, 1.0),
        "dropout_start": Real(0.0, None),
        "dropout_end": Real(0.0, None),
    }

    def __init__(
        self,
        *,
        compute_time: float = 1.0,
        compute_spread: float = 0.0,
        comm_time: float = 0.25,
        jitter: float = 0.0,
        deadline: float | None = None,
        late_fraction: float = 0.0,
        max_join_time: float = 0.0,
        dropout_fraction: float = 0.0,
        dropout_start: float = 0.0,
        dropout_end: float = 0.0,
    ) -> None:
        self.compute_time = compute_time
        self.compute_spread = compute_spread
        self.comm_time = comm_time
        self.jitter = jitter
        self.deadline = deadline
        self.late_fraction = late_fraction
        self.max_join_time = max_join_time
        self.dropout_fraction = dropout_fraction
        self.dropout_start = dropout_start
        self.dropout_end = dropout_end

    def get_params(self) -> dict[str, Any]:
        return validate_params(self)

    def reset(self, *, n_nodes: int, rng: np.random.Generator) -> None:
        """Draw every node's slowness, join time and drop time."""
        p = self.params_ = self.get_params()
        n = int(n_nodes)
        self.rng_ = rng
        self.slowness_ = np.exp(p["compute_spread"] * rng.standard_normal(n))
        self.join_time_ = np.zeros(n)
        n_late = int(round(p["late_fraction"] * n))
        if n_late:
            late = rng.choice(n, size=n_late, replace=False)
            self.join_time_[late] = p["max_join_time"] * (1.0 - rng.random(n_late))
        self.drop_time_ = np.full(n, math.inf)
        n_drop = int(round(p["dropout_fraction"] * n))
        if n_drop:
            drop = rng.choice(n, size=n_drop, replace=False)
            lo, hi = sorted((p["dropout_start"], p["dropout_end"]))
            self.drop_time_[drop] = rng.uniform(lo, hi, size=n_drop)

    def available(self, now: float) -> np.ndarray:
        """Nodes online at simulated time ``now``; shape (N,) bool."""
        return (self.join_time_ <= now) & (now < self.drop_time_)

    def latencies(self, local_steps: int) -> np.ndarray:
        """Round-trip times of all nodes for one round; shape (N,). Draws for every node, every round."""
        p = self.params_
        n = self.slowness_.size
        j = np.exp(p["jitter"] * self.rng_.standard_normal((3, n))) if p["jitter"] > 0 else np.ones((3, n))
        return p["comm_time"] * (j[0] + j[2]) + local_steps * p["compute_time"] * self.slowness_ * j[1]

    def round_outcome(self, start: float, latencies: np.ndarray, trained: np.ndarray) -> tuple[np.ndarray, float]:
        """Which trainers' replies count, and how long the round lasts.

        Returns ``(on_time (N,) bool, duration)``: a reply counts when it arrives by
        the deadline and before the node drops out. The round ends at the deadline if
        a trainer is late, else when the last reply arrives; with no trainer it
        lasts one nominal round trip (or the deadline).
        """
        deadline = self.params_["deadline"]
        arrive = start + latencies
        in_time = latencies <= deadline if deadline is not None else np.ones_like(trained)
        on_time = trained & in_time & (arrive < self.drop_time_)
        if trained.any():
            late = trained & ~in_time
            duration = float(deadline) if late.any() else float(latencies[trained].max())
        else:
            duration = float(deadline) if deadline is not None else 2 * self.params_["comm_time"] + self.params_["compute_time"]
        return on_time, duration
