"""Shipped bandit scenarios: they load and run, and runs are reproducible bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import mechsim
from mechsim.core.scenario import load_scenario

SMALL = ("scenario.n_replications=4", "scenario.n_rounds=300", "scenario.checkpoints=5")
SCENARIOS = ["bandits/default", "bandits/classic", "bandits/adversarial", "bandits/linear"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_shipped_scenario_runs(name):
    res = mechsim.run(name, overrides=SMALL)
    rounds = res.tables["rounds"]
    labels = list(load_scenario(name)["policies"])
    assert rounds.unique("variant") == labels
    assert len(rounds) == len(labels) * 4 * len(np.unique(rounds["t"]))
    assert set(res.summary["variants"]) == set(labels)
    assert np.all(np.isfinite(rounds["pseudo_regret"]))


def test_default_compares_several_policies():
    ids = {c.id for c in load_scenario("bandits/default").components("policies")}
    assert len(ids) >= 4 and "bandits/ucb1-v1" in ids


def test_classic_has_every_non_contextual_policy():
    ids = {c.id for c in load_scenario("bandits/classic").components("policies")}
    non_contextual = {i for i in mechsim.core.registry.ids("bandits.policy") if not mechsim.make(i).needs_contexts}
    assert non_contextual <= ids


@pytest.mark.parametrize("name", ["bandits/classic", "bandits/linear"])
def test_same_seed_same_tables_different_seed_different_tables(name):
    a = mechsim.run(name, overrides=SMALL)
    b = mechsim.run(name, overrides=SMALL)
    c = mechsim.run(name, overrides=SMALL, seed=12345)
    assert a.tables["rounds"] == b.tables["rounds"]  # Table.__eq__: every column, bit for bit
    assert a.tables["rounds"]["pseudo_regret"].tobytes() == b.tables["rounds"]["pseudo_regret"].tobytes()
    assert a.tables["rounds"] != c.tables["rounds"]


def test_adding_a_policy_does_not_change_the_others():
    """Seed streams are addressed by label, so each policy's draws are independent of the rest."""
    base = mechsim.run("bandits/default", overrides=SMALL)
    more = mechsim.run(
        "bandits/classic",
        overrides=(*SMALL, "scenario.seed=2024", "environment.means=[0.9, 0.8, 0.7, 0.6, 0.5]"),
    )
    for label in ("ucb1", "epsilon_greedy", "explore_first", "successive_elimination"):
        assert base.tables["rounds"].where(variant=label) == more.tables["rounds"].where(variant=label)
