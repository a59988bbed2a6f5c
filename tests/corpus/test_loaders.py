"""Corpus loaders: layouts, splits, validation carve-out, audio handling, mapping files, real data,
stem files and bad inputs."""
from __future__ import annotations

import argparse
import json
import logging
import pickle
import random
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from corpus_fixtures import STEMPEG_CLIP, make_song_dir, synth_stems, write_musdb_corpus, write_stem_file
from mixbuddy.corpus.config import CorpusConfig
from mixbuddy.corpus.list_cli import add_list_verb
from mixbuddy.corpus.load import carve_validation, load_corpus
from mixbuddy.corpus.song import Song
from mixbuddy.corpus.export_checks import (bus_files, copy_files, dry_wet_pairs, mix_files, named_as_copy,
                                           older_versions, which_copy)
from mixbuddy.corpus.peak_checks import peak_stats, warn_limited, warn_normalised, warn_peaks
from mixbuddy.corpus.stem_names import default_mapping, name_words, shared_prefix
from mixbuddy.corpus.stems_folder import assign_files, stereo_pairs
from mixbuddy.errors import AudioFileError, ConfigError, CorpusError, MixbuddyError

SR = 8000  # small rate for the hand-made songs below (fast to write and read)


def tone(seconds: float, freq: float = 220.0, sr: int = SR, amp: float = 0.3, channels: int = 2) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return x if channels == 1 else np.repeat(x[:, None], channels, axis=1)


def folder_cfg(root: Path, **kw) -> CorpusConfig:
    return CorpusConfig(kind="stems_folder", root=str(root), **kw)


# --------------------------------------------------------------------------- MUSDB18-HQ layout

def test_musdb_layout_splits_order_and_meta(tiny_musdb: Path):
    songs = load_corpus(CorpusConfig(kind="musdb_hq", root=str(tiny_musdb)))
    assert [(s.split, s.id) for s in songs] == [
        ("train", "train_00"), ("train", "train_01"), ("train", "train_02"), ("test", "test_00"), ("test", "test_01")]
    for s in songs:
        assert s.stem_names == ("bass", "drums", "other", "vocals")  # mixture is not a stem
        assert s.sample_rate == 44100 and s.num_frames == 25 * 44100
        assert s.meta == {"title": s.id, "synthetic": True, "seed": 0}
        assert s.source == str(tiny_musdb / s.split / s.id)
    song = songs[3]
    stems = song.stems()
    written = sf.read(str(tiny_musdb / "test" / "test_00" / "vocals.flac"), dtype="float32")[0]
    np.testing.assert_array_equal(stems["vocals"], written)
    mixture = sf.read(str(tiny_musdb / "test" / "test_00" / "mixture.flac"), dtype="float32")[0]
    np.testing.assert_allclose(song.mixture(), mixture, atol=1e-5)


def test_order_does_not_depend_on_directory_listing(tiny_musdb: Path, monkeypatch):
    cfg = CorpusConfig(kind="musdb_hq", root=str(tiny_musdb), val_songs=1, seed=3)
    first = [(s.split, s.id, s.stem_names) for s in load_corpus(cfg)]
    original = Path.iterdir
    monkeypatch.setattr(Path, "iterdir", lambda self: iter(sorted(original(self), reverse=True)))
    assert [(s.split, s.id, s.stem_names) for s in load_corpus(cfg)] == first


def test_musdb_accepts_wav_ogg_and_missing_stems(tmp_path: Path):
    stems = synth_stems(1.0, SR, 2, seed=1)
    make_song_dir(tmp_path / "train" / "a", {k: stems[k] for k in ("bass", "drums")}, SR, "wav")
    make_song_dir(tmp_path / "train" / "b", {"Vocals": stems["vocals"]}, SR, "ogg")  # case-insensitive name
    songs = load_corpus(CorpusConfig(kind="musdb_hq", root=str(tmp_path)))
    assert [(s.id, s.stem_names) for s in songs] == [("a", ("bass", "drums")), ("b", ("vocals",))]
    np.testing.assert_array_equal(songs[0].stem("bass"), stems["bass"])
    assert songs[1].stem("vocals").shape == (SR, 2)
    with pytest.raises(CorpusError, match="has no stem 'bass'"):
        songs[1].stem("bass")


def test_duplicate_ids_across_splits_are_rejected(tmp_path: Path):
    for split in ("train", "test"):
        make_song_dir(tmp_path / split / "same", {"bass": tone(0.5)}, SR, "wav")
    with pytest.raises(CorpusError, match="'same' appears twice"):
        load_corpus(CorpusConfig(kind="musdb_hq", root=str(tmp_path)))


def test_two_files_for_one_stem_are_rejected(tmp_path: Path):
    make_song_dir(tmp_path / "test" / "x", {"bass": tone(0.5)}, SR, "wav")
    make_song_dir(tmp_path / "test" / "x", {"bass": tone(0.5)}, SR, "flac")
    with pytest.raises(CorpusError, match="two files for stem 'bass'"):
        load_corpus(CorpusConfig(kind="musdb_hq", root=str(tmp_path)))


# --------------------------------------------------------------------------- validation carve-out

def _fake_songs(n_train: int, n_test: int) -> list[Song]:
    def make(i: int, split: str) -> Song:
        return Song(f"{split}{i:03d}", split, SR, ("bass",), loader=lambda name: np.zeros((1, 1), np.float32))
    return [make(i, "train") for i in range(n_train)] + [make(i, "test") for i in range(n_test)]


def test_validation_carve_out_is_deterministic_and_only_from_train():
    picked = []
    for shuffle_seed in (0, 1):
        songs = _fake_songs(20, 5)
        random.Random(shuffle_seed).shuffle(songs)  # input order must not matter
        carve_validation(songs, 4, seed=7)
        picked.append(sorted(s.id for s in songs if s.split == "validation"))
        assert all(s.id.startswith("test") for s in songs if s.split == "test")
        assert sum(s.split == "train" for s in songs) == 16
    assert picked[0] == picked[1] and len(picked[0]) == 4
    assert all(i.startswith("train") for i in picked[0])
    others = {tuple(sorted(s.id for s in carve_validation(_fake_songs(20, 5), 4, seed) if s.split == "validation"))
              for seed in range(5)}
    assert len(others) > 1  # the seed matters


def test_validation_split_in_loaded_corpus(tiny_musdb: Path):
    cfg = CorpusConfig(kind="musdb_hq", root=str(tiny_musdb), val_songs=2, seed=11)
    a, b = load_corpus(cfg), load_corpus(cfg)
    assert [(s.split, s.id) for s in a] == [(s.split, s.id) for s in b]
    splits = [s.split for s in a]
    assert splits == ["train", "validation", "validation", "test", "test"]
    assert {s.id for s in a if s.split == "validation"} < {"train_00", "train_01", "train_02"}
    assert len({s.id for s in a}) == 5  # no song in two splits
    with pytest.raises(CorpusError, match="val_songs=3 but the corpus has 3 train song"):
        load_corpus(CorpusConfig(kind="musdb_hq", root=str(tiny_musdb), val_songs=3))


def test_musdb18hq_config_moves_the_official_validation_tracks(tmp_path: Path):
    """configs/corpus/musdb18hq.yaml: the 14 sigsep validation tracks leave train, nothing else moves."""
    from mixbuddy.config import from_dict, load_yaml

    data = load_yaml(Path(__file__).resolve().parents[2] / "configs" / "corpus" / "musdb18hq.yaml")
    official = data["val_ids"]
    assert len(official) == 14 and "Leaf - Summerghost" in official and "Johnny Lokke - Promises & Lies" in official
    for name in [*official, "A Classic Education - NightOwl", "ANiMAL - Clinic A"]:
        make_song_dir(tmp_path / "train" / name, {"bass": tone(0.2)}, SR, "wav")
    make_song_dir(tmp_path / "test" / "AM Contra - Heart Peripheral", {"bass": tone(0.2)}, SR, "wav")
    cfg = from_dict(CorpusConfig, {**data, "root": str(tmp_path)}, "musdb18hq.yaml")
    songs = load_corpus(cfg)
    assert sorted(s.id for s in songs if s.split == "validation") == sorted(official)
    assert [s.id for s in songs if s.split == "train"] == ["A Classic Education - NightOwl", "ANiMAL - Clinic A"]
    assert [s.id for s in songs if s.split == "test"] == ["AM Contra - Heart Peripheral"]

    bad = from_dict(CorpusConfig, {**data, "root": str(tmp_path), "val_ids": ["Leaf - Summerghost", "Nobody - Nothing",
                                                                         "AM Contra - Heart Peripheral"]})
    with pytest.raises(CorpusError, match=r"val_ids: 2 of 3 validation song\(s\) are not train songs of this corpus "
                                          r"\(AM Contra - Heart Peripheral in another split\): 'Nobody - Nothing'"):
        load_corpus(bad)
    with pytest.raises(ConfigError, match="val_songs .* or val_ids .*, not both"):
        from_dict(CorpusConfig, {**data, "root": str(tmp_path), "val_songs": 2}, "musdb18hq.yaml")
    make_song_dir(tmp_path / "one" / "train" / "x", {"bass": tone(0.2)}, SR, "wav")
    with pytest.raises(CorpusError, match="names all 1 train song"):
        load_corpus(CorpusConfig(kind="musdb_hq", root=str(tmp_path / "one"), val_ids=["x"]))


def test_validation_needs_train_songs_in_stems_folder(tmp_path: Path):
    make_song_dir(tmp_path / "s1", {"bass": tone(0.5)}, SR, "wav")
    with pytest.raises(CorpusError, match="0 train song"):
        load_corpus(folder_cfg(tmp_path, val_songs=1))  # default split is test
    songs = load_corpus(folder_cfg(tmp_path, split="train"))
    assert [s.split for s in songs] == ["train"]


# --------------------------------------------------------------------------- audio handling

def test_mixed_rates_and_channels_are_unified(tmp_path: Path):
    bass = tone(1.0, 110, sr=SR // 2, channels=1)
    drums = tone(1.0, 330, sr=SR, channels=2)
    make_song_dir(tmp_path / "test" / "song", {"bass": bass, "drums": drums}, {"bass": SR // 2, "drums": SR}, "wav")
    (song,) = load_corpus(CorpusConfig(kind="musdb_hq", root=str(tmp_path)))
    assert song.sample_rate == SR and song.num_frames == SR  # the highest rate wins
    b = song.stem("bass")
    assert b.shape == (SR, 2) and np.array_equal(b[:, 0], b[:, 1])  # mono up-mixed to stereo
    np.testing.assert_allclose(b[200:-200, 0], tone(1.0, 110, channels=1)[200:-200], atol=2e-3)
    assert song.stem("drums", sr=SR // 2).shape == (SR // 2, 2)


def test_a_mono_file_is_resampled_once_and_copied_into_stereo_after(tmp_path: Path, monkeypatch):
    import mixbuddy.audio as audio
    from mixbuddy.audio import convert, resample, to_channels
    seen = []                                    # the columns soxr is handed, call by call (the real soxr runs)
    real = audio.soxr.resample
    monkeypatch.setattr(audio.soxr, "resample", lambda x, *a, **k: seen.append(x.shape[1]) or real(x, *a, **k))
    low, high = tone(1.0, 110, sr=SR // 2, channels=1), tone(1.0, 330, sr=SR // 2, channels=1) * 0.5
    folder = tmp_path / "m"
    folder.mkdir()
    for name, x, sr in (("bass 1.wav", low, SR // 2), ("bass 2.wav", high, SR // 2), ("drums.wav", tone(1.0), SR),
                        ("vocals.wav", low, SR // 2)):
        sf.write(folder / name, x, sr, subtype="FLOAT")
    (song,) = load_corpus(folder_cfg(tmp_path))
    seen.clear()
    bass, vocals = song.stem("bass", channels=2), song.stem("vocals", channels=2)
    assert seen == [1] * 6         # each mono file to the song's rate and to its glimpse, one column (not a copy)
    old = {k: resample(to_channels(x[:, None], 2), SR // 2, SR) for k, x in (("low", low), ("high", high))}
    assert np.array_equal(vocals, old["low"])    # sample for sample what copying first and resampling gave
    assert np.array_equal(bass, old["low"] + old["high"]) and bass.shape == (SR, 2)
    stereo = tone(0.5, 330, sr=SR // 2)          # fewer channels: still folded before soxr
    assert np.array_equal(convert(stereo, SR // 2, SR, 1), resample(to_channels(stereo, 1), SR // 2, SR))
    assert np.array_equal(convert(low, SR // 2, SR // 2, 2), np.repeat(low[:, None], 2, axis=1))


def test_a_stereo_files_glimpse_is_its_stereo_copy_folded(tmp_path: Path, monkeypatch):
    """Reading stereo files among mono ones to place them in a mix (``wide``), a stereo file is resampled to 2 kHz
    once: its mono glimpse is its stereo copy folded, which is the glimpse from the decoded stem but for float
    rounding (and, for a file at another rate than the song's, one resampling instead of two)."""
    import mixbuddy.audio as audio
    from mixbuddy.audio import convert
    from mixbuddy.corpus.export_checks import GLIMPSE_RATE
    seen = []
    real = audio.soxr.resample
    monkeypatch.setattr(audio.soxr, "resample", lambda x, a, b, **k: seen.append((x.shape[1], a, b)) or real(x, a, b,
                                                                                                             **k))
    rng = np.random.default_rng(0)
    folder = tmp_path / "m"
    folder.mkdir()
    files = {"bass.wav": (tone(1.0, 110, channels=1), SR), "drums.wav": (rng.uniform(-0.3, 0.3, (SR, 2)), SR),
             "other.wav": (rng.uniform(-0.3, 0.3, (SR // 2, 2)), SR // 2)}
    for name, (x, sr) in files.items():
        sf.write(folder / name, x.astype(np.float32), sr, subtype="FLOAT")
    (song,) = load_corpus(folder_cfg(tmp_path))
    song.loader.glimpse = song.loader.wide = True
    seen.clear()
    stems = {s: song.stem(s, channels=2) for s in ("bass", "drums", "other")}
    glimpses = {p.name: g for p, g in song.loader.glimpses.items()}
    assert sorted(p.name for p in song.loader.wides) == ["drums.wav", "other.wav"]
    assert seen == [(1, SR, GLIMPSE_RATE), (2, SR, GLIMPSE_RATE), (2, SR // 2, GLIMPSE_RATE), (2, SR // 2, SR)]
    for name in ("drums.wav", "other.wav"):
        wide = song.loader.wides[folder / name]
        assert np.array_equal(glimpses[name], wide.mean(axis=1)) and glimpses[name].shape == (GLIMPSE_RATE,)
    old = convert(stems["drums"], SR, GLIMPSE_RATE, 1)[:, 0]     # from the decoded stem, as before
    assert np.abs(glimpses["drums.wav"] - old).max() < 1e-6
    old = convert(stems["other"], SR, GLIMPSE_RATE, 1)[:, 0]     # resampled twice: 24 kHz -> 48 kHz -> 2 kHz
    inner = slice(100, -100)
    assert np.abs(glimpses["other.wav"][inner] - old[inner]).max() < 1e-3


def test_mono_song_stays_mono(tmp_path: Path):
    make_song_dir(tmp_path / "m", {"bass": tone(0.5, channels=1), "vocals": tone(0.5, 440, channels=1)}, SR, "flac")
    (song,) = load_corpus(folder_cfg(tmp_path))
    assert {k: v.shape for k, v in song.stems().items()} == {"bass": (SR // 2, 1), "vocals": (SR // 2, 1)}
    assert song.stem("bass", channels=2).shape == (SR // 2, 2)


def test_stems_of_different_length_are_trimmed_with_warning(tmp_path: Path, caplog):
    make_song_dir(tmp_path / "test" / "s", {"bass": tone(1.0), "drums": tone(0.75), "vocals": tone(1.0)}, SR, "wav")
    (song,) = load_corpus(CorpusConfig(kind="musdb_hq", root=str(tmp_path)))
    assert song.num_frames == int(0.75 * SR)
    with caplog.at_level(logging.WARNING):
        stems = song.stems()
    assert {v.shape[0] for v in stems.values()} == {int(0.75 * SR)}
    assert "differ in length" in caplog.text and "'s'" in caplog.text


def test_several_files_per_stem_are_summed(tmp_path: Path, caplog):
    lead, back, kick = tone(1.0, 440), tone(0.5, 660, channels=1), tone(1.0, 60)
    make_song_dir(tmp_path / "song", {"Vox_Lead": lead, "vox_BG": back, "Kick": kick}, SR, "wav")
    (tmp_path / "map.yaml").write_text('vocals: ["*vox*", "*vocal*"]\ndrums: ["*kick*", "*snare*"]\n')
    (song,) = load_corpus(folder_cfg(tmp_path, mapping=str(tmp_path / "map.yaml")))
    assert song.stem_names == ("drums", "vocals")
    with caplog.at_level(logging.WARNING):
        vocals = song.stem("vocals")
    expected = lead.copy()
    expected[: SR // 2] += back[:, None]  # mono file up-mixed, shorter file zero-padded
    np.testing.assert_allclose(vocals, expected, atol=1e-6)
    assert "zero-padded" in caplog.text
    np.testing.assert_array_equal(song.stem("drums"), kick)


def test_split_stereo_halves_are_one_stereo_track(tmp_path: Path, caplog):
    """A multi-mono bounce (Gtr.L.wav + Gtr.R.wav) is read as the stereo track it was, the left file on the left;
    a plain mono track beside it is still copied to both channels."""
    rng = np.random.default_rng(0)
    gtr = (rng.standard_normal((SR, 2)) * 0.1).astype(np.float32)
    oh = (rng.standard_normal((SR, 2)) * 0.1).astype(np.float32)
    kick = tone(1.0, 60, channels=1)
    make_song_dir(tmp_path / "song", {"Gtr.L": gtr[:, 0], "Gtr.R": gtr[:, 1], "OH_L": oh[:, 0], "OH_R": oh[:, 1],
                                      "Kick": kick}, SR, "wav")
    with caplog.at_level(logging.INFO, logger="mixbuddy"):
        (song,) = load_corpus(folder_cfg(tmp_path))
        stems = song.stems()
    assert "Gtr.L.wav + Gtr.R.wav; OH_L.wav + OH_R.wav: each pair read as the left and right channels" in caplog.text
    np.testing.assert_allclose(stems["other"], gtr, atol=1e-6)
    np.testing.assert_allclose(stems["drums"], oh + kick[:, None], atol=1e-6)   # the kick in both channels


@pytest.mark.parametrize("names, paired", [
    (("Gtr.L", "Gtr.R"), True), (("OH_L", "OH_R"), True), (("keys left", "keys right"), True),
    (("Pad (L)", "Pad (R)"), True), (("Vox-l", "Vox-r"), True),
    (("Gtr.L", "Gtr R"), False),            # not one name with two marks
    (("Keys Left", "Keys R"), False), (("Gtr L", "Bass R"), False), (("Gtr L", "Gtr L2"), False),
])
def test_which_file_names_are_split_stereo_halves(names, paired):
    files = {"other": tuple(Path(f"/song/{n}.wav") for n in names)}
    infos = {p: (44100, 1000, 1) for p in files["other"]}
    assert stereo_pairs(files, infos) == ({files["other"][0]: files["other"][1]} if paired else {})


def test_halves_that_cannot_be_one_track_are_not_paired():
    left, right = Path("/s/Gtr L.wav"), Path("/s/Gtr R.wav")
    for infos in ({left: (44100, 9, 2), right: (44100, 9, 1)},      # one of them stereo already
                  {left: (44100, 9, 1), right: (48000, 9, 1)}):     # different rates
        assert stereo_pairs({"other": (left, right)}, infos) == {}
    assert stereo_pairs({"other": (left,), "vocals": (right,)}, {left: (44100, 9, 1), right: (44100, 9, 1)}) == {}


def test_normalised_stem_files_are_warned_about(tmp_path: Path, caplog):
    """The loader keeps each file's peak; every file at one peak (a "normalise" export) is flagged, files a
    little apart or only two files a little apart are not, and a silent file does not count."""
    files = {"Kick": tone(1.0, 60, amp=0.5), "Snare": tone(1.0, 200, amp=0.9), "Bass": tone(1.0, 55, amp=0.25),
             "Lead Vox": tone(1.0, 440, amp=0.1), "Pad": tone(1.0, 330) * 0}
    make_song_dir(tmp_path / "song", files, SR, "wav")
    (song,) = load_corpus(folder_cfg(tmp_path))
    song.stems()
    peaks = {p.name: round(v, 4) for p, v in song.loader.peaks.items()}
    assert peaks == {"Kick.wav": 0.5, "Snare.wav": 0.9, "Bass.wav": 0.25, "Lead Vox.wav": 0.1, "Pad.wav": 0.0}

    def flagged(levels_db: dict[str, float]) -> bool:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            said = warn_normalised("song", {Path(k): 10 ** (v / 20) for k, v in levels_db.items()})
        assert said == ("normalised on export" in caplog.text)
        return said

    assert not flagged({p: 20 * np.log10(v) if v else -np.inf for p, v in peaks.items()})
    assert flagged({"Kick.wav": -0.1, "Snare.wav": -0.1, "Bass.wav": -0.3, "Pad.wav": -np.inf})
    assert "every file peaks at -0.10 dBFS, within 0.200 dB (Bass.wav, Kick.wav, Snare.wav)" in caplog.text
    assert not flagged({"Kick.wav": -0.1, "Snare.wav": -0.1, "Bass.wav": -0.4})
    assert flagged({"Kick.wav": -1.0, "Bass.wav": -1.002})
    assert not flagged({"Kick.wav": -1.0, "Bass.wav": -1.01})
    assert not flagged({"Kick.wav": -1.0})
    assert flagged({f"Track {i}.wav": 0.0 for i in range(9)}) and "Track 5.wav and 3 more" in caplog.text


def music(seconds: float, seed: int, amp: float) -> np.ndarray:
    """Noise under a changing envelope, peaking at ``amp``: peaks come now and then, as in music."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    x = rng.standard_normal((n, 2)) * np.abs(np.sin(np.linspace(0, 7, n)))[:, None]
    return (x * amp / np.abs(x).max()).astype(np.float32)


def test_stems_limited_to_one_ceiling_are_told_from_normalised_ones(tmp_path: Path, caplog):
    """The loader keeps each file's flat share (frames within 0.5 dB of its peak): music has a few, the same music
    clipped at a ceiling many. Two files or more flat-topped at the folder's highest peak are named as limited by
    one ceiling (the master bus's limiter?) and not called normalised; one such file, or two at a level under
    the top, or files peaking together without flat tops (normalised) are not."""
    kick, keys = music(12.0, 1, 2.0), music(12.0, 2, 2.0)
    files = {"Kick": np.clip(kick, -0.9, 0.9), "Keys": np.clip(keys, -0.9, 0.9), "Vox": music(12.0, 3, 0.3)}
    make_song_dir(tmp_path / "song", files, SR, "wav")
    (song,) = load_corpus(folder_cfg(tmp_path))
    song.stems()
    flat = {p.name: v for p, v in song.loader.flat.items()}
    assert flat["Vox.wav"] == 0.0 and 1e-2 < min(flat["Kick.wav"], flat["Keys.wav"])
    clipped = np.clip(music(12.0, 3, 0.3), -0.2, 0.2)
    share = np.mean(np.abs(clipped).max(axis=1) >= np.float32(0.2) * 10 ** (-0.5 / 20))
    assert peak_stats(clipped) == (np.float32(0.2), share) and share > 1e-3
    mono = np.mean(np.abs(clipped[:, 0]) >= np.float32(0.2) * 10 ** (-0.5 / 20))
    assert peak_stats(clipped[:, 0]) == (np.float32(0.2), mono)
    assert peak_stats(np.full((31, 2), 0.2, np.float32)) == (np.float32(0.2), 0.0)       # under 32 frames: none
    assert peak_stats(np.full((32, 2), 0.2, np.float32))[1] == 1.0 and peak_stats(np.zeros((5, 2))) == (0.0, 0.0)

    def said(peaks_db: dict[str, float], flats: dict[str, float]) -> tuple[list[str], bool]:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            names = warn_limited("song", {Path(k): 10 ** (v / 20) for k, v in peaks_db.items()},
                                 {Path(k): v for k, v in flats.items()})
        assert bool(names) == ("master bus's limiter" in caplog.text)
        return names, "normalised" in caplog.text

    peaks = {p.name: 20 * np.log10(v) for p, v in song.loader.peaks.items()}
    assert said(peaks, flat) == (["Keys.wav", "Kick.wav"], False)
    assert "Keys.wav, Kick.wav peak at one level, -0.92 dBFS, flat-topped (" in caplog.text
    assert said({**peaks, "Keys.wav": peaks["Keys.wav"] - 0.3}, flat)[0] == []       # not one ceiling
    assert said(peaks, {**flat, "Keys.wav": 1e-5})[0] == []                           # one flat top only
    assert said({**peaks, "Vox.wav": 0.0}, {**flat, "Vox.wav": 1e-3})[0] == []       # under a louder file
    assert said({"a.wav": -1.0, "b.wav": -1.05, "c.wav": -30.0}, {"a.wav": 3e-5, "b.wav": 2e-5, "c.wav": 0.0})[0] == [
        "a.wav", "b.wav"]
    caplog.clear()
    with caplog.at_level(logging.WARNING):       # normalised files: sparse peaks, so the normalising question
        warn_peaks("song", {Path(k): 1.0 for k in flat}, {Path(k): 1e-6 for k in flat})
    assert "normalised on export" in caplog.text and "limiter" not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):       # flat-topped files all at one peak: normalised or limited, both asked
        warn_peaks("song", {Path(k): 1.0 for k in flat}, {Path(k): 1e-3 for k in flat})
    (record,) = caplog.records
    assert record.getMessage().startswith("song: every file peaks at 0.00 dBFS, within 0.000 dB (Keys.wav, Kick.wav, "
                                          "Vox.wav), and Keys.wav, Kick.wav, Vox.wav are flat-topped (100 to 100 in "
                                          "100 000 of their samples within 0.5 dB of it): were the stems normalised "
                                          "on export, or exported through the master bus's limiter")


def test_a_second_copy_of_a_file_is_told_from_microphones_and_doubles():
    """copy_files: a file holding the same audio as another (its glimpse and peak) is the copy, the longer name
    of the two; a track turned down, a second microphone (low-passed), a double (another take) and silence are
    not copies."""
    rng = np.random.default_rng(1)
    vox, keys, take = (rng.standard_normal(4000) * a for a in (0.5, 0.7, 0.5))
    low = np.convolve(vox, np.ones(4) / 4, mode="same")
    glimpses = {Path("Vox.wav"): vox, Path("Vox (1).wav"): vox.copy(), Path("Keys.wav"): keys,
                Path("Keys quiet.wav"): keys * 0.5, Path("Vox mic 2.wav"): low, Path("Vox take 2.wav"): take,
                Path("Pad.wav"): vox * 0, Path("Pad copy.wav"): vox * 0}
    peaks = {p: float(np.abs(g).max()) for p, g in glimpses.items()}
    assert [(c.name, o.name, round(r, 4)) for c, o, r in copy_files(glimpses, peaks)] == [
        ("Vox (1).wav", "Vox.wav", 1.0)]
    # the halves of a split-stereo pair of a centred mono track hold the same audio: not a copy
    assert copy_files(glimpses, peaks, pairs={Path("Vox.wav"): Path("Vox (1).wav")}) == []
    peaks[Path("Vox (1).wav")] *= 10 ** (0.05 / 20)       # a peak 0.05 dB apart: not the same audio
    assert copy_files(glimpses, peaks) == []


@pytest.mark.parametrize("name, copy", [
    ("Vox (1).wav", True), ("Vox(2).ogg", True), ("Vox copy.wav", True), ("Vox copy 2.wav", True),
    ("Vox - Copy.wav", True), ("Vox - Copy (2).wav", True), ("Vox (copy).wav", True), ("Vox (another copy).wav", True),
    ("Vox (3rd copy).wav", True), ("Copy of Vox.wav", True), ("vox (1).flac", True),
    ("Vox 2.wav", False), ("Vox Dbl.wav", False), ("Voxcopy.wav", False), ("Lead Vox.wav", False)])
def test_a_name_that_says_copy(name, copy):
    """What browsers, file managers and shells add to a copy's name; a DAW's "Vox 2" (a duplicated track, which
    may play twice on purpose) is not such a name."""
    assert named_as_copy(Path(name), Path("Vox.wav")) == copy


@pytest.mark.parametrize("copy, original, want", [
    ("Acapella.wav", "Vocals.wav", ("Acapella.wav", "Vocals.wav", True)),
    ("Lead Vocals.wav", "A Cappella.wav", ("A Cappella.wav", "Lead Vocals.wav", True)),      # the a cappella goes
    ("Acapella 2.wav", "Acapella.wav", ("Acapella 2.wav", "Acapella.wav", False)),            # both say it: asked
    ("Vocals (1).wav", "Vocals.wav", ("Vocals (1).wav", "Vocals.wav", True)),
    ("Lead Vox.wav", "Vocals.wav", ("Lead Vox.wav", "Vocals.wav", False)),
])
def test_which_of_two_files_of_one_audio_is_left_out(copy, original, want):
    """A remix pack's "Acapella.wav" beside its vocal stem holds the same audio: counted twice, the vocals read 6 dB
    up; the a cappella is left out like a file named as a copy."""
    assert which_copy(Path(copy), Path(original)) == (Path(want[0]), Path(want[1]), want[2])


def test_a_part_given_dry_and_wet_is_paired_only_when_the_wet_file_holds_the_dry_one():
    """dry_wet_pairs: "Vox Dry" + "Vox Wet" (the dry part with a reverb added) pair; the wet file holding the
    effects alone, names that differ in more than dry/wet, and a lone dry file do not."""
    rng = np.random.default_rng(3)
    dry, tail, other = (rng.standard_normal(4000).astype(np.float32) for _ in range(3))
    wet = dry + 0.8 * tail                                    # r = 0.78 with the dry part
    glimpses = {Path("Vox Dry.wav"): dry, Path("Vox Wet.wav"): wet, Path("VoxFx Wet.wav"): tail,
                Path("Acapella (Unprocessed).wav"): other, Path("Acapella (Processed).wav"): other + 0.5 * tail,
                Path("Gtr Dry.wav"): tail, Path("Keys Wet.wav"): tail}
    found = dry_wet_pairs(glimpses, {"vocals": list(glimpses)[:5], "other": list(glimpses)[5:]})
    assert [(d.name, w.name) for d, w, _ in found] == [("Vox Dry.wav", "Vox Wet.wav"),
                                                       ("Acapella (Unprocessed).wav", "Acapella (Processed).wav")]
    assert 0.75 < found[0][2] < 0.81
    assert dry_wet_pairs({Path("Vox Dry.wav"): dry, Path("Vox Wet.wav"): tail}, {"vocals": [Path("Vox Dry.wav"),
                                                                                         Path("Vox Wet.wav")]}) == []


def test_a_track_exported_again_keeps_only_its_newest_version():
    """older_versions: "Vox" + "Vox v2" + "Vox_old" (one part, re-exported) leave "Vox v2"; "final" outranks a
    number, a number an unmarked name, an unmarked name "old"; verse-split "Lead V1" + "Lead V2" (parts that never
    sound together) and names that differ in more than a version mark are not versions."""
    rng = np.random.default_rng(4)
    vox, other = rng.standard_normal(4000).astype(np.float32), rng.standard_normal(4000).astype(np.float32)
    verse1, verse2 = np.where(np.arange(4000) < 2000, vox, 0), np.where(np.arange(4000) >= 2000, vox, 0)
    glimpses = {Path("Vox.wav"): vox, Path("Vox v2.wav"): 1.1 * vox + 0.1 * other, Path("Vox_old.wav"): vox,
                Path("Keys.wav"): other, Path("Keys final.wav"): other, Path("Keys v3.wav"): other,
                Path("Lead V1.wav"): verse1, Path("Lead V2.wav"): verse2, Path("Gtr.wav"): other,
                Path("Gtr Solo v2.wav"): other}
    found = older_versions(glimpses, {"vocals": list(glimpses)[:3], "other": list(glimpses)[3:]})
    assert sorted((o.name, n.name) for o, n, _ in found) == [("Keys v3.wav", "Keys final.wav"),
                                                             ("Keys.wav", "Keys final.wav"),
                                                             ("Vox.wav", "Vox v2.wav"), ("Vox_old.wav", "Vox v2.wav")]


def test_the_song_without_a_stem_is_left_out_with_a_warning(tmp_path: Path, caplog):
    """Demucs' two-stem output (vocals.wav + no_vocals.wav) and a pack's "Instrumental.wav": not one stem, left out
    by name and said so (before, "no_vocals" went to the vocals: every other instrument counted as the voice)."""
    make_song_dir(tmp_path / "song", {"vocals": tone(0.5, 330), "no_vocals": tone(0.5, 60), "drums": tone(0.5, 90),
                                      "Instrumental": tone(0.5, 120)}, SR, "wav")
    with caplog.at_level(logging.INFO):
        (song,) = load_corpus(folder_cfg(tmp_path))
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith(f"{tmp_path / 'song'}: Instrumental.wav, no_vocals.wav named as the song without one of its "
                              "stems")
    assert song.stem_names == ("drums", "vocals")
    np.testing.assert_array_equal(song.stem("vocals"), tone(0.5, 330))
    caplog.clear()           # a pack's sub-folder "Instrumental/" holds instrument tracks: they are kept
    make_song_dir(tmp_path / "pack" / "Vocals", {"Lead": tone(0.5, 330)}, SR, "wav")
    make_song_dir(tmp_path / "pack" / "Instrumental", {"Piano": tone(0.5, 200), "Kick": tone(0.5, 60)}, SR, "wav")
    groups = assign_files(tmp_path / "pack", default_mapping())
    assert {k: [p.name for p in v] for k, v in groups.items()} == {"vocals": ["Lead.wav"], "other": ["Piano.wav"],
                                                                  "drums": ["Kick.wav"]}
    assert "without one of its stems" not in caplog.text


def test_a_bounce_of_the_whole_song_is_told_from_the_stems():
    """mix_files: the sum of the stems (or a saturated copy of it) among the "other" files is found, the
    highest first and each taken out before the next; separate stems, two microphones of one instrument
    (they match each other, not the drums or vocals) and a song of two files are left alone."""
    rng = np.random.default_rng(0)
    x = {Path(k): rng.standard_normal(4000) * a for k, a in (("Kick", 1.0), ("Vox", 0.5), ("Keys", 0.7))}
    total = sum(x.values())
    song = {**x, Path("Song final"): total, Path("Song master"): np.tanh(total * 2)}
    found = mix_files(song, [Path("Keys"), Path("Song final"), Path("Song master")])
    assert [p.name for p, _ in found] == ["Song final", "Song master"]
    assert found[0][1] > 0.98 and 0.85 < found[1][1] < 0.95
    assert mix_files(x, [Path("Keys")]) == []
    twins = {Path("Vox"): x[Path("Vox")], Path("Keys DI"): x[Path("Keys")], Path("Keys Room"): x[Path("Keys")] * 0.7}
    assert mix_files(twins, [Path("Keys DI"), Path("Keys Room")]) == []      # r with the rest 0.70, with Vox 0
    two = {Path("Vox"): x[Path("Vox")], Path("Song"): x[Path("Vox")] + x[Path("Keys")]}
    assert mix_files(two, [Path("Song")]) == []


def test_a_group_track_exported_with_its_tracks_is_found():
    """bus_files: a file that sums other files of its stem (plain, or saturated as a bus compressor might)
    is found; two copies of one source beside another track, a group that is nearly one of its tracks (it
    cannot be told from a duplicate track, which does play twice), and a stem of two files are not."""
    rng = np.random.default_rng(1)
    kick, snare, hats, other = (rng.standard_normal(4000) * a for a in (1.0, 0.8, 0.5, 1.0))
    paths = [Path(n) for n in ("Kick", "Snare", "Hats", "Drums")]
    for group in (kick + snare + hats, np.tanh(kick + snare + hats)):
        (found,) = bus_files(dict(zip(paths, (kick, snare, hats, group))), {"drums": paths, "other": [Path("Keys")]})
        assert found[0].name == "Drums" and found[1] > 0.9
    twins = {Path("Kick In"): kick, Path("Kick Out"): kick * 0.7, Path("Snare"): snare}
    assert bus_files(twins, {"drums": list(twins)}) == []
    one = {Path("Kick"): kick, Path("Shaker"): hats * 0.05, Path("Snare"): snare * 0.05,
           Path("Drums"): kick + (hats + snare) * 0.05}
    assert bus_files(one, {"drums": list(one)}) == []
    two = {Path("Kick"): kick, Path("Drums"): kick + snare}
    assert bus_files(two, {"drums": list(two)}) == [] and bus_files({Path("Keys"): other}, {"other": [Path("Keys")]}) == []


# --------------------------------------------------------------------------- stems_folder mapping

def test_default_mapping_sorts_daw_track_names_and_skips_the_mix(tmp_path: Path, caplog):
    make_song_dir(tmp_path / "song", {"Bass_DI": tone(0.5), "SubBass": tone(0.5, 55), "drums": tone(0.5),
                                      "mixture": tone(0.5), "shaker": tone(0.5, 900), "01_LeadVox-final": tone(0.5, 330),
                                      "Bass Drum": tone(0.5, 60), "Gtr L": tone(0.5, 200), "bassoon": tone(0.5, 120)},
                  SR, "wav", meta={"k": 1})
    with caplog.at_level(logging.INFO):
        (song,) = load_corpus(folder_cfg(tmp_path))
    assert song.stem_names == ("bass", "drums", "other", "vocals") and song.meta == {"k": 1} and song.split == "test"
    assert "WARNING" not in caplog.text  # "other" is where the rest of the music belongs: no warning
    assert "drums = Bass Drum.wav + drums.wav + shaker.wav" in caplog.text and "skipped ['mixture.wav']" in caplog.text
    np.testing.assert_allclose(song.stem("bass"), tone(0.5) + tone(0.5, 55), atol=1e-6)
    np.testing.assert_allclose(song.stem("drums"), tone(0.5, 60) + tone(0.5) + tone(0.5, 900), atol=1e-6)
    np.testing.assert_allclose(song.stem("other"), tone(0.5, 200) + tone(0.5, 120), atol=1e-6)  # bassoon is not bass
    np.testing.assert_array_equal(song.stem("vocals"), tone(0.5, 330))


@pytest.mark.parametrize("project", ["Oh Darling_", "Bass Odyssey - ", "Final Mix-", "Sub Zero (Vox Edit) "])
def test_a_project_name_before_every_track_name_is_not_read(tmp_path: Path, caplog, project: str):
    """FL Studio, Cubase and Reaper write the project's name before each track's; one that holds a stem word ("oh":
    an overhead microphone) sent every file to that stem. Now the rest of each name sorts it; the bounce named after
    the project ("Oh Darling.wav") and a "Mix.wav" beside them do not stop that."""
    tracks = {"Kick": tone(0.5, 60), "Lead Vox": tone(0.5, 330), "Bass DI": tone(0.5, 55), "Keys": tone(0.5, 200)}
    make_song_dir(tmp_path / "song", {f"{project}{k}": x for k, x in tracks.items()} | {"Mix": tone(0.5, 90)}, SR, "wav")
    with caplog.at_level(logging.INFO):
        (song,) = load_corpus(folder_cfg(tmp_path))
    assert f"the files' names start with {project!r} (the project's name?)" in caplog.text
    for stem, track in (("drums", "Kick"), ("vocals", "Lead Vox"), ("bass", "Bass DI"), ("other", "Keys")):
        np.testing.assert_array_equal(song.stem(stem), tracks[track])
    assert default_mapping().stem_of(f"{project}Keys.wav") is not None     # the whole name says a stem (or mix)
    names = ["Vocals_Lead.wav", "Vocals_BV.wav", "Vocals_Adlib.wav"]        # one stem's files: the start is its name
    assert shared_prefix(names, default_mapping()) == "" and shared_prefix(["My Song_Kick.wav", "My Song_Vox.wav"],
                                                                           default_mapping()) == ""
    room = ["Living Room_Kick.wav", "Living Room_Lead Vox.wav", "Living Room_FX.wav"]   # "room": a drum microphone
    assert default_mapping().stem_of(room[2]) == "drums" and shared_prefix(room, default_mapping()) == "Living Room_"


def test_an_effect_return_exported_with_the_tracks_is_left_out_with_a_warning(tmp_path: Path, caplog):
    """Ableton's "all individual tracks" export writes its return tracks too ("A-Reverb", "B-Delay"): they hold
    several stems' effects, so they are left out of the stems, said so; a stem's own reverb stays in its stem, and
    a mapping file's rules are not second-guessed."""
    make_song_dir(tmp_path / "song", {"1-Kick": tone(0.5, 60), "2-Bass": tone(0.5, 55), "3-Lead Vox": tone(0.5, 330),
                                      "4-Keys": tone(0.5, 200), "5-Vox Verb": tone(0.5, 660), "A-Reverb": tone(0.5, 900),
                                      "B-Delay": tone(0.5, 1200)}, SR, "wav")
    with caplog.at_level(logging.INFO):
        (song,) = load_corpus(folder_cfg(tmp_path))
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith(f"{tmp_path / 'song'}: A-Reverb.wav, B-Delay.wav named as an effect return")
    assert "left out" in warning and "'Vocal Reverb.wav'" in warning
    np.testing.assert_allclose(song.stem("other"), tone(0.5, 200), atol=1e-6)
    np.testing.assert_allclose(song.stem("vocals"), tone(0.5, 330) + tone(0.5, 660), atol=1e-6)
    (tmp_path / "song" / "mapping.yaml").write_text('drums: "*kick*"\nbass: "*bass*"\nvocals: "*vox*"\n')
    caplog.clear()
    (song,) = load_corpus(folder_cfg(tmp_path))
    assert "effect return" not in caplog.text
    np.testing.assert_allclose(song.stem("other"), tone(0.5, 200) + tone(0.5, 900) + tone(0.5, 1200), atol=1e-6)


@pytest.mark.parametrize("name, stem", [
    ("Lead Vox.wav", "vocals"), ("BVs.wav", "vocals"), ("LEADVOX.aif", "vocals"), ("Vocals_Master.wav", "vocals"),
    ("Choir 2.flac", "vocals"), ("Kick In.wav", "drums"), ("808 Kick.wav", "drums"), ("HH.wav", "drums"),
    ("OH L.wav", "drums"), ("Drum Bus.wav", "drums"), ("808.wav", "bass"), ("Synth Bass.wav", "bass"),
    ("bass-1.flac", "bass"), ("vocals.ogg", "vocals"), ("other.ogg", None), ("Keys.wav", None),
    ("Remix Pad.wav", None), ("Full Mix.wav", ""), ("Master.wav", ""), ("mix.wav", ""),
    ("Gesang 1.wav", "vocals"), ("Chœurs.wav", "vocals"), ("Voz Principal.wav", "vocals"), ("Voci.wav", "vocals"),
    ("Schlagzeug.wav", "drums"), ("Batería.wav", "drums"), ("Caixa.wav", "drums"), ("Grosse Caisse.wav", "drums"),
    ("Bajo Eléctrico.wav", "bass"), ("Basse.flac", "bass"), ("Kontrabass.wav", "bass"), ("Guitarra.wav", None),
    ("Click.wav", ""), ("Metronome.wav", ""), ("Talkback.wav", ""), ("SMPTE LTC.wav", ""), ("Perc Click.wav", "drums"),
    ("REF - Another Artist.wav", ""), ("Reference Track.mp3", ""), ("Ref Vox.wav", "vocals"),
    ("A-Reverb.wav", ""), ("B-Delay.wav", ""), ("Verb Return.wav", ""), ("Echo.wav", ""), ("Vocal Reverb.wav", "vocals"),
    ("Snare Verb.wav", "drums"), ("FX.wav", None), ("Riser FX.wav", None),
    ("リードボーカル.wav", "vocals"), ("ﾎﾞｰｶﾙ.wav", "vocals"), ("バスドラム.wav", "drums"), ("ベース.wav", "bass"),
    ("シンセ.wav", None), ("カスタム シンセ.wav", None), ("人声.wav", "vocals"), ("架子鼓.wav", "drums"),
    ("低音鼓.wav", "drums"), ("贝斯.wav", "bass"), ("보컬.wav", "vocals"), ("베이스 드럼.wav", "drums"), ("베이스.wav", "bass"),
    ("기타.wav", None), ("no_vocals.wav", ""), ("NoDrums.wav", ""), ("Song (Drumless).wav", ""), ("Instrumental.wav", ""),
    ("Karaoke Version.mp3", ""), ("Night Drive (Untagged).wav", ""), ("Track (Minus One).wav", ""), ("オフボーカル.wav", ""), ("Drums no reverb.wav", "drums"),
    ("Bass No Comp.wav", "bass"), ("Inst 1.wav", None), ("Acapella.wav", "vocals"), ("Shakers.wav", "drums"),
    ("Tops.wav", "drums"), ("TopLoop.wav", "drums"), ("Top Loop 2.wav", "drums"), ("Rims.wav", "drums"),
    ("Basslines.wav", "bass"), ("Choirs.wav", "vocals"), ("Topline.wav", None), ("08_Room.wav", "drums"),
    ("Rooms L.wav", "drums"), ("RoomMono.wav", "drums"), ("Piano Room.wav", None), ("Gtr Room.wav", None),
    ("Vocal Room.wav", "vocals"), ("Bass Room.wav", "bass"), ("Room Mix.wav", ""), ("56_Cajon.wav", "drums"),
    ("Djembe.wav", "drums"), ("Tabla.wav", "drums"), ("Timpani.wav", "drums"), ("Fingersnap.wav", "drums"),
    ("Spoken Word.wav", "vocals"), ("Reese.wav", "bass"), ("Glockenspiel.wav", None),
])
def test_default_mapping_words(name: str, stem: str | None):
    assert default_mapping().stem_of(name) == stem
    assert name_words("01_LeadVox-final.wav") == {"01", "leadvox", "lead", "vox", "final"}


def test_mapping_order_policies_and_per_song_override(tmp_path: Path):
    make_song_dir(tmp_path / "a", {"bass_vox": tone(0.5), "gtr": tone(0.5, 300), "click": tone(0.5, 2000)}, SR, "wav")
    make_song_dir(tmp_path / "b", {"lead": tone(0.5), "gtr": tone(0.5)}, SR, "wav")
    (tmp_path / "b" / "mapping.json").write_text(json.dumps({"vocals": "LEAD*", "unmatched": "ignore"}))
    mapping = tmp_path / "map.yml"
    mapping.write_text("vocals: '*vox*'\nbass: '*bass*'\nignore: ['click*']\nunmatched: error\n")
    with pytest.raises(CorpusError, match=r"gtr\.wav"):
        load_corpus(folder_cfg(tmp_path, mapping=str(mapping)))
    (tmp_path / "a" / "gtr.wav").unlink()
    a, b = load_corpus(folder_cfg(tmp_path, mapping=str(mapping)))
    assert a.stem_names == ("vocals",)  # bass_vox: first listed stem wins; click ignored
    assert b.stem_names == ("vocals",)  # per-song mapping: gtr ignored


@pytest.mark.parametrize("text, match", [
    ("vocals: []\n", "non-empty list"),
    ("voice: ['*vox*']\n", "unknown key 'voice'"),
    ("vocals: '*v*'\nunmatched: drop\n", "'unmatched' must be one of"),
    ("- a\n- b\n", "must be a non-empty mapping"),
    ("vocals: [unclosed\n", r"cannot parse stem mapping \(invalid YAML at line 2, column 1: expected ',' or "
                              r"'\]', but got '<stream end>' \(while parsing a flow sequence\)\)$"),
])
def test_bad_mapping_files(tmp_path: Path, text: str, match: str):
    make_song_dir(tmp_path / "songs" / "s", {"vocals": tone(0.2)}, SR, "wav")
    (tmp_path / "m.yaml").write_text(text)
    with pytest.raises(ConfigError, match=match) as e:
        load_corpus(folder_cfg(tmp_path / "songs", mapping=str(tmp_path / "m.yaml")))
    assert "m.yaml" in str(e.value)


# --------------------------------------------------------------------------- real data

def test_real_dev_songs(real_dev_dir: Path):
    songs = load_corpus(folder_cfg(real_dev_dir))
    assert [s.id for s in songs] == ["eif_francium", "eif_lithium", "eif_sodium"]
    names = {s.id: s.stem_names for s in songs}
    assert names["eif_francium"] == ("drums", "other", "vocals")  # no bass part
    assert names["eif_lithium"] == names["eif_sodium"] == ("bass", "drums", "other", "vocals")
    for s in songs:
        assert s.sample_rate == 44100 and s.num_frames == 150 * 44100 and s.split == "test"
        assert s.meta["license"] == "CC0-1.0" and s.meta["seconds"] == 150.0
    drums = songs[0].stem("drums")
    assert drums.shape == (150 * 44100, 2) and drums.dtype == np.float32
    assert 0.01 < float(np.sqrt(np.mean(drums ** 2))) < 0.5


# --------------------------------------------------------------------------- formats read through ffmpeg

def test_m4a_files_are_read_through_ffmpeg(tmp_path: Path, monkeypatch):
    """AAC in .m4a (what phones and iTunes write): level, rate and channels survive; a stems folder of
    m4a files loads; a corrupt one and a missing ffmpeg are errors naming the file and the fix."""
    import subprocess

    from mixbuddy.audio import audio_info, read_audio

    if not (shutil.which("ffmpeg") and shutil.which("ffprobe")):
        pytest.skip("ffmpeg/ffprobe not installed")
    x = tone(3.0, 440.0, 44100, amp=0.25)
    sf.write(str(tmp_path / "src.wav"), x, 44100)
    song = tmp_path / "songs" / "song"
    song.mkdir(parents=True)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "src.wav"), "-c:a", "aac", "-b:a", "192k",
                    str(song / "bass.m4a")], check=True)
    sr, frames, ch = audio_info(song / "bass.m4a")
    assert (sr, ch) == (44100, 2) and abs(frames - 3 * 44100) < 0.05 * 44100
    y, sr = read_audio(song / "bass.m4a")
    assert sr == 44100 and y.shape[1] == 2 and abs(y.shape[0] - x.shape[0]) < 0.05 * 44100
    n = min(len(x), len(y))
    level = 10 * np.log10(np.mean(y[:n] ** 2) / np.mean(x[:n] ** 2))
    assert abs(level) < 0.2, level
    assert read_audio(song / "bass.m4a", sr=16000, channels=1)[0].shape[1] == 1
    (loaded,) = load_corpus(folder_cfg(tmp_path / "songs"))
    assert loaded.stem_names == ("bass",) and loaded.stem("bass").shape[1] == 2

    (tmp_path / "broken.m4a").write_bytes(b"not an m4a file" * 64)
    with pytest.raises(AudioFileError, match=r"broken\.m4a: cannot decode audio \(ffprobe: "):
        read_audio(tmp_path / "broken.m4a")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(AudioFileError, match=r"bass\.m4a: reading \.m4a files needs ffmpeg and ffprobe on PATH "
                                             r"\(apt-get install ffmpeg, or convert the file to wav/flac\)"):
        read_audio(song / "bass.m4a")


@pytest.mark.parametrize("suffix", [".mp4", ".mov"])
def test_the_audio_of_a_video_or_phone_file_is_read(tmp_path: Path, suffix: str):
    """AAC in .mp4 or .mov (a video's bounce, a phone's recording): its first audio stream, level kept."""
    import subprocess

    from mixbuddy.audio import read_audio

    if not (shutil.which("ffmpeg") and shutil.which("ffprobe")):
        pytest.skip("ffmpeg/ffprobe not installed")
    x = tone(3.0, 440.0, 44100, amp=0.25)
    sf.write(str(tmp_path / "src.wav"), x, 44100)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "src.wav"), "-c:a", "aac", "-b:a", "192k",
                    str(tmp_path / f"bounce{suffix}")], check=True)
    y, sr = read_audio(tmp_path / f"bounce{suffix}")
    n = min(len(x), len(y))
    assert sr == 44100 and y.shape[1] == 2 and abs(y.shape[0] - x.shape[0]) < 0.05 * 44100
    assert abs(10 * np.log10(np.mean(y[:n] ** 2) / np.mean(x[:n] ** 2))) < 0.2


def test_a_stem_file_among_a_folder_s_tracks_is_not_a_track(tmp_path: Path, stem_clip: Path):
    """A whole song's .stem.mp4 beside the tracks of a stems folder is left out, not read as one more track
    (its first stream is the whole mix)."""
    make_song_dir(tmp_path / "s", {"bass": tone(1.0), "vocals": tone(1.0, 440)}, SR, "wav")
    shutil.copy(stem_clip, tmp_path / "s" / "song.stem.mp4")
    (song,) = load_corpus(folder_cfg(tmp_path))
    assert song.stem_names == ("bass", "vocals")


@pytest.mark.parametrize("fmt, codec, rate", [("matroska", "libvorbis", 44100), ("webm", "libopus", 48000)])
def test_a_streamed_file_without_a_stated_duration_is_measured_by_decoding(tmp_path: Path, fmt, codec, rate):
    """ffmpeg writing Matroska/WebM to a pipe states no duration: the length comes from decoding, not 0 s."""
    import subprocess

    from mixbuddy.audio import audio_info, read_audio

    if not (shutil.which("ffmpeg") and shutil.which("ffprobe")):
        pytest.skip("ffmpeg/ffprobe not installed")
    sf.write(str(tmp_path / "src.wav"), tone(6.0, 440.0, 44100, amp=0.25), 44100)
    out = tmp_path / f"piped.{'mka' if fmt == 'matroska' else 'webm'}"
    with open(out, "wb") as f:
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "src.wav"), "-c:a", codec, "-f", fmt, "-"],
                       stdout=f, check=True)
    stated = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=duration", "-of",
                             "csv=p=0", str(out)], capture_output=True, text=True, check=True).stdout
    assert not any(c.isdigit() for c in stated), stated          # the container really states no duration
    sr, frames, ch = audio_info(out)
    y, _ = read_audio(out)
    assert (sr, ch) == (rate, 2) and frames == len(y) and abs(frames - 6 * rate) < 0.05 * rate


def test_a_stems_folder_of_caf_and_wavpack_files_loads(tmp_path: Path):
    """Logic bounces CAF, other DAWs WavPack: a folder of them is a song, each stem read at its level."""
    import subprocess

    x = tone(2.0, 220.0, 44100, amp=0.25)
    song = tmp_path / "songs" / "song"
    song.mkdir(parents=True)
    sf.write(str(song / "Bass DI.caf"), x, 44100, format="CAF", subtype="PCM_24")
    sf.write(str(song / "Kick.w64"), 0.5 * x, 44100, format="W64", subtype="FLOAT")
    expected = {"bass", "drums"}
    if shutil.which("ffmpeg") and shutil.which("ffprobe"):
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(song / "Bass DI.caf"), "-c:a", "wavpack",
                        str(song / "Lead Vox.wv")], check=True)
        expected.add("vocals")
    (loaded,) = load_corpus(folder_cfg(tmp_path / "songs"))
    assert set(loaded.stem_names) == expected
    for stem, amp in (("bass", 0.25), ("drums", 0.125), ("vocals", 0.25)):
        if stem in expected:
            y = loaded.stem(stem)
            assert abs(float(np.abs(y).max()) - amp) < 1e-3, stem


# --------------------------------------------------------------------------- .stem.mp4

def test_stem_mp4_real_clip(stem_clip: Path, tmp_path: Path):
    from mixbuddy.corpus.stem_mp4 import read_mixture

    (tmp_path / "train").mkdir()
    (tmp_path / "train" / STEMPEG_CLIP).symlink_to(stem_clip)
    (song,) = load_corpus(CorpusConfig(kind="stem_mp4", root=str(tmp_path)))
    assert (song.id, song.split) == ("The Easton Ellises - Falcon 69", "train")
    assert song.stem_names == ("bass", "drums", "other", "vocals")
    assert song.sample_rate == 44100 and song.num_frames == 268288  # ~6.08 s
    stems = song.stems()
    assert all(v.shape == (268288, 2) for v in stems.values())
    levels = {k: float(np.sqrt(np.mean(v ** 2))) for k, v in stems.items()}
    assert all(0.03 < v < 0.2 for v in levels.values()), levels
    mix, total = read_mixture(song), np.sum(list(stems.values()), axis=0)
    # AAC-coded mixture vs. sum of AAC-coded stems: same signal within coding noise (measured SNR ~17-23 dB
    # per second; the last ~40 ms hold a codec glitch, excluded).
    head = slice(0, 6 * 44100)
    snr = 10 * np.log10(np.sum(mix[head] ** 2) / np.sum((mix[head] - total[head]) ** 2))
    assert snr > 15.0
    assert np.corrcoef(mix[head].ravel(), total[head].ravel())[0, 1] > 0.98
    # the stream → stem mapping (measured on this clip): bass has the lowest spectral centroid, drums the
    # largest share of energy above 5 kHz, vocals the most level variation (phrases with gaps) vs. other
    def spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        power = np.abs(np.fft.rfft(x.mean(axis=1))) ** 2
        return np.fft.rfftfreq(x.shape[0], 1 / 44100), power / power.sum()

    centroid = {k: float(np.sum(f * p)) for k, (f, p) in ((k, spectrum(v)) for k, v in stems.items())}
    highs = {k: float(p[f > 5000].sum()) for k, (f, p) in ((k, spectrum(v)) for k, v in stems.items())}
    assert min(centroid, key=centroid.get) == "bass"
    assert max(highs, key=highs.get) == "drums"
    frame_db = {k: 10 * np.log10(np.mean(v[: 262144].reshape(-1, 1024, 2) ** 2, axis=(1, 2)) + 1e-12).std()
                for k, v in stems.items()}
    assert frame_db["vocals"] > frame_db["other"] + 3


def test_stem_mp4_flat_folder_and_pickling(stem_clip: Path, tmp_path: Path):
    (tmp_path / "clip.stem.mp4").symlink_to(stem_clip)
    (song,) = load_corpus(CorpusConfig(kind="stem_mp4", root=str(tmp_path), split="test"))
    assert (song.id, song.split) == ("clip", "test")
    clone = pickle.loads(pickle.dumps(song))
    assert clone.stem("vocals").shape == (268288, 2)


def with_stem_names(clip: Path, out: Path, names: list[str]) -> Path:
    """A copy of the clip whose NI metadata names its streams 1-4 ``names`` (the JSON rewritten in place,
    padded with spaces to its old length, so no box size changes)."""
    data = clip.read_bytes()
    a = data.index(b"stem{") + 4      # the JSON payload of the moov/udta/stem box
    b = data.index(b"}]}", a) + 3
    new = json.dumps({"stems": [{"name": n} for n in names]}).encode()
    assert len(new) <= b - a
    out.write_bytes(data[:a] + new + b" " * (b - a - len(new)) + data[b:])
    return out


def test_stem_mp4_stream_names_by_words(stem_clip: Path, tmp_path: Path, caplog):
    from mixbuddy.corpus.stem_mp4 import ni_stem_names, probe_song, stream_stems

    assert ni_stem_names(stem_clip) == ["drums", "bass", "other", "vox"]
    assert stream_stems(stem_clip, 5) == ("drums", "bass", "other", "vocals")
    daw = with_stem_names(stem_clip, tmp_path / "daw.stem.mp4", ["Lead Vox", "Sub Bass", "Synth", "Kick"])
    with caplog.at_level(logging.INFO):
        assert stream_stems(daw, 5) == ("vocals", "bass", "other", "drums")
        (song,) = load_corpus(CorpusConfig(kind="stem_mp4", root=str(tmp_path), split="test"))
    assert "read as ['vocals', 'bass', 'other', 'drums']" in caplog.text
    assert np.array_equal(song.stem("vocals"), probe_song(stem_clip, "clip", "test").stem("drums"))  # stream 1
    twice = with_stem_names(stem_clip, tmp_path / "twice.stem.mp4", ["Vox", "Vox 2", "Bass", "Drums"])
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert stream_stems(twice, 5) == ("drums", "bass", "other", "vocals")
    assert "do not give one each of" in caplog.text


def test_stem_mp4_corrupt_and_missing_backend(stem_clip: Path, tmp_path: Path, monkeypatch):
    (tmp_path / "broken.stem.mp4").write_bytes(b"not an mp4 file" * 64)
    with pytest.raises(AudioFileError, match=r"broken\.stem\.mp4"):
        load_corpus(CorpusConfig(kind="stem_mp4", root=str(tmp_path)))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(MixbuddyError, match="apt-get install ffmpeg"):
        load_corpus(CorpusConfig(kind="stem_mp4", root=str(tmp_path)))
    monkeypatch.setitem(sys.modules, "stempeg", None)
    with pytest.raises(MixbuddyError, match=r"pip install mixbuddy\[stems\]"):
        load_corpus(CorpusConfig(kind="stem_mp4", root=str(tmp_path)))


# --------------------------------------------------------------------------- bad inputs

@pytest.mark.parametrize("kind, empty", [
    ("musdb_hq", "no train/ or test/ folder; expected the MUSDB18-HQ layout <root>/{{train,test}}/<track>/"
                 "{{bass,drums,other,vocals}}.wav (for one folder of stem files per song, use kind stems_folder"),
    ("stem_mp4", "no .stem.mp4/.stem.m4a files found (in the root or under train/, test/)"),
    ("stems_folder", "no song folders found (expected {root}/<song>/<stem files>)")])
def test_missing_and_empty_roots(tmp_path: Path, kind: str, empty: str):
    if kind == "stem_mp4":
        pytest.importorskip("stempeg")
    with pytest.raises(CorpusError, match="corpus folder not found"):
        load_corpus(CorpusConfig(kind=kind, root=str(tmp_path / "nope")))
    with pytest.raises(CorpusError) as e:                   # there, but empty: what each kind looked for
        load_corpus(CorpusConfig(kind=kind, root=str(tmp_path)))
    assert str(e.value).startswith(f"{tmp_path}: {empty.format(root=tmp_path)}")
    with pytest.raises(CorpusError, match="not set"):
        load_corpus(CorpusConfig(kind=kind, root=""))


def test_layout_errors_name_the_folder(tmp_path: Path):
    make_song_dir(tmp_path / "train" / "only_mix", {"mixture": tone(0.2)}, SR, "wav")
    with pytest.raises(CorpusError, match=r"only_mix: track folder holds no stem files"):
        load_corpus(CorpusConfig(kind="musdb_hq", root=str(tmp_path)))
    (tmp_path / "empty_song").mkdir()
    with pytest.raises(CorpusError, match=r"empty_song: song folder holds no audio files"):
        load_corpus(folder_cfg(tmp_path))
    loose = tmp_path / "loose"
    write_stem_file(loose / "vocals.wav", tone(0.2), SR)
    with pytest.raises(CorpusError, match="put each song in its own folder"):
        load_corpus(folder_cfg(loose))
    mixes = tmp_path / "mixes"                       # a song folder holding only its mix: say that is why
    write_stem_file(mixes / "song" / "Final Mix.wav", tone(0.2), SR)
    with pytest.raises(CorpusError) as e:
        load_corpus(folder_cfg(mixes))
    assert str(e.value).endswith("song: no audio file was assigned to a stem by default mapping (Final Mix.wav: "
                                 "named as the whole mix, so skipped; a song's stems are wanted)")


@pytest.mark.parametrize("content", [b"", b"RIFF\x00\x00garbage" * 20], ids=["zero-bytes", "garbage"])
def test_unreadable_file_fails_at_load_naming_it(tmp_path: Path, content: bytes):
    make_song_dir(tmp_path / "test" / "s", {"bass": tone(0.2)}, SR, "wav")
    (tmp_path / "test" / "s" / "drums.wav").write_bytes(content)
    with pytest.raises(AudioFileError, match=r"drums\.wav"):
        load_corpus(CorpusConfig(kind="musdb_hq", root=str(tmp_path)))


def test_zero_frame_file_and_bad_meta(tmp_path: Path):
    song = make_song_dir(tmp_path / "s", {"bass": tone(0.2), "drums": np.zeros((0, 2), np.float32)}, SR, "wav")
    with pytest.raises(AudioFileError, match=r"drums\.wav: file contains no audio samples"):
        load_corpus(folder_cfg(tmp_path))
    (song / "drums.wav").unlink()
    (song / "meta.json").write_text("{not json")
    with pytest.raises(CorpusError, match=r"meta\.json"):
        load_corpus(folder_cfg(tmp_path))


def test_corrupt_audio_data_fails_at_decode_naming_the_file(tmp_path: Path):
    song = make_song_dir(tmp_path / "s", {"bass": synth_stems(2.0, SR, 2)["bass"], "drums": tone(2.0)}, SR, "flac")
    data = (song / "bass.flac").read_bytes()
    (song / "bass.flac").write_bytes(data[: len(data) // 2])  # header intact, frames cut off
    (loaded,) = load_corpus(folder_cfg(tmp_path))  # layout and header are fine
    np.testing.assert_array_equal(loaded.stem("drums"), sf.read(str(song / "drums.flac"), dtype="float32")[0])
    with pytest.raises(AudioFileError, match=r"bass\.flac: cannot decode audio"):
        loaded.stem("bass")


def test_float_samples_far_over_full_scale_are_refused(tmp_path: Path):
    """Floats may go over 1.0 (a hot bounce at +12 dB reads fine); 1e30 is a damaged file, not a mix, and would
    overflow the loudness sums into NaN advice."""
    from mixbuddy.audio import read_audio

    sf.write(str(tmp_path / "hot.wav"), 4.0 * tone(1.0), SR, subtype="FLOAT")
    assert abs(np.max(np.abs(read_audio(tmp_path / "hot.wav")[0])) - 4.0 * np.max(np.abs(tone(1.0)))) < 1e-5
    sf.write(str(tmp_path / "huge.wav"), 1e30 * tone(1.0), SR, subtype="FLOAT")
    with pytest.raises(AudioFileError, match=r"huge\.wav: samples reach .*e\+29, 59\d dB above full scale "
                                             r"\(more than 60 dB\): a damaged file"):
        read_audio(tmp_path / "huge.wav")


@pytest.mark.parametrize("bad, said", [(np.nan, "file contains NaN or infinite samples"),
                                        (np.inf, "file contains NaN or infinite samples"),
                                        (-np.inf, "file contains NaN or infinite samples"),
                                        (-2000.0, r"samples reach 2e\+03, 66 dB above full scale")])
def test_a_damaged_sample_anywhere_in_either_channel_is_refused(tmp_path: Path, bad, said):
    from mixbuddy.audio import read_audio

    x = tone(1.0)
    x[SR // 2, 1] = bad                          # one sample, the right channel, below zero where it is a number
    sf.write(str(tmp_path / "bad.wav"), x, SR, subtype="FLOAT")
    with pytest.raises(AudioFileError, match=r"bad\.wav: " + said):
        read_audio(tmp_path / "bad.wav", sr=SR // 2, channels=1)


# --------------------------------------------------------------------------- CLI verb

def test_list_verb_prints_one_line_per_song(tmp_path: Path, capsys):
    write_musdb_corpus(tmp_path, n_train=3, n_test=1, seconds=0.5, sr=SR)
    parser = argparse.ArgumentParser(prog="mixbuddy")
    corpus = parser.add_subparsers().add_parser("corpus").add_subparsers()
    add_list_verb(corpus)
    args = parser.parse_args(["corpus", "list", "--kind", "musdb_hq", "--root", str(tmp_path), "--val-songs", "1"])
    assert args.func(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert [ln.split("\t")[0] for ln in lines] == ["train", "train", "validation", "test"]
    assert lines[-1] == "test\ttest_00\tbass,drums,other,vocals\t0.50s\t8000Hz"
    with pytest.raises(SystemExit):
        parser.parse_args(["corpus", "list", "--root", str(tmp_path), "--val-songs", "-1"])
