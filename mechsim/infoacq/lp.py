"""The optimal incentive-compatible mechanism as a linear program (spec §3.1-3.2), and the
metrics of any mechanism: receiver value, IC gains, violation, best-response misreports.

A mechanism is a :class:`MechanismTable`: an action lottery ``phi[j, a]`` for every
reported profile ``j`` and transfers ``pay[i, j] >= 0`` to sender ``i`` (limited
liability). The LP variables are ``x = [phi.ravel(), pay.ravel()]``; the IC rows are built
as sparse ``(row, col, value)`` triplets, vectorised per sender, so instances with 10^5
profiles fit (the LP has ``Σ_i S_i (A + 1) P`` nonzeros).

IC row ``(i, t, r)`` (sender ``i`` with true signal ``t`` reporting ``r``), weighted by the
joint law exactly as in §3.1 (the *ex-ante* scale)::

    Σ_{s-i} Σ_a W_i[(t, s-i), a] (phi[(r, s-i), a] - phi[(t, s-i), a])
        + Σ_{s-i} q_s[(t, s-i)] (pay[i, (r, s-i)] - pay[i, (t, s-i)])   <=  epsilon

Dividing by ``P(s_i = t)`` gives the *interim* gain (the sender's gain once it knows ``t``).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from mechsim.errors import MechsimError

__all__ = [
    "Coefficients",
    "MechanismTable",
    "LPSolution",
    "coefficients",
    "ic_triplets",
    "solve_ic_lp",
    "solve_cached",
    "solve_ic_lp_colgen",
    "ParametricICLP",
    "ic_gains",
    "receiver_value",
    "violation",
    "best_response_maps",
    "uninformed_table",
]

SOLVERS = ("HIGHS", "CLARABEL")


@dataclass(frozen=True, eq=False)
class Coefficients:
    """What the LP reads from a game (true or estimated).

    sizes : (S_1, .., S_n); W_R : (P, A); W_S : (n, P, A); q_s : (P,)
    """

    sizes: tuple[int, ...]
    W_R: np.ndarray
    W_S: np.ndarray
    q_s: np.ndarray

    @property
    def n_profiles(self) -> int:
        return self.W_R.shape[0]

    @property
    def n_actions(self) -> int:
        return self.W_R.shape[1]

    @property
    def n_senders(self) -> int:
        return len(self.sizes)

    def digest(self) -> str:
        h = hashlib.sha1(repr(self.sizes).encode())
        for a in (self.W_R, self.W_S, self.q_s):
            h.update(np.ascontiguousarray(a, dtype=float).tobytes())
        return h.hexdigest()


def coefficients(game: object) -> Coefficients:
    """The :class:`Coefficients` of an :class:`~mechsim.infoacq.game.InfoGame`."""
    return Coefficients(game.sig_sizes, game.W_R, game.W_S, game.q_s)  # type: ignore[attr-defined]


@dataclass(frozen=True, eq=False)
class MechanismTable:
    """A direct mechanism: ``phi`` (P, A) rows are lotteries; ``pay`` (n, P) >= 0 transfers to senders."""

    phi: np.ndarray
    pay: np.ndarray


@dataclass(frozen=True, eq=False)
class LPSolution:
    """``value`` (the LP objective on the coefficients it was given), the mechanism, solver facts."""

    value: float
    table: MechanismTable
    status: str
    solve_time: float
    n_rows: int
    nnz: int


def _by_sender(x: np.ndarray, sizes: tuple[int, ...], i: int) -> np.ndarray:
    """(P, ...) -> (S_i, P / S_i, ...): profiles grouped by sender ``i``'s signal."""
    rest = x.shape[1:]
    return np.moveaxis(x.reshape(sizes + rest), i, 0).reshape((sizes[i], -1) + rest)


def ic_triplets(coef: Coefficients, *, payments: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sparse IC rows as ``(rows, cols, vals, labels)``; ``labels`` (K, 3) = (i, t, r) per row.

    The order of the triplets depends only on the sizes and ``payments`` (not on the
    values), so :class:`ParametricICLP` can keep the pattern and update the values.
    """
    P, A = coef.n_profiles, coef.n_actions
    idx = np.arange(P, dtype=np.int64)
    rows, cols, vals, labels = [], [], [], []
    row0 = 0
    for i, S in enumerate(coef.sizes):
        tt, rr = np.nonzero(~np.eye(S, dtype=bool))
        K = tt.size
        if K == 0:
            continue
        ix = _by_sender(idx, coef.sizes, i)  # (S, M)
        Wi = _by_sender(coef.W_S[i], coef.sizes, i)  # (S, M, A)
        M = ix.shape[1]
        r_id = np.broadcast_to((row0 + np.arange(K))[:, None, None], (K, M, A))
        aa = np.arange(A)
        for sig, sign in ((rr, 1.0), (tt, -1.0)):
            rows.append(r_id.ravel())
            cols.append((ix[sig][:, :, None] * A + aa).ravel())
            vals.append((sign * Wi[tt]).ravel())
        if payments:
            qi = _by_sender(coef.q_s, coef.sizes, i)  # (S, M)
            rp = np.broadcast_to((row0 + np.arange(K))[:, None], (K, M))
            for sig, sign in ((rr, 1.0), (tt, -1.0)):
                rows.append(rp.ravel())
                cols.append((P * A + i * P + ix[sig]).ravel())
                vals.append((sign * qi[tt]).ravel())
        labels.append(np.stack([np.full(K, i), tt, rr], axis=1))
        row0 += K
    if not rows:
        e = np.zeros(0, dtype=np.int64)
        return e, e, np.zeros(0), np.zeros((0, 3), dtype=np.int64)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), np.concatenate(labels)


def _n_vars(coef: Coefficients, payments: bool) -> int:
    return coef.n_profiles * coef.n_actions + (coef.n_senders * coef.n_profiles if payments else 0)


def _objective(coef: Coefficients, payments: bool) -> np.ndarray:
    c = coef.W_R.ravel()
    return np.concatenate([c, -np.tile(coef.q_s, coef.n_senders)]) if payments else c


def _simplex_rows(P: int, A: int, nx: int) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(P * A), (np.repeat(np.arange(P), A), np.arange(P * A))), shape=(P, nx))


def _table(x: np.ndarray, coef: Coefficients, payments: bool) -> MechanismTable:
    P, A, n = coef.n_profiles, coef.n_actions, coef.n_senders
    phi = np.clip(np.asarray(x[: P * A]).reshape(P, A), 0.0, None)
    phi = phi / np.where(phi.sum(axis=1, keepdims=True) > 0, phi.sum(axis=1, keepdims=True), 1.0)
    pay = np.clip(np.asarray(x[P * A :]).reshape(n, P), 0.0, None) if payments else np.zeros((n, P))
    return MechanismTable(phi=phi, pay=pay)


def _solve(prob: cp.Problem, solver: str, **kw: object) -> None:
    if solver not in SOLVERS:
        raise MechsimError(f"unknown LP solver {solver!r}; expected one of {', '.join(SOLVERS)}")
    prob.solve(solver=getattr(cp, solver), **kw)
    if prob.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise MechsimError(f"the IC LP did not solve: status {prob.status!r}")


def solve_ic_lp(
    coef: Coefficients,
    *,
    payments: bool = True,
    epsilon: float = 0.0,
    payment_cap: float | None = None,
    solver: str = "HIGHS",
    highs_method: str | None = None,
) -> LPSolution:
    """The optimal (epsilon-)IC mechanism for ``coef``, built sparse and solved by cvxpy.

    Parameters
    ----------
    coef : the game's coefficients (true or estimated)
    payments : allow transfers ``pay >= 0`` to the senders (default True)
    epsilon : IC rows may be violated by this much (ex-ante scale; default 0, exact IC)
    payment_cap : upper bound on every transfer (None: unbounded)
    solver : ``"HIGHS"`` (default) or ``"CLARABEL"``
    highs_method : HiGHS's ``solver`` option (``"simplex"``, ``"ipm"``, ``"pdlp"``); None: HiGHS's choice
    """
    start = time.perf_counter()
    P, A = coef.n_profiles, coef.n_actions
    nx = _n_vars(coef, payments)
    rows, cols, vals, labels = ic_triplets(coef, payments=payments)
    x = cp.Variable(nx, nonneg=True)
    cons = [_simplex_rows(P, A, nx) @ x == 1]
    if labels.shape[0]:
        cons.append(sp.csr_matrix((vals, (rows, cols)), shape=(labels.shape[0], nx)) @ x <= float(epsilon))
    if payments and payment_cap is not None:
        cons.append(x[P * A :] <= float(payment_cap))
    prob = cp.Problem(cp.Maximize(_objective(coef, payments) @ x), cons)
    _solve(prob, solver, **({"highs_options": {"solver": highs_method}} if highs_method and solver == "HIGHS" else {}))
    return LPSolution(float(prob.value), _table(x.value, coef, payments), str(prob.status), time.perf_counter() - start, labels.shape[0], vals.size)


_CACHE: OrderedDict[tuple, LPSolution] = OrderedDict()


def solve_cached(coef: Coefficients, **kw: object) -> LPSolution:
    """:func:`solve_ic_lp` memoised on the coefficients and settings (the auditor replays
    one mechanism on many seeds; the LP is the same every time). Keeps 64 solutions."""
    key = (coef.digest(), tuple(sorted(kw.items())))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    sol = solve_ic_lp(coef, **kw)  # type: ignore[arg-type]
    _CACHE[key] = sol
    while len(_CACHE) > 64:
        _CACHE.popitem(last=False)
    return sol


class ParametricICLP:
    """The IC LP compiled once with cvxpy Parameters, re-solved on new estimates.

    The IC matrix is ``S @ (d * x[cols])`` with a constant 0/1 summing matrix ``S``, the
    nonzero values ``d`` and the objective ``c`` as Parameters and ``epsilon`` a Parameter,
    so the problem is DPP: cvxpy canonicalises it once and every :meth:`solve` only
    updates the numbers (with ``warm_start``).
    """

    def __init__(self, sizes: tuple[int, ...], n_actions: int, *, payments: bool, payment_cap: float | None, solver: str = "HIGHS") -> None:
        P = int(np.prod(sizes))
        dummy = Coefficients(tuple(sizes), np.zeros((P, n_actions)), np.zeros((len(sizes), P, n_actions)), np.zeros(P))
        self.sizes, self.payments, self.solver = tuple(sizes), payments, solver
        rows, cols, vals, labels = ic_triplets(dummy, payments=payments)
        nx = _n_vars(dummy, payments)
        self.x = cp.Variable(nx, nonneg=True)
        self.c = cp.Parameter(nx)
        self.d = cp.Parameter(vals.size)
        self.eps = cp.Parameter(nonneg=True)
        cons = [_simplex_rows(P, n_actions, nx) @ self.x == 1]
        if labels.shape[0]:
            S = sp.csr_matrix((np.ones(vals.size), (rows, np.arange(vals.size))), shape=(labels.shape[0], vals.size))
            cons.append(S @ cp.multiply(self.d, self.x[cols]) <= self.eps)
        if payments and payment_cap is not None:
            cons.append(self.x[P * n_actions :] <= float(payment_cap))
        self.prob = cp.Problem(cp.Maximize(self.c @ self.x), cons)
        self.n_rows, self.nnz = labels.shape[0], vals.size

    def solve(self, coef: Coefficients, epsilon: float) -> LPSolution:
        start = time.perf_counter()
        self.c.value = _objective(coef, self.payments)
        self.d.value = ic_triplets(coef, payments=self.payments)[2]
        self.eps.value = float(epsilon)
        _solve(self.prob, self.solver, warm_start=True)
        return LPSolution(float(self.prob.value), _table(self.x.value, coef, self.payments), str(self.prob.status), time.perf_counter() - start, self.n_rows, self.nnz)


# -- metrics of any mechanism ---------------------------------------------------------


def uninformed_table(coef: Coefficients) -> MechanismTable:
    """Ignore the reports and play the best prior action (IC, the no-information value)."""
    a = int(np.argmax(coef.W_R.sum(axis=0)))
    phi = np.zeros((coef.n_profiles, coef.n_actions))
    phi[:, a] = 1.0
    return MechanismTable(phi=phi, pay=np.zeros((coef.n_senders, coef.n_profiles)))


def receiver_value(coef: Coefficients, table: MechanismTable) -> float:
    """Receiver's expected utility under truthful reports, net of expected transfers."""
    return float(np.sum(coef.W_R * table.phi) - np.sum(table.pay @ coef.q_s))


def ic_gains(coef: Coefficients, table: MechanismTable) -> list[np.ndarray]:
    """Per sender, (S_i, S_i) ex-ante gains ``U[t, r] - U[t, t]`` of reporting ``r`` with signal ``t``.

    ``U[t, r] = Σ_{s-i} Σ_a W_i[(t, s-i), a] phi[(r, s-i), a] + q_s[(t, s-i)] pay[i, (r, s-i)]``
    (the others truthful). The diagonal is 0.
    """
    out = []
    for i, _ in enumerate(coef.sizes):
        Wi = _by_sender(coef.W_S[i], coef.sizes, i)
        ph = _by_sender(table.phi, coef.sizes, i)
        U = np.einsum("tma,rma->tr", Wi, ph)
        U += np.einsum("tm,rm->tr", _by_sender(coef.q_s, coef.sizes, i), _by_sender(table.pay[i], coef.sizes, i))
        out.append(U - np.diag(U)[:, None])
    return out


def violation(coef: Coefficients, table: MechanismTable, *, scale: str = "ex_ante") -> float:
    """``max_{i, t, r} [gain]_+``: the largest IC violation of ``table``.

    ``scale="ex_ante"`` uses the §3.1 rows (weighted by P(s_i = t), the LP's epsilon
    scale); ``"interim"`` divides by P(s_i = t) (the gain of a sender who knows ``t``).
    """
    best = 0.0
    for i, g in enumerate(ic_gains(coef, table)):
        if scale == "interim":
            marg = _by_sender(coef.q_s, coef.sizes, i).sum(axis=1)
            g = np.where(marg[:, None] > 0, g / np.where(marg[:, None] > 0, marg[:, None], 1.0), 0.0)
        elif scale != "ex_ante":
            raise MechsimError(f"unknown violation scale {scale!r}; expected 'ex_ante' or 'interim'")
        best = max(best, float(g.max(initial=0.0)))
    return best


def best_response_maps(coef: Coefficients, table: MechanismTable, *, tol: float = 1e-7) -> list[np.ndarray]:
    """Per sender, the misreport map ``r_i(t)`` maximising its interim utility, others truthful.

    Truthful reporting is kept unless some report gains more than ``tol`` (so an exact IC
    mechanism, whose binding constraints tie, leaves senders truthful).
    """
    maps = []
    for g in ic_gains(coef, table):
        best = g.argmax(axis=1)
        keep = g[np.arange(g.shape[0]), best] <= tol
        maps.append(np.where(keep, np.arange(g.shape[0]), best))
    return maps


def solve_ic_lp_colgen(coef: Coefficients, *, epsilon: float = 0.0, tol: float = 1e-10, max_iter: int = 5000) -> LPSolution:
    """The same LP without transfers, by column generation (Dantzig-Wolfe) over deterministic
    mechanisms: for instances with many profiles and few IC rows (many senders).

    The feasible set is a product of simplices cut by K IC rows. The master LP mixes
    deterministic mechanisms ``a(j)`` (columns: their objective and their K IC row values)
    under the K rows and a convexity row; pricing, given the row duals ``lam``, picks per
    profile ``argmax_a c[j, a] - (G^T lam)[j, a]`` (one sparse mat-vec). It stops when no
    column has positive reduced value (gap <= ``tol`` times the objective scale); the
    mechanism is the mix of the columns, so ``phi`` is a lottery exactly as in the LP.
    Masters are solved by HiGHS through ``scipy.optimize.linprog`` (duals needed each step).
    It pays off with few IC rows (many binary senders: 32 rows at 2.5e4 profiles); with
    hundreds of rows (three senders with 10 signals) it needs many columns and is slower
    than :func:`solve_ic_lp`.
    """
    from scipy.optimize import linprog

    start = time.perf_counter()
    P, A = coef.n_profiles, coef.n_actions
    rows, cols, vals, labels = ic_triplets(coef, payments=False)
    K = labels.shape[0]
    G = sp.csr_matrix((vals, (rows, cols)), shape=(K, P * A))
    GT = G.T.tocsr()
    c = coef.W_R.ravel()
    cols_a: list[np.ndarray] = [np.full(P, a) for a in range(A)] + [coef.W_R.argmax(axis=1)]
    flat = lambda acts: np.arange(P) * A + acts  # noqa: E731

    def column(acts: np.ndarray) -> tuple[float, np.ndarray]:
        x = flat(acts)
        return float(c[x].sum()), np.asarray(G[:, x].sum(axis=1)).ravel()

    objs, gs = zip(*(column(a) for a in cols_a))
    objs, gs = list(objs), list(gs)
    eps = float(epsilon)

    def lagrangian(lam: np.ndarray) -> tuple[float, np.ndarray]:
        """Upper bound ``eps * sum(lam) + sum_j max_a red[j, a]`` (any lam >= 0) and the argmax column."""
        red = (c - (GT @ lam if K else 0.0)).reshape(P, A)
        acts = red.argmax(axis=1)
        return float(eps * lam.sum() + red[np.arange(P), acts].sum()), acts

    best_ub, center = np.inf, np.zeros(K)
    value = -np.inf
    for _ in range(max_iter):
        res = linprog(-np.array(objs), A_ub=np.array(gs).T if K else None, b_ub=np.full(K, eps) if K else None,
                      A_eq=np.ones((1, len(objs))), b_eq=[1.0], bounds=(0, None), method="highs")
        if res.status != 0:
            raise MechsimError(f"the column-generation master LP did not solve: {res.message}")
        value = -res.fun
        lam = np.clip(-res.ineqlin.marginals, 0.0, None) if K else np.zeros(0)
        ub, acts = lagrangian(lam)
        if ub < best_ub:
            best_ub, center = ub, lam
        if best_ub - value <= tol * max(1.0, abs(value)):
            break
        # Wentges smoothing: price at a point between the best-bound duals and the master's,
        # which stops degenerate master duals from re-proposing useless columns
        ub_s, acts_s = lagrangian(0.5 * center + 0.5 * lam)
        if ub_s < best_ub:
            best_ub, center = ub_s, 0.5 * center + 0.5 * lam
        o, g = column(acts_s)
        if o - lam @ g - value + eps * lam.sum() <= tol * max(1.0, abs(value)):  # mis-priced: use the master's duals
            o, g = column(acts)
            acts_s = acts
        objs.append(o)
        gs.append(g)
        cols_a.append(acts_s)
    w = np.clip(res.x, 0.0, None)
    phi = np.zeros((P, A))
    for wk, acts in zip(w, cols_a[: w.size], strict=True):  # the last priced column may be unsolved at max_iter
        if wk > 0:
            phi[np.arange(P), acts] += wk
    phi /= phi.sum(axis=1, keepdims=True)
    return LPSolution(float(value), MechanismTable(phi=phi, pay=np.zeros((coef.n_senders, P))), "optimal", time.perf_counter() - start, K, vals.size)
