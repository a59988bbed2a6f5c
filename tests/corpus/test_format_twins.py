"""One track given in two formats (mixbuddy.corpus.format_twins): names, lags, which copy is kept."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from mixbuddy.corpus.format_twins import (FORMAT_LAG_S, best_lag, format_twins, twin_groups, twin_key, unmarked,
                                          warn_twins)
from mixbuddy.corpus.export_checks import GLIMPSE_RATE


@pytest.mark.parametrize("name, plain", [
    ("Vocals_MP3", "vocals"), ("Vocals (WAV 24-bit)", "vocals"), ("Drums_24bit", "drums"), ("Bass 320kbps", "bass"),
    ("Keys - 44.1kHz", "keys"), ("Stems (MP3 320 kbps)", "stems"), ("WAV", ""), ("MP3 320", ""), ("Vocals 1 320kbps", "vocals 1"), ("320 MP3 Vocals", "vocals"),
    ("Vocals 2", "vocals 2"), ("Kick 808", "kick 808"), ("Batería FLAC", "bateria"), ("Wave Pad", "wave pad"),
    ("Night Drive (Untagged)", "night drive"), ("Night Drive [Tagged] MP3", "night drive")])
def test_unmarked_takes_format_marks_off_both_ends_only(name, plain):
    """Format words, bit depths, bitrates and rates come off the ends of a name; plain numbers and words inside it
    stay ("Wave Pad" is an instrument, "Vocals 2" a second take)."""
    assert unmarked(name) == plain


def test_twin_key_ignores_format_folders_and_extensions():
    root = Path("/pack")
    keys = {p: twin_key(root / p, root) for p in ("WAV/Drums/Kick.wav", "MP3 320/Drums/Kick.mp3",
                                                 "Stems (WAV)/Drums/Kick_24bit.aiff", "Drums/Kick 2.wav",
                                                 "Verse/Kick.wav")}
    assert keys["WAV/Drums/Kick.wav"] == keys["MP3 320/Drums/Kick.mp3"] == ("drums", "kick")
    assert keys["Stems (WAV)/Drums/Kick_24bit.aiff"] == ("stems", "drums", "kick")    # another folder: no twin
    assert keys["Drums/Kick 2.wav"] == ("drums", "kick 2") and keys["Verse/Kick.wav"] == ("verse", "kick")
    assert twin_key(root / "WAV.wav", root) == ("wav",)      # a name that is all format keeps itself


def test_twin_groups_join_a_copy_in_another_format_to_the_file_it_copies():
    """"Vocals (1).mp3", "Vocals copy.m4a" and "Copy of Bass.flac" are lossy or lossless copies of "Vocals.wav" and
    "Bass.wav" (a pack's format folders set aside); a copy in the file's own format is the strict copy check's, and a
    copy in other folders, or a name with a number that is no copy's mark ("Vocals 2"), stays alone."""
    root = Path("/song")
    names = ["Vocals.wav", "Vocals (1).mp3", "Vocals copy.m4a", "Vocals 2.mp3", "Bass.wav", "Copy of Bass.flac",
             "Kick.wav", "Kick (1).wav", "Verse/Snare (1).mp3", "Chorus/Snare.wav", "WAV/Keys.wav", "MP3/Keys (1).mp3",
             "Keys.mp3"]
    groups = {tuple(p.relative_to(root).as_posix() for p in g) for g in twin_groups([root / n for n in names], root)}
    assert groups == {("Vocals.wav", "Vocals (1).mp3", "Vocals copy.m4a"), ("Vocals 2.mp3",),
                      ("Bass.wav", "Copy of Bass.flac"), ("Kick.wav",), ("Kick (1).wav",), ("Verse/Snare (1).mp3",),
                      ("Chorus/Snare.wav",), ("WAV/Keys.wav", "Keys.mp3", "MP3/Keys (1).mp3")}


def test_best_lag_finds_a_codec_delay():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(8000).astype(np.float32)
    late = np.concatenate([np.zeros(50, np.float32), a])[: a.shape[0]]       # 25 ms at 2 kHz
    r, lag = best_lag(a, late, round(FORMAT_LAG_S * GLIMPSE_RATE))
    assert lag == 50 and r > 0.99
    r0, lag0 = best_lag(a, late, 0)
    assert lag0 == 0 and abs(r0) < 0.05
    assert best_lag(a, np.zeros_like(a), 10) == (0.0, 0)


def twins_of(tmp_path: Path, sizes: dict[str, int], glimpses: dict[str, np.ndarray], rates: dict[str, int] = {}):
    paths = {}
    for name, size in sizes.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"\0" * size)
        paths[name] = p
    g = {paths[k]: v for k, v in glimpses.items()}
    files = {"vocals": [paths[k] for k in sizes if "oc" in k], "drums": [paths[k] for k in sizes if "rum" in k]}
    return format_twins(g, files, tmp_path, {paths[k]: rates.get(k, 44100) for k in sizes},
                        {p: 2 for p in paths.values()})


def test_format_twins_keeps_the_best_copy_of_one_track_and_names_other_audio(tmp_path):
    """Lossless before lossy (whatever the sizes), then the higher rate, then more bytes a second; a twin by name at
    another level (3 dB) or with other audio is not one track; names that differ, or files of two stems, never
    pair."""
    rng = np.random.default_rng(1)
    v, d = (rng.standard_normal(4000).astype(np.float32) for _ in range(2))
    lossy = v + 0.02 * rng.standard_normal(4000).astype(np.float32)
    found = twins_of(tmp_path, {"vocals.mp3": 10, "vocals.wav": 5, "Vocals 2.wav": 7, "drums.wav": 9},
                     {"vocals.mp3": lossy, "vocals.wav": v, "Vocals 2.wav": v, "drums.wav": d})
    assert [(t.path.name, t.kept.name, t.same) for t in found] == [("vocals.mp3", "vocals.wav", True)]
    assert found[0].r > 0.99 and abs(found[0].db) < 0.01 and found[0].lag_s == 0.0
    found = twins_of(tmp_path / "b", {"MP3/vocals.mp3": 20, "OGG/vocals.ogg": 10, "WAV/vocals.wav": 50},
                     {"MP3/vocals.mp3": lossy, "OGG/vocals.ogg": v * np.float32(10 ** (-3 / 20)),
                      "WAV/vocals.wav": v}, rates={"MP3/vocals.mp3": 48000})
    assert [(t.path.name, t.kept.name, t.same, round(t.db, 1)) for t in found] == [
        ("vocals.mp3", "vocals.wav", True, 0.0), ("vocals.ogg", "vocals.wav", False, -3.0)]
    found = twins_of(tmp_path / "c", {"vocals.mp3": 20, "vocals.ogg": 10}, {"vocals.mp3": lossy, "vocals.ogg": v})
    assert [(t.path.name, t.kept.name, t.same) for t in found] == [("vocals.ogg", "vocals.mp3", True)]   # more bytes
    found = twins_of(tmp_path / "d", {"vocals.mp3": 20, "vocals.wav": 10}, {"vocals.mp3": d, "vocals.wav": v})
    assert [(t.path.name, t.same) for t in found] == [("vocals.mp3", False)] and abs(found[0].r) < 0.1
    found = twins_of(tmp_path / "e", {"vocals.wav": 10, "vocals (1).mp3": 20, "vocals copy.ogg": 5},
                     {"vocals.wav": v, "vocals (1).mp3": lossy, "vocals copy.ogg": d})      # the second holds other audio
    assert [(t.path.name, t.kept.name, t.same) for t in found] == [("vocals (1).mp3", "vocals.wav", True),
                                                                 ("vocals copy.ogg", "vocals.wav", False)]


def test_warn_twins_says_one_line_for_the_copies_and_one_per_other_audio(tmp_path, caplog):
    rng = np.random.default_rng(2)
    v, d = (rng.standard_normal(4000).astype(np.float32) for _ in range(2))
    late = np.concatenate([np.zeros(60, np.float32), v])[:4000]
    found = twins_of(tmp_path, {"WAV/vocals.wav": 9, "MP3/vocals.mp3": 3, "WAV/drums.wav": 9, "MP3/drums.mp3": 3},
                     {"WAV/vocals.wav": v, "MP3/vocals.mp3": late, "WAV/drums.wav": d, "MP3/drums.mp3": v})
    with caplog.at_level(logging.WARNING):
        warn_twins(tmp_path, found, "left out")
    assert [r.getMessage() for r in caplog.records] == [
        f"{tmp_path}: MP3/vocals.mp3 is WAV/vocals.wav in another format: left out (their glimpses correlated "
        f"{found[0].r:.3f}; up to 30 ms late, a codec's delay)",
        f"{tmp_path}: MP3/drums.mp3 and WAV/drums.wav have one name in two formats but do not hold the same audio "
        f"(correlation {found[1].r:.2f}, {found[1].db:+.1f} dB): both summed into their stem (if one is an older "
        "export, take it out of the folder)"]
