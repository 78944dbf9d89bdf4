"""Seed tree, params, table, recorder, registry: unit checks against plain computations."""

from __future__ import annotations

import numpy as np
import pytest

from mechsim.core.params import Integer, Options, Real, RealArray, check_value
from mechsim.core.recorder import Recorder
from mechsim.core.registry import get, make
from mechsim.core.seeding import SeedTree
from mechsim.core.table import Table
from mechsim.core import tomlio
from mechsim.errors import MechsimError, ParameterError, UnknownComponentError


def test_seed_tree_paths_are_stable_and_independent():
    a = SeedTree(5).generator("policy", "ucb").random(4)
    b = SeedTree(5).generator("policy", "ucb").random(4)
    c = SeedTree(5).generator("policy", "ts").random(4)
    d = SeedTree(6).generator("policy", "ucb").random(4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c) and not np.array_equal(a, d)
    # same as numpy's own spawn-key construction
    ref = np.random.Generator(np.random.PCG64(np.random.SeedSequence(5, spawn_key=SeedTree(5).child("policy", "ucb").path)))
    assert np.array_equal(a, ref.random(4))


def test_seed_tree_rejects_negative_seed():
    with pytest.raises(ParameterError, match=r"The 'seed' parameter of SeedTree must be an int in \[0, inf\)\. Got -1 instead\."):
        SeedTree(-1)


@pytest.mark.parametrize(
    "constraint,value,expected",
    [
        (Real(0.0, None), 3, 3.0),
        (Integer(1, 10), 10, 10),
        (Options(("a", "b")), "b", "b"),
        (RealArray(0.0, 1.0), [0, 0.5], (0.0, 0.5)),
    ],
)
def test_constraints_accept(constraint, value, expected):
    assert check_value(constraint, value, name="x", owner="T") == expected


@pytest.mark.parametrize(
    "constraint,value,msg",
    [
        (Real(0.0, None), -1.0, r"must be a float in \[0\.0, inf\)\. Got -1\.0 instead"),
        (Real(0.0, 1.0, closed="neither"), 1.0, r"in \(0\.0, 1\.0\)"),
        (Integer(1, None), 1.5, r"must be an int in \[1, inf\)"),
        (Integer(1, None), True, r"must be an int"),
        (Options(("a", "b")), "c", r"must be one of 'a', 'b'\. Got 'c'"),
        (RealArray(min_len=2), [1.0], r"list of floats \(at least 2\)"),
        (Real(), float("nan"), r"must be a float\. Got nan"),
    ],
)
def test_constraints_refuse(constraint, value, msg):
    with pytest.raises(ParameterError, match=msg):
        check_value(constraint, value, name="x", owner="T")


def test_table_csv_roundtrip_is_exact(tmp_path):
    rng = np.random.default_rng(0)
    t = Table(
        {"a": "int", "b": "float", "c": "str", "d": "bool"},
        {"a": [1, 2, 3], "b": [rng.random(), np.nan, -np.inf], "c": ["x", "y,z", 'q"'], "d": [True, False, True]},
    )
    t.to_csv(tmp_path / "t.csv")
    back = Table.from_csv(tmp_path / "t.csv", t.schema)
    assert back == t
    assert back["b"][0] == t["b"][0]  # bit for bit


def test_table_rejects_ragged_and_bad_types():
    with pytest.raises(MechsimError, match="different lengths"):
        Table({"a": "int", "b": "int"}, {"a": [1], "b": [1, 2]})
    with pytest.raises(MechsimError, match="declared int but got non-integer"):
        Table({"a": "int"}, {"a": [1.5]})


def test_recorder_broadcasts_scalars_and_checks_columns():
    rec = Recorder()
    rec.declare("r", who="str", t="int", v="float")
    rec.extend("r", who="p", t=3, v=np.array([0.5, 0.25]))
    rec.append("r", who="q", t=4, v=1.0)
    t = rec.tables()["r"]
    assert list(t["who"]) == ["p", "p", "q"] and list(t["t"]) == [3, 3, 4]
    with pytest.raises(MechsimError, match="got columns"):
        rec.extend("r", who="p", t=1)
    with pytest.raises(MechsimError, match="not declared"):
        rec.append("nope", x=1)


def test_registry_suggests_and_rejects_unknown_params():
    assert get("bandits/ucb1-v1").kind == "bandits.policy"
    with pytest.raises(UnknownComponentError, match=r"Did you mean 'bandits/ucb1-v1'"):
        get("bandits/ucb1-v2")
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) 'alpah'"):
        make("bandits/ucb1-v1", alpah=1.0)


def test_component_validates_on_reset():
    pol = make("bandits/ucb1-v1", alpha=-2.0)
    with pytest.raises(ParameterError, match=r"The 'alpha' parameter of UCB1 must be a float in \[0\.0, inf\)\. Got -2\.0 instead\."):
        pol.reset(n_replications=2, n_arms=2, horizon=10, rng=np.random.default_rng(0))


def test_toml_writer_roundtrip():
    data = {"scenario": {"name": "x", "f": 0.1, "i": 3, "b": True, "nan": float("nan")}, "sec": {"a": {"l": [1.5, 2.0], "s": 'q"'}}}
    back = tomlio.loads(tomlio.dumps(data))
    assert back["sec"] == data["sec"]
    assert back["scenario"]["f"] == 0.1 and np.isnan(back["scenario"]["nan"])
    assert tomlio.parse_value("[0.9, 0.8]") == [0.9, 0.8]
    assert tomlio.parse_value("ucb") == "ucb"
