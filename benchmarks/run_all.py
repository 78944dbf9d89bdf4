"""Run every benchmark script in this folder (``make bench``).

Each ``bench_*.py`` measures mechsim against a baseline in the same run and writes
its table under ``benchmarks/results/``. Pass ``--quick`` for a smoke run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Extra arguments per script: the scaling curves of the collab bench are part of ``make bench``.
EXTRA = {"bench_collab.py": ["--scaling"]}


def main(argv: list[str]) -> int:
    status = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        rc = subprocess.call([sys.executable, str(script), *argv, *EXTRA.get(script.name, [])])
        if rc != 0:
            print(f"!! {script.name} exited with {rc}", flush=True)
            status = rc
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
