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

``--device cuda|auto`` also measures the in-process driver with the learners on the
GPU (``torch.cuda.get_device_name`` names the card) against the CPU, on this workload
and on a heavier one (the small CNN on 8x8 digits, 50 nodes, 5 local steps of 32).

Usage::

    python benchmarks/bench_collab.py                 # writes benchmarks/results/bench_collab.{json,csv}
    python benchmarks/bench_collab.py --quick         # smoke run
    python benchmarks/bench_collab.py --device auto --skip-flower
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
    args = ap.parse_args(argv)

    n = args.clients
    rows: list[dict[str, Any]] = []
    report: dict[str, Any] = {"workload": f"{n} clients, logistic regression, 1 local step, FedAvg", "versions": _versions()}

    r_in = 5 if args.quick else 15
    inproc = rounds_per_second(LOGREG, r_in, n_agents=n, device="cpu")
    rows.append({"backend": "inprocess", "device": "cpu", "workload": "logreg", "clients": n, **inproc})
    print(f"in-process driver, CPU : {inproc['rounds_per_s']:8.2f} rounds/s  ({n} clients)", flush=True)

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
        else:
            report["cuda_device"] = None
            print("no CUDA device: CPU only", flush=True)

    report["rows"] = rows
    args.out.mkdir(parents=True, exist_ok=True)
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
