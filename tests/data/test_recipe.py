"""Recipe JSON round trip, validation and clear errors on bad dataset files."""
from __future__ import annotations

import json

import pytest

from data_helpers import data_config, make_song
from mixbuddy.data.build import build_records
from mixbuddy.data.recipe import Recipe, find_recipe, load_recipes, write_recipes
from mixbuddy.errors import DataError


@pytest.fixture
def recipes() -> list[Recipe]:
    recs, _ = build_records([make_song("s1", "test", seconds=20)], data_config())
    return recs["test"]


def test_json_round_trip_and_schema(recipes, tmp_path):
    r = recipes[3]
    d = json.loads(r.to_json())
    assert sorted(d) == sorted(["id", "song_id", "split", "start_s", "duration_s", "target", "anchor", "category",
                                "gain_db", "instruction_id", "response_id", "system", "instruction", "response",
                                "stems", "corpus"])
    assert Recipe.from_dict(d) == r
    assert r.corrective_gain_db == -r.gain_db
    path = tmp_path / "t.jsonl"
    assert write_recipes(path, recipes) == len(recipes)
    assert load_recipes(path) == recipes


def test_invalid_recipes_rejected(recipes):
    d = recipes[0].to_dict()
    loud = next(r for r in recipes if r.category == "loud").to_dict()
    with pytest.raises(DataError, match="belongs to 'loud', not 'quiet'"):
        Recipe.from_dict({**loud, "category": "quiet", "response_id": "quiet/0"})
    with pytest.raises(DataError, match="outside every flaw category"):
        Recipe.from_dict({**loud, "gain_db": 1.5})
    with pytest.raises(DataError, match="both 'bass'"):
        Recipe.from_dict({**d, "target": "bass", "anchor": "bass"})
    with pytest.raises(DataError, match="missing keys \\['gain_db'\\]"):
        Recipe.from_dict({k: v for k, v in d.items() if k != "gain_db"})
    with pytest.raises(DataError, match="unknown keys \\['colour'\\]"):
        Recipe.from_dict({**d, "colour": 1})


def test_malformed_line_names_file_and_line(recipes, tmp_path):
    path = tmp_path / "test.jsonl"
    write_recipes(path, recipes[:3])
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[1][:-5], lines[2]]) + "\n")
    with pytest.raises(DataError, match=rf"{path}:2: not valid JSON \(.+ at column \d+\)$"):
        load_recipes(path)
    bad = dict(json.loads(lines[0]), category="medium")
    path.write_text(lines[0] + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(DataError, match=rf"{path}:2: .*unknown category 'medium'"):
        load_recipes(path)


def test_find_recipe_errors(recipes, tmp_path):
    path = tmp_path / "test.jsonl"
    write_recipes(path, recipes)
    assert find_recipe(path, recipes[5].id) == recipes[5]
    assert find_recipe(path, index=-1) == recipes[-1]
    with pytest.raises(DataError, match=rf"record id 'nope@0' not found in {path}"):
        find_recipe(path, "nope@0")
    with pytest.raises(DataError, match="index 999 out of range"):
        find_recipe(path, index=999)
    with pytest.raises(DataError, match="dataset file not found"):
        find_recipe(tmp_path / "missing.jsonl", "x")
