"""A family from outside mechsim: found by entry point (or a scenario's ``imports``), it
registers, runs, sweeps, plots and audits through the CLI without any edit to mechsim."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from mechsim.cli import main
from mechsim.core import plugins, registry

HERE = Path(__file__).resolve().parent
PLUGIN = HERE / "example_plugin"
SCENARIO = PLUGIN / "auction.toml"


@pytest.fixture
def plugin_path(monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGIN))
    monkeypatch.setenv("PYTHONPATH", str(PLUGIN))  # for sweep workers in other processes
    # the plugin stays imported afterwards: its components are registered once per process


def test_entry_point_plugin_is_loaded_by_the_registry(plugin_path, monkeypatch):
    real = plugins.entry_points

    def fake(*, group):
        extra = [EntryPoint(name="example", value="mechsim_example", group=group)] if group == "mechsim.families" else []
        return list(real(group=group)) + extra

    monkeypatch.setattr(plugins, "entry_points", fake)
    assert "mechsim_example" in plugins.plugin_modules()
    monkeypatch.setattr(registry, "_loaded", False)
    registry.load_families()
    assert "auction/second-price-v1" in registry.ids("auction.mechanism")
    from mechsim.core.family import families

    assert "auction" in families()


def test_plugin_family_runs_sweeps_plots_and_audits_through_the_cli(plugin_path, tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["run", str(SCENARIO), "--out", str(out)]) == 0
    run_dir = next((out / "auction-demo").iterdir())
    summary = json.loads((run_dir / "summary.json").read_text())
    assert set(summary["variants"]) == {"vickrey", "first_price"}
    assert (run_dir / "figures" / "revenue.png").is_file()
    assert main(["plot", str(run_dir)]) == 0
    sweep = tmp_path / "sweep"
    assert main(["sweep", str(SCENARIO), "--grid", "scenario.n_agents=2,4", "--seeds", "2", "--out", str(sweep), "--no-plot"]) == 0
    assert (sweep / "sweep.csv").read_text().count("\n") == 1 + 2 * 2
    capsys.readouterr()
    assert main(["audit", str(SCENARIO), "--out", str(tmp_path / "aud")]) == 0
    text = capsys.readouterr().out
    vickrey, first = text.split("game first_price")
    assert "game vickrey" in vickrey and "epsilon = 0 (" in vickrey  # truthful bidding is optimal
    assert "epsilon = 0 (" not in first  # shading pays in a first-price auction


def test_plugin_mechanisms_have_their_claims_tested(plugin_path):
    from mechsim.testing import ConformanceError, check_component

    import mechsim_example  # noqa: F401

    check_component("auction/second-price-v1")  # truthful, IR and weakly budget balanced: passes
    check_component("auction/first-price-v1")  # claims only IR and budget balance: passes
    spec = registry.get("auction/first-price-v1")
    from mechsim.core.mechanism import Claims

    class Liar(spec.factory):  # a first-price auction that claims dominant-strategy truthfulness
        claims = Claims(truthful="dominant", individually_rational=True)

    liar = registry.ComponentSpec(id="auction/liar-v1", kind="auction.mechanism", factory=Liar)
    with pytest.raises(ConformanceError, match=r"claims dominant truthfulness .* gains .* by scaled:0\.\d"):
        check_component(liar)


def test_unknown_import_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(SCENARIO.read_text().replace('imports = ["mechsim_example"]', 'imports = ["no_such_plugin"]'))
    assert main(["run", str(bad), "--out", str(tmp_path)]) == 2
    assert "key 'scenario.imports'" in capsys.readouterr().err


def test_builtin_families_are_found_by_their_family_module_and_shared_packages_are_not():
    fams = plugins.builtin_families()
    assert {"mechsim.bandits", "mechsim.clickbandit", "mechsim.collab"} <= set(fams)
    assert not any(f.split(".")[1] in plugins.SHARED for f in fams)
