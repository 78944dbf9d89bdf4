"""Participant selection of one communication round: log-det cover, greedy, critical values, brute force.

Notation (one replication, one round):

``base``     (d, d)    ``B = V_g + lambda I``, the server's statistics before the round;
``uploads``  (N, d, d) ``Delta V_j``, each client's data not yet shared;
``bids``     (N,)      reported costs (``inf``: the client does not take part);
``target``   float     ``log det(B + sum_{avail} Delta V) + log beta``: the round must reach
                       a ``beta`` share of full participation's information (det ratio >= beta).

The greedy rule adds ``argmax_j g_j(S) / bid_j`` (ties to the lowest index; a zero
bid with positive gain ranks first) until ``log det(B + sum_S Delta V) >= target``,
where ``g_j(S)`` is ``j``'s marginal log-det gain. It is monotone: lowering one's
bid raises one's ratio at every step, and the runs with and without a client
coincide until it is picked. Its critical value has the closed form of spec §2.3
(:func:`critical_value`), checked in the tests against a bisection on the report.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from mechsim.fedbandits.kernels import logdet_spd

__all__ = ["GreedyTrace", "round_target", "marginal_gains", "greedy_cover", "critical_value", "critical_values", "brute_force_cover", "data_values"]

#: relative slack when comparing log-dets with the target (rounding in Cholesky sums)
_TOL = 1e-10


def round_target(base: np.ndarray, uploads: np.ndarray, available: np.ndarray, beta: float) -> float:
    """``log det(B + sum_{j available} Delta V_j) + log beta`` (``-inf`` when ``beta = 0``)."""
    full = base + uploads[available].sum(axis=0)
    return float(logdet_spd(full)) + (math.log(beta) if beta > 0 else -math.inf)


def marginal_gains(current: np.ndarray, uploads: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """``g_j = log det(M + Delta V_j) - log det M`` for the candidates ``cand`` (indices); shape (len(cand),)."""
    if cand.size == 0:
        return np.zeros(0)
    return logdet_spd(current[None] + uploads[cand]) - float(logdet_spd(current))


def _ratio(gain: np.ndarray, bid: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(bid > 0, gain / np.where(bid > 0, bid, 1.0), np.where(gain > 0, np.inf, 0.0))
    return np.where(gain > 0, r, -np.inf)


@dataclass
class GreedyTrace:
    """The steps of one greedy run.

    picks : list of the clients added, in order
    gains : (m, N) marginal gains of every client at each step (``nan`` for those
        already in S or unavailable)
    reached : whether the target was reached
    logdet : log det of the final ``B + sum_S Delta V``
    """

    picks: list[int]
    gains: np.ndarray
    reached: bool
    logdet: float


def greedy_cover(
    base: np.ndarray,
    uploads: np.ndarray,
    bids: np.ndarray,
    target: float,
    *,
    available: np.ndarray,
    exclude: int | None = None,
    start: list[int] | None = None,
    weights: np.ndarray | None = None,
) -> GreedyTrace:
    """Greedy submodular cover by marginal log-det gain per unit of ``weights`` (default ``bids``).

    ``exclude`` is never picked (its gain is still traced, for the critical value);
    ``start`` is a prefix of already chosen clients (the shared prefix of a run
    without ``exclude``).
    """
    n = bids.shape[0]
    w = bids if weights is None else weights
    chosen = list(start or [])
    current = base + (uploads[chosen].sum(axis=0) if chosen else 0.0)
    level = float(logdet_spd(current))
    rows: list[np.ndarray] = []
    open_ = available.copy()
    open_[chosen] = False
    while level < target - _TOL * max(1.0, abs(target)):
        cand = np.flatnonzero(open_)
        g = np.full(n, np.nan)
        g[cand] = marginal_gains(current, uploads, cand)
        rows.append(g)
        pickable = cand[cand != exclude] if exclude is not None else cand
        if pickable.size == 0:
            break
        r = _ratio(g[pickable], w[pickable])
        best = int(np.argmax(r))  # first maximum: ties to the lowest index
        if not np.isfinite(r[best]) and r[best] < 0:
            break  # nobody adds information
        k = int(pickable[best])
        chosen.append(k)
        open_[k] = False
        current = current + uploads[k]
        level = float(logdet_spd(current))
    reached = level >= target - _TOL * max(1.0, abs(target))
    return GreedyTrace(chosen, np.array(rows).reshape(len(rows), n), reached, level)


def critical_value(
    i: int, base: np.ndarray, uploads: np.ndarray, bids: np.ndarray, target: float, *, available: np.ndarray, main: GreedyTrace | None = None
) -> float:
    """Largest bid at which ``i`` is still selected (``inf`` if ``i`` is essential).

    Runs the greedy without ``i`` (sharing the prefix of ``main``, the run with
    ``i``, up to ``i``'s pick) and takes ``max_j g_i(S_{j-1}) bid_{k_j} / g_{k_j}(S_{j-1})``.
    """
    prefix: list[int] = []
    terms: list[float] = []
    if main is not None and i in main.picks:
        p = main.picks.index(i)
        prefix = main.picks[:p]
        for j in range(p):
            k = main.picks[j]
            terms.append(_threshold(main.gains[j, i], main.gains[j, k], bids[k]))
    rest = greedy_cover(base, uploads, bids, target, available=available, exclude=i, start=prefix)
    if not rest.reached:
        return math.inf
    for j, k in enumerate(rest.picks[len(prefix) :]):
        terms.append(_threshold(rest.gains[j, i], rest.gains[j, k], bids[k]))
    return max(terms, default=0.0)


def _threshold(g_i: float, g_k: float, bid_k: float) -> float:
    if not g_i > 0:
        return 0.0
    if bid_k == 0:
        return 0.0
    return float(g_i * bid_k / g_k)


def critical_values(base: np.ndarray, uploads: np.ndarray, bids: np.ndarray, target: float, *, available: np.ndarray, main: GreedyTrace) -> np.ndarray:
    """(N,) critical value of every winner of ``main`` (``nan`` for losers)."""
    out = np.full(bids.shape[0], np.nan)
    for i in main.picks:
        out[i] = critical_value(i, base, uploads, bids, target, available=available, main=main)
    return out


def brute_force_cover(base: np.ndarray, uploads: np.ndarray, bids: np.ndarray, target: float, *, available: np.ndarray) -> tuple[list[int], bool]:
    """The cheapest feasible set by exhaustive search (ties: fewest members, then lexicographic).

    Returns ``(set, feasible)``; when no set reaches the target, all available clients.
    """
    avail = [int(j) for j in np.flatnonzero(available)]
    best: tuple[float, int, tuple[int, ...]] | None = None
    for size in range(len(avail) + 1):
        for combo in itertools.combinations(avail, size):
            cost = float(bids[list(combo)].sum()) if combo else 0.0
            if best is not None and cost > best[0]:
                continue
            m = base + (uploads[list(combo)].sum(axis=0) if combo else 0.0)
            if float(logdet_spd(m)) >= target - _TOL * max(1.0, abs(target)):
                key = (cost, size, combo)
                if best is None or key < best:
                    best = key
    if best is None:
        return avail, False
    return list(best[2]), True


def data_values(base: np.ndarray, uploads: np.ndarray, chosen: list[int], local_logdet: np.ndarray, kappa: float) -> np.ndarray:
    """(N,) data incentive ``kappa [log det(B + sum_S Delta V) - log det A_i]_+`` for the members of S (0 otherwise)."""
    out = np.zeros(local_logdet.shape[0])
    if chosen:
        new = float(logdet_spd(base + uploads[chosen].sum(axis=0)))
        out[chosen] = kappa * np.maximum(new - local_logdet[chosen], 0.0)
    return out
