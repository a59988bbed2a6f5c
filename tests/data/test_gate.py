"""Gating: quiet mixtures, silent and sparse stems, 'other', strict vs per-stem roles; normalised files."""
from __future__ import annotations

import logging

import numpy as np
import pytest
import soundfile as sf

from corpus_fixtures import make_song_dir, synth_stems
from data_helpers import SR, data_config, make_song
from mixbuddy.corpus.config import CorpusConfig
from mixbuddy.corpus.load import load_corpus
from mixbuddy.audio import frame_rms_db, rms_db
from mixbuddy.data.config import GateConfig
from mixbuddy.data.gate import analyse_song
from mixbuddy.errors import ConfigError


def window(k: int) -> slice:
    return slice(k * 10 * SR, (k + 1) * 10 * SR)


def silence(stem: str, k: int):
    def edit(a):
        a[stem][window(k)] = 0.0
    return edit


def test_all_active_chunks_kept_last_partial_dropped():
    sc = analyse_song(make_song("s", seconds=39.9), data_config())
    assert sc.num_chunks == 3 and [c.start_ms for c in sc.chunks] == [0, 10000, 20000]
    assert all(c.kept for c in sc.chunks)
    assert all(c.roles == ("bass", "drums", "vocals") for c in sc.chunks)


def test_levels_match_direct_measurement():
    song = make_song("s", seconds=20, levels={"bass": -30, "vocals": -12})
    sc = analyse_song(song, data_config())
    mono = {s: song.meta["arrays"][s].mean(axis=1, keepdims=True) for s in song.stem_names}
    mix = sum(mono.values())
    assert len(sc.chunks) == sc.num_chunks == 2 and [c.start_ms for c in sc.chunks] == [0, 10000]
    for k, c in enumerate(sc.chunks):
        assert c.mix_rms_db == pytest.approx(rms_db(mix[window(k)]), abs=1e-4)
        for s in song.stem_names:
            assert c.stem_rms_db[s] == pytest.approx(rms_db(mono[s][window(k)]), abs=1e-4)
            share = np.mean(frame_rms_db(mono[s][window(k)], SR) > -45)
            assert c.stem_active_share[s] == pytest.approx(share)


def test_silent_stem_rejects_only_its_chunk():
    sc = analyse_song(make_song("s", edits=silence("vocals", 1)), data_config())
    assert [c.kept for c in sc.chunks] == [True, False, True]
    assert sc.chunks[1].rejected == ("stem_quiet:vocals",)


def test_quiet_mixture_rejected():
    # four uncorrelated stems at -41 dBFS stereo (uncorrelated channels: -44 dBFS mono) pass the stem
    # gate; their mono sum (~-38 dBFS) fails the -35 dBFS mixture gate
    sc = analyse_song(make_song("s", seconds=10, levels={s: -41.0 for s in ("bass", "drums", "other", "vocals")}),
                      data_config())
    assert sc.chunks[0].rejected == ("mix_quiet",)
    assert -39 < sc.chunks[0].mix_rms_db < -37


@pytest.mark.parametrize("active_s,kept", [(1.5, False), (2.5, True)])
def test_active_frame_share(active_s: float, kept: bool):
    def edit(a):  # drums: loud burst of active_s seconds, then low noise (-52 dBFS mono, below -45) to the end
        a["drums"] *= 10  # the RMS over the window stays far above -45 dBFS
        a["drums"][int(active_s * SR):] *= 10 ** (-49 / 20)
    sc = analyse_song(make_song("s", seconds=10, edits=edit), data_config())
    c = sc.chunks[0]
    assert c.stem_rms_db["drums"] > -30
    assert c.stem_active_share["drums"] == pytest.approx(active_s / 10)
    assert c.kept is kept
    if not kept:
        assert c.rejected == ("stem_sparse:drums",)


def test_other_not_gated_by_default_but_can_be():
    song = make_song("s", seconds=10, edits=silence("other", 0))
    assert analyse_song(song, data_config()).chunks[0].kept
    strict_all = data_config(gate=GateConfig(stems=["bass", "drums", "other", "vocals"]))
    assert analyse_song(song, strict_all).chunks[0].rejected == ("stem_quiet:other",)


def test_the_musdb_config_gates_every_stem_and_otherwise_equals_the_default():
    from pathlib import Path

    from mixbuddy.config import load_config
    from mixbuddy.data.config import DataConfig

    configs = Path(__file__).resolve().parents[2] / "configs"
    musdb, default = load_config(DataConfig, configs / "data-musdb.yaml"), load_config(DataConfig, configs / "data.yaml")
    assert musdb.gate.stems == ["bass", "drums", "other", "vocals"] and default.gate.stems is None
    musdb.gate.stems = None
    assert musdb == default
    song = make_song("s", seconds=10, edits=silence("other", 0))
    at_test_rate = load_config(DataConfig, configs / "data-musdb.yaml")
    at_test_rate.analysis_sr = SR
    assert analyse_song(song, at_test_rate).chunks[0].rejected == ("stem_quiet:other",)


def test_non_strict_drops_roles_not_chunks():
    song = make_song("s", seconds=10, edits=silence("vocals", 0))
    c = analyse_song(song, data_config(gate=GateConfig(strict=False))).chunks[0]
    assert c.kept and c.roles == ("bass", "drums")
    both = make_song("s", seconds=10, edits=lambda a: (silence("vocals", 0)(a), silence("drums", 0)(a)))
    assert analyse_song(both, data_config(gate=GateConfig(strict=False))).chunks[0].rejected == ("no_role_pair",)


def test_song_missing_a_stem_and_decoded_once():
    song = make_song("s", stems=("bass", "drums", "other"))
    sc = analyse_song(song, data_config())
    assert all(c.kept and c.roles == ("bass", "drums") for c in sc.chunks)
    assert song.meta["calls"] == 3  # one decode per stem for the whole song


def test_config_checks():
    with pytest.raises(ValueError, match="multiple of gate.frame_s"):
        data_config(chunk_s=10.01)
    with pytest.raises(ValueError, match="mode of 'train'"):
        data_config(modes={"train": "shuffle"})
    from mixbuddy.config import from_dict
    from mixbuddy.data.config import DataConfig
    with pytest.raises(ConfigError, match="unknown key"):
        from_dict(DataConfig, {"gate": {"mix_rms": -30}})


def test_a_song_of_normalised_files_is_warned_about(tmp_path, caplog):
    """A corpus folder whose files were each normalised to one peak: the data build says so (its balance,
    which becomes the training answer, is not the song's); files at their own peaks say nothing."""
    stems = synth_stems(12.0, SR, 2, seed=3)
    make_song_dir(tmp_path / "as_mixed" / "a", stems, SR, "wav")
    make_song_dir(tmp_path / "normalised" / "b", {k: v / np.abs(v).max() for k, v in stems.items()}, SR, "wav")
    for name, warned in (("as_mixed", False), ("normalised", True)):
        (song,) = load_corpus(CorpusConfig(kind="stems_folder", root=str(tmp_path / name)))
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            analyse_song(song, data_config())
        assert ("every file peaks at 0.00 dBFS" in caplog.text) == warned, caplog.text


@pytest.mark.parametrize("extra, said", [
    ("Song final", ("Song final.wav sounds like the whole song (correlation 1.00", "this build sums it into 'other'")),
    ("vocals (1)", ("vocals (1).wav holds the same audio as vocals.wav (a second copy of one file?)",
                    "this build counts its audio twice"))])
def test_a_file_that_doubles_audio_in_a_corpus_song_folder_is_warned_about(tmp_path, caplog, extra, said):
    """A stems-folder corpus song holding its own bounce under a name that names no stem (summed into "other"),
    or one file twice (a second download): the data build says what it does with it (the song's balance would
    be wrong); the song alone says nothing."""
    stems = synth_stems(12.0, SR, 2, seed=5)
    make_song_dir(tmp_path / "clean" / "a", stems, SR, "wav")
    audio = sum(stems.values()) if extra == "Song final" else stems["vocals"]
    make_song_dir(tmp_path / "doubled" / "a", {**stems, extra: audio}, SR, "wav")
    for name, warned in (("clean", False), ("doubled", True)):
        (song,) = load_corpus(CorpusConfig(kind="stems_folder", root=str(tmp_path / name)))
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            analyse_song(song, data_config())
        assert all((text in caplog.text) == warned for text in said), caplog.text


def test_a_group_track_in_a_corpus_song_folder_is_warned_about(tmp_path, caplog):
    """A corpus song whose drums come as tracks and their group track: the data build says it counts them twice."""
    stems = synth_stems(12.0, SR, 2, seed=6)
    drums = stems.pop("drums")
    rng = np.random.default_rng(0)
    perc = (rng.standard_normal(drums.shape) * 0.05).astype(np.float32)
    make_song_dir(tmp_path / "c" / "a", {**stems, "Kick": drums, "Perc": perc, "Shaker": perc[::-1].copy(),
                                         "Drum Group": drums + perc + perc[::-1]}, SR, "wav")
    (song,) = load_corpus(CorpusConfig(kind="stems_folder", root=str(tmp_path / "c")))
    with caplog.at_level(logging.WARNING):
        analyse_song(song, data_config())
    assert "Drum Group.wav sounds like the sum of other files of its stem" in caplog.text
    assert "This build counts its tracks twice" in caplog.text


def test_a_track_in_two_formats_in_a_corpus_song_folder_is_warned_about(tmp_path, caplog):
    """A corpus song whose vocals come as WAV and as MP3 (a lossy copy, which the copy check does not see as the
    same audio): the data build says the track counts twice, and names the MP3."""
    stems = synth_stems(12.0, SR, 2, seed=7)
    make_song_dir(tmp_path / "c" / "a", stems, SR, "wav")
    sf.write(str(tmp_path / "c" / "a" / "vocals.mp3"), stems["vocals"], SR, format="MP3")
    (song,) = load_corpus(CorpusConfig(kind="stems_folder", root=str(tmp_path / "c")))
    with caplog.at_level(logging.WARNING):
        analyse_song(song, data_config())
    assert "vocals.mp3 is vocals.wav in another format: this build sums each with its track" in caplog.text
    assert "same audio" not in caplog.text
