"""Speed and memory of the vectorised bandit policies against per-replication loops.

For every registered textbook policy this measures the rate of simulation steps, in
replication-steps per second (one replication advanced by one round: environment
draw + ``select`` + ``update``), of

- ``vectorised``: the mechsim policy stepping all R replications at once
  (default R = 1000, K = 10, T = 10^4);
- ``scalar``: a plain per-replication loop, the way a non-vectorised library
  (SMPyBandits-style) runs it: one object per replication, Python scalars and
  numpy scalar draws, LinUCB with per-replication (d, d) numpy arrays. It is
  measured on fewer replications and rounds (default 20 x 2000) and extrapolated
  as a rate, which flatters it slightly (its per-round cost is O(K), independent of t);
- ``loop_r1``: the mechsim policy itself with R = 1, looped over replications
  (what vectorising over replications buys for the same code), same reduced size.

Both sides draw rewards only for the chosen arm (Bernoulli with means spread over
[0.1, 0.9]); LinUCB's environment also draws K unit-norm contexts in R^d per
replication per round (d = 5), inside the timed loop. Peak memory is the traced
peak (``tracemalloc``, numpy buffers included) of a short vectorised run of the
same R and K (state arrays are allocated up front, so it does not grow with T),
plus the process's peak RSS at the end.

Usage::

    python benchmarks/bench_bandits.py            # full run, writes benchmarks/results/
    python benchmarks/bench_bandits.py --quick    # smoke run (seconds)

No thresholds are asserted here; the numbers are for reading.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

import mechsim
from mechsim.core.registry import ids, make

DIM = 5
RESULTS = Path(__file__).resolve().parent / "results"


# -- per-replication scalar baselines ------------------------------------------------


def _argmax(values: list[float]) -> int:
    best, best_k = -math.inf, 0
    for k, v in enumerate(values):
        if v > best:
            best, best_k = v, k
    return best_k


class ScalarUCB1:
    def __init__(self, k: int, horizon: int, rng: np.random.Generator) -> None:
        self.k, self.log_t = k, math.log(horizon)
        self.n, self.s = [0] * k, [0.0] * k

    def select(self, t: int, x: Any = None) -> int:
        if t < self.k:
            return t
        return _argmax([self.s[a] / self.n[a] + math.sqrt(2.0 * self.log_t / self.n[a]) for a in range(self.k)])

    def update(self, arm: int, reward: float) -> None:
        self.n[arm] += 1
        self.s[arm] += reward


class ScalarExploreFirst:
    def __init__(self, k: int, horizon: int, rng: np.random.Generator) -> None:
        self.k = k
        self.n_rounds = k * max(1, math.ceil((horizon / k) ** (2 / 3) * math.log(horizon) ** (1 / 3)))
        self.s = [0.0] * k
        self.best = -1

    def select(self, t: int, x: Any = None) -> int:
        if t < self.n_rounds:
            return t % self.k
        if self.best < 0:
            self.best = _argmax(self.s)
        return self.best

    def update(self, arm: int, reward: float) -> None:
        if self.best < 0:
            self.s[arm] += reward


class ScalarEpsilonGreedy:
    def __init__(self, k: int, horizon: int, rng: np.random.Generator) -> None:
        self.k, self.rng = k, rng
        self.n, self.s = [0] * k, [0.0] * k

    def select(self, t: int, x: Any = None) -> int:
        eps = min(1.0, (self.k * math.log(t + 1) / (t + 1)) ** (1 / 3))
        if self.rng.random() < eps:
            return int(self.rng.integers(self.k))
        return _argmax([self.s[a] / self.n[a] if self.n[a] else math.inf for a in range(self.k)])

    def update(self, arm: int, reward: float) -> None:
        self.n[arm] += 1
        self.s[arm] += reward


class ScalarSuccessiveElimination:
    def __init__(self, k: int, horizon: int, rng: np.random.Generator) -> None:
        self.c = 2.0 * math.log(horizon)
        self.active = list(range(k))
        self.queue = list(self.active)
        self.n, self.s = [0] * k, [0.0] * k

    def select(self, t: int, x: Any = None) -> int:
        return self.queue[0]

    def update(self, arm: int, reward: float) -> None:
        self.n[arm] += 1
        self.s[arm] += reward
        self.queue.pop(0)
        if self.queue:
            return
        if len(self.active) > 1:
            bounds = {a: (self.s[a] / self.n[a], math.sqrt(self.c / self.n[a])) for a in self.active}
            best_lcb = max(m - r for m, r in bounds.values())
            self.active = [a for a, (m, r) in bounds.items() if m + r >= best_lcb]
        self.queue = list(self.active)


class ScalarThompsonBeta:
    def __init__(self, k: int, horizon: int, rng: np.random.Generator) -> None:
        self.rng = rng
        self.a, self.b = [1.0] * k, [1.0] * k

    def select(self, t: int, x: Any = None) -> int:
        return _argmax([self.rng.beta(a, b) for a, b in zip(self.a, self.b)])

    def update(self, arm: int, reward: float) -> None:
        if self.rng.random() < reward:
            self.a[arm] += 1.0
        else:
            self.b[arm] += 1.0


class ScalarThompsonGaussian:
    def __init__(self, k: int, horizon: int, rng: np.random.Generator) -> None:
        self.rng = rng
        self.n, self.s = [0] * k, [0.0] * k

    def select(self, t: int, x: Any = None) -> int:
        return _argmax([s / (n + 1) + self.rng.standard_normal() / math.sqrt(n + 1) for n, s in zip(self.n, self.s)])

    def update(self, arm: int, reward: float) -> None:
        self.n[arm] += 1
        self.s[arm] += reward


class ScalarEXP3:
    def __init__(self, k: int, horizon: int, rng: np.random.Generator) -> None:
        self.k, self.rng = k, rng
        self.eta = math.sqrt(2.0 * math.log(k) / (k * horizon))
        self.loss = [0.0] * k

    def select(self, t: int, x: Any = None) -> int:
        low = min(self.loss)
        w = [math.exp(-self.eta * (v - low)) for v in self.loss]
        target = self.rng.random() * sum(w)
        acc = 0.0
        for a, wa in enumerate(w):
            acc += wa
            if acc > target:
                break
        self.p = w[a] / sum(w)
        return a

    def update(self, arm: int, reward: float) -> None:
        self.loss[arm] += (1.0 - reward) / self.p


class ScalarLinUCB:
    """One replication's OFUL with (d, d) numpy arrays (Sherman-Morrison), as a per-object library would."""

    def __init__(self, k: int, horizon: int, rng: np.random.Generator) -> None:
        self.v_inv = np.eye(DIM)
        self.b = np.zeros(DIM)
        self.n = 0

    def select(self, t: int, x: np.ndarray) -> int:
        beta = 0.1 * math.sqrt(DIM * math.log((1.0 + self.n) / 0.05)) + 1.0
        theta = self.v_inv @ self.b
        width = np.sqrt(np.einsum("kd,de,ke->k", x, self.v_inv, x))
        arm = int(np.argmax(x @ theta + beta * width))
        self.x = x[arm]
        return arm

    def update(self, arm: int, reward: float) -> None:
        vx = self.v_inv @ self.x
        self.v_inv -= np.outer(vx, vx) / (1.0 + self.x @ vx)
        self.b += reward * self.x
        self.n += 1


SCALAR = {
    "bandits/explore-first-v1": ScalarExploreFirst,
    "bandits/epsilon-greedy-v1": ScalarEpsilonGreedy,
    "bandits/successive-elimination-v1": ScalarSuccessiveElimination,
    "bandits/ucb1-v1": ScalarUCB1,
    "bandits/thompson-beta-v1": ScalarThompsonBeta,
    "bandits/thompson-gaussian-v1": ScalarThompsonGaussian,
    "bandits/exp3-v1": ScalarEXP3,
    "bandits/linucb-v1": ScalarLinUCB,
}


# -- timed loops ----------------------------------------------------------------------


class LinearWorld:
    """Unit-norm contexts in R^DIM and y = x^T theta + N(0, 0.1^2), for R replications."""

    def __init__(self, n_reps: int, k: int, rng: np.random.Generator) -> None:
        self.rng, self.shape = rng, (n_reps, k, DIM)
        theta = rng.standard_normal(DIM)
        self.theta = theta / np.linalg.norm(theta)

    def contexts(self) -> np.ndarray:
        x = self.rng.standard_normal(self.shape)
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    def rewards(self, chosen_x: np.ndarray) -> np.ndarray:
        return chosen_x @ self.theta + 0.1 * self.rng.standard_normal(chosen_x.shape[:-1])


def run_vectorised(policy_id: str, n_reps: int, k: int, horizon: int, steps: int | None = None, seed: int = 0) -> float:
    """Seconds to run ``steps`` (default ``horizon``) rounds of R replications."""
    policy = make(policy_id)
    env_rng, pol_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    means = np.linspace(0.1, 0.9, k)
    rows = np.arange(n_reps)
    world = LinearWorld(n_reps, k, env_rng) if policy.needs_contexts else None
    policy.reset(n_replications=n_reps, n_arms=k, horizon=horizon, rng=pol_rng, dim=DIM if world else None)
    start = time.perf_counter()
    for t in range(horizon if steps is None else steps):
        if world is not None:
            x = world.contexts()
            arms = policy.select(t, x)
            rewards = world.rewards(x[rows, arms])
        else:
            arms = policy.select(t)
            rewards = (env_rng.random(n_reps) < means[arms]).astype(float)
        policy.update(t, arms, rewards)
    return time.perf_counter() - start


def run_scalar(policy_id: str, n_reps: int, k: int, horizon: int, seed: int = 0) -> float:
    """Seconds for a per-replication scalar loop of ``n_reps`` replications x ``horizon`` rounds."""
    env_rng, pol_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    means = np.linspace(0.1, 0.9, k).tolist()
    contextual = make(policy_id).needs_contexts
    world = LinearWorld(1, k, env_rng) if contextual else None
    start = time.perf_counter()
    for _ in range(n_reps):
        policy = SCALAR[policy_id](k, horizon, pol_rng)
        for t in range(horizon):
            if world is not None:
                x = world.contexts()[0]
                arm = policy.select(t, x)
                reward = float(x[arm] @ world.theta + 0.1 * env_rng.standard_normal())
            else:
                arm = policy.select(t)
                reward = 1.0 if env_rng.random() < means[arm] else 0.0
            policy.update(arm, reward)
    return time.perf_counter() - start


def run_loop_r1(policy_id: str, n_reps: int, k: int, horizon: int) -> float:
    """Seconds for the mechsim policy with R = 1, looped over ``n_reps`` replications."""
    return sum(run_vectorised(policy_id, 1, k, horizon, seed=r) for r in range(n_reps))


def peak_memory(policy_id: str, n_reps: int, k: int, horizon: int, steps: int) -> int:
    """Traced peak bytes of ``steps`` vectorised rounds (state + temporaries)."""
    tracemalloc.start()
    try:
        run_vectorised(policy_id, n_reps, k, horizon, steps=steps)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# -- main -----------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smoke run: R=100, T=500, baselines 4 x 300")
    p.add_argument("--reps", type=int, default=1000, help="replications R of the vectorised run")
    p.add_argument("--arms", type=int, default=10, help="arms K")
    p.add_argument("--horizon", type=int, default=10_000, help="rounds T of the vectorised run")
    p.add_argument("--baseline-reps", type=int, default=20, help="replications of the baselines")
    p.add_argument("--baseline-horizon", type=int, default=2000, help="rounds of the baselines (and their T)")
    p.add_argument("--policies", nargs="*", default=None, help="policy ids (default: all registered)")
    p.add_argument("--out", type=Path, default=RESULTS, help="folder for the CSV and JSON")
    args = p.parse_args(argv)
    if args.quick:
        args.reps, args.horizon, args.baseline_reps, args.baseline_horizon = 100, 500, 4, 300
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    policies = args.policies or [i for i in ids("bandits.policy") if i in SCALAR]
    r, k, T, rb, tb = args.reps, args.arms, args.horizon, args.baseline_reps, args.baseline_horizon
    rows = []
    print(f"vectorised: R={r} K={k} T={T}; baselines: {rb} replications x {tb} rounds, rate extrapolated")
    head = f"{'policy':34s} {'vectorised/s':>13s} {'scalar/s':>11s} {'ratio':>7s} {'loop_r1/s':>11s} {'ratio':>7s} {'peak MiB':>9s}"
    print(head)
    for pid in policies:
        vec = r * T / run_vectorised(pid, r, k, T)
        scalar = rb * tb / run_scalar(pid, rb, k, tb)
        loop1 = rb * tb / run_loop_r1(pid, rb, k, tb)
        peak = peak_memory(pid, r, k, T, steps=min(T, 50))
        row = {
            "policy": pid,
            "vectorised_rate": vec,
            "scalar_rate": scalar,
            "ratio_vs_scalar": vec / scalar,
            "loop_r1_rate": loop1,
            "ratio_vs_loop_r1": vec / loop1,
            "peak_traced_mib": peak / 2**20,
        }
        rows.append(row)
        print(
            f"{pid:34s} {vec:13.3e} {scalar:11.3e} {vec / scalar:6.0f}x {loop1:11.3e} {vec / loop1:6.0f}x {peak / 2**20:9.2f}",
            flush=True,
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"process peak RSS: {rss:.0f} MiB")
    meta = {
        "reps": r,
        "arms": k,
        "horizon": T,
        "dim": DIM,
        "baseline_reps": rb,
        "baseline_horizon": tb,
        "quick": args.quick,
        "process_peak_rss_mib": rss,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "mechsim": mechsim.__version__,
        "machine": platform.platform(),
        "cpu_count": os.cpu_count(),
        "loadavg_1min": os.getloadavg()[0],
        "note": "rates are replication-steps per second; baseline rates are measured on baseline_reps x baseline_horizon and extrapolated",
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "bench_bandits" + ("_quick" if args.quick else "")
    with open(args.out / f"{stem}.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    (args.out / f"{stem}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2), encoding="utf-8")
    print(f"wrote {args.out / stem}.csv and .json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
