"""The built-in synthetic multitrack corpus (``mixbuddy corpus synth``): layout, levels, musical sanity,
determinism and error handling. Songs are 8-10 s so the whole file runs in well under a minute."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pyloudnorm as pyln
import pytest
import soundfile as sf

from mixbuddy.audio import frame_rms_db
from mixbuddy.cli import main as cli_main
from mixbuddy.config import load_config
from mixbuddy.constants import STEMS
from mixbuddy.errors import ConfigError, CorpusError, MixbuddyError
from mixbuddy.corpus.synth import SynthConfig, synthesize_corpus, synthesize_song
from mixbuddy.corpus.synth.build import build_key, split_plan
from mixbuddy.corpus.synth.compose import compose_song
from mixbuddy.rng import rng_for

REPO = Path(__file__).resolve().parents[2]
CFG = SynthConfig(songs=3, seconds=9.0, seed=7)
FILES = (*STEMS, "mixture")


def _all_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _read(path: Path) -> tuple[np.ndarray, int]:
    x, sr = sf.read(str(path), dtype="float64", always_2d=True)
    return x, sr


def _centroid_hz(x: np.ndarray, sr: int, n: int = 2048) -> float:
    """Median spectral centroid of the non-silent frames."""
    m = x.mean(axis=1)
    frames = m[: len(m) // n * n].reshape(-1, n) * np.hanning(n)
    spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    f = np.fft.rfftfreq(n, 1 / sr)
    e = spec.sum(axis=1)
    keep = e > e.max() * 1e-3
    return float(np.median((spec[keep] * f).sum(axis=1) / e[keep]))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "corpus"
    synthesize_corpus(CFG, out, workers=1, progress=False)
    return out


def _songs(root: Path) -> list[Path]:
    return sorted(p for split in ("train", "test") for p in (root / split).iterdir() if p.is_dir())


def test_layout_rate_channels_and_split(corpus: Path):
    info = json.loads((corpus / "corpus.json").read_text())
    assert info["counts"] == {"train": 2, "test": 1, "total": 3}   # round(0.2 * 3) = 1 test song
    assert info["config"]["seed"] == 7 and info["layout"] == "musdb_hq"
    songs = _songs(corpus)
    assert sorted(p.name for p in songs) == ["synth_0000", "synth_0001", "synth_0002"]
    for song in songs:
        assert sorted(p.name for p in song.iterdir()) == sorted([f"{n}.flac" for n in FILES] + ["meta.json"])
        meta = json.loads((song / "meta.json").read_text())
        assert meta["id"] == song.name and meta["split"] == song.parent.name
        for name in FILES:
            i = sf.info(str(song / f"{name}.flac"))
            assert (i.samplerate, i.channels, i.frames, i.subtype) == (24000, 2, 9 * 24000, "PCM_16")
        for key in ("tempo_bpm", "key", "sections", "programs", "seed", "reference_balance", "production"):
            assert key in meta
        assert set(meta["programs"]) == set(STEMS) and all(meta["programs"].values())
    # no half-written songs or temp files are left behind
    assert not [p for p in corpus.rglob(".*")]


def test_no_clipping_and_mixture_is_the_sum(corpus: Path):
    for song in _songs(corpus):
        stems = {n: _read(song / f"{n}.flac")[0] for n in FILES}
        for name, x in stems.items():
            assert np.abs(x).max() < 10 ** (CFG.peak_ceiling_db / 20) + 1e-4, (song.name, name)
        total = sum(stems[s] for s in STEMS)
        assert np.abs(stems["mixture"] - total).max() < 1e-9  # exact: stems are on the PCM grid


def test_every_stem_is_audible_and_vocals_breathe(corpus: Path):
    for song in _songs(corpus):
        for name in STEMS:
            x, sr = _read(song / f"{name}.flac")
            windows = frame_rms_db(x, sr, 1.0)
            assert np.mean(windows > -45.0) >= 0.75, (song.name, name, windows.round(1))
        v, sr = _read(song / "vocals.flac")
        env = frame_rms_db(v, sr, 0.05)
        # phrases separated by rests: some 50 ms frames fall well below the sung level
        assert np.mean(env < np.percentile(env, 90) - 12.0) >= 0.03, song.name


def test_loudness_matches_the_recorded_reference_balance(corpus: Path):
    for song in _songs(corpus):
        meta = json.loads((song / "meta.json").read_text())
        rb = meta["reference_balance"]
        lufs = {}
        for name in STEMS:
            x, sr = _read(song / f"{name}.flac")
            lufs[name] = pyln.Meter(sr).integrated_loudness(x)
            assert abs(lufs[name] - rb["stem_lufs"][name]) < 0.05
        for a in STEMS:
            for b in STEMS:
                want = rb["offsets_db"][a] - rb["offsets_db"][b]
                assert abs((lufs[a] - lufs[b]) - want) < 0.5, (song.name, a, b)
        mix, sr = _read(song / "mixture.flac")
        mix_lufs = pyln.Meter(sr).integrated_loudness(mix)
        assert abs(mix_lufs - rb["mixture_lufs"]) < 0.05
        assert -30.0 < mix_lufs <= CFG.mix_lufs[1] + 0.1


def test_balance_prior_follows_the_musdb_means():
    """Offsets are drawn around the MUSDB18 differences with the configured spread."""
    from mixbuddy.corpus.synth.build import draw_offsets

    cfg = SynthConfig(stem_sd_db=2.5)
    draws = np.array([[draw_offsets(cfg, rng_for(1, i))[s] for s in STEMS] for i in range(2000)])
    mean = np.mean(list(cfg.stem_mean_lufs.values()))
    expected = np.array([cfg.stem_mean_lufs[s] - mean for s in STEMS])
    assert np.allclose(draws.mean(axis=0), expected, atol=0.2)
    assert np.allclose(draws.std(axis=0), 2.5, atol=0.15)
    flat = SynthConfig(stem_sd_db=0.0)
    assert draw_offsets(flat, rng_for(0, 0)) == pytest.approx(dict(zip(STEMS, expected)))


def test_stems_sound_like_their_instruments(corpus: Path):
    for song in _songs(corpus):
        audio = {n: _read(song / f"{n}.flac") for n in STEMS}
        cent = {n: _centroid_hz(x, sr) for n, (x, sr) in audio.items()}
        assert cent["bass"] < 450 and cent["bass"] < cent["other"], (song.name, cent)
        crest = {}
        for n, (x, sr) in audio.items():
            env = frame_rms_db(x, sr, 0.01)
            crest[n] = np.percentile(env, 95) - np.percentile(env, 50)
        assert crest["drums"] > 8.0 and crest["drums"] > crest["other"], (song.name, crest)


def test_composition_is_musical():
    for i in range(12):
        comp = compose_song(rng_for(3, "song", i, "compose"), 60.0)
        names = [s.name for s in comp.sections]
        assert "verse" in names and "chorus" in names
        assert abs(sum(s.bars for s in comp.sections) * 4 * comp.beat_s - 60.0) < 4 * comp.beat_s
        lead = next(p for p in comp.parts if p.role == "lead")
        pitches = np.array([n.pitch for n in lead.notes if n.chan == 0])
        assert 45 <= pitches.min() and pitches.max() <= 84 and np.ptp(pitches) <= 24
        assert np.median(np.abs(np.diff(pitches))) <= 3  # mostly stepwise
        starts = [n.start for n in lead.notes if n.chan == 0]
        ends = [n.start + n.dur for n in lead.notes if n.chan == 0]
        gaps = np.array(starts[1:]) - np.array(ends[:-1])
        assert (gaps > 0.3).sum() >= 4  # sung phrases with breaths between them
        # the bass plays the chord root on most downbeats
        bass = next(p for p in comp.parts if p.stem == "bass")
        hits = 0
        for sec in comp.sections:
            for start, _, chord in sec.chords:
                t = start * comp.beat_s
                near = [n for n in bass.notes if abs(n.start - t) < 0.05]
                hits += any(n.pitch % 12 == chord.root for n in near)
        assert hits >= 0.9 * sum(len(s.chords) for s in comp.sections)
        drum_pitches = {n.pitch for n in comp.parts[0].notes}
        assert comp.parts[0].stem == "drums" and {36}.issubset(drum_pitches) and len(drum_pitches) >= 4


def test_byte_identical_rebuild_independent_of_workers(corpus: Path, tmp_path: Path):
    again = tmp_path / "again"
    synthesize_corpus(CFG, again, workers=2, progress=False)
    a, b = _all_files(corpus), _all_files(again)
    assert a.keys() == b.keys() and len(a) == 3 * 6 + 1
    assert [k for k in a if a[k] != b[k]] == []


def test_song_depends_only_on_seed_and_index():
    small = dataclasses.replace(CFG, songs=1, seconds=5.0)
    bigger = dataclasses.replace(small, songs=5, test_songs=2)
    a, _ = synthesize_song(small, 0)
    b, _ = synthesize_song(bigger, 0)
    assert all(np.array_equal(a[k], b[k]) for k in FILES)
    c, meta_c = synthesize_song(dataclasses.replace(small, seed=8), 0)
    d, meta_d = synthesize_song(small, 1)
    for other in (c, d):
        assert not np.array_equal(a["mixture"], other["mixture"])
    assert meta_c["build_key"] != meta_d["build_key"]


def test_split_pool_keeps_the_test_songs_when_the_corpus_grows():
    """Growing ``songs`` past ``split_pool`` only adds training songs; song keys ignore split settings."""
    from mixbuddy.corpus.synth.build import build_key

    base = dataclasses.replace(CFG, songs=20, test_fraction=0.2)
    grown = dataclasses.replace(base, songs=60, split_pool=20)
    test = lambda c: [i for i, s in split_plan(c) if s == "test"]  # noqa: E731
    assert len(test(base)) == 4 and test(grown) == test(base)
    assert len(split_plan(grown)) == 60 and all(s == "train" for i, s in split_plan(grown) if i >= 20)
    assert test(dataclasses.replace(base, songs=60)) != test(base)            # without the pool the split moves
    assert build_key(grown, 3) == build_key(base, 3) != build_key(dataclasses.replace(base, seed=1), 3)
    with pytest.raises(ConfigError, match="split_pool must be between 1 and songs"):
        dataclasses.replace(base, split_pool=21)


def test_different_seeds_give_different_songs():
    metas = [synthesize_song(dataclasses.replace(CFG, seed=s, seconds=5.0), 0)[1] for s in range(4)]
    signatures = {(m["tempo_bpm"], m["key"], m["groove"], tuple(map(tuple, m["programs"].values()))) for m in metas}
    assert len(signatures) == 4


def test_mono_wav_24bit_other_rate(tmp_path: Path):
    cfg = SynthConfig(songs=1, seconds=5.0, sample_rate=16000, channels=1, format="wav", bit_depth=24)
    audio, meta = synthesize_song(cfg, 0)
    assert all(x.shape == (80000, 1) for x in audio.values())
    assert meta["sample_rate"] == 16000 and cfg.extension == ".wav" and cfg.subtype == "PCM_24"
    synthesize_corpus(cfg, tmp_path / "c", workers=1, progress=False)      # and the files are written so
    files = sorted(tmp_path.rglob("*.wav"))
    assert sorted(f.stem for f in files) == ["bass", "drums", "mixture", "other", "vocals"]
    for f in files:
        info = sf.info(str(f))
        assert (info.samplerate, info.channels, info.subtype, info.frames) == (16000, 1, "PCM_24", 80000), f
    assert not list(tmp_path.rglob("*.flac"))


def test_rebuild_reuses_songs_and_refuses_foreign_or_changed_folders(corpus: Path, tmp_path: Path):
    out = tmp_path / "c"
    cfg = dataclasses.replace(CFG, songs=2, seconds=5.0)
    synthesize_corpus(cfg, out, workers=1, progress=False)
    song = _songs(out)[0]
    stamp = (song / "mixture.flac").stat().st_mtime_ns
    (out / "train" / ".tmp-synth_0009-123").mkdir()   # debris of an interrupted build
    synthesize_corpus(cfg, out, workers=1, progress=False)
    assert (song / "mixture.flac").stat().st_mtime_ns == stamp      # unchanged songs are kept
    assert not (out / "train" / ".tmp-synth_0009-123").exists()
    with pytest.raises(CorpusError, match="different config"):
        synthesize_corpus(dataclasses.replace(cfg, seed=99), out, workers=1, progress=False)
    synthesize_corpus(dataclasses.replace(cfg, songs=1, test_songs=0), out, workers=1, overwrite=True, progress=False)
    assert [p.name for p in _songs(out)] == ["synth_0000"]           # stale songs removed
    foreign = tmp_path / "home"
    (foreign / "my_music").mkdir(parents=True)
    with pytest.raises(CorpusError, match="not a synthetic corpus folder"):
        synthesize_corpus(cfg, foreign, workers=1, progress=False)


@pytest.mark.parametrize("bad", [
    {"songs": 0}, {"seconds": 1.0}, {"channels": 3}, {"format": "mp3"}, {"bit_depth": 20},
    {"test_fraction": 1.5}, {"stem_sd_db": -1.0}, {"mix_lufs": [-10.0, -20.0]}, {"grooves": ["polka"]},
    {"stem_mean_lufs": {"vocals": -30.0}}, {"sample_rate": 100},
])
def test_invalid_config_values_raise_config_error(bad: dict):
    (field,) = bad
    with pytest.raises(ConfigError, match=rf"^{field} must "):     # the message names the offending field
        SynthConfig(**bad)


def test_config_file_default_and_errors(tmp_path: Path):
    bundled = load_config(SynthConfig, REPO / "configs" / "synth.yaml")
    assert bundled == dataclasses.replace(SynthConfig(), songs=400, split_pool=100)    # defaults otherwise
    assert [i for i, s in split_plan(bundled) if s == "test"] == [i for i, s in split_plan(SynthConfig()) if s == "test"]
    typo = tmp_path / "typo.yaml"
    typo.write_text("songz: 3\n")
    with pytest.raises(ConfigError, match="songz"):
        load_config(SynthConfig, typo)
    bad = tmp_path / "bad.yaml"
    bad.write_text("bit_depth: 20\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml.*bit_depth"):
        load_config(SynthConfig, bad)


def test_grown_corpus_config_keeps_the_shipped_songs():
    """configs/synth-760.yaml grows the bundled corpus: same test songs, songs 0-399 reused (same build key)."""
    bundled = load_config(SynthConfig, REPO / "configs" / "synth.yaml")
    grown = load_config(SynthConfig, REPO / "configs" / "synth-760.yaml")
    assert grown == dataclasses.replace(bundled, songs=760)
    test = [i for i, s in split_plan(grown) if s == "test"]
    assert test == [i for i, s in split_plan(bundled) if s == "test"] and len(test) == 20
    assert [build_key(grown, i) for i in range(400)] == [build_key(bundled, i) for i in range(400)]
    assert build_key(grown, 400) != build_key(grown, 399)


def test_cli_synth(tmp_path: Path, capsys):
    out = tmp_path / "cli"
    rc = cli_main(["corpus", "synth", "-o", str(out), "--songs", "2", "--seconds", "5", "--seed", "3",
                   "--workers", "1", "--no-progress"])
    assert rc == 0
    assert "2 songs (1 train, 1 test)" in capsys.readouterr().out
    assert len(_songs(out)) == 2 and json.loads((out / "corpus.json").read_text())["config"]["seed"] == 3
    bad = tmp_path / "bad.yaml"
    bad.write_text("channels: 5\n")
    assert cli_main(["corpus", "synth", "-o", str(tmp_path / "x"), "--config", str(bad)]) == 1
    assert "channels must be 1 or 2" in capsys.readouterr().err
    assert cli_main(["corpus", "synth", "-o", str(tmp_path / "y"), "--songs", "0"]) == 1
    assert cli_main(["corpus"]) == 2


def test_errors_are_mixbuddy_errors():
    with pytest.raises(MixbuddyError, match=r"^songs must be an integer >= 1, got -3$"):
        SynthConfig(songs=-3)
