"""Every family notebook runs end to end in quick mode and prints what it promises.

Notebooks are found in ``notebooks/*.ipynb``; each declares in its top-level metadata
``"mechsim": {"expect": [texts its outputs must contain], "images": n or null,
"needs": an importable module or null}``, so a new family adds its notebook without
editing this file. A notebook without that metadata fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


def _meta(name: str) -> dict:
    meta = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text()).get("metadata", {}).get("mechsim")
    assert meta and meta.get("expect"), f"notebooks/{name}.ipynb declares no metadata.mechsim.expect"
    return meta


@pytest.mark.notebook
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_executes(name, tmp_path, monkeypatch):
    meta = _meta(name)
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    if meta.get("needs"):
        pytest.importorskip(meta["needs"])
    monkeypatch.setenv("MECHSIM_QUICK", "1")
    monkeypatch.setenv("MECHSIM_OUT", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs)
    for needle in meta["expect"]:
        assert needle in text
    if meta.get("images") is not None:
        assert sum("image/png" in o.get("data", {}) for o in outputs) == meta["images"]
    assert list(tmp_path.rglob("summary.json"))
