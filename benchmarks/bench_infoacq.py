"""Speed of the infoacq IC LP and of the online mechanisms, each against a baseline in the same run.

1. **Solve time against the number of signal profiles P** (10^2 .. 10^5): random games
   with binary (and one ternary) senders, 2 states, 2 actions, no payments; mechsim's
   sparse build (:func:`mechsim.infoacq.lp.solve_ic_lp`, cvxpy + HiGHS) against the spec's
   §3.2 sketch (one cvxpy expression per profile and IC row, built in Python loops),
   measured last and only up to 10^3 profiles (it takes minutes there),
   and, where there are at most 64 IC rows (many binary senders), the column-generation
   solver of the same LP (:func:`solve_ic_lp_colgen`, certified by its Lagrangian bound),
   which exploits the few dense rows (with hundreds of rows it converges slowly).
   Columns: build+solve seconds, IC rows, nonzeros, peak RSS after the solve.
2. **Online rounds per second for T = 10^5**: the full-feedback and explore-then-commit
   mechanisms on doubling epochs with the parametric (compiled-once, warm-started) LP,
   against the same full-feedback mechanism re-solving the LP *from scratch every round*
   (``schedule="every_round", parametric=False``), timed on its first rounds and reported
   as a rate (its per-round cost does not shrink with t, so the rate is representative).

Usage::

    python benchmarks/bench_infoacq.py            # full run, writes benchmarks/results/bench_infoacq*.csv
    python benchmarks/bench_infoacq.py --quick    # smoke run (seconds)

No thresholds are asserted; the numbers are for reading.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import platform
import resource
import time
from pathlib import Path

import cvxpy as cp
import numpy as np

from mechsim.infoacq.agents import Senders
from mechsim.infoacq.game import random_game, sanity_game
from mechsim.infoacq.lp import coefficients, solve_ic_lp, solve_ic_lp_colgen
from mechsim.infoacq.online import ExploreCommit, FullFeedback
from mechsim.infoacq.protocol import simulate

OUT = Path(__file__).resolve().parent / "results"


def spec_sketch(q: np.ndarray, uR: np.ndarray, uS: np.ndarray, sig_sizes: tuple[int, ...], payments: bool = False) -> float:
    """The spec's §3.2 cvxpy sketch, verbatim in structure (loops over profiles)."""
    n = len(sig_sizes)
    nA = uR.shape[0]
    profiles = list(itertools.product(*[range(k) for k in sig_sizes]))
    P = len(profiles)
    pidx = {s: j for j, s in enumerate(profiles)}
    Q = np.stack([q[(slice(None),) + s] for s in profiles], axis=1)
    phi = cp.Variable((P, nA), nonneg=True)
    p = cp.Variable((n, P), nonneg=True) if payments else None
    obj = cp.sum(cp.multiply(phi, Q.T @ uR.T))
    if payments:
        obj -= cp.sum(p @ Q.sum(axis=0))
    cons = [cp.sum(phi, axis=1) == 1]
    for i in range(n):
        Ui = Q.T @ uS[i].T
        for ti in range(sig_sizes[i]):
            for ri in range(sig_sizes[i]):
                if ti == ri:
                    continue
                dev = 0
                for s in profiles:
                    if s[i] != ti:
                        continue
                    j = pidx[s]
                    jr = pidx[s[:i] + (ri,) + s[i + 1 :]]
                    dev += Ui[j] @ (phi[jr] - phi[j])
                    if payments:
                        dev += Q[:, j].sum() * (p[i, jr] - p[i, j])
                cons.append(dev <= 0)
    prob = cp.Problem(cp.Maximize(obj), cons)
    prob.solve(solver=cp.HIGHS)
    return float(prob.value)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def bench_lp(sizes_list: list[tuple[int, ...]], sketch_max: int, path: Path) -> list[dict]:
    """Per size: column generation, then the cvxpy sparse build (simplex; interior point too at
    one size), written after each step so a long last solve loses nothing; the spec sketch
    last, for sizes up to ``sketch_max`` profiles."""
    rows: list[dict] = []
    games = [random_game(np.random.default_rng(len(z)), n_states=2, n_senders=len(z), n_signals=z, n_actions=2) for z in sizes_list]
    for g in games:
        row: dict = dict(n_profiles=g.n_profiles, n_senders=g.n_senders, ic_rows=sum(k * (k - 1) for k in g.sig_sizes))
        rows.append(row)
        cg = None
        if row["ic_rows"] <= 64:  # column generation is the fast path with few IC rows only
            t = time.perf_counter()
            cg = solve_ic_lp_colgen(coefficients(g))
            row.update(colgen_seconds=round(time.perf_counter() - t, 4), colgen_value=cg.value)
            write(path, rows)
        t = time.perf_counter()
        sol = solve_ic_lp(coefficients(g), payments=False)
        row.update(sparse_seconds=round(time.perf_counter() - t, 4), value=sol.value, nnz=sol.nnz, rss_mb=round(rss_mb(), 1))
        if cg is not None:
            row["colgen_value_diff"] = abs(cg.value - sol.value)
        if 10_000 <= g.n_profiles <= 30_000:  # HiGHS interior point on the same sparse build (one size: it is slower)
            t = time.perf_counter()
            ipm = solve_ic_lp(coefficients(g), payments=False, highs_method="ipm")
            row.update(sparse_ipm_seconds=round(time.perf_counter() - t, 4), ipm_value_diff=abs(ipm.value - sol.value))
        print(row, flush=True)
        write(path, rows)
    for g, row in zip(games, rows, strict=True):
        if g.n_profiles > sketch_max:
            continue
        t = time.perf_counter()
        v = spec_sketch(g.q, g.u_receiver, g.u_senders, g.sig_sizes)
        row.update(sketch_seconds=round(time.perf_counter() - t, 4), sketch_value_diff=abs(v - row["value"]))
        print(row, flush=True)
        write(path, rows)
    return rows


def run_online(mech: object, T: int, seed: int = 0) -> tuple[float, int, float]:
    g = sanity_game()
    t = time.perf_counter()
    sim = simulate(g, mech, Senders(), T, nature=np.random.default_rng(seed), mechanism_rng=np.random.default_rng(seed + 1), senders_rng=np.random.default_rng(seed + 2))
    try:
        while True:
            next(sim)
    except StopIteration as stop:
        run = stop.value
    return time.perf_counter() - t, mech.n_solves_, run.cum_regret  # type: ignore[attr-defined]


def bench_online(T: int, scratch_rounds: int) -> list[dict]:
    rows = []
    for label, mech, rounds in (
        ("full_feedback doubling parametric", FullFeedback(), T),
        ("explore_commit doubling parametric", ExploreCommit(alpha=0.8, confidence=0.1), T),
        ("full_feedback doubling from scratch", FullFeedback(parametric=False), T),
        ("full_feedback every round from scratch (baseline)", FullFeedback(schedule="every_round", parametric=False), scratch_rounds),
        ("full_feedback every round parametric", FullFeedback(schedule="every_round"), scratch_rounds),
    ):
        sec, solves, _ = run_online(mech, rounds)
        row = dict(variant=label, rounds=rounds, seconds=round(sec, 4), solves=solves, rounds_per_second=round(rounds / sec, 1), seconds_per_solve=round(sec / max(solves, 1), 5))
        print(row, flush=True)
        rows.append(row)
    return rows


def write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        sizes = [(10, 10), (2,) * 10]
        T, scratch, sketch_max = 2000, 50, 100
    else:
        sizes = [(10, 10), (10, 10, 10), (2,) * 13 + (3,), (2,) * 15 + (3,)]  # P = 100, 1000, 24576, 98304
        T, scratch, sketch_max = 100_000, 300, 1000
    suffix = "_quick" if args.quick else ""
    print(f"# {platform.platform()} python {platform.python_version()} cvxpy {cp.__version__}", flush=True)
    write(OUT / f"bench_infoacq_online{suffix}.csv", bench_online(T, scratch))
    bench_lp(sizes, sketch_max, OUT / f"bench_infoacq_lp{suffix}.csv")


if __name__ == "__main__":
    main()
