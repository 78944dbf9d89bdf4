"""One epoch of the strategic click-bandit: a learner against fixed click-rates.

:func:`play` runs ``B`` independent games at once (rows), each with its own
click-rate profile ``s[b]`` and its own seed of common random numbers
``draws[row_seed[b]]``. Rows that share a seed and differ only in ``s`` are coupled:
that is how gradients and deviation gains are measured.

The inner loop over the ``T`` rounds is plain numpy over rows; the arms commit to
their click-rates before the epoch, so nothing inside it needs simulated time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mechsim.clickbandit.draws import ClickDraws
from mechsim.clickbandit.environment import ClickEnvironment
from mechsim.clickbandit.learners.base import ClickLearner, Truth
from mechsim.clickbandit.utility import u_star
from mechsim.errors import ParameterError

__all__ = ["PlayOutcome", "play"]


@dataclass(frozen=True)
class PlayOutcome:
    """What one epoch produced, per row.

    pulls : (B, K) int
        ``n_i(T)``, the number of times each arm was recommended.
    clicks : (B, K) int
        Realised clicks.
    expected_clicks : (B, K) float
        ``s_i * n_i(T)``, an unbiased, lower-variance estimate of the arm's utility
        ``E[sum_t 1{i_t = i} c_t]`` (a click is independent of the choice given the past).
    utility : (B,) float
        ``sum_t u(s_{i_t}, mu_{i_t})``, the learner's expected utility.
    regret : (B,) float
        ``T u* - utility`` with ``u* = max_i u(s*(mu_i), mu_i)``.
    screened : (B, K) bool
        Arms the learner eliminated by the end.
    arms : (T, B) int or None
        The arm sequence (only with ``trace=True``).
    """

    pulls: np.ndarray
    clicks: np.ndarray
    expected_clicks: np.ndarray
    utility: np.ndarray
    regret: np.ndarray
    screened: np.ndarray
    arms: np.ndarray | None = None


def play(
    learner: ClickLearner,
    *,
    s: np.ndarray,
    mu: np.ndarray,
    utility: Any,
    horizon: int,
    draws: ClickDraws,
    row_seed: np.ndarray | None = None,
    environment: ClickEnvironment | None = None,
    trace: bool = False,
) -> PlayOutcome:
    """Run ``learner`` (reset here) for ``horizon`` rounds on every row.

    Parameters
    ----------
    s : (B, K) float in [0, 1]
        Click-rate profile of each row.
    mu : (K,) float in [0, 1]
        Post-click reward means.
    utility : object with ``u`` and ``s_star``
    draws : ClickDraws with at least ``horizon`` draws per arm
    row_seed : (B,) int, default ``arange(B)``
        Which seed of ``draws`` each row uses.
    environment : maps reward uniforms to rewards; default Bernoulli(mu).
    """
    s = np.asarray(s, dtype=float)
    mu = np.asarray(mu, dtype=float)
    n_rows, n_arms = s.shape
    t_max = draws.clicks.shape[2]
    if horizon > t_max:
        raise ParameterError(f"The 'draws' parameter of play must hold at least horizon={horizon} rounds. Got {t_max} instead.")
    row_seed = np.arange(n_rows) if row_seed is None else np.asarray(row_seed, dtype=np.int64)
    env = environment if environment is not None else ClickEnvironment()

    truth = Truth(s=s, mu=mu) if learner.needs_truth else None
    learner.reset(n_agents=n_arms, n_rows=n_rows, horizon=horizon, utility=utility, truth=truth)

    flat_clicks = draws.clicks.reshape(-1)
    flat_rewards = draws.rewards.reshape(-1)
    learner_u = draws.learner[row_seed, :horizon].T.copy()  # (T, B): one contiguous row per round
    base = row_seed * (n_arms * t_max)
    rowk = np.arange(n_rows) * n_arms
    s_flat = s.reshape(-1)
    u_flat = np.asarray(utility.u(s, mu[None, :]), dtype=float).reshape(-1)

    pulls = np.zeros(n_rows * n_arms, dtype=np.int64)
    clicks = np.zeros(n_rows * n_arms, dtype=np.int64)
    total = np.zeros(n_rows)
    arm_log = np.empty((horizon, n_rows), dtype=np.int64) if trace else None

    for t in range(horizon):
        arms = learner.select(t, learner_u[t])
        pos = rowk + arms
        offset = base + arms * t_max
        n = pulls[pos]
        m = clicks[pos]
        clicked = flat_clicks[offset + n] < s_flat[pos]
        rewards = env.rewards(flat_rewards[offset + m], mu[arms]) * clicked
        pulls[pos] = n + 1
        clicks[pos] = m + clicked
        total += u_flat[pos]
        learner.update(t, arms, clicked, rewards)
        if arm_log is not None:
            arm_log[t] = arms

    pulls2 = pulls.reshape(n_rows, n_arms)
    best = float(np.max(u_star(utility, mu)))
    return PlayOutcome(
        pulls=pulls2,
        clicks=clicks.reshape(n_rows, n_arms),
        expected_clicks=s * pulls2,
        utility=total,
        regret=horizon * best - total,
        screened=learner.screened(),
        arms=arm_log,
    )
