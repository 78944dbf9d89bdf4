"""Every shipped scenario parses and validates, and `mechsim list` names it."""

from __future__ import annotations

import pytest

from mechsim.core.scenario import load_scenario, shipped_scenarios


def test_there_are_shipped_scenarios_for_every_family():
    names = shipped_scenarios()
    assert "bandits/default" in names
    assert {n.split("/")[0] for n in names} >= {"bandits", "clickbandit", "collab"}


@pytest.mark.parametrize("name", shipped_scenarios())
def test_shipped_scenario_is_valid(name):
    s = load_scenario(name)
    assert s.name and s.family == name.split("/")[0]
    # the resolved scenario re-parses to the same thing
    assert s.with_overrides() == s
