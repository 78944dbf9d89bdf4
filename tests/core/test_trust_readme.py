"""Issue 13, item 14: the README's scenario-key reference is generated from the declared settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_scenario_keys_match_the_declared_settings():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    begin, end = "<!-- scenario-keys:begin -->\n", "<!-- scenario-keys:end -->"
    block = text[text.index(begin) + len(begin) : text.index(end)]
    # a fresh process: only the families installed with mechsim, no test plugins
    proc = subprocess.run([sys.executable, "-m", "mechsim.cli", "keys"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert block == proc.stdout, (
        "README.md's scenario-key reference is out of date; regenerate the block between the "
        "scenario-keys markers with `python -m mechsim.cli keys`"
    )


def test_shipped_names_accept_either_separator():
    from mechsim.core.scenario import resolve_scenario_path

    assert resolve_scenario_path("collab/label_noise").name == "label-noise.toml"
    assert resolve_scenario_path("clickbandit/ucbs_strategic").name == "ucbs-strategic.toml"
