"""benchmarks/absent_stem.py: the told and untold sets hold the same mixes, ids and answers; only what the
records say about the song's stems differs (the premise of docs/BENCHMARKS.md, "A song without one of the
stems")."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import soundfile as sf

from corpus_fixtures import make_song_dir, synth_stems
from mixbuddy.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("absent_stem", ROOT / "benchmarks" / "absent_stem.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_told_and_untold_sets_differ_only_in_what_they_say(tmp_path):
    songs = tmp_path / "songs"
    for k in range(2):
        make_song_dir(songs / f"song{k}", synth_stems(20.0, 22050, seed=k), 22050, "flac")
    (songs / "instrumental").mkdir()                      # already without vocals: left out of both sets
    sf.write(songs / "instrumental" / "bass.flac", synth_stems(20.0, 22050)["bass"], 22050)
    assert _script().corpora_without(songs, tmp_path / "sets", "vocals") == 2
    told, untold = tmp_path / "sets" / "told" / "song0", tmp_path / "sets" / "untold" / "song0"
    assert sorted(p.name for p in told.iterdir()) == ["bass.flac", "drums.flac", "other.flac"]
    assert all(p.is_symlink() for p in told.iterdir())
    silence, sr = sf.read(untold / "vocals.flac")
    assert sr == 22050 and silence.shape == (20 * 22050, 2) and not silence.any()
    records = {}
    for kind in ("told", "untold"):
        assert main(["data", "build", "--kind", "stems_folder", "--root", str(tmp_path / "sets" / kind), "--config",
                     str(ROOT / "configs" / "data-real.yaml"), "-o", str(tmp_path / f"ds-{kind}"), "-q",
                     "--no-progress"]) == 0
        records[kind] = [json.loads(line) for line in (tmp_path / f"ds-{kind}" / "test.jsonl").open()]
    assert len(records["told"]) == len(records["untold"]) >= 20
    for a, b in zip(records["told"], records["untold"]):
        assert {k for k in a if a[k] != b[k]} == {"instruction", "stems", "corpus"}
        assert a["stems"] == ["bass", "drums", "other"] and b["stems"] == ["bass", "drums", "other", "vocals"]
        assert "vocals" not in a["instruction"] and "vocals" in b["instruction"]
        assert "vocals" not in (a["target"], a["anchor"])
