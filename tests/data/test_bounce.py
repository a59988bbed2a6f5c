"""Evaluation sets without the level cue: ``bounce_db`` hears each chunk at one seeded level."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from data_helpers import SR, data_config, make_song
from mixbuddy.data.build import build_dataset, build_records
from mixbuddy.data.recipe import Recipe
from mixbuddy.data.render import Renderer
from mixbuddy.data.stats import dataset_stats, format_stats
from mixbuddy.errors import DataError


@pytest.fixture(scope="module")
def songs():
    return [make_song("a", "test", seconds=30, seed=1), make_song("b", "test", seconds=30, seed=2)]


def test_every_chunk_has_one_seeded_level_within_the_spread(songs):
    plain = build_records(songs, data_config())[0]["test"]
    moved = build_records(songs, data_config(bounce_db=6.0))[0]["test"]
    assert [dataclasses.replace(r, bounce_db=0.0) for r in moved] == plain   # nothing else changes
    by_chunk: dict = {}
    for r in moved:
        by_chunk.setdefault((r.song_id, r.start_s), set()).add(r.bounce_db)
    assert len(by_chunk) == 6 and all(len(v) == 1 for v in by_chunk.values())   # 30 records share a level
    levels = [v.pop() for v in by_chunk.values()]
    assert all(-6.0 <= b <= 6.0 for b in levels) and len(set(levels)) == 6
    assert min(levels) < 0 < max(levels)
    again = build_records(list(reversed(songs)), data_config(bounce_db=6.0))[0]["test"]
    assert again == moved                                                      # seeded, order-free
    other = build_records(songs, data_config(bounce_db=6.0, seed=1))[0]["test"]
    assert [r.bounce_db for r in other] != [r.bounce_db for r in moved]


def test_json_keeps_its_bytes_without_a_level_and_round_trips_with_one(songs):
    plain = build_records(songs, data_config())[0]["test"][0]
    assert "bounce_db" not in json.loads(plain.to_json())
    moved = dataclasses.replace(plain, bounce_db=-4.25)
    d = json.loads(moved.to_json())
    assert d["bounce_db"] == -4.25 and Recipe.from_dict(d) == moved
    with pytest.raises(DataError, match=r"bounce_db=30.0 is not within ±24 dB"):
        Recipe.from_dict({**d, "bounce_db": 30.0})
    with pytest.raises(DataError, match=r"bounce_db=nan"):
        Recipe.from_dict({**d, "bounce_db": float("nan")})
    for bad in (True, "3", None, [1.0]):          # a number or nothing: no silent true -> +1 dB
        with pytest.raises(DataError, match=rf"bounce_db must be a number, got {bad!r}".replace("[", r"\[")):
            Recipe.from_dict({**d, "bounce_db": bad})
    with pytest.raises(DataError, match=r"gain_db is too large \(100000000000\.\.\.\)"):
        Recipe.from_dict({**d, "gain_db": 10 ** 400})       # JSON allows it; float() overflows


def test_the_level_moves_every_stem_and_the_mix_exactly():
    """Within the peak ceiling the level scales mix and stems exactly; past it the renderer's peak policy
    (one factor for mix and stems, recorded) applies as to any other mix."""
    song = make_song("q", "test", seconds=20, levels={s: -32.0 for s in ("bass", "drums", "other", "vocals")})
    plain = next(r for r in build_records([song], data_config())[0]["test"] if r.category == "quiet")
    rd = Renderer([song], sample_rate=SR, channels=2)
    a = rd.render(plain, return_stems=True)
    assert a.info["peak_scale_db"] == 0.0
    for db in (-7.5, 3.0):
        b = rd.render(dataclasses.replace(plain, bounce_db=db), return_stems=True)
        k = np.float32(10 ** (db / 20))
        np.testing.assert_allclose(b.mix, a.mix * k, rtol=1e-5, atol=1e-7)
        for s in a.stems:
            np.testing.assert_allclose(b.stems[s], a.stems[s] * k, rtol=1e-5, atol=1e-7)
        assert b.info["bounce_db"] == db and b.info["peak_scale_db"] == 0.0 and "bounce_db" not in a.info
    loud = rd.render(dataclasses.replace(plain, bounce_db=24.0), return_stems=True)
    assert loud.info["peak_scale_db"] < 0 and np.abs(loud.mix).max() == pytest.approx(rd.ceiling, rel=1e-6)
    k = np.float32(10 ** ((24.0 + loud.info["peak_scale_db"]) / 20))
    np.testing.assert_allclose(loud.mix, a.mix * k, rtol=1e-4, atol=1e-7)


def test_manifest_stats_and_config_limits(songs, tmp_path):
    m = build_dataset(songs, data_config(bounce_db=6.0), tmp_path / "ds", progress=False)
    assert m["data_config"]["bounce_db"] == 6.0
    st = dataset_stats(tmp_path / "ds")["test"]["bounce_db"]
    assert -6.0 <= st["min"] < 0 < st["max"] <= 6.0
    assert "level each chunk is heard at (bounce_db, dB)" in format_stats(dataset_stats(tmp_path / "ds"))
    build_dataset(songs, data_config(), tmp_path / "plain", progress=False)
    assert "bounce_db" not in dataset_stats(tmp_path / "plain")["test"]
    assert "bounce_db" not in format_stats(dataset_stats(tmp_path / "plain"))
    with pytest.raises(ValueError, match=r"bounce_db must be within \[0, 24\] dB, got -1"):
        data_config(bounce_db=-1.0)
    assert str(data_config(bounce_db=-0.0).bounce_db) == "0.0"


def test_cli_flag(tiny_musdb, tmp_path, capsys):
    from mixbuddy.cli import main

    base = ["data", "build", "--kind", "musdb_hq", "--root", str(tiny_musdb), "--no-progress", "-q"]
    assert main([*base, "-o", str(tmp_path / "ds"), "--bounce-db", "5"]) == 0
    levels = {json.loads(line).get("bounce_db") for line in open(tmp_path / "ds" / "test.jsonl")}
    assert levels and all(b is not None and abs(b) <= 5 for b in levels)
    with pytest.raises(SystemExit):
        main([*base, "-o", str(tmp_path / "bad"), "--bounce-db", "25"])
    assert "--bounce-db: must be a number of dB in [0, 24], got 25" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
