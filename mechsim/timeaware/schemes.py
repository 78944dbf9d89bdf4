"""Time-aware reward values in closed form over Harsanyi dividends (vectorised), and brute force.

Every scheme here is a *weighted* Shapley split of the valuation's dividends: with
``T_S = max_{j in S} t_j`` the time the last member of ``S`` joins,

    r_i = sum_{S ∋ i} W(S) d(v, S) / |S|,

for a weight ``W(S)`` in [0, 1] that depends on ``T_S`` (and ``|S|``):

=================================  ===========================================================
scheme                             ``W(S)``
=================================  ===========================================================
plain Shapley                      1
reward cumulation, literal         ``sum_{tau >= T_S} w_tau`` with ``w_tau = beta^tau / sum beta``
                                   (tau = 0 .. n_intervals-1); the interval game is
                                   ``v^tau(C) = v(C ∩ J_tau)``
reward cumulation, fallback        as literal for ``|S| >= 2``; 1 for singletons (non-joined
                                   parties keep their standalone value in each interval game)
time-aware valuation (gamma)       ``exp(-gamma T_S)`` for ``|S| >= 2``; 1 for singletons
=================================  ===========================================================

Why: the Shapley value of ``v(· ∩ J)`` is the split of the dividends of the
coalitions inside ``J``; summing over intervals with weights ``w_tau`` gives each
dividend the weight of the intervals in which all its members are present. The
brute-force functions (``*_bruteforce``) compute the same rewards from the
definitions (interval games, the time-aware game, an exact Shapley per game) with
Python loops over coalitions, as an independent check and the benchmark baseline.
"""

from __future__ import annotations

import math

import numpy as np

from mechsim.errors import ParameterError
from mechsim.valuation.dividends import check_table, popcounts, shapley_from_dividends

__all__ = [
    "interval_weights",
    "coalition_join_times",
    "cumulation_weights",
    "valuation_weights",
    "weighted_shapley",
    "cumulation_rewards",
    "valuation_rewards",
    "time_aware_table",
    "naive_rewards",
    "rho_scale",
    "shapley_loop",
    "cumulation_bruteforce",
    "valuation_bruteforce",
]


def interval_weights(beta: float, n_intervals: int) -> np.ndarray:
    """``(n_intervals,)`` weights ``w_tau = beta^tau / sum_tau' beta^tau'``; ``beta = inf``: all on the last."""
    if not (beta > 0) or n_intervals < 1:
        raise ParameterError(f"interval_weights needs beta in (0, inf] and n_intervals >= 1. Got beta={beta!r}, n_intervals={n_intervals!r}.")
    tau = np.arange(n_intervals, dtype=float)
    if math.isinf(beta):
        w = np.zeros(n_intervals)
        w[-1] = 1.0
        return w
    logw = tau * math.log(beta)
    w = np.exp(logw - logw.max())
    return w / w.sum()


def coalition_join_times(join_times: np.ndarray) -> np.ndarray:
    """``(2**n,)``: ``T_S = max_{j in S} t_j`` per coalition mask (``-inf`` for the empty set)."""
    t = np.asarray(join_times, dtype=float)
    out = np.full(1 << len(t), -np.inf)
    for i, ti in enumerate(t):
        # masks with bit i are the upper half of blocks of size 2^(i+1)
        view = out.reshape(-1, 2, 1 << i)
        view[:, 1, :] = np.maximum(view[:, 0, :], ti)
    return out


def cumulation_weights(join_times: np.ndarray, beta: float, n_intervals: int, standalone_fallback: bool) -> np.ndarray:
    """``(2**n,)`` dividend weights of reward cumulation (see the module table)."""
    t = np.asarray(join_times, dtype=float)
    if np.any(t < 0) or np.any(t > n_intervals - 1) or np.any(t != np.round(t)):
        raise ParameterError(
            f"reward cumulation needs integer join times in [0, n_intervals - 1 = {n_intervals - 1}]. Got {t.tolist()} instead."
        )
    tail = np.cumsum(interval_weights(beta, n_intervals)[::-1])[::-1]  # tail[k] = sum_{tau >= k} w_tau
    tail = np.minimum(tail, 1.0)
    tj = coalition_join_times(t)
    w = np.zeros_like(tj)
    w[1:] = tail[tj[1:].astype(np.int64)]
    if standalone_fallback:
        w[popcounts(len(t)) == 1] = 1.0
    return w


def valuation_weights(join_times: np.ndarray, gamma: float) -> np.ndarray:
    """``(2**n,)`` dividend weights ``min_{j in S} exp(-gamma t_j)`` for ``|S| >= 2``, 1 for singletons."""
    t = np.asarray(join_times, dtype=float)
    if np.any(t < 0):
        raise ParameterError(f"the time-aware valuation needs join times >= 0. Got {t.tolist()} instead.")
    tj = coalition_join_times(t)
    w = np.zeros_like(tj)
    w[1:] = np.exp(-gamma * tj[1:])
    w[popcounts(len(t)) == 1] = 1.0
    return w


def weighted_shapley(dividends: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``(n,)``: ``r_i = sum_{S ∋ i} weights(S) d(S) / |S|``."""
    return shapley_from_dividends(np.asarray(dividends) * np.asarray(weights))


def cumulation_rewards(dividends: np.ndarray, join_times: np.ndarray, beta: float, n_intervals: int, standalone_fallback: bool = True) -> np.ndarray:
    """Scheme 1 (time-aware reward cumulation) in closed form; ``(n,)``."""
    return weighted_shapley(dividends, cumulation_weights(join_times, beta, n_intervals, standalone_fallback))


def valuation_rewards(dividends: np.ndarray, join_times: np.ndarray, gamma: float) -> np.ndarray:
    """Scheme 2 (time-aware data valuation, ``lambda_i = exp(-gamma t_i)``) in closed form; ``(n,)``."""
    return weighted_shapley(dividends, valuation_weights(join_times, gamma))


def time_aware_table(dividends: np.ndarray, join_times: np.ndarray, gamma: float) -> np.ndarray:
    """``(2**n,)`` the time-aware game ``v_{C,t} = sum_{S ⊆ C} d(S) W(S)`` (A1-A3 inherited from ``v``)."""
    from mechsim.valuation.dividends import values_from_dividends

    return values_from_dividends(np.asarray(dividends) * valuation_weights(join_times, gamma))


def naive_rewards(shapley: np.ndarray, join_times: np.ndarray) -> np.ndarray:
    """The negative baseline ``phi_i / (t_i + 1)`` (Shapley divided by the 1-based join time)."""
    return np.asarray(shapley, dtype=float) / (np.asarray(join_times, dtype=float) + 1.0)


def rho_scale(scores: np.ndarray, grand_value: float, rho: float) -> np.ndarray:
    """rho-Shapley map (Sim et al. 2020): ``r_i = (s_i / max_k s_k)^rho * v_N``, scores clipped at 0."""
    s = np.maximum(np.asarray(scores, dtype=float), 0.0)
    top = s.max()
    if top <= 0:
        return np.zeros_like(s)
    return (s / top) ** rho * grand_value


# -- brute force: definitions with Python loops over coalitions ------------------------------


def shapley_loop(values: np.ndarray) -> np.ndarray:
    """Exact Shapley value by a per-coalition Python loop over marginal contributions (baseline)."""
    v, n = check_table(values, "shapley_loop")
    weight = [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    out = np.zeros(n)
    vl = v.tolist()
    for i in range(n):
        bit = 1 << i
        acc = 0.0
        for s in range(1 << n):
            if not s & bit:
                acc += weight[bin(s).count("1")] * (vl[s | bit] - vl[s])
        out[i] = acc
    return out


def cumulation_bruteforce(values: np.ndarray, join_times: np.ndarray, beta: float, n_intervals: int, standalone_fallback: bool = True) -> np.ndarray:
    """Scheme 1 from its definition: one interval game per tau, each valued by :func:`shapley_loop`."""
    v, n = check_table(values, "cumulation_bruteforce")
    t = np.asarray(join_times)
    w = interval_weights(beta, n_intervals)
    r = np.zeros(n)
    for tau in range(n_intervals):
        if w[tau] == 0.0:
            continue
        present = sum(1 << i for i in range(n) if t[i] <= tau)
        game = np.empty(1 << n)
        for c in range(1 << n):
            game[c] = v[c & present]
            if standalone_fallback:
                game[c] += sum(v[1 << i] for i in range(n) if (c >> i) & 1 and not (present >> i) & 1)
        r += w[tau] * shapley_loop(game)
    return r


def valuation_bruteforce(values: np.ndarray, join_times: np.ndarray, gamma: float) -> np.ndarray:
    """Scheme 2 from its definition: dividends by inclusion-exclusion, the time-aware game, its Shapley value."""
    v, n = check_table(values, "valuation_bruteforce")
    lam = np.exp(-gamma * np.asarray(join_times, dtype=float))
    size = 1 << n

    def submasks(s: int) -> list[int]:
        out, b = [], s
        while True:
            out.append(b)
            if b == 0:
                return out
            b = (b - 1) & s

    d = np.array([sum((-1) ** (bin(s).count("1") - bin(b).count("1")) * v[b] for b in submasks(s)) for s in range(size)])
    game = np.zeros(size)
    for c in range(1, size):
        for s in submasks(c):
            k = bin(s).count("1")
            if k == 1:
                game[c] += d[s]
            elif k >= 2:
                game[c] += d[s] * min(lam[i] for i in range(n) if (s >> i) & 1)
    return shapley_loop(game)
