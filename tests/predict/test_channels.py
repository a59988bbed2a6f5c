"""A stereo mix with one channel silent or the two in opposite polarity is heard as the mono mix it holds."""
from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from corpus_fixtures import write_stem_file
from mixbuddy.audio import read_audio
from mixbuddy.predict.channels import BLOCK, gram, mend_channels
from mixbuddy.predict.windows import load_song
from predict_helpers import LITHIUM

SR = 16000


@pytest.fixture(scope="module")
def mix() -> np.ndarray:
    return read_audio(LITHIUM / "mix.ogg", sr=SR)[0]


def test_a_dead_channel_is_replaced_by_the_live_one(mix, caplog):
    left = mix[:, :1]
    for right, said in ((np.zeros_like(left), "the right channel is silent"),
                        (left * np.float32(10 ** (-50 / 20)), "the right channel is 50 dB down")):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            out = mend_channels(np.concatenate([left, right], axis=1), "mix.wav")
        assert np.array_equal(out, np.repeat(left, 2, axis=1))
        assert f"mix.wav: {said}: a mono mix on one side of a stereo file?" in caplog.text
    out = mend_channels(np.concatenate([np.zeros_like(left), left], axis=1), "mix.wav")
    assert np.array_equal(out, np.repeat(left, 2, axis=1)) and "the left channel is silent" in caplog.text


def test_opposed_polarity_is_flipped_back(mix, caplog):
    mono = mix.mean(axis=1, keepdims=True)
    with caplog.at_level(logging.WARNING):
        out = mend_channels(np.concatenate([mono, -mono], axis=1), "mix.wav")
    assert np.array_equal(out, np.repeat(mono, 2, axis=1))
    assert "opposite polarity (correlation -1.00)" in caplog.text


def test_ordinary_files_are_left_alone(mix, caplog):
    """A stereo mix, one panned hard to one side but not silent (20 dB apart), channels weakly opposed
    (correlation about -0.3), a mono file and digital silence: returned as they are, without a word."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, SR * 4)).astype(np.float32)
    cases = [mix, np.stack([a, a * np.float32(0.1)], axis=1), np.stack([a, -0.3 * a + b], axis=1), mix[:, :1],
             np.zeros((SR, 2), np.float32)]
    with caplog.at_level(logging.WARNING):
        assert all(mend_channels(x, "mix.wav") is x for x in cases)
    assert not caplog.records


def test_load_song_hears_a_one_sided_or_opposed_mix_as_mono(tmp_path, mix, caplog):
    """Through load_song, as advise reads a mix: the mono signal the models hear is the live channel (not
    6 dB down), and an opposed file is no longer silence (it was refused as too quiet to analyse)."""
    mono = mix.mean(axis=1, keepdims=True)
    write_stem_file(tmp_path / "left.wav", np.concatenate([mono, np.zeros_like(mono)], axis=1), SR)
    write_stem_file(tmp_path / "opposed.wav", np.concatenate([mono, -mono], axis=1), SR)
    with caplog.at_level(logging.WARNING):
        for name in ("left.wav", "opposed.wav"):
            audio = load_song(tmp_path / name, None, SR, 1)
            np.testing.assert_allclose(audio.mix, mono, atol=1e-6)
    assert caplog.text.lower().count("heard") == 2


def test_stems_bounced_as_split_stereo_halves_read_as_the_stems(tmp_path, capsys):
    """The example's stems bounced multi-mono (bass.L.wav + bass.R.wav, ...): the loudness engine reads the levels
    of the stereo stems (summed as two tracks, each copied to both channels, the vocals read 0.9 dB lower and a
    mix model heard "bass too loud")."""
    from mixbuddy.cli import main

    for p in sorted((LITHIUM / "stems").glob("*.ogg")):
        x = read_audio(p)[0]
        for side, k in (("L", 0), ("R", 1)):
            write_stem_file(tmp_path / "split" / f"{p.stem}.{side}.wav", x[:, k], 44100)
    levels = []
    for stems in (tmp_path / "split", LITHIUM / "stems"):
        main(["advise", "--stems", str(stems), "--anchor", "drums", "--json"])
        levels.append({k: v["db"] for k, v in json.loads(capsys.readouterr().out)["levels"].items()})
    assert levels[0].keys() == levels[1].keys() == {"bass", "other", "vocals"}
    assert all(abs(levels[0][k] - levels[1][k]) < 0.01 for k in levels[1]), levels


def test_mono_files_among_stereo_ones_are_noted_when_no_mix_is_given(tmp_path, caplog):
    """Without the mix nothing tells how the DAW panned its mono tracks (a -3 dB pan law holds them 3 dB lower than
    a file read in both channels): a folder that mixes mono and stereo files says which stems hold mono ones; an
    all-mono folder (one law for all), a split-stereo pair and a folder given with its mix (the level check measures
    it) say nothing."""
    stems = {p.stem: read_audio(p, sr=SR)[0] for p in sorted((LITHIUM / "stems").glob("*.ogg"))}
    for k, x in stems.items():
        write_stem_file(tmp_path / "mixed" / f"{k}.wav", x.mean(axis=1) if k in ("vocals", "bass") else x, SR)
        write_stem_file(tmp_path / "mono" / f"{k}.wav", x.mean(axis=1), SR)
        if k == "vocals":
            for side, c in (("L", 0), ("R", 1)):
                write_stem_file(tmp_path / "split" / f"vocals.{side}.wav", x[:, c], SR)
        else:
            write_stem_file(tmp_path / "split" / f"{k}.wav", x, SR)
    for folder, with_mix, said in (("mixed", False, True), ("mixed", True, False), ("mono", False, False),
                                   ("split", False, False)):
        caplog.clear()
        with caplog.at_level(logging.INFO):
            load_song(LITHIUM / "mix.ogg" if with_mix else None, tmp_path / folder, SR, 2)
        notes = [r.getMessage() for r in caplog.records if "mono files among stereo ones" in r.getMessage()]
        assert len(notes) == said, (folder, with_mix)
        if said:
            assert notes[0].startswith(f"{tmp_path / folder}: mono files among stereo ones in bass (1 of 1 file), "
                                       "vocals (1 of 1 file): each is read at its level in both channels")


def test_the_channels_products_are_summed_block_by_block_as_a_whole_file_would_be(mix):
    """``gram`` over a mix longer than several blocks and not a multiple of one: the same sums of products as two
    whole float64 copies give (to 1e-12 of each), symmetric, for one channel and for two."""
    x = mix[: 3 * BLOCK + 12345]
    left, right = x[:, 0].astype(np.float64), x[:, 1].astype(np.float64)
    whole = np.array([[left @ left, left @ right], [right @ left, right @ right]])
    g = gram(x)
    assert g.shape == (2, 2) and np.isclose(g[0, 1], g[1, 0], rtol=1e-12, atol=0)
    assert np.allclose(g, whole, rtol=1e-12, atol=0)
    assert np.allclose(gram(x[:, :1]), [[left @ left]], rtol=1e-12, atol=0) and not gram(x[:0]).any()
