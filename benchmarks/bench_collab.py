"""Rounds per second of the collab family: in-process driver vs Flower's runtime on Ray; CPU vs CUDA.

Workload (the same for every side): ``--clients`` nodes (default 200), each a real
Flower ClientApp training a logistic regression (10 features, 3 classes) for one
local step on a fresh chunk of 8 samples per round, then evaluating the model it
holds on a 200-sample validation set; FedAvg aggregates. A round is therefore 200
train messages and 200 evaluate messages plus the server's aggregation and its own
evaluation, on either backend:

- ``inprocess``: mechsim calls the ClientApp directly (``app(message, context)``);
- ``flower``: the same ClientApp under ``flwr.simulation.run_simulation`` on Ray, the
  rounds driven from the ServerApp's main through ``grid.send_and_receive``.

Rates are steady-state: the wall time of rounds 3..R (time stamps taken as each round
finishes), so start-up (Ray's ~7 s, actor spawn, data generation) is left out and
reported separately as ``first_round_s``. Flower polls for replies every
``pull_interval`` s (0.1 by default; ``--pull-interval`` also measures a shorter one).

- ``batched``: ``backend = "batched"`` (:mod:`mechsim.collab.batched`): no messages,
  all nodes' models in one tensor, the round's local steps one vmapped call; its
  per-round metrics equal the in-process driver's (``tests/collab/test_collab_batched.py``).

``--scaling`` measures rounds per second and peak memory (each point in a fresh
process, ``ru_maxrss``) against clients per round, 10 .. 10^4, for the batched backend
(and the in-process driver up to 10^3), with the round's time split into data (the
nodes' fresh chunks, :meth:`World.chunk`), the batched learner (train + evaluate) and
the rest (protocol, mechanism), and the learner's FLOPs per round (model count for the
linear layer: forward and weight gradient ``4 b F C`` per local step and trainer,
evaluation ``2 n_val F C`` per holder) against the same matrix products run alone by
``torch.bmm`` / ``torch.matmul`` in the same process. Written to
``bench_collab_scaling.{csv,png}``.

``--device cuda|auto`` also measures the in-process driver with the learners on the
GPU (``torch.cuda.get_device_name`` names the card) against the CPU, on this workload
and on a heavier one (the small CNN on 8x8 digits, 50 nodes, 5 local steps of 32).

Usage::

    python benchmarks/bench_collab.py                 # writes benchmarks/results/bench_collab.{json,csv}
    python benchmarks/bench_collab.py --quick         # smoke run
    python benchmarks/bench_collab.py --device auto --skip-flower
    python benchmarks/bench_collab.py --skip-flower --scaling     # clients per round 10 .. 10^4
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from mechsim.core.family import get_family
from mechsim.core.runner import RunContext
from mechsim.core.scenario import parse_scenario
from mechsim.core.seeding import SeedTree

RESULTS = Path(__file__).resolve().parent / "results"

LOGREG = {
    "scenario": {"name": "bench-collab", "family": "collab", "seed": 0, "lr": 0.1, "local_steps": 1, "batch_size": 8},
    "data": {
        "id": "collab/synthetic-classification-v1",
        "n_features": 10,
        "n_informative": 6,
        "n_classes": 3,
        "chunk_size": 8,
        "pool_size": 5000,
        "n_validation": 200,
    },
    "heterogeneity": {"id": "collab/label-noise-v1", "max_noise": 0.8},
    "model": {"id": "collab/logreg-v1"},
    "mechanisms": {"fedavg": {"id": "collab/fedavg-v1"}},
}

CNN = {
    "scenario": {"name": "bench-collab-cnn", "family": "collab", "seed": 0, "lr": 0.05, "local_steps": 5, "batch_size": 32},
    "data": {"id": "collab/sklearn-v1", "dataset": "digits", "validation_fraction": 0.3, "chunk_size": 64},
    "heterogeneity": {"id": "collab/label-noise-v1", "max_noise": 0.8},
    "model": {"id": "collab/cnn-v1", "channels": 16},
    "mechanisms": {"fedavg": {"id": "collab/fedavg-v1"}},
}


def _scenario(base: dict[str, Any], **settings: Any) -> Any:
    raw = json.loads(json.dumps(base))
    raw["scenario"].update(settings)
    return parse_scenario(raw)


class _Clock:
    """A stand-in for the run's progress bars that records the wall time at which each round ends."""

    def __init__(self) -> None:
        self.stamps: list[float] = []

    def bar(self, total: int, desc: str) -> _Clock:
        return self

    def update(self, n: int = 1) -> None:
        self.stamps.append(time.perf_counter())

    def close(self) -> None:
        pass


def rounds_per_second(base: dict[str, Any], n_rounds: int, **settings: Any) -> dict[str, float]:
    """Steady-state rounds per second: rounds 2..n over their wall time (round 1 holds Ray's start-up)."""
    sc = _scenario(base, n_rounds=n_rounds, **settings)
    clock = _Clock()
    t0 = time.perf_counter()
    get_family(sc.family).run(sc, RunContext(seeds=SeedTree(sc.seed), progress=clock))  # type: ignore[arg-type]
    total = time.perf_counter() - t0
    stamps = clock.stamps
    assert len(stamps) == n_rounds, "one mechanism: one progress tick per round"
    steady = (len(stamps) - 2) / (stamps[-1] - stamps[1])
    return {"rounds_per_s": steady, "first_round_s": stamps[0] - t0, "total_s": total, "rounds": n_rounds}


def measure_point(backend: str, clients: int, n_rounds: int, device: str = "cpu") -> dict[str, Any]:
    """Rounds per second at ``clients`` nodes, the time split into data / learner / rest, FLOPs vs a bare matmul."""
    import resource

    import torch

    from mechsim.collab import batched, world

    spent = {"data": 0.0, "learner": 0.0}
    real_chunk, real_train, real_eval = world.World.chunk, batched.BatchedTransport._train_group, batched.BatchedTransport.evaluate

    def timed(key: str, fn: Any) -> Any:
        def wrapper(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[key] += time.perf_counter() - t0

        return wrapper

    world.World.chunk = timed("data", real_chunk)  # type: ignore[method-assign]
    batched.BatchedTransport._train_group = timed("learner", real_train)  # type: ignore[method-assign]
    batched.BatchedTransport.evaluate = timed("learner", real_eval)  # type: ignore[method-assign]
    rss0 = _rss_mib()
    try:
        rounds_per_second(LOGREG, 3, n_agents=clients, device=device, backend=backend)  # warm: worlds, vmap, torch ops
        spent.update(data=0.0, learner=0.0)
        res = rounds_per_second(LOGREG, n_rounds, n_agents=clients, device=device, backend=backend)
    finally:
        world.World.chunk, batched.BatchedTransport._train_group, batched.BatchedTransport.evaluate = real_chunk, real_train, real_eval
    out = {"backend": backend, "device": device, "clients": clients, **res, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    # the imports (torch, Flower, Ray) set the peak; what the run itself holds is the growth of the RSS
    out["rss_growth_mib"] = _rss_mib() - rss0
    per_round = {k: v / n_rounds for k, v in spent.items()}
    out["data_s_per_round"] = per_round["data"]
    per_round["learner"] = max(0.0, per_round["learner"] - per_round["data"])  # chunks are cut inside the train call
    out["learner_s_per_round"] = per_round["learner"]
    out["rest_s_per_round"] = max(0.0, res["total_s"] / n_rounds - per_round["data"] - per_round["learner"])
    d, sc = LOGREG["data"], LOGREG["scenario"]
    f, c, b, nval, steps = d["n_features"], d["n_classes"], min(sc["batch_size"], d["chunk_size"]), d["n_validation"], sc["local_steps"]
    flops = clients * (steps * 4 * b * f * c + 2 * nval * f * c)
    out["learner_flops_per_round"] = flops
    if backend == "batched":
        dev = torch.device(device)
        xb, wb = torch.randn(clients, b, f, device=dev), torch.randn(clients, f, c, device=dev)
        xv, wv = torch.randn(nval, f, device=dev), torch.randn(f, clients * c, device=dev)

        def mm() -> None:
            for _ in range(2 * steps):
                torch.bmm(xb, wb)
            torch.matmul(xv, wv)
            if dev.type == "cuda":
                torch.cuda.synchronize()

        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # as the learners run (torch_threads = 1)
        try:
            mm()
            t_mm = min(_wall(mm) for _ in range(5))
        finally:
            torch.set_num_threads(threads)
        out["matmul_s_same_flops"] = t_mm
        out["learner_gflops"] = flops / per_round["learner"] / 1e9 if per_round["learner"] else float("nan")
        out["matmul_gflops"] = flops / t_mm / 1e9
        out["learner_over_matmul_time"] = per_round["learner"] / t_mm
    return out


def _rss_mib() -> float:
    """Resident set size now, from /proc (Linux), in MiB."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # pragma: no cover - not Linux
        return float("nan")


def _wall(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def scaling(out_dir: Path, quick: bool, device: str = "cpu") -> list[dict[str, Any]]:
    import subprocess

    grid = [10, 100, 1000] if quick else [10, 100, 1000, 10_000]
    rows = []
    for backend in ("batched", "inprocess"):
        for n in grid:
            if backend == "inprocess" and n > 1000:
                continue  # about 1 s per 250 clients: minutes per point
            rounds = 4 if n >= 1000 else 6
            cmd = [sys.executable, __file__, "--point", backend, str(n), str(rounds), "--device", device]
            res = subprocess.run(cmd, check=True, capture_output=True, text=True)
            row = json.loads(res.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(
                f"  {backend:9s} {n:6d} clients: {row['rounds_per_s']:8.3f} rounds/s, {row['rounds_per_s'] * n:9.0f} clients/s, "
                f"data {row['data_s_per_round'] * 1e3:7.1f} ms, learner {row['learner_s_per_round'] * 1e3:7.1f} ms per round, "
                f"RSS growth {row['rss_growth_mib']:.1f} MiB"
                + (f", learner/matmul time {row['learner_over_matmul_time']:.0f}x" if "learner_over_matmul_time" in row else ""),
                flush=True,
            )
    with open(out_dir / ("bench_collab_scaling" + ("_quick" if quick else "") + ".csv"), "w", newline="") as fh:
        keys = sorted({k for r in rows for k in r})
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    _plot_scaling(rows, out_dir / ("bench_collab_scaling" + ("_quick" if quick else "") + ".png"))
    return rows


def _plot_scaling(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for backend, style in (("batched", "-o"), ("inprocess", "--s")):
        sel = sorted((r for r in rows if r["backend"] == backend), key=lambda r: r["clients"])
        if not sel:
            continue
        x = [r["clients"] for r in sel]
        a1.loglog(x, [1.0 / r["rounds_per_s"] for r in sel], style, label=f"{backend}: s per round")
        if backend == "batched":
            a1.loglog(x, [r["data_s_per_round"] for r in sel], ":", label="batched: data (World.chunk)")
            a1.loglog(x, [r["learner_s_per_round"] for r in sel], ":", label="batched: learner")
        a2.semilogx(x, [r.get("rss_growth_mib", float("nan")) for r in sel], style, label=backend)
    a1.set_xlabel("clients per round")
    a1.set_ylabel("seconds per round")
    a1.legend(fontsize=8)
    a1.grid(True, which="both", alpha=0.3)
    a2.set_xlabel("clients per round")
    a2.set_ylabel("RSS growth during the run (MiB)")
    a2.legend(fontsize=8)
    a2.grid(True, which="both", alpha=0.3)
    fig.suptitle("collab, logistic regression, FedAvg: time per round and memory against clients")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version(), "machine": platform.machine(), "cpus": str(os.cpu_count())}
    for pkg in ("torch", "flwr", "ray", "numpy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "absent"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="smoke run: fewer rounds")
    ap.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu", help="also measure CUDA when available")
    ap.add_argument("--skip-flower", action="store_true", help="do not start Ray")
    ap.add_argument("--pull-interval", type=float, default=None, help="also measure Flower with this grid poll interval")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--scaling", action="store_true", help="clients per round 10 .. 10^4 (batched; in-process to 10^3)")
    ap.add_argument("--point", nargs=3, metavar=("BACKEND", "CLIENTS", "ROUNDS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.point:
        dev = "cuda" if args.device == "cuda" else "cpu"
        print(json.dumps(measure_point(args.point[0], int(args.point[1]), int(args.point[2]), dev)))
        return 0

    n = args.clients
    rows: list[dict[str, Any]] = []
    report: dict[str, Any] = {"workload": f"{n} clients, logistic regression, 1 local step, FedAvg", "versions": _versions()}

    r_in = 5 if args.quick else 15
    inproc = rounds_per_second(LOGREG, r_in, n_agents=n, device="cpu")
    rows.append({"backend": "inprocess", "device": "cpu", "workload": "logreg", "clients": n, **inproc})
    print(f"in-process driver, CPU : {inproc['rounds_per_s']:8.2f} rounds/s  ({n} clients)", flush=True)

    batched = rounds_per_second(LOGREG, r_in, n_agents=n, device="cpu", backend="batched")
    rows.append({"backend": "batched", "device": "cpu", "workload": "logreg", "clients": n, **batched})
    report["ratio_batched_over_inprocess"] = batched["rounds_per_s"] / inproc["rounds_per_s"]
    print(f"batched backend, CPU   : {batched['rounds_per_s']:8.2f} rounds/s  -> {report['ratio_batched_over_inprocess']:.1f}x the in-process driver", flush=True)

    if not args.skip_flower:
        r_fl = 4 if args.quick else 8
        configs = [None] + ([args.pull_interval] if args.pull_interval is not None else [])
        for pull in configs:
            fl = rounds_per_second(
                LOGREG, r_fl, n_agents=n, device="cpu", backend="flower", flower_client_cpus=1.0, flower_pull_interval=pull
            )
            name = "flower" if pull is None else f"flower(pull={pull})"
            rows.append({"backend": name, "device": "cpu", "workload": "logreg", "clients": n, **fl})
            ratio = inproc["rounds_per_s"] / fl["rounds_per_s"]
            print(f"Flower runtime on Ray  : {fl['rounds_per_s']:8.2f} rounds/s  -> in-process is {ratio:.1f}x faster ({name})", flush=True)
            report.setdefault("ratio_inprocess_over_flower", {})[name] = ratio
            report.setdefault("ratio_batched_over_flower", {})[name] = batched["rounds_per_s"] / fl["rounds_per_s"]
            print(f"                         batched is {batched['rounds_per_s'] / fl['rounds_per_s']:.1f}x faster than Flower ({name})", flush=True)

    if args.device in ("cuda", "auto"):
        import torch

        if torch.cuda.is_available():
            card = torch.cuda.get_device_name(0)
            report["cuda_device"] = card
            gpu = rounds_per_second(LOGREG, r_in, n_agents=n, device="cuda")
            rows.append({"backend": "inprocess", "device": f"cuda ({card})", "workload": "logreg", "clients": n, **gpu})
            print(f"in-process driver, CUDA: {gpu['rounds_per_s']:8.2f} rounds/s  on {card} (CPU/CUDA = {inproc['rounds_per_s'] / gpu['rounds_per_s']:.2f})", flush=True)
            r_cnn = 4 if args.quick else 10
            for device in ("cpu", "cuda"):
                cnn = rounds_per_second(CNN, r_cnn, n_agents=50, device=device, torch_threads=None if device == "cpu" else 1)
                label = device if device == "cpu" else f"cuda ({card})"
                rows.append({"backend": "inprocess", "device": label, "workload": "cnn-digits", "clients": 50, **cnn})
                print(f"CNN on digits, {label:>10}: {cnn['rounds_per_s']:8.2f} rounds/s  (50 clients, 5 local steps)", flush=True)
            gb = rounds_per_second(LOGREG, r_in, n_agents=n, device="cuda", backend="batched")
            rows.append({"backend": "batched", "device": f"cuda ({card})", "workload": "logreg", "clients": n, **gb})
            print(f"batched backend, CUDA  : {gb['rounds_per_s'] * n:10.0f} clients/s on {card} vs CPU {batched['rounds_per_s'] * n:10.0f}", flush=True)
        else:
            report["cuda_device"] = None
            print("no CUDA device: CPU only", flush=True)

    report["rows"] = rows
    args.out.mkdir(parents=True, exist_ok=True)
    if args.scaling:
        print("clients per round ...", flush=True)
        report["scaling"] = scaling(args.out, args.quick, "cuda" if args.device == "cuda" else "cpu")
    stem = "bench_collab_quick" if args.quick else "bench_collab"
    (args.out / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    with open(args.out / f"{stem}.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {args.out / (stem + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
