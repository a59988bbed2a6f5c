"""A mix file that clips, a float file that peaks above full scale, stem files that clip: found in the files as
written, noted by ``advise`` (the terminal and the report's notes), the advice itself unchanged."""
from __future__ import annotations

import logging

import numpy as np
import pytest
import soundfile as sf

from mixbuddy.audio import overs
from mixbuddy.predict.advise import advise
from mixbuddy.predict.engines import ModelEngine
from predict_helpers import FakeModel, balanced_stems

SR = 22050


def test_an_over_is_three_equal_samples_at_full_scale():
    """Counted per channel: three equal samples at +1 or -1 (or more) are an over; two, one sample at the peak, a
    flat run just below full scale, or three full-scale samples that differ are not. The longest is in samples,
    the first's start in seconds."""
    x = np.zeros((1000, 2), np.float32)
    x[100:103, 0] = 1.0                       # an over: 3 samples
    x[200:202, 0] = -1.0                      # two: not one
    x[300, 0] = 1.0                           # a peak normalised to full scale
    x[400:410, 0] = 0.999                     # flat, 0.009 dB below full scale
    x[500:503, 0] = [1.0, 0.99995, 1.0]       # at full scale, not flat
    x[50:55, 1] = -1.0                        # the other channel: 5 samples, the first over of the file
    x[600:700, 1] = np.float32(32767 / 32768)  # 16-bit's top code
    assert overs(x, 100) == (3, 100, 0.5)
    assert overs(x[:, :1], 100) == (1, 3, 1.0)
    x[:, 1] = 0.0
    x[100:103, 0] = 0.5
    assert overs(x, 100) is None and overs(np.zeros((0, 2), np.float32), 100) is None


@pytest.fixture(scope="module")
def mix() -> np.ndarray:
    return np.sum(list(balanced_stems(12.0, SR, seed=2).values()), axis=0)


@pytest.mark.parametrize("fmt,subtype", [("wav", "PCM_16"), ("wav", "PCM_24"), ("wav", "FLOAT"), ("flac", "PCM_24")])
def test_a_clipped_bounce_is_noted_in_any_lossless_format(mix, tmp_path, fmt, subtype):
    """The mix pushed 6 dB past full scale and clipped: every lossless format holds the same overs, and advise says
    so, the advice heard from the file as it is (the same mix as an unclipped copy 6 dB down, but the clipping)."""
    hot = np.clip(np.float32(2.0) * (mix / np.abs(mix).max()), -1.0, 1.0)
    expected = overs(hot, SR)
    assert expected is not None and expected[0] > 10 and expected[1] >= 3
    path = tmp_path / f"clipped.{fmt}"
    sf.write(path, hot, SR, subtype=subtype)
    assert overs(sf.read(path, dtype="float32", always_2d=True)[0], SR) == expected
    report = advise(path, "drums", ModelEngine(model=FakeModel("mix")))
    count, longest, _ = expected
    said = [n for n in report.notes if "clips" in n]
    assert len(said) == 1 and said[0].startswith(f"{path}: the mix clips: {count:,} overs (3 or more samples in a "
                                                 f"row flat at full scale; the longest {longest}, ")
    assert not any("above full scale: this float file" in n for n in report.notes)


def test_a_float_file_over_full_scale_is_noted_and_a_clean_one_is_not(mix, tmp_path):
    """A float bounce 6 dB over full scale keeps its peaks (no over): advise says how far to turn the master down;
    the same mix normalised to full scale (one sample there) and a 16-bit file at +6 dB (clipped on writing, so its
    overs are said instead) get no such note."""
    normalised = mix / np.abs(mix).max()                # its peak exactly 1 (a number over itself)
    loud = np.float32(2.0) * normalised
    sf.write(tmp_path / "float.wav", loud, SR, subtype="FLOAT")
    sf.write(tmp_path / "normalised.wav", normalised, SR, subtype="FLOAT")
    sf.write(tmp_path / "fixed.wav", loud, SR, subtype="PCM_16")
    notes = {name: advise(tmp_path / f"{name}.wav", "drums", ModelEngine(model=FakeModel("mix"))).notes
             for name in ("float", "normalised", "fixed")}
    assert [n for n in notes["float"] if "full scale" in n] == [
        f"{tmp_path / 'float.wav'}: the mix peaks at +6.0 dBFS, above full scale: this float file keeps those peaks, "
        "but playback and a 16- or 24-bit export clip them; turn the master down by 6.0 dB or more before that"]
    assert not [n for n in notes["normalised"] if "full scale" in n]
    assert [n for n in notes["fixed"] if "full scale" in n][0].startswith(f"{tmp_path / 'fixed.wav'}: the mix clips:")


def test_a_stem_file_that_clips_is_named_even_when_read_resampled(tmp_path, caplog):
    """A drums file clipped on export (24-bit, 6 dB past full scale) among clean ones: read for a model at 16 kHz,
    the overs are counted on the file's own samples (resampling rounds flat tops off) and the file is named with
    them. Two files clipped at one ceiling are what a master bus's limiter leaves: that question is asked, and
    the files are not named a second time."""
    from mixbuddy.predict.stems_input import read_stems_folder

    stems = balanced_stems(12.0, SR, seed=3)
    hot = {k: np.clip(np.float32(2.0) * (v / np.abs(v).max()), -1.0, 1.0) for k, v in stems.items()}
    expected = overs(hot["drums"], SR)
    folder = tmp_path / "one"
    folder.mkdir()
    for name, x in {**stems, "drums": hot["drums"]}.items():
        sf.write(folder / f"{name}.wav", x, SR, subtype="PCM_24")
    with caplog.at_level(logging.INFO, logger="mixbuddy"):
        song, read = read_stems_folder(folder, 16000, 1)
    assert read["drums"].shape == (12 * 16000, 1) and song.loader.file_overs == {folder / "drums.wav": expected}
    said = [m for m in caplog.messages if "clip" in m]
    assert said == [f"{folder}: a file clips (3 or more samples in a row flat at full scale): drums.wav: "
                    f"{expected[0]:,} overs (the longest {expected[1]}, {1000 * expected[1] / SR:.1f} ms). A track "
                    "pushed past 0 dBFS into a 16- or 24-bit file loses its peaks there, which the mix (a DAW mixes "
                    "in floating point) may keep; if it was not meant, export it again with the track turned down, "
                    "or as 32-bit float"]
    caplog.clear()
    two = tmp_path / "two"
    two.mkdir()
    for name, x in {**stems, "drums": hot["drums"], "bass": hot["bass"]}.items():
        sf.write(two / f"{name}.wav", x, SR, subtype="PCM_24")
    with caplog.at_level(logging.INFO, logger="mixbuddy"):
        song, _ = read_stems_folder(two, 16000, 1)
    assert set(song.loader.file_overs) == {two / "bass.wav", two / "drums.wav"}
    assert [m for m in caplog.messages if "clip" in m] == [next(m for m in caplog.messages if "limiter" in m)]
