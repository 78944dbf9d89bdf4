"""Client steps per second of the vectorised federated clients against a per-client reference loop.

A *client step* is one client facing its arm set: LinUCB selection over K arms,
the reward, the statistics update, the upload buffer and the event-trigger
quantity ``log det(A_i) - log det(A_i - Delta V_i)``. Rows, measured in the same run:

- ``reference``: one client at a time, the way the group's reference code does it
  (``cyrilli/FedGLB-UCB/lib/DisLinUCB.py``): ``np.linalg.inv`` of ``V_i + lambda I``
  and two ``np.linalg.det`` for the trigger at every step, numpy arrays per
  client. Measured on ``--ref-iters`` iterations and reported as a rate;
- ``vectorised``: :class:`mechsim.fedbandits.kernels.ClientBatch` stepping all
  R x N clients at once (Sherman-Morrison and the incremental log-det, fused),
  with the protocol's buffers and trigger (``FedRun.client_step``), nature's
  draws included;
- ``vectorised_numba``: the same step on the numba path (``MECHSIM_BANDIT_KERNEL=numba``): one fused
  kernel per iteration for every row (index over the K arms, arm, Sherman-Morrison, buffers), the
  features gathered from the pool inside the kernel; bit-identical tables to ``vectorised``;
- ``vectorised_bandits_update``: the numpy path, with the bandits family's own
  ``LinUCB.update`` as the rank-one kernel (its stacked-matmul outer product);
- ``protocol_dislinucb`` / ``protocol_dislinucb_numba``: the whole run of ``fedbandits/large``'s DisLinUCB variant
  (communication rounds, downloads, tables) for ``--iters`` iterations.

Memory: bytes of the vectorised state arrays (computed), the traced peak
(``tracemalloc``) of a short vectorised run, and the process's peak RSS.

Usage::

    python benchmarks/bench_fedbandits.py           # N = 200, d = 25, K = 25
    python benchmarks/bench_fedbandits.py --quick   # seconds

No thresholds are asserted; the numbers are for reading.
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

import numpy as np

from mechsim.bandits import kernels
from mechsim.bandits.policies.linucb import LinUCB
from mechsim.core.runner import RunContext
from mechsim.core.scenario import load_scenario
from mechsim.core.seeding import SeedTree
from mechsim.fedbandits.environment import ArmPool
from mechsim.fedbandits.family import build_runs

RESULTS = Path(__file__).resolve().parent / "results"


def reference(n_agents: int, dim: int, n_arms: int, iters: int, seed: int = 0) -> float:
    """Client steps/s of the per-client loop with ``inv`` and ``det`` every step."""
    world = ArmPool(dim=dim, n_arms=n_arms).world(np.random.default_rng(seed))
    reg = 1.0
    v = [np.zeros((dim, dim)) for _ in range(n_agents)]
    b = [np.zeros(dim) for _ in range(n_agents)]
    dv = [np.zeros((dim, dim)) for _ in range(n_agents)]
    n_obs = [0] * n_agents
    eye = np.eye(dim)
    t0 = time.perf_counter()
    for _ in range(iters):
        draw = world.draw(n_agents)
        for i in range(n_agents):
            a_inv = np.linalg.inv(v[i] + reg * eye)
            theta = a_inv @ b[i]
            alpha = 0.1 * math.sqrt(dim * math.log1p(n_obs[i] / (dim * reg)) + 2 * math.log(100.0)) + math.sqrt(reg)
            x = draw.contexts[i]
            index = x @ theta + alpha * np.sqrt(np.einsum("kd,de,ke->k", x, a_inv, x))
            k = int(np.argmax(index))
            xk = x[k]
            y = draw.rewards[i, k]
            v[i] += np.outer(xk, xk)
            b[i] += y * xk
            dv[i] += np.outer(xk, xk)
            n_obs[i] += 1
            _ = math.log(np.linalg.det(v[i] + reg * eye) / np.linalg.det(v[i] - dv[i] + reg * eye))
    return n_agents * iters / (time.perf_counter() - t0)


def _fed_run(n_agents: int, dim: int, n_reps: int, iters: int, bandits_update: bool = False):
    sc = load_scenario("fedbandits/large", [f"scenario.n_agents={n_agents}", f"scenario.n_replications={n_reps}", f"environment.dim={dim}",
                                            f"scenario.n_rounds={iters}"])
    run = build_runs(sc, RunContext(seeds=SeedTree(sc.seed)))[0]
    if bandits_update:
        batch = run.batch

        def rank_one(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            q = np.einsum("bi,bij,bj->b", x, batch.v_inv_, x)
            batch.chosen_x_ = x
            LinUCB.update(batch, 0, None, y)
            return np.log1p(q)

        batch.rank_one = rank_one
    return run


def vectorised(n_agents: int, dim: int, n_reps: int, iters: int, *, bandits_update: bool = False, path: str = "numpy") -> float:
    with kernels.use(path):
        run = _fed_run(n_agents, dim, n_reps, iters, bandits_update)
    run.client_step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(iters):
        run.client_step()
        run.fired()
    return n_agents * n_reps * iters / (time.perf_counter() - t0)


def protocol(n_agents: int, dim: int, iters: int, path: str = "numpy") -> float:
    from mechsim.core.runner import run_scenario

    sc = load_scenario("fedbandits/large", [f"scenario.n_agents={n_agents}", f"environment.dim={dim}", f"scenario.n_rounds={iters}"])
    sc = sc.with_overrides([])
    raw = sc.to_dict()
    raw["mechanisms"] = {"dislinucb": {"id": "fedbandits/dislinucb-v1"}}
    from mechsim.core.scenario import parse_scenario

    t0 = time.perf_counter()
    with kernels.use(path):
        run_scenario(parse_scenario(raw))
    return n_agents * iters / (time.perf_counter() - t0)


def memory(n_agents: int, dim: int, n_reps: int, path: str = "numpy") -> dict[str, float]:
    tracemalloc.start()  # main() calls this after the timings, so the numba kernel is already compiled
    with kernels.use(path):
        run = _fed_run(n_agents, dim, n_reps, 3)
    for _ in range(3):
        run.client_step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    b = run.batch
    state = sum(a.nbytes for a in (b.v_inv_, b.b_, b.logdet_, b.n_rows_, run.up_v, run.up_b, run.up_n, run.trig_gain, run.trig_n, run.server_v, run.server_b))
    return {"state_mib": state / 2**20, "traced_peak_mib": peak / 2**20}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--agents", type=int, default=200)
    ap.add_argument("--dim", type=int, default=25)
    ap.add_argument("--arms", type=int, default=25)
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--ref-iters", type=int, default=5)
    ap.add_argument("--reps", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--repeats", type=int, default=3, help="each rate is the best of this many timings (shared machines)")
    a = ap.parse_args(argv)
    if a.quick:
        a.agents, a.dim, a.iters, a.ref_iters, a.reps, a.repeats = 20, 10, 20, 2, [1, 2], 1
    cases = [("reference", 1, lambda: reference(a.agents, a.dim, a.arms, a.ref_iters))]
    cases += [("vectorised", r, lambda r=r: vectorised(a.agents, a.dim, r, a.iters)) for r in a.reps]
    if kernels.HAVE_NUMBA:
        cases += [("vectorised_numba", r, lambda r=r: vectorised(a.agents, a.dim, r, a.iters, path="numba")) for r in a.reps]
    cases += [("vectorised_bandits_update", 1, lambda: vectorised(a.agents, a.dim, 1, a.iters, bandits_update=True)),
              ("protocol_dislinucb", 1, lambda: protocol(a.agents, a.dim, a.iters))]
    if kernels.HAVE_NUMBA:
        cases += [("protocol_dislinucb_numba", 1, lambda: protocol(a.agents, a.dim, a.iters, path="numba"))]
    best: dict[tuple[str, int], list[float]] = {}
    for _ in range(a.repeats):  # interleaved, so that a busy spell hits every method alike
        for name, r, fn in cases:
            best.setdefault((name, r), []).append(fn())
    rows = [{"method": name, "n_agents": a.agents, "dim": a.dim, "n_replications": r, "client_steps_per_s": max(v),
             "median_steps_per_s": float(np.median(v))} for (name, r), v in best.items()]
    ref = rows[0]["client_steps_per_s"]
    for row in rows:
        row["speedup_vs_reference"] = row["client_steps_per_s"] / ref
    mem = {f"R={r}": memory(a.agents, a.dim, r) for r in a.reps}
    if kernels.HAVE_NUMBA:
        mem.update({f"R={r} numba": memory(a.agents, a.dim, r, path="numba") for r in a.reps})
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "fedbandits_quick" if a.quick else "fedbandits"
    with open(RESULTS / f"bench_{stem}.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    meta = {"rows": rows, "memory": mem, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "python": sys.version.split()[0], "numpy": np.__version__, "machine": platform.machine(), "cpus": os.cpu_count(),
            "threads": os.environ.get("OMP_NUM_THREADS", "unset"), "numba": getattr(kernels._numba, "__version__", None),
            "load_average": os.getloadavg(), "args": vars(a)}
    (RESULTS / f"bench_{stem}.json").write_text(json.dumps(meta, indent=2))
    for row in rows:
        print(f"{row['method']:28s} R={row['n_replications']:<3d} {row['client_steps_per_s']:12.0f} client steps/s  x{row['speedup_vs_reference']:.1f}")
    for k, m in mem.items():
        print(f"memory {k}: state {m['state_mib']:.2f} MiB, traced peak {m['traced_peak_mib']:.2f} MiB")
    print(f"peak RSS {meta['peak_rss_mib']:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
