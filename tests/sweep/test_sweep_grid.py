"""Grid items: value splitting, parsing, cells, column types."""

from __future__ import annotations

import pytest

from mechsim.errors import OverrideError
from mechsim.sweep.grid import cells, column_type, column_value, parse_grid, parse_grid_item, split_values


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("0.5,1,2", ["0.5", "1", "2"]),
        ("[0.9,0.8],[0.6,0.5]", ["[0.9,0.8]", "[0.6,0.5]"]),
        ("[0.9,0.8];[0.6,0.5]", ["[0.9,0.8]", "[0.6,0.5]"]),
        ('"a,b",c', ['"a,b"', "c"]),
        ("'x;y' ; z", ["'x;y'", "z"]),
        ("{a=1,b=2},{a=3,b=4}", ["{a=1,b=2}", "{a=3,b=4}"]),
        ("[[1,2],[3]],[4]", ["[[1,2],[3]]", "[4]"]),
        ("ucb", ["ucb"]),
    ],
)
def test_split_values_is_bracket_and_quote_aware(text, parts):
    assert split_values(text) == parts


def test_parse_grid_item_types():
    axis = parse_grid_item("policies.ucb.alpha = 0.5, 1, 2")
    assert axis.key == "policies.ucb.alpha"
    assert axis.values == (0.5, 1, 2)
    assert parse_grid_item("environment.means=[0.9,0.8];[0.6,0.5]").values == ([0.9, 0.8], [0.6, 0.5])
    assert parse_grid_item("scenario.checkpoint_spacing=log,linear").values == ("log", "linear")
    assert parse_grid_item("x.flag=true,false").values == (True, False)


@pytest.mark.parametrize(
    ("item", "match"),
    [
        ("policies.ucb.alpha", r"must look like 'key\.path=v1,v2"),
        ("=1,2", "empty or malformed key path"),
        ("policies..alpha=1", "empty or malformed key path"),
        ("policies.ucb.alpha=", "empty value"),
        ("policies.ucb.alpha=1,,2", "empty value"),
        ("policies.ucb.alpha=1,2,1", "repeats the value 1"),
        ("policies.ucb.alpha=1,1.0", "repeats the value"),
        ("scenario.seed=1,2", "'scenario.seed' cannot be swept.*seeds"),
    ],
)
def test_malformed_grid_items_raise_override_error(item, match):
    with pytest.raises(OverrideError, match=match):
        parse_grid([item])


def test_grid_key_twice_or_overlapping():
    with pytest.raises(OverrideError, match="'policies.ucb.alpha' is given more than once"):
        parse_grid(["policies.ucb.alpha=1", "policies.ucb.alpha=2"])
    with pytest.raises(OverrideError, match="overlap"):
        parse_grid(["environment=1", "environment.means=[1]"])


def test_true_and_one_are_different_values():
    assert parse_grid_item("a.b=true,1").values == (True, 1)


def test_cells_are_the_product_first_item_slowest():
    axes = parse_grid(["a.x=1,2", "b.y=p,q,r"])
    got = [c.params for c in cells(axes)]
    assert got == [
        (("a.x", 1), ("b.y", "p")),
        (("a.x", 1), ("b.y", "q")),
        (("a.x", 1), ("b.y", "r")),
        (("a.x", 2), ("b.y", "p")),
        (("a.x", 2), ("b.y", "q")),
        (("a.x", 2), ("b.y", "r")),
    ]
    assert [c.index for c in cells(axes)] == list(range(6))
    assert cells([])[0].params == ()  # an empty grid is one cell: the base scenario


def test_column_types():
    assert column_type([1, 2]) == "int"
    assert column_type([0.5, 1]) == "float"
    assert column_type([True, False]) == "bool"
    assert column_type(["a", "b"]) == "str"
    assert column_type([[1], [2]]) == "str"
    assert column_type([1, "a"]) == "str"
    assert column_value([0.9, 0.8], "str") == "[0.9, 0.8]"
    assert column_value(1, "float") == 1.0
    assert column_value("log", "str") == "log"
