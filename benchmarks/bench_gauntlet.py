"""Gauntlet at paper scale: 250 peers, 20,000 windows, cheap learner (d = 512).

Measures, in one run:

- the whole vectorised simulation (peers + validator), windows/s and minutes;
- the validator's scoring alone, vectorised, windows/s;
- the same scoring as a plain per-peer Python loop (the section 2.2 reference of
  tests/gauntlet/test_reference.py, fed the vectorised validator's random choices so that
  both do identical work; their F agree), on the first ``--loop-windows`` windows;
- resident memory at checkpoints (flat in the number of windows: state is O(N d)).

Usage: ``python benchmarks/bench_gauntlet.py [--quick]``; writes
``benchmarks/results/bench_gauntlet[_quick].csv``.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mechsim.core.seeding import SeedTree  # noqa: E402
from mechsim.core.strategy import assign_behaviours  # noqa: E402
from mechsim.gauntlet.compress import probe_indices  # noqa: E402
from mechsim.gauntlet.mechanism import GauntletValidator  # noqa: E402
from mechsim.gauntlet.peers import Peers, draw_types  # noqa: E402
from tests.gauntlet.test_reference import RecordingLearner, Reference  # noqa: E402

MIX = {"truthful": 0.6, "free_ride": 0.08, "random:-1:1": 0.08, "copy_best": 0.08, "stale:0.5": 0.08, "late:15": 0.04, "intermittent:0.3": 0.04}


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--loop-windows", type=int, default=None)
    a = ap.parse_args()
    n, T = (60, 600) if a.quick else (250, 20000)
    loop_windows = a.loop_windows or (200 if a.quick else 1500)
    d, chunk, k = 512, 128, 16
    beh = [b.name for b in assign_behaviours(n, MIX)]
    root = SeedTree(1)
    learner = RecordingLearner(dim=d, chunk=chunk, topk=k)
    learner.reset(n_replications=1, n_agents=n, seeds=root.child("nature"))
    learner.log_ = []
    probe = probe_indices(d, chunk)
    mech = GauntletValidator()
    mech.reset(n_agents=n, rng=root.generator("validator"), learner=learner, probe=probe)
    peers = Peers(learner=learner, behaviours=beh, types=draw_types(n, root.generator("types")), n_replications=1, rng=root.generator("peers"))
    ref = Reference(learner, n=n, d=d, chunk=chunk, k=k, probe=probe)
    t_mech = t_loop = t_mech_prefix = 0.0
    mem = {}
    max_dev = 0.0
    t0 = time.perf_counter()
    for t in range(T):
        rep = peers.produce(t, mech.theta_, mech.weights_)
        s = time.perf_counter()
        out = mech.step(t, rep)
        t_mech += time.perf_counter() - s
        if t < loop_windows:
            t_mech_prefix = t_mech
        if t < loop_windows:
            posted = mech.next_list_[0] if t % 5 == 0 else None
            s = time.perf_counter()
            ref.step(t, rep, learner.log_[-1][0], batch=out.info["evaluated"][0], posted=posted)
            t_loop += time.perf_counter() - s
            max_dev = max(max_dev, float(np.max(np.abs(out.scores[0] - np.array([ref.F[p] for p in range(n)])))))
        learner.log_.clear()
        learner.advance()
        if (t + 1) in (T // 20, T // 4, T // 2, T):
            mem[t + 1] = rss_mb()
    total = time.perf_counter() - t0 - t_loop
    shares = out.onchain[0]
    from mechsim.gauntlet.quick import share_by_behaviour

    by = share_by_behaviour(out.onchain, beh, peers.plan.owner)
    loop_ws = loop_windows / t_loop
    vec_ws = T / t_mech
    rows = [
        {"measure": "full run (peers + validator), windows/s", "value": T / total},
        {"measure": "full run minutes", "value": total / 60},
        {"measure": "validator scoring vectorised, windows/s", "value": vec_ws},
        {"measure": "validator scoring per-peer loop, windows/s", "value": loop_ws},
        {"measure": "validator scoring vectorised over the loop windows, windows/s", "value": loop_windows / t_mech_prefix},
        {"measure": "scoring speed-up (vectorised / loop, same windows)", "value": (loop_windows / t_mech_prefix) / loop_ws},
        {"measure": "full run vs loop scoring alone (speed-up)", "value": (T / total) / loop_ws},
        {"measure": "max |F_vectorised - F_loop| over the loop windows", "value": max_dev},
        {"measure": "load average (1 min) at the end", "value": os.getloadavg()[0]},
        *({"measure": f"RSS MB after {w} windows", "value": m} for w, m in mem.items()),
        *({"measure": f"final on-chain share {b}", "value": v} for b, v in by.items()),
    ]
    out_path = ROOT / "benchmarks" / "results" / f"bench_gauntlet{'_quick' if a.quick else ''}.csv"
    with open(out_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["measure", "value"])
        w.writeheader()
        w.writerows(rows)
    for r in rows:
        print(f"{r['measure']:55s} {r['value']:.4g}")
    print(f"peers {n}, windows {T}, loop windows {loop_windows}; wrote {out_path}; sum of shares {shares.sum():.3f}")


if __name__ == "__main__":
    main()
