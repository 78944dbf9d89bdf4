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

import heapq
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


def _ratio(gain: float, weight: float) -> float:
    """Gain per unit of weight; ``inf`` for a free client that adds information, ``-inf`` for none."""
    if not gain > 0:
        return -math.inf
    return math.inf if weight <= 0 else gain / weight


@dataclass
class GreedyTrace:
    """The steps of one greedy run (after its ``start`` prefix).

    picks : the clients added, in order (``k_1 .. k_m``)
    mats : (m, d, d) ``B + sum_{S_{j-1}} Delta V``, the matrix before each pick
    levels : (m,) its log det
    pick_gains : (m,) ``g_{k_j}(S_{j-1})``
    track_gains : (m,) ``g_track(S_{j-1})`` of the tracked client (``nan`` without one)
    reached : whether the target was reached
    logdet : log det of the final matrix
    """

    picks: list[int]
    mats: np.ndarray
    levels: np.ndarray
    pick_gains: np.ndarray
    track_gains: np.ndarray
    reached: bool
    logdet: float


def _reached(level: float, target: float) -> bool:
    return level >= target - _TOL * max(1.0, abs(target))


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
    track: int | None = None,
) -> GreedyTrace:
    """Greedy submodular cover by marginal log-det gain per unit of ``weights`` (default ``bids``).

    Picks ``argmax_j g_j(S) / w_j`` (ties to the lowest index) until the target is
    reached. Lazy evaluation (Minoux): ``log det`` is submodular in the added
    matrices, so a gain computed at a smaller set bounds the current one, and only
    the heap's top is re-evaluated; this picks the same clients as evaluating every
    gain at every step. ``exclude`` is never picked; ``start`` is a prefix already
    chosen; ``track`` has its gain recorded at every step (for critical values).
    """
    w = bids if weights is None else weights
    chosen = list(start or [])
    current = base + (uploads[chosen].sum(axis=0) if chosen else 0.0)
    level = float(logdet_spd(current))
    open_ = available.copy()
    open_[chosen] = False
    if exclude is not None:
        open_[exclude] = False
    cand = np.flatnonzero(open_)
    heap = []
    if not _reached(level, target) and cand.size:
        g0 = marginal_gains(current, uploads, cand)
        heap = [(-_ratio(float(g), float(w[k])), int(k), 0, float(g)) for k, g in zip(cand, g0, strict=True)]
        heapq.heapify(heap)
    picks: list[int] = []
    mats, levels, pgains, tgains = [], [], [], []
    step = 0
    while not _reached(level, target) and heap:
        negr, k, when, g = heapq.heappop(heap)
        if when != step:  # stale bound: re-evaluate at the current set
            g = float(logdet_spd(current + uploads[k])) - level
            entry = (-_ratio(g, float(w[k])), k, step, g)
            if heap and entry > heap[0]:
                heapq.heappush(heap, entry)
                continue
            negr = entry[0]
        if negr == math.inf:
            break  # nobody adds information
        mats.append(current)
        levels.append(level)
        pgains.append(g)
        tgains.append(float(logdet_spd(current + uploads[track])) - level if track is not None else math.nan)
        picks.append(k)
        current = current + uploads[k]
        level = level + g  # the fresh gain is exactly the log-det step
        step += 1
    d = base.shape[0]
    return GreedyTrace(
        picks, np.array(mats).reshape(len(mats), d, d), np.array(levels), np.array(pgains), np.array(tgains), _reached(level, target), level
    )


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
        if p:
            gi = logdet_spd(main.mats[:p] + uploads[i][None]) - main.levels[:p]
            terms += [_threshold(float(gi[j]), float(main.pick_gains[j]), float(bids[main.picks[j]])) for j in range(p)]
    rest = greedy_cover(base, uploads, bids, target, available=available, exclude=i, start=prefix, track=i)
    if not rest.reached:
        return math.inf
    terms += [_threshold(float(gi), float(gk), float(bids[k])) for gi, gk, k in zip(rest.track_gains, rest.pick_gains, rest.picks, strict=True)]
    return max(terms, default=0.0)


def _threshold(g_i: float, g_k: float, bid_k: float) -> float:
    if not g_i > 0 or bid_k == 0:
        return 0.0
    return float(g_i * bid_k / g_k)


def critical_values(base: np.ndarray, uploads: np.ndarray, bids: np.ndarray, target: float, *, available: np.ndarray, main: GreedyTrace) -> np.ndarray:
    """(N,) critical value of every winner of ``main`` (``nan`` for losers).

    A winner without whom even every other available client falls short of the
    target is essential (``inf``), found with one batched log-det before any greedy run.
    """
    out = np.full(bids.shape[0], np.nan)
    if not main.picks:
        return out
    full = base + uploads[available].sum(axis=0)
    winners = np.array(main.picks)
    without = logdet_spd(full[None] - uploads[winners])
    for i, lvl in zip(main.picks, without, strict=True):
        out[i] = math.inf if not _reached(float(lvl), target) else critical_value(i, base, uploads, bids, target, available=available, main=main)
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
