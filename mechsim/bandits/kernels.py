"""Fused per-round kernels of the bandit policies (numba), and the switch that picks them.

Two paths run every policy that has a kernel:

- ``"numpy"``: the vectorised array code of the policy classes (one numpy call per
  operation per round; the reference the tests compare against);
- ``"numba"``: compiled loops. Per round they do selection, the reward lookup and the
  update in one pass over the (R, K) state; the protocol runs whole blocks of rounds
  in one call (:meth:`mechsim.bandits.base.Policy.run_block`), so a round costs no
  Python at all.

Both paths give the same arms, the same regret and the same tables for the same seed,
to the last bit. To get there the kernels keep three rules:

1. Every random number comes from the policy's own ``numpy.random.Generator``, in the
   order the numpy path consumes it. Draws whose count does not depend on the state
   (uniforms, normals) are drawn by numpy in blocks (an (n, R, K) draw consumes the
   stream exactly as n draws of (R, K)); Beta draws, whose parameters depend on the
   state, are drawn inside the kernel through numba's support for numpy generators,
   which runs numpy's own algorithms on the same bit generator (checked draw by draw
   in ``tests/bandits/test_kernels.py``).
2. Transcendental functions that numpy evaluates with its SIMD loops (``log``, ``exp``)
   can differ from libm in the last bit, so the kernels never evaluate them on state:
   ``log t`` is computed by numpy and passed in, and EXP3 (``exp`` of the state) has no
   kernel. ``sqrt`` and the four basic operations are correctly rounded on both paths
   and are written in the same order as the numpy expressions.
3. Ties go to the lowest index (``np.argmax``'s rule), written as strict ``>`` (the
   values are never NaN: every arm is pulled, or ranked +inf, before its index is read).

Choose the path with the environment variable ``MECHSIM_BANDIT_KERNEL`` (``auto``, the
default: numba where it is installed; ``numba``; ``numpy``) or, in code, with
``with kernels.use("numpy"): ...``. The path is read when a policy is reset.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from mechsim.errors import ParameterError

try:  # numba is optional (the ``fast`` extra); the numpy path needs nothing.
    import numba as _numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised where numba is absent
    _numba = None
    HAVE_NUMBA = False

__all__ = [
    "ENV_VAR",
    "HAVE_NUMBA",
    "PATHS",
    "block_length",
    "requested",
    "resolve",
    "use",
]

ENV_VAR = "MECHSIM_BANDIT_KERNEL"
PATHS = ("auto", "numba", "numpy")
#: Largest reward block (bytes of the (n, R, K) float table) the protocol draws at once.
BLOCK_BYTES = 1 << 22
#: Thompson-Beta draws per round from which the kernel path lets numpy draw the round's
#: Beta table in one batched call instead of drawing inside the kernel. Measured
#: (``benchmarks/bench_speed.py``, CPU time per draw, posterior parameters up to 10^3):
#: numpy's batched ``Generator.beta`` 58 ns, numba's ``Generator.beta`` 70 ns, gamma pairs
#: 57-71 ns (and a different stream); a numpy call per round costs about 10 us of Python,
#: so batching pays from about 10 us / 12 ns ~ 800 draws per round.
BETA_BATCH_MIN = 1024
_stack: list[str] = []


def _check(value: str, where: str) -> str:
    v = value.strip().lower()
    if v not in PATHS:
        raise ParameterError(f"{where} must be one of {', '.join(repr(p) for p in PATHS)}. Got {value!r} instead.")
    return v


def requested() -> str:
    """The path asked for: the innermost :func:`use`, else ``$MECHSIM_BANDIT_KERNEL``, else ``"auto"``."""
    if _stack:
        return _stack[-1]
    return _check(os.environ.get(ENV_VAR, "auto") or "auto", f"The environment variable {ENV_VAR}")


def resolve(choice: str | None = None) -> str:
    """``"numba"`` or ``"numpy"``: the path to run (``choice`` overrides :func:`requested`)."""
    c = requested() if choice is None else _check(choice, "The kernel path")
    if c == "auto":
        return "numba" if HAVE_NUMBA else "numpy"
    if c == "numba" and not HAVE_NUMBA:
        raise ParameterError(
            f"The kernel path 'numba' needs numba installed (pip install 'mechsim[fast]'); "
            f"set {ENV_VAR}=numpy or auto to use the numpy path."
        )
    return c


@contextmanager
def use(path: str) -> Iterator[None]:
    """Run policies reset inside the block on ``path`` (``"auto"``, ``"numba"`` or ``"numpy"``)."""
    _stack.append(_check(path, "The kernel path"))
    try:
        resolve()
        yield
    finally:
        _stack.pop()


def block_length(n_replications: int, n_arms: int, limit: int) -> int:
    """Rounds per block: at most ``limit`` and at most ``BLOCK_BYTES`` of (n, R, K) float rewards."""
    return int(max(1, min(limit, BLOCK_BYTES // (8 * n_replications * n_arms))))


def _jit(fn):  # noqa: ANN001, ANN202 - decorator
    if not HAVE_NUMBA:
        return fn
    return _numba.njit(cache=True, nogil=True)(fn)


# -- helpers ----------------------------------------------------------------------------


@_jit
def _argmax_row(x, r):  # noqa: ANN001, ANN202
    # selects instead of branches: about 1.5x faster on K = 10 (the argmax is data-dependent)
    best, bk = x[r, 0], 0
    for k in range(1, x.shape[1]):
        v = x[r, k]
        gt = v > best
        best = v if gt else best
        bk = k if gt else bk
    return bk


# -- UCB1 ---------------------------------------------------------------------------------


@_jit
def ucb1_select(index, sums, counts, t, n_arms, alpha, log_t, by_time, arms):  # noqa: ANN001, ANN201
    """Arms of round ``t`` into ``arms`` (R,): round robin, then argmax of the index."""
    n_reps, k_arms = counts.shape
    if t < n_arms:
        arms[:] = t
        return
    c = 2.0 * log_t
    for r in range(n_reps):
        if by_time:
            best, bk = -np.inf, 0
            for k in range(k_arms):
                v = sums[r, k] / counts[r, k] + alpha * np.sqrt(c / counts[r, k])
                if v > best or k == 0:
                    best, bk = v, k
            arms[r] = bk
        else:
            arms[r] = _argmax_row(index, r)


@_jit
def ucb1_update(index, sums, counts, arms, rewards, alpha, log_h, by_time):  # noqa: ANN001, ANN201
    c = 2.0 * log_h
    for r in range(arms.shape[0]):
        a = arms[r]
        counts[r, a] += 1.0
        sums[r, a] += rewards[r]
        if not by_time:
            index[r, a] = sums[r, a] / counts[r, a] + alpha * np.sqrt(c / counts[r, a])


@_jit
def ucb1_block(index, sums, counts, t0, n_arms, alpha, log_h, log_ts, by_time, rewards, arms):  # noqa: ANN001, ANN201
    """Rounds ``t0 .. t0+n-1`` on rewards (n, R, K); arms (n, R) out. One pass over the state per round."""
    n, n_reps, _ = rewards.shape
    c_h = 2.0 * log_h
    for i in range(n):
        t = t0 + i
        if t < n_arms or by_time:
            ucb1_select(index, sums, counts, t, n_arms, alpha, log_ts[i], by_time, arms[i])
            for r in range(n_reps):
                a = arms[i, r]
                counts[r, a] += 1.0
                sums[r, a] += rewards[i, r, a]
                if not by_time:
                    index[r, a] = sums[r, a] / counts[r, a] + alpha * np.sqrt(c_h / counts[r, a])
            continue
        for r in range(n_reps):  # fused: argmax, reward, update, index refresh
            a = _argmax_row(index, r)
            arms[i, r] = a
            counts[r, a] += 1.0
            sums[r, a] += rewards[i, r, a]
            index[r, a] = sums[r, a] / counts[r, a] + alpha * np.sqrt(c_h / counts[r, a])


# -- Thompson sampling, Beta ------------------------------------------------------------


@_jit
def ts_beta_select(gen, sums, counts, prior_a, prior_b, arms):  # noqa: ANN001, ANN201
    """One Beta draw per (r, k), row-major from ``gen``; row argmax into ``arms``."""
    n_reps, k_arms = counts.shape
    for r in range(n_reps):
        best, bk = -np.inf, 0
        for k in range(k_arms):
            s = sums[r, k]
            v = gen.beta(prior_a + s, prior_b + (counts[r, k] - s))
            if v > best or k == 0:
                best, bk = v, k
        arms[r] = bk


@_jit
def ts_beta_update(gen, sums, counts, arms, rewards):  # noqa: ANN001, ANN201
    """One uniform per replication (the Bernoulli trick), then the count and success updates."""
    for r in range(arms.shape[0]):
        a = arms[r]
        success = 1.0 if gen.random() < rewards[r] else 0.0
        counts[r, a] += 1.0
        sums[r, a] += success


@_jit
def argmax_rows(x, arms):  # noqa: ANN001, ANN201
    for r in range(x.shape[0]):
        arms[r] = _argmax_row(x, r)


@_jit
def ts_beta_update_drawn(sums, counts, arms, rewards, u):  # noqa: ANN001, ANN201
    """The Bernoulli trick with uniforms ``u`` (R,) drawn by numpy, then the updates."""
    for r in range(arms.shape[0]):
        a = arms[r]
        counts[r, a] += 1.0
        sums[r, a] += 1.0 if u[r] < rewards[r, a] else 0.0


@_jit
def ts_beta_block(gen, sums, counts, prior_a, prior_b, rewards, arms):  # noqa: ANN001, ANN201
    n, n_reps, _ = rewards.shape
    for i in range(n):
        ts_beta_select(gen, sums, counts, prior_a, prior_b, arms[i])
        for r in range(n_reps):
            a = arms[i, r]
            success = 1.0 if gen.random() < rewards[i, r, a] else 0.0
            counts[r, a] += 1.0
            sums[r, a] += success


# -- Thompson sampling, Gaussian -----------------------------------------------------------


@_jit
def ts_gauss_select(mean, sqrt_prec, z, arms):  # noqa: ANN001, ANN201
    n_reps, k_arms = mean.shape
    for r in range(n_reps):
        best, bk = -np.inf, 0
        for k in range(k_arms):
            v = mean[r, k] + z[r, k] / sqrt_prec[r, k]
            if v > best or k == 0:
                best, bk = v, k
        arms[r] = bk


@_jit
def ts_gauss_update(mean, sqrt_prec, sums, counts, arms, rewards, prior_prec, noise_prec, prior_term):  # noqa: ANN001, ANN201
    for r in range(arms.shape[0]):
        a = arms[r]
        counts[r, a] += 1.0
        sums[r, a] += rewards[r]
        precision = prior_prec + counts[r, a] * noise_prec
        mean[r, a] = (prior_term + sums[r, a] * noise_prec) / precision
        sqrt_prec[r, a] = np.sqrt(precision)


@_jit
def ts_gauss_block(mean, sqrt_prec, sums, counts, z, rewards, prior_prec, noise_prec, prior_term, arms):  # noqa: ANN001, ANN201
    n, n_reps, k_arms = rewards.shape
    for i in range(n):
        for r in range(n_reps):
            best, a = -np.inf, 0
            for k in range(k_arms):
                v = mean[r, k] + z[i, r, k] / sqrt_prec[r, k]
                if v > best or k == 0:
                    best, a = v, k
            arms[i, r] = a
            counts[r, a] += 1.0
            sums[r, a] += rewards[i, r, a]
            precision = prior_prec + counts[r, a] * noise_prec
            mean[r, a] = (prior_term + sums[r, a] * noise_prec) / precision
            sqrt_prec[r, a] = np.sqrt(precision)


# -- epsilon-greedy -----------------------------------------------------------------------


@_jit
def eps_select(means, u, v, eps, arms):  # noqa: ANN001, ANN201
    k_arms = means.shape[1]
    for r in range(means.shape[0]):
        if u[r] < eps:
            arms[r] = min(np.int64(v[r] * k_arms), k_arms - 1)
        else:
            arms[r] = _argmax_row(means, r)


@_jit
def eps_update(means, sums, counts, arms, rewards):  # noqa: ANN001, ANN201
    for r in range(arms.shape[0]):
        a = arms[r]
        counts[r, a] += 1.0
        sums[r, a] += rewards[r]
        means[r, a] = sums[r, a] / counts[r, a]


@_jit
def eps_block(means, sums, counts, uv, eps, rewards, arms):  # noqa: ANN001, ANN201
    n, n_reps, k_arms = rewards.shape
    for i in range(n):
        for r in range(n_reps):
            if uv[i, 0, r] < eps[i]:
                a = min(np.int64(uv[i, 1, r] * k_arms), k_arms - 1)
            else:
                a = _argmax_row(means, r)
            arms[i, r] = a
            counts[r, a] += 1.0
            sums[r, a] += rewards[i, r, a]
            means[r, a] = sums[r, a] / counts[r, a]


# -- explore-first ----------------------------------------------------------------------


@_jit
def explore_block(sums, counts, t0, n_arms, rewards, arms):  # noqa: ANN001, ANN201
    """Exploration rounds only (the caller splits the block at the commitment)."""
    n, n_reps, _ = rewards.shape
    for i in range(n):
        a = (t0 + i) % n_arms
        for r in range(n_reps):
            arms[i, r] = a
            counts[r, a] += 1.0
            sums[r, a] += rewards[i, r, a]


# -- successive elimination ----------------------------------------------------------------


@_jit
def se_select(active, played, arms):  # noqa: ANN001, ANN201
    n_reps, k_arms = active.shape
    for r in range(n_reps):
        a = 0
        for k in range(k_arms):
            if active[r, k] and not played[r, k]:
                a = k
                break
        arms[r] = a


@_jit
def se_update(active, played, n_active, left, sums, counts, radius2, arms, rewards):  # noqa: ANN001, ANN201
    k_arms = active.shape[1]
    for r in range(arms.shape[0]):
        a = arms[r]
        counts[r, a] += 1.0
        sums[r, a] += rewards[r]
        multi = n_active[r] > 1
        played[r, a] = multi
        if not multi:
            continue
        left[r] -= 1
        if left[r] != 0:
            continue
        best_lcb = -np.inf
        for k in range(k_arms):
            if active[r, k]:
                c = max(counts[r, k], 1.0)
                lcb = sums[r, k] / c - np.sqrt(radius2 / c)
                if lcb > best_lcb:
                    best_lcb = lcb
        n_on = 0
        for k in range(k_arms):
            if active[r, k]:
                c = max(counts[r, k], 1.0)
                if sums[r, k] / c + np.sqrt(radius2 / c) < best_lcb:
                    active[r, k] = False
                else:
                    n_on += 1
            played[r, k] = False
        n_active[r] = n_on
        left[r] = n_on


@_jit
def se_block(active, played, n_active, left, sums, counts, radius2, rewards, arms):  # noqa: ANN001, ANN201
    n, n_reps, _ = rewards.shape
    rw = np.empty(n_reps)
    for i in range(n):
        se_select(active, played, arms[i])
        for r in range(n_reps):
            rw[r] = rewards[i, r, arms[i, r]]
        se_update(active, played, n_active, left, sums, counts, radius2, arms[i], rw)


# -- regret bookkeeping ---------------------------------------------------------------------


@_jit
def regret_per_round(pseudo, realised, means, rewards, arms):  # noqa: ANN001, ANN201
    """Per-round benchmark for a block: means (n, K) shared or (n, R, K); rewards (n, R, K); arms (n, R)."""
    n, n_reps, k_arms = rewards.shape
    shared = means.ndim == 2
    for i in range(n):
        if shared:
            m = means[i]
            best = 0
            for k in range(1, k_arms):
                if m[k] > m[best]:
                    best = k
            for r in range(n_reps):
                a = arms[i, r]
                pseudo[r] += m[best] - m[a]
                realised[r] += rewards[i, r, best] - rewards[i, r, a]
        else:
            for r in range(n_reps):
                best = 0
                for k in range(1, k_arms):
                    if means[i, r, k] > means[i, r, best]:
                        best = k
                a = arms[i, r]
                pseudo[r] += means[i, r, best] - means[i, r, a]
                realised[r] += rewards[i, r, best] - rewards[i, r, a]


@_jit
def regret_fixed_arm(sum_means, sum_rewards, got_mean, got_reward, means, rewards, arms):  # noqa: ANN001, ANN201
    """Best-fixed-arm benchmark for a block (means (n, K) or (n, R, K))."""
    n, n_reps, k_arms = rewards.shape
    shared = means.ndim == 2
    for i in range(n):
        for r in range(n_reps):
            for k in range(k_arms):
                mk = means[i, k] if shared else means[i, r, k]
                sum_means[r, k] += mk
                sum_rewards[r, k] += rewards[i, r, k]
            a = arms[i, r]
            got_mean[r] += means[i, a] if shared else means[i, r, a]
            got_reward[r] += rewards[i, r, a]
