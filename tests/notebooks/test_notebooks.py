"""Every family notebook runs end to end in quick mode and prints what it promises."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# notebook -> (texts its outputs must contain, number of inline figures or None, extra import)
NOTEBOOKS = {
    "bandits": (["final pseudo-regret"], None, None),
    "clickbandit": (["final regret/T", "log-log slope"], None, None),
    "collab": (["fairness (Pearson)", "N.A.", "node 0 (clean) was refreshed"], 5, "torch"),
}


@pytest.mark.notebook
@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_executes(name, tmp_path, monkeypatch):
    texts, n_images, needs = NOTEBOOKS[name]
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    if needs:
        pytest.importorskip(needs)
    monkeypatch.setenv("MECHSIM_QUICK", "1")
    monkeypatch.setenv("MECHSIM_OUT", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs)
    for needle in texts:
        assert needle in text
    if n_images is not None:
        assert sum("image/png" in o.get("data", {}) for o in outputs) == n_images
    assert list(tmp_path.rglob("summary.json"))
