"""Scenario parsing: every kind of bad input gets a typed error naming file and key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mechsim.core.scenario import load_scenario, parse_override
from mechsim.errors import OverrideError, ScenarioError

GOOD = """
[scenario]
name = "t"
family = "bandits"
seed = 3
n_replications = 4
n_rounds = 50

[environment]
id = "bandits/bernoulli-v1"
means = [0.7, 0.4]

[policies.ucb]
id = "bandits/ucb1-v1"
alpha = 0.5
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.toml"
    p.write_text(textwrap.dedent(text))
    return p


def test_good_file_parses_with_defaults(tmp_path):
    s = load_scenario(write(tmp_path, GOOD))
    assert s.name == "t" and s.seed == 3
    assert s.settings["n_rounds"] == 50 and s.settings["checkpoints"] == 50
    assert s["policies"]["ucb"].params == {"alpha": 0.5, "log_of": "horizon"}
    assert s["environment"].params["means"] == (0.7, 0.4)


def test_roundtrip_resolved_toml_is_stable(tmp_path):
    s = load_scenario(write(tmp_path, GOOD))
    again = load_scenario(write(tmp_path, s.to_toml()))
    assert again.to_toml() == s.to_toml()
    assert again == s.with_overrides()


def test_unknown_key(tmp_path):
    p = write(tmp_path, GOOD.replace("alpha = 0.5", "alpah = 0.5"))
    with pytest.raises(ScenarioError, match=r"s\.toml, key 'policies\.ucb\.alpah': unknown key 'alpah'.*Did you mean 'alpha'"):
        load_scenario(p)


def test_unknown_setting_in_header(tmp_path):
    p = write(tmp_path, GOOD.replace("n_rounds = 50", "n_roundz = 50"))
    with pytest.raises(ScenarioError, match=r"key 'scenario\.n_roundz'.*Did you mean 'n_rounds'"):
        load_scenario(p)


def test_wrong_type(tmp_path):
    p = write(tmp_path, GOOD.replace("n_rounds = 50", 'n_rounds = "long"'))
    with pytest.raises(ScenarioError, match=r"key 'scenario\.n_rounds': expected an int in \[1, inf\); got 'long' \(str\)"):
        load_scenario(p)


def test_float_for_int_is_refused(tmp_path):
    p = write(tmp_path, GOOD.replace("n_replications = 4", "n_replications = 4.0"))
    with pytest.raises(ScenarioError, match=r"key 'scenario\.n_replications': expected an int.*got 4\.0 \(float\)"):
        load_scenario(p)


def test_out_of_range(tmp_path):
    p = write(tmp_path, GOOD.replace("means = [0.7, 0.4]", "means = [0.7, 1.4]"))
    with pytest.raises(ScenarioError, match=r"key 'environment\.means': expected a list of floats.*each in \[0\.0, 1\.0\]; got \[0\.7, 1\.4\]"):
        load_scenario(p)


def test_negative_alpha(tmp_path):
    p = write(tmp_path, GOOD.replace("alpha = 0.5", "alpha = -1"))
    with pytest.raises(ScenarioError, match=r"key 'policies\.ucb\.alpha': expected a float in \[0\.0, inf\); got -1 \(int\)"):
        load_scenario(p)


def test_unknown_component_id(tmp_path):
    p = write(tmp_path, GOOD.replace('"bandits/ucb1-v1"', '"bandits/ucb-v1"'))
    with pytest.raises(ScenarioError, match=r"key 'policies\.ucb\.id': unknown bandits\.policy component id 'bandits/ucb-v1'\. Did you mean 'bandits/ucb1-v1'"):
        load_scenario(p)


def test_component_of_wrong_kind(tmp_path):
    p = write(tmp_path, GOOD.replace('"bandits/ucb1-v1"', '"bandits/bernoulli-v1"'))
    with pytest.raises(ScenarioError, match=r"unknown bandits\.policy component id 'bandits/bernoulli-v1'"):
        load_scenario(p)


def test_unknown_family(tmp_path):
    p = write(tmp_path, GOOD.replace('family = "bandits"', 'family = "bandit"'))
    with pytest.raises(ScenarioError, match=r"key 'scenario\.family': unknown scenario family 'bandit'\. Did you mean 'bandits'"):
        load_scenario(p)


def test_missing_section(tmp_path):
    text = GOOD.split("[policies.ucb]")[0]
    with pytest.raises(ScenarioError, match=r"key 'policies': missing required section \[policies\]"):
        load_scenario(write(tmp_path, text))


def test_unknown_section(tmp_path):
    with pytest.raises(ScenarioError, match=r"key 'polices': unknown key 'polices'"):
        load_scenario(write(tmp_path, GOOD + "\n[polices.x]\nid = 'bandits/ucb1-v1'\n"))


def test_malformed_toml(tmp_path):
    p = write(tmp_path, GOOD.replace("n_rounds = 50", "n_rounds = = 50"))
    with pytest.raises(ScenarioError, match=r"s\.toml: malformed TOML: .*line"):
        load_scenario(p)


def test_missing_file_suggests_shipped():
    with pytest.raises(ScenarioError, match=r"no scenario file or shipped scenario named 'bandits/defualt'\. Did you mean 'bandits/default'"):
        load_scenario("bandits/defualt")


def test_override_sets_values(tmp_path):
    s = load_scenario(write(tmp_path, GOOD), ["policies.ucb.alpha=2", "environment.means=[0.1, 0.2, 0.3]"], seed=9)
    assert s["policies"]["ucb"].params["alpha"] == 2.0
    assert s["environment"].params["means"] == (0.1, 0.2, 0.3)
    assert s.seed == 9


def test_bad_override_path(tmp_path):
    with pytest.raises(OverrideError, match=r"key 'polices\.ucb\.alpha': bad override path.*no table 'polices'.*Did you mean 'policies'"):
        load_scenario(write(tmp_path, GOOD), ["polices.ucb.alpha=2"])


def test_override_unknown_leaf_is_attributed_to_command_line(tmp_path):
    with pytest.raises(OverrideError, match=r"unknown key 'beta'.*\(set on the command line\)"):
        load_scenario(write(tmp_path, GOOD), ["policies.ucb.beta=2"])


def test_override_wrong_type(tmp_path):
    with pytest.raises(OverrideError, match=r"key 'scenario\.n_rounds': expected an int.*got 'abc' \(str\)"):
        load_scenario(write(tmp_path, GOOD), ["scenario.n_rounds=abc"])


@pytest.mark.parametrize("text", ["novalue", "=3", "a..b=1"])
def test_malformed_override(text):
    with pytest.raises(OverrideError, match="override"):
        parse_override(text)


def test_override_into_a_value(tmp_path):
    with pytest.raises(OverrideError, match=r"'scenario\.n_rounds' is a value, not a table"):
        load_scenario(write(tmp_path, GOOD), ["scenario.n_rounds.x=1"])


@pytest.mark.parametrize(("old", "new"), [("replications", "n_replications"), ("horizon", "n_rounds")])
def test_old_scenario_keys_are_refused_with_their_new_name(tmp_path, old, new):
    p = write(tmp_path, GOOD.replace(f"{new} =", f"{old} ="))
    with pytest.raises(ScenarioError, match=rf"key 'scenario\.{old}': '{old}' was renamed to '{new}'"):
        load_scenario(p)


def test_old_override_key_is_refused_with_its_new_name(tmp_path):
    with pytest.raises(ScenarioError, match="'horizon' was renamed to 'n_rounds'"):
        load_scenario(write(tmp_path, GOOD), ["scenario.horizon=10"])


def test_parameter_errors_carry_their_parameter_owner_and_section():
    from mechsim.core.params import Real, check_value
    from mechsim.errors import ParameterError

    with pytest.raises(ParameterError) as info:
        check_value(Real(0.0, None), -1.0, name="beta", owner="FairEqual")
    err = info.value
    assert (err.parameter, err.owner, err.section, err.key) == ("beta", "FairEqual", None, "beta")
    moved = err.in_section("mechanisms.fe")
    assert moved.key == "mechanisms.fe.beta" and str(moved) == str(err) and err.section is None
