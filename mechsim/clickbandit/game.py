"""The click game induced by a committed learner: evaluate click-rate profiles with CRN.

A :class:`ClickGame` fixes the learner (a factory, fresh state for every epoch),
the means, the utility and the horizon. :meth:`ClickGame.evaluate` plays a batch of
candidate profiles ``(R, P, K)`` on ``J`` seeds per replication; candidate ``p`` of
replication ``r`` on seed ``j`` uses the draws of node ``nodes[r][j]``, the same for
every ``p``. Differences between candidates are therefore differences in ``s`` only
(common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechsim.clickbandit.draws import ClickDraws
from mechsim.clickbandit.environment import ClickEnvironment
from mechsim.clickbandit.learners.base import ClickLearner
from mechsim.clickbandit.play import play
from mechsim.clickbandit.utility import u_star
from mechsim.core.seeding import SeedTree

__all__ = ["Evaluation", "ClickGame"]

#: rows played at once, and bytes of pre-drawn uniforms held at once
MAX_ROWS = 2048
MAX_DRAW_BYTES = 256 * 2**20


@dataclass(frozen=True)
class Evaluation:
    """Outcomes of candidates ``(R, P)`` on ``J`` seeds each.

    expected_clicks, pulls, screened : (R, P, J, K)
    regret : (R, P, J)
    horizon : int
        Rounds per game, T.
    """

    horizon: int
    expected_clicks: np.ndarray
    pulls: np.ndarray
    screened: np.ndarray
    regret: np.ndarray


class ClickGame:
    """A learner committed to before the arms move, and the world it runs in.

    Parameters
    ----------
    learner : callable returning a fresh :class:`ClickLearner`
    mu : (K,) post-click reward means
    utility : the learner's utility (``u``, ``s_star``)
    horizon : rounds per epoch, T
    environment : maps reward uniforms to rewards (default Bernoulli)
    """

    def __init__(
        self,
        *,
        learner: Callable[[], ClickLearner],
        mu: np.ndarray,
        utility: Any,
        horizon: int,
        environment: ClickEnvironment | None = None,
    ) -> None:
        self.learner = learner
        self.mu = np.asarray(mu, dtype=float)
        self.utility = utility
        self.horizon = int(horizon)
        self.environment = environment

    @property
    def n_arms(self) -> int:
        return self.mu.size

    @property
    def s_star(self) -> np.ndarray:
        return np.asarray(self.utility.s_star(self.mu), dtype=float)

    @property
    def u_star(self) -> float:
        """``max_i u(s*(mu_i), mu_i)``, the per-round benchmark of regret."""
        return float(np.max(u_star(self.utility, self.mu)))

    def evaluate(self, candidates: np.ndarray, nodes: Sequence[Sequence[SeedTree]]) -> Evaluation:
        """Play candidates ``(R, P, K)`` on the seeds ``nodes[r][j]`` (J per replication)."""
        cand = np.asarray(candidates, dtype=float)
        n_rep, n_cand, k = cand.shape
        n_seeds = len(nodes[0])
        flat_nodes = [node for rep in nodes for node in rep]  # q = r * J + j
        shape = (n_rep, n_cand, n_seeds)
        out = {
            "expected_clicks": np.empty(shape + (k,)),
            "pulls": np.empty(shape + (k,), dtype=np.int64),
            "screened": np.empty(shape + (k,), dtype=bool),
            "regret": np.empty(shape),
        }
        per_seed = (2 * k + 1) * self.horizon * 8
        chunk = max(1, min(MAX_ROWS // n_cand, MAX_DRAW_BYTES // per_seed))
        for start in range(0, len(flat_nodes), chunk):
            qs = np.arange(start, min(start + chunk, len(flat_nodes)))
            draws = ClickDraws.from_seeds([flat_nodes[q] for q in qs], n_arms=k, horizon=self.horizon)
            # rows ordered (q, p): row_seed = local seed index
            r_of, j_of = np.divmod(qs, n_seeds)
            s_rows = cand[r_of].reshape(-1, k)
            res = play(
                self.learner(),
                s=s_rows,
                mu=self.mu,
                utility=self.utility,
                horizon=self.horizon,
                draws=draws,
                row_seed=np.repeat(np.arange(qs.size), n_cand),
                environment=self.environment,
            )
            for name, value in (
                ("expected_clicks", res.expected_clicks),
                ("pulls", res.pulls),
                ("screened", res.screened),
                ("regret", res.regret),
            ):
                v = value.reshape((qs.size, n_cand) + value.shape[1:])
                out[name][r_of, :, j_of] = v
        return Evaluation(horizon=self.horizon, **out)
