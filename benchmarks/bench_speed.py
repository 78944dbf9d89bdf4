"""Issue 15's table in one run: bandit kernels vs SMPyBandits and plain loops; the measured limit; scaling.

Everything below is measured in one run, so the ratios hold even on a shared machine
(absolute rates move with the load; the 1-minute load average is recorded). Rates are
per CPU second of the measuring process (``time.process_time``; the SMPyBandits worker
measures its own), which is less disturbed by other jobs on the cores than wall time;
wall times are in the CSV too.

Rows of the table (rates are replication-steps per second; one replication-step is
one replication advanced by one round):

- ``mechsim`` end to end: ``mechsim.run`` of a one-policy Bernoulli scenario (K = 10
  arms, means spread over [0.1, 0.9]) on the ``numba`` and the ``numpy`` kernel path:
  the environment's full (R, K) reward table per round (realised regret needs it),
  the policy, the regret bookkeeping and the recorded checkpoints;
- ``kernel only``: the policy's ``run_block`` on pre-drawn reward tables (no
  environment, no bookkeeping): what the fused kernel itself costs;
- ``SMPyBandits 0.9.7``: its ``UCB`` / ``Thompson`` objects in the usual loop
  (``choice`` / draw / ``getReward``), one replication after another, in a separate
  venv (it needs numpy < 2, scipy < 1.15, pandas < 2.3; created here under
  ``benchmarks/.venv-smpybandits`` if absent, or ``$SMPYBANDITS_PYTHON``);
- ``plain loop``: the per-replication Python loop of ``bench_bandits.py``.

Baselines run on fewer replications and rounds than mechsim and are compared as rates
(their per-step cost does not depend on R and barely on t).

The measured limit: bytes touched per replication-step (a model of the kernel path's
memory traffic: the environment writes K uniforms, reads them and writes K rewards, the
kernel and the bookkeeping read the reward row, the policy reads K index entries and
writes three) against the machine's memory bandwidth measured by a numpy copy of a
256 MiB array in the same run.

Scaling: end-to-end time and traced peak memory against replications (1 .. 10^5, T =
1000) and against the horizon (10^3 .. 10^6, R = 1), kernel and numpy paths, written to
``benchmarks/results/bench_speed_scaling.csv`` and ``bench_speed_scaling.png``.

Usage::

    python benchmarks/bench_speed.py           # full run (several minutes)
    python benchmarks/bench_speed.py --quick   # smoke run
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SMPY_VENV = HERE / ".venv-smpybandits"
SMPY_PINS = ["SMPyBandits==0.9.7", "numpy<2", "scipy<1.15", "pandas<2.3"]
K = 10
MEANS = np.linspace(0.1, 0.9, K)
POLICIES = {"ucb1": ("bandits/ucb1-v1", "UCB"), "thompson": ("bandits/thompson-beta-v1", "Thompson")}

sys.path.insert(0, str(HERE))


# -- SMPyBandits in its own venv ----------------------------------------------------------

SMPY_WORKER = r"""
import json, sys, time, warnings, io, contextlib
warnings.filterwarnings("ignore")
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    import numpy as np
    import SMPyBandits
    from SMPyBandits.Policies import UCB, Thompson
name, k, horizon, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cls = {"UCB": UCB, "Thompson": Thompson}[name]
means = np.linspace(0.1, 0.9, k).tolist()
rng = np.random.default_rng(0)
start, cpu = time.perf_counter(), time.process_time()
for _ in range(reps):
    policy = cls(k)
    policy.startGame()
    for t in range(horizon):
        arm = policy.choice()
        policy.getReward(arm, 1.0 if rng.random() < means[arm] else 0.0)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "steps": reps * horizon, "version": SMPyBandits.__version__, "numpy": np.__version__}))
"""


def smpy_python() -> tuple[str | None, str]:
    """An interpreter with SMPyBandits 0.9.7, installing it into ``SMPY_VENV`` if needed; or (None, why)."""
    env = os.environ.get("SMPYBANDITS_PYTHON")
    if env:
        return env, f"$SMPYBANDITS_PYTHON={env}"
    py = SMPY_VENV / "bin" / "python"
    if not py.exists():
        print(f"installing {' '.join(SMPY_PINS)} into {SMPY_VENV} ...", flush=True)
        base = "python3" if sys.prefix != sys.base_prefix else sys.executable
        try:
            subprocess.run([base, "-m", "venv", str(SMPY_VENV)], check=True, capture_output=True)
            subprocess.run([str(py), "-m", "pip", "install", "--quiet", *SMPY_PINS], check=True, capture_output=True, timeout=900)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            tail = getattr(exc, "stderr", b"") or b""
            return None, f"SMPyBandits could not be installed: {exc} {tail.decode(errors='replace')[-400:]}"
    return str(py), str(SMPY_VENV)


def smpy_rate(py: str, name: str, horizon: int, reps: int) -> dict[str, Any]:
    out = subprocess.run([py, "-c", SMPY_WORKER, name, str(K), str(horizon), str(reps)], check=True, capture_output=True, text=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["rate"] = res["steps"] / res["cpu_seconds"]
    return res


# -- mechsim --------------------------------------------------------------------------------


def scenario(policy_id: str, n_reps: int, horizon: int, checkpoints: int = 20) -> Any:
    from mechsim.core.scenario import parse_scenario

    return parse_scenario(
        {
            "scenario": {
                "name": "bench-speed",
                "family": "bandits",
                "seed": 0,
                "n_replications": n_reps,
                "n_rounds": horizon,
                "checkpoints": checkpoints,
            },
            "environment": {"id": "bandits/bernoulli-v1", "means": MEANS.tolist()},
            "policies": {"p": {"id": policy_id}},
        }
    )


def mechsim_run(policy_id: str, n_reps: int, horizon: int, path: str, memory: bool = False) -> dict[str, float]:
    import mechsim
    from mechsim.bandits import kernels

    sc = scenario(policy_id, n_reps, horizon)
    with kernels.use(path):
        if memory:
            tracemalloc.start()
        t0, c0 = time.perf_counter(), time.process_time()
        mechsim.run(sc)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        peak = tracemalloc.get_traced_memory()[1] if memory else 0
        if memory:
            tracemalloc.stop()
    return {"seconds": seconds, "cpu_seconds": cpu, "rate": n_reps * horizon / cpu, "peak_mib": peak / 2**20}


def kernel_only(policy_id: str, n_reps: int, horizon: int) -> dict[str, float]:
    """``run_block`` alone on reward tables drawn beforehand (blocks as the protocol cuts them)."""
    from mechsim.bandits import kernels
    from mechsim.core.registry import make

    policy = make(policy_id)
    with kernels.use("numba"):
        policy.reset(n_replications=n_reps, n_arms=K, horizon=horizon, rng=np.random.default_rng(1))
    n = kernels.block_length(n_reps, K, max(1, horizon // 200))
    rewards = (np.random.default_rng(2).random((n, n_reps, K)) < MEANS).astype(float)
    seconds, cpu, t = 0.0, 0.0, 0
    while t < horizon:
        m = min(n, horizon - t)
        blk = rewards[:m]
        t0, c0 = time.perf_counter(), time.process_time()
        policy.run_block(t, blk)
        seconds += time.perf_counter() - t0
        cpu += time.process_time() - c0
        t += m
    return {"seconds": seconds, "cpu_seconds": cpu, "rate": n_reps * horizon / cpu}


def plain_loop(policy_id: str, horizon: int, reps: int) -> dict[str, float]:
    from bench_bandits import run_scalar

    c0 = time.process_time()
    seconds = run_scalar(policy_id, reps, K, horizon)
    cpu = time.process_time() - c0
    return {"seconds": seconds, "cpu_seconds": cpu, "rate": reps * horizon / cpu}


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel used below, outside the timings."""
    for pid, _ in POLICIES.values():
        mechsim_run(pid, 3, 300, "numba")
        kernel_only(pid, 3, 300)


# -- Thompson's Beta draws: the options ----------------------------------------------------------


def beta_options(n: int = 1_000_000) -> dict[str, float]:
    """Nanoseconds per Beta draw, for posterior parameters like a long run's ((1 + S, 1 + F), S + F up to 10^3).

    - ``numpy_batched``: ``Generator.beta`` on arrays (the numpy path: one call per round of R*K draws);
    - ``numba_generator``: ``Generator.beta`` called from compiled code on the same bit
      generator (the kernel path; the same stream as numpy, checked by the tests);
    - ``numpy_gamma_pairs`` / ``numba_gamma_pairs``: ``X / (X + Y)`` from two
      ``standard_gamma`` draws (what numpy's beta does for a, b > 1), batched by numpy or
      in compiled code: same distribution, but the draws interleave differently, so a
      different stream from the numpy path;
    - ``numpy_uniforms``: a floor, one uniform per draw.
    """
    import numba

    @numba.njit(cache=True)
    def nb_beta(gen, a, b, out):  # noqa: ANN001, ANN202
        for i in range(a.size):
            out[i] = gen.beta(a[i], b[i])

    @numba.njit(cache=True)
    def nb_gamma_pairs(gen, a, b, out):  # noqa: ANN001, ANN202
        for i in range(a.size):
            x = gen.standard_gamma(a[i])
            out[i] = x / (x + gen.standard_gamma(b[i]))

    rng = np.random.default_rng(0)
    n_obs = rng.integers(0, 1000, n).astype(float)
    s = np.floor(n_obs * rng.uniform(0.1, 0.9, n))
    a, b = 1.0 + s, 1.0 + (n_obs - s)
    out = np.empty(n)
    nb_beta(rng, a[:10], b[:10], out[:10])
    nb_gamma_pairs(rng, a[:10], b[:10], out[:10])
    g = np.random.default_rng(1)
    opts = {
        "numpy_batched": lambda: g.beta(a, b),
        "numba_generator": lambda: nb_beta(g, a, b, out),
        "numpy_gamma_pairs": lambda: (lambda x: x / (x + g.standard_gamma(b)))(g.standard_gamma(a)),
        "numba_gamma_pairs": lambda: nb_gamma_pairs(g, a, b, out),
        "numpy_uniforms": lambda: g.random(n),
    }
    best = {k: float("inf") for k in opts}
    for _ in range(5):  # interleaved, best of 5: the load of a shared machine moves between calls
        for k, f in opts.items():
            best[k] = min(best[k], _cpu_timed(f))
    return {k: v / n * 1e9 for k, v in best.items()}


# -- the measured limit ----------------------------------------------------------------------


def copy_bandwidth(mib: int = 256, repeats: int = 5) -> float:
    """Bytes per second of ``np.copyto`` (read + write counted) on a ``mib`` MiB array, best of ``repeats``."""
    a = np.ones(mib * 2**20 // 8)
    b = np.empty_like(a)
    np.copyto(b, a)
    best = min(_timed(lambda: np.copyto(b, a)) for _ in range(repeats))
    return 2 * a.nbytes / best


def _cpu_timed(fn: Any) -> float:
    """CPU seconds of ``fn`` (this thread), less sensitive than wall time to other jobs on the machine."""
    t0 = time.thread_time()
    fn()
    return time.thread_time() - t0


def _timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bytes_per_step(k: int = K) -> dict[str, int]:
    """Model of the kernel path's memory traffic per replication-step, in bytes (float64)."""
    env = 8 * k * 3  # write K uniforms, read them, write K rewards
    reads = 8 * k * 2  # the policy kernel and the regret bookkeeping read the reward row
    state = 8 * k + 3 * 8 * 2  # the K index entries, read; counts, sums, index at the arm, read + written
    return {"environment": env, "reward_reads": reads, "policy_state": state, "total": env + reads + state}


# -- scaling -----------------------------------------------------------------------------------


def scaling(quick: bool) -> list[dict[str, Any]]:
    rows = []
    reps_grid = [1, 10, 100, 1000] if quick else [1, 10, 100, 1000, 10_000, 100_000]
    for name, (pid, _) in POLICIES.items():
        for r in reps_grid:
            for path in ("numba", "numpy"):
                if path == "numpy" and r * 1000 > 2e7 and name == "thompson":
                    continue  # minutes of beta draws: the kernel row says enough
                res = mechsim_run(pid, r, 1000, path, memory=True)
                rows.append({"policy": name, "path": path, "axis": "replications", "n_replications": r, "n_rounds": 1000, **res})
                print(f"  scaling {name:8s} {path:5s} R={r:>7d} T=1000   {res['seconds']:8.3f} s  {res['peak_mib']:8.1f} MiB", flush=True)
    t_grid = [1000, 10_000] if quick else [1000, 10_000, 100_000, 1_000_000]
    for name, (pid, _) in POLICIES.items():
        for horizon in t_grid:
            for path in ("numba", "numpy"):
                if path == "numpy" and horizon > 100_000:
                    continue  # ~25k steps/s: 40 s per point
                res = mechsim_run(pid, 1, horizon, path, memory=True)
                rows.append({"policy": name, "path": path, "axis": "horizon", "n_replications": 1, "n_rounds": horizon, **res})
                print(f"  scaling {name:8s} {path:5s} R=1 T={horizon:>8d}   {res['seconds']:8.3f} s  {res['peak_mib']:8.1f} MiB", flush=True)
    return rows


def plot_scaling(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for col, (axis, key, label) in enumerate([("replications", "n_replications", "replications R (T = 1000)"), ("horizon", "n_rounds", "horizon T (R = 1)")]):
        for name in POLICIES:
            for p, style in (("numba", "-o"), ("numpy", "--s")):
                sel = sorted((r for r in rows if r["axis"] == axis and r["policy"] == name and r["path"] == p), key=lambda r: r[key])
                if not sel:
                    continue
                x = [r[key] for r in sel]
                axes[0, col].loglog(x, [r["cpu_seconds"] for r in sel], style, label=f"{name} ({p})")
                axes[1, col].loglog(x, [max(r["peak_mib"], 1e-3) for r in sel], style, label=f"{name} ({p})")
        axes[0, col].set_xlabel(label)
        axes[1, col].set_xlabel(label)
        axes[0, col].set_ylabel("CPU time of mechsim.run (s)")
        axes[1, col].set_ylabel("traced peak memory (MiB)")
        axes[0, col].legend(fontsize=8)
        axes[0, col].grid(True, which="both", alpha=0.3)
        axes[1, col].grid(True, which="both", alpha=0.3)
    fig.suptitle("bandits, K = 10 Bernoulli arms: end-to-end time and memory")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# -- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: small sizes, no 10^5 points")
    ap.add_argument("--no-scaling", action="store_true", help="skip the scaling curves")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    q = args.quick
    reps, horizon = (100, 2000) if q else (1000, 10_000)
    one_t = 20_000 if q else 200_000
    base_reps, base_t = (2, 2000) if q else (5, 10_000)

    from mechsim.bandits import kernels

    meta: dict[str, Any] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": __import__("numba").__version__ if kernels.HAVE_NUMBA else "absent",
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "quick": q,
    }
    print("compiling / loading kernels ...", flush=True)
    warm_up()
    py, where = smpy_python()
    meta["smpybandits"] = where
    table: list[dict[str, Any]] = []

    def row(workload: str, side: str, res: dict[str, Any], **extra: Any) -> dict[str, Any]:
        r = {"workload": workload, "side": side, "rate": res["rate"], "seconds": res["seconds"], "cpu_seconds": res["cpu_seconds"], **extra}
        table.append(r)
        print(f"  {workload:34s} {side:28s} {res['rate']:12.4g} steps/s  ({res['cpu_seconds']:.2f} s CPU, {res['seconds']:.2f} s wall)", flush=True)
        return r

    for name, (pid, smpy_name) in POLICIES.items():
        wl = f"{name}, K={K}, T={horizon}, R={reps}"
        e2e = row(wl, "mechsim numba (end to end)", mechsim_run(pid, reps, horizon, "numba"))
        npy = row(wl, "mechsim numpy (end to end)", mechsim_run(pid, reps, horizon, "numpy"))
        ko = row(wl, "mechsim numba (kernel only)", kernel_only(pid, reps, horizon))
        if py:
            sm = row(wl, "SMPyBandits 0.9.7 loop", smpy_rate(py, smpy_name, base_t, base_reps))
        pl = row(wl, "plain Python loop", plain_loop(pid, base_t, base_reps))
        ref = sm if py else pl
        for r in (e2e, npy, ko):
            r["ratio_vs_smpybandits" if py else "ratio_vs_plain_loop"] = r["rate"] / ref["rate"]
            r["ratio_vs_plain_loop"] = r["rate"] / pl["rate"]

    wl = f"ucb1, K={K}, T={one_t}, R=1"
    e1 = row(wl, "mechsim numba (end to end)", mechsim_run("bandits/ucb1-v1", 1, one_t, "numba"))
    n1 = row(wl, "mechsim numpy (end to end)", mechsim_run("bandits/ucb1-v1", 1, min(one_t, 50_000), "numpy"))
    if py:
        s1 = row(wl, "SMPyBandits 0.9.7 loop", smpy_rate(py, "UCB", one_t, 1))
    p1 = row(wl, "plain Python loop", plain_loop("bandits/ucb1-v1", one_t, 1))
    for r in (e1, n1):
        if py:
            r["ratio_vs_smpybandits"] = r["rate"] / s1["rate"]
        r["ratio_vs_plain_loop"] = r["rate"] / p1["rate"]

    # the default scenario (5 policies, R = 200) at 10^5 rounds, extrapolated to 10^7
    import mechsim

    t_def = 10_000 if q else 100_000
    over = [f"scenario.n_rounds={t_def}"]
    for path in ("numba", "numpy"):
        with kernels.use(path):
            c0 = time.process_time()
            mechsim.run("bandits/default", overrides=over)
            sec = time.process_time() - c0
        table.append({"workload": f"bandits/default, T={t_def}", "side": f"mechsim {path}", "seconds": sec, "rate": 5 * 200 * t_def / sec, "extrapolated_1e7_rounds_min": sec * 1e7 / t_def / 60})
        print(f"  bandits/default T={t_def} {path}: {sec:.2f} s -> 10^7 rounds ~ {sec * 1e7 / t_def / 60:.1f} min", flush=True)

    opts = beta_options(200_000 if q else 1_000_000)
    print("  Beta draw options (ns per draw): " + ", ".join(f"{k} {v:.1f}" for k, v in opts.items()), flush=True)

    # the measured limit
    bw = copy_bandwidth(64 if q else 256)
    model = bytes_per_step()
    limit = {"copy_bandwidth_bytes_per_s": bw, "bytes_per_replication_step": model}
    for r in table:
        if r["side"].startswith("mechsim numba (end to end)"):
            r["bytes_per_s_model"] = r["rate"] * model["total"]
            r["fraction_of_copy_bandwidth"] = r["bytes_per_s_model"] / bw
    # the environment's part on its own: one (n, R, K) uniform draw + compare, the floor of the end-to-end path
    u_rng = np.random.default_rng(0)
    n_blk = kernels.block_length(reps, K, horizon // 200)
    t_env = min(_cpu_timed(lambda: (u_rng.random((n_blk, reps, K)) < MEANS).astype(float)) for _ in range(5))
    limit["environment_rate_steps_per_s"] = n_blk * reps / t_env
    limit["ns_per_uniform"] = t_env / (n_blk * reps * K) * 1e9
    print(f"  copy bandwidth {bw / 1e9:.2f} GB/s; model {model['total']} B per replication-step; "
          f"environment alone {limit['environment_rate_steps_per_s']:.3g} steps/s ({limit['ns_per_uniform']:.2f} ns per uniform+compare)", flush=True)

    meta["loadavg_end"] = os.getloadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "bench_speed_quick" if q else "bench_speed"
    keys = sorted({k for r in table for k in r}, key=lambda k: (k not in ("workload", "side", "rate", "seconds"), k))
    with open(args.out / f"{stem}.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(table)
    report = {"meta": meta, "limit": limit, "beta_options_ns_per_draw": opts, "table": table}
    if not args.no_scaling:
        print("scaling curves ...", flush=True)
        srows = scaling(q)
        report["scaling"] = srows
        with open(args.out / f"{stem}_scaling.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(srows[0]))
            w.writeheader()
            w.writerows(srows)
        plot_scaling(srows, args.out / f"{stem}_scaling.png")
    (args.out / f"{stem}.json").write_text(json.dumps(report, indent=2, default=float) + "\n")
    print(f"wrote {args.out / stem}.csv/.json" + ("" if args.no_scaling else " and the scaling CSV + PNG"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
