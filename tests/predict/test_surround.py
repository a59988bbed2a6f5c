"""Surround files are folded down to stereo by their own speaker layout (mixbuddy/audio_layout.py)."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from corpus_fixtures import write_stem_file
from mixbuddy.audio import read_audio, to_channels
from mixbuddy.audio_layout import fold_to_stereo, layout_of, wav_channel_mask
from mixbuddy.predict.advise import advise
from mixbuddy.predict.engines import LoudnessEngine
from mixbuddy.predict.windows import load_song
from predict_helpers import balanced_stems, write_stems

SR = 22050
G = np.float32(1 / np.sqrt(2))
IEEE_FLOAT_GUID = bytes.fromhex("0300000000001000800000aa00389b71")


def write_wavex(path: Path, x: np.ndarray, sr: int, mask: int) -> Path:
    """A float32 WAVE_FORMAT_EXTENSIBLE file with the given channel mask (what ffmpeg and DAWs write)."""
    x = np.ascontiguousarray(x, dtype="<f4")
    ch = x.shape[1]
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, ch, sr, sr * ch * 4, ch * 4, 32, 22, 32, mask) + IEEE_FLOAT_GUID
    data = x.tobytes()
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def tones(n: int, seconds: float = 1.0, sr: int = SR) -> np.ndarray:
    """One sine per channel (channel i at 200 + 100 i Hz), amplitude 0.1."""
    t = np.arange(int(seconds * sr)) / sr
    return np.stack([0.1 * np.sin(2 * np.pi * (200 + 100 * i) * t) for i in range(n)], 1).astype(np.float32)


def gains(y: np.ndarray, n: int, sr: int = SR) -> np.ndarray:
    """(n, 2): the (left, right) amplitude of each channel's tone in a stereo fold-down, relative to 0.1."""
    spec = np.abs(np.fft.rfft(y[:sr], axis=0)) / (0.1 * sr / 2)
    return spec[[200 + 100 * i for i in range(n)]]


C, L, R, LFE = (0.707, 0.707), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)
SL, SR_ = (0.707, 0.0), (0.0, 0.707)


@pytest.mark.parametrize("name,mask,expected", [
    ("plain.wav", None, [L, R, C, LFE, SL, SR_]),             # no mask: SMPTE L R C LFE Ls Rs
    ("plain.flac", None, [L, R, C, LFE, SL, SR_]),            # FLAC fixes the same order
    ("vorbis.ogg", None, [L, C, R, SL, SR_, LFE]),            # Vorbis order L C R Ls Rs LFE, kept by libsndfile
    ("masked.wav", 0x60F, [L, R, C, LFE, SL, SR_]),           # 5.1(side) by its mask
])
def test_a_six_channel_file_is_folded_by_its_container_order(tmp_path, name, mask, expected):
    x = tones(6)
    path = write_wavex(tmp_path / name, x, SR, mask) if mask else write_stem_file(tmp_path / name, x, SR)
    y, sr = read_audio(path)
    assert y.shape == (x.shape[0], 2) and sr == SR
    assert np.allclose(gains(y, 6), expected, atol=0.02)


def test_the_wav_mask_decides_over_the_channel_count(tmp_path):
    """Four channels are quad (L R Lb Rb) by default, but 3.1 (L R C LFE) when the mask says so."""
    x = tones(4)
    quad, _ = read_audio(write_stem_file(tmp_path / "quad.wav", x, SR))
    three_one, _ = read_audio(write_wavex(tmp_path / "31.wav", x, SR, 0xF))
    assert wav_channel_mask(tmp_path / "quad.wav") == 0 and wav_channel_mask(tmp_path / "31.wav") == 0xF
    assert np.allclose(gains(quad, 4), [L, R, SL, SR_], atol=0.01)
    assert np.allclose(gains(three_one, 4), [L, R, C, LFE], atol=0.01)
    # a 7.1.4 bed without a mask: the SMPTE 7.1 then the heights alternately left and right
    layout, source = layout_of(tmp_path / "none.flac", 12)
    assert layout == ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR", "XL", "XR", "XL", "XR")
    assert source == "the SMPTE channel order"


def test_mono_of_a_surround_array_is_the_mean_of_its_fold_down():
    x = tones(6)
    stereo = fold_to_stereo(x, ("FL", "FR", "FC", "LFE", "BL", "BR"))
    assert np.allclose(to_channels(x, 2), stereo)
    assert np.allclose(to_channels(x, 1)[:, 0], stereo.mean(axis=1), atol=1e-7)
    with pytest.raises(ValueError, match="6 channels but a layout of 2"):
        fold_to_stereo(x, ("FL", "FR"))


def test_a_5_1_mix_with_the_vocals_in_the_centre_gets_the_advice_of_its_stereo_fold(tmp_path):
    """A 5.1 bounce: vocals in the centre channel, the band in front left/right, the bass also in the LFE.
    It reads exactly as its ITU stereo fold-down (L + C/sqrt2, R + C/sqrt2), so the vocals are not lost
    (keeping the first two channels dropped them), and the same stems give the same loudness advice."""
    st = balanced_stems(20.0, 44100, seed=5, push={"drums": 9.0})
    band = st["drums"] + st["bass"] + st["other"]
    vocal = st["vocals"].mean(axis=1)
    six = np.zeros((band.shape[0], 6), np.float32)
    six[:, 0], six[:, 1], six[:, 2], six[:, 3] = band[:, 0], band[:, 1], vocal * np.sqrt(2), st["bass"].mean(axis=1)
    write_stem_file(tmp_path / "mix51.wav", six, 44100)
    fold = np.stack([band[:, 0] + vocal, band[:, 1] + vocal], 1)
    write_stem_file(tmp_path / "fold.wav", fold, 44100)
    a, b = load_song(tmp_path / "mix51.wav", None, SR, 1), load_song(tmp_path / "fold.wav", None, SR, 1)
    assert np.allclose(a.mix, b.mix, atol=1e-5)
    centre_only = np.zeros_like(six)
    centre_only[:, 2] = six[:, 2]  # the vocal stem bounced in 5.1 too
    stems = write_stems(tmp_path / "stems", {**st, "vocals": centre_only}, 44100, "wav")
    plain = write_stems(tmp_path / "plain", {**st, "vocals": np.repeat(vocal[:, None], 2, axis=1)}, 44100, "wav")
    rep = advise(tmp_path / "mix51.wav", "bass", LoudnessEngine(), stems_dir=stems)
    ref = advise(tmp_path / "fold.wav", "bass", LoudnessEngine(), stems_dir=plain)
    assert [w.finding for w in rep.windows] == [w.finding for w in ref.windows]
    assert all((w.finding.target, w.finding.direction) == ("drums", "decrease") for w in rep.windows)
    assert any("mix51.wav: 6 channels read as FL FR FC LFE BL BR (from the SMPTE channel order), folded down"
               in n for n in rep.notes)
    assert any("vocals.wav: 6 channels" in n for n in rep.notes)
