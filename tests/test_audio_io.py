"""Writing audio: what ``mixbuddy data render -o x.wav`` and ``advise --apply x.wav`` leave on disk."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from mixbuddy.audio import write_audio


@pytest.mark.parametrize("shape", [(4410, 2), (4410,)])
def test_a_float_wav_holds_the_samples_exactly_and_the_same_bytes_every_time(tmp_path, shape):
    x = (np.random.default_rng(0).standard_normal(shape) * 0.3).astype(np.float32)
    x.flat[0] = 1.5                                              # over full scale: float keeps it
    a, b = write_audio(tmp_path / "a.wav", x, 44100), write_audio(tmp_path / "b.wav", x, 44100)
    data = a.read_bytes()
    # libsndfile would add a PEAK chunk stamped with the second of writing: bytes that change from run to run
    assert b"PEAK" not in data and data == b.read_bytes()
    info = sf.info(a)
    assert (info.format, info.subtype, info.samplerate) == ("WAV", "FLOAT", 44100)
    y, _ = sf.read(a, dtype="float32", always_2d=True)
    np.testing.assert_array_equal(y, x.reshape(len(x), -1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.wav", "b.wav"]     # no temp file left behind


def test_other_formats_keep_their_own_subtype(tmp_path):
    x = np.zeros((800, 2), np.float32)
    assert sf.info(write_audio(tmp_path / "x.flac", x, 8000)).subtype == "PCM_16"
    assert sf.info(write_audio(tmp_path / "x.wav", x, 8000, subtype="PCM_24")).subtype == "PCM_24"


def test_an_ogg_file_is_the_same_bytes_every_time_and_stays_valid(tmp_path):
    import struct

    from mixbuddy.audio_ogg import SERIAL, _pages, fix_serial, ogg_crc

    t = np.arange(44100) / 44100
    tone = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 660 * t)
    x = np.stack([tone, 0.5 * tone], axis=1).astype(np.float32)
    a, b = write_audio(tmp_path / "a.ogg", x, 44100), write_audio(tmp_path / "b.ogg", x, 44100)
    data = a.read_bytes()
    assert data == b.read_bytes()                 # libsndfile alone draws a new stream serial number each time
    pages = _pages(data)
    assert len(pages) >= 3                       # identification, setup and audio pages
    for start, end in pages:                      # one serial, and every page's checksum right for it
        page = bytearray(data[start:end])
        assert struct.unpack("<I", page[14:18])[0] == SERIAL
        crc = struct.unpack("<I", page[22:26])[0]
        page[22:26] = b"\0\0\0\0"
        assert ogg_crc(page) == crc
    y, sr = sf.read(a, dtype="float32")           # a page with a wrong checksum would be dropped by the decoder
    assert sr == 44100 and y.shape == x.shape and np.corrcoef(y[:, 0], x[:, 0])[0, 1] > 0.99
    assert fix_serial(b"RIFF not ogg") == b"RIFF not ogg"


def test_a_long_ogg_file_is_written_whole(tmp_path):
    """A song-length Ogg (``advise --apply fixed.ogg``): handed 2**21 frames or more at once, libsndfile 1.2.2's
    Vorbis encoder crashed the process (48 s at 44.1 kHz: a segmentation fault, no advice printed, a half-written
    temporary file left); written in blocks, the whole song is there. Run in a child process, so that a crash
    fails this test rather than ending the test run."""
    import subprocess
    import sys

    out = tmp_path / "fixed.ogg"
    code = ("import numpy as np; from mixbuddy.audio import write_audio; "
            "t = np.arange(2**21 + 4410) / 44100; "
            f"write_audio({str(out)!r}, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 44100)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    info = sf.info(out)
    assert (info.format, info.frames) == ("OGG", 2**21 + 4410)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fixed.ogg"]
