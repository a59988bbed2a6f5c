"""Broadcast WAV time stamps: read from the bext chunk, and files placed by them in the song."""
from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mixbuddy.corpus.bwf import folder_starts, tagged_reference, time_reference, write_time_reference
from mixbuddy.corpus.stems_folder import song_from_files

SR = 8000
HOUR = 3600


def _wav(path: Path, x: np.ndarray, sr: int = SR, stamp: int | None = None, subtype: str = "PCM_24") -> Path:
    sf.write(path, x, sr, subtype=subtype)
    if stamp is not None:
        write_time_reference(path, stamp)
    return path


def _burst(seconds: float, start: float, sr: int = SR, seed: int = 0, channels: int = 2) -> np.ndarray:
    """Noise from ``start`` seconds on, silence before (so a file cut at ``start`` and placed back is the same)."""
    x = np.zeros((int(seconds * sr), channels), np.float32)
    x[int(start * sr):] = np.random.default_rng(seed).uniform(-0.3, 0.3, (x.shape[0] - int(start * sr), channels))
    return x


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
def test_a_time_stamp_is_written_and_read_and_the_audio_is_untouched(tmp_path, subtype):
    x = _burst(0.5, 0.0, channels=1)
    path = _wav(tmp_path / "a.wav", x, subtype=subtype)
    assert time_reference(path) is None                       # no bext chunk
    before = sf.read(path, dtype="float32")[0]
    write_time_reference(path, HOUR * SR + 12345)
    assert time_reference(path) == HOUR * SR + 12345
    write_time_reference(path, 2 ** 40)                       # replaced, and past 32 bits (low and high words)
    assert time_reference(path) == 2 ** 40
    assert path.read_bytes().count(b"bext") == 1
    after, sr = sf.read(path, dtype="float32")
    assert sr == SR and np.array_equal(before, after)


def test_files_without_a_readable_stamp_give_none(tmp_path):
    x = _burst(0.2, 0.0)
    sf.write(tmp_path / "a.flac", x, SR)
    (tmp_path / "junk.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk")
    short = _wav(tmp_path / "short.wav", x)                   # a bext chunk too short to hold the time reference
    data = short.read_bytes()
    short.write_bytes(data[:12] + b"bext\x08\x00\x00\x00" + bytes(8) + data[12:])
    assert [time_reference(tmp_path / n) for n in ("a.flac", "junk.wav", "short.wav", "missing.wav")] == [None] * 4
    with pytest.raises(ValueError, match="a.flac: not a RIFF WAVE file"):
        write_time_reference(tmp_path / "a.flac", 0)


def test_a_time_reference_tag_is_read_from_flac_mp3_ogg_and_wavpack_files(tmp_path):
    """Vorbis comments (FLAC, Ogg), an ID3 TXXX frame (MP3) and an APE tag (WavPack) named "time_reference", in any
    case; a tag that is not a whole number, another TXXX, a file without tags or a damaged one: None."""
    from mutagen.apev2 import APEv2
    from mutagen.flac import FLAC
    from mutagen.id3 import ID3, TXXX
    from mutagen.oggvorbis import OggVorbis

    x = _burst(0.3, 0.0)
    for name, fmt in (("a.flac", "FLAC"), ("b.flac", "FLAC"), ("c.ogg", "OGG"), ("d.mp3", "MP3"), ("e.mp3", "MP3")):
        sf.write(tmp_path / name, x, SR, format=fmt)
    assert [time_reference(tmp_path / n) for n in ("a.flac", "c.ogg", "d.mp3")] == [None] * 3     # no tags yet
    for name, value, kind in (("a.flac", "28800123", FLAC), ("b.flac", "-5", FLAC), ("c.ogg", "7", OggVorbis)):
        f = kind(tmp_path / name)
        f["TIME_REFERENCE"] = value
        f.save()
    tags = ID3()
    tags.add(TXXX(encoding=3, desc="comment", text=["99"]))
    tags.add(TXXX(encoding=3, desc="time_reference", text=["441000"]))
    tags.save(tmp_path / "d.mp3")
    ape = APEv2()
    ape["Time_Reference"] = "1234"
    ape.save(tmp_path / "e.mp3")                      # an APE tag on an MP3 is not read: ID3 is what ffmpeg writes
    (tmp_path / "f.flac").write_bytes(b"fLaC\x00\x00")
    assert {n: time_reference(tmp_path / n) for n in ("a.flac", "b.flac", "c.ogg", "d.mp3", "e.mp3", "f.flac")} == {
        "a.flac": 28800123, "b.flac": None, "c.ogg": 7, "d.mp3": 441000, "e.mp3": None, "f.flac": None}
    assert tagged_reference(tmp_path / "missing.flac") is None


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="needs ffmpeg (make setup installs it)")
def test_region_exports_converted_by_ffmpeg_keep_their_place(tmp_path):
    """Stamped WAV exports converted by ffmpeg to FLAC, MP3 and Ogg Vorbis (the WAVs gone): ffmpeg carries the stamp
    into a tag, and the files start where the WAVs did; Opus audio (decoded at 48 kHz), in an .opus or an .ogg file,
    is not placed."""
    folder = tmp_path / "song"
    folder.mkdir()
    wavs = {"Drums": _wav(tmp_path / "Drums.wav", _burst(4.0, 0.0, seed=1), stamp=HOUR * SR),
            "Bass": _wav(tmp_path / "Bass.wav", _burst(2.5, 0.0, seed=2), stamp=HOUR * SR + int(1.5 * SR)),
            "Vocals": _wav(tmp_path / "Vocals.wav", _burst(1.0, 0.0, seed=3), stamp=HOUR * SR + 2 * SR),
            "Keys": _wav(tmp_path / "Keys.wav", _burst(1.0, 0.0, seed=4), stamp=HOUR * SR + 3 * SR),
            "Pad": _wav(tmp_path / "Pad.wav", _burst(1.0, 0.0, seed=5), stamp=HOUR * SR + 3 * SR)}
    out = {}
    for (k, wav), (ext, args) in zip(wavs.items(), ((".flac", []), (".mp3", []), (".ogg", []), (".opus", []),
                                                    (".ogg", ["-c:a", "libopus"]))):
        out[k] = folder / f"{k}{ext}"
        subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(wav), *args, str(out[k])], check=True)
    assert time_reference(out["Keys"]) is None and time_reference(out["Pad"]) is None
    starts = folder_starts(folder, [])
    assert starts.seconds == {out["Drums"]: 0.0, out["Bass"]: 1.5, out["Vocals"]: 2.0}
    assert starts.unstamped == [out["Keys"], out["Pad"]]


def test_an_rf64_files_stamp_after_its_data_is_found(tmp_path):
    """RF64 (a WAV past 4 GB): the data chunk's size is in ds64, its header holds 0xFFFFFFFF; a bext chunk after the
    audio is found past it."""
    audio = bytes(1000)
    fmt = (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + SR.to_bytes(4, "little") + (2 * SR).to_bytes(
        4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
    bext = bytearray(602)
    bext[338:346] = (HOUR * SR).to_bytes(8, "little")
    ds64 = (0).to_bytes(8, "little") + len(audio).to_bytes(8, "little") + (500).to_bytes(8, "little") + bytes(4)
    body = (b"WAVE" + b"ds64" + len(ds64).to_bytes(4, "little") + ds64 + b"fmt " + len(fmt).to_bytes(4, "little")
            + fmt + b"data" + b"\xff\xff\xff\xff" + audio + b"bext" + len(bext).to_bytes(4, "little") + bytes(bext))
    (tmp_path / "big.wav").write_bytes(b"RF64\xff\xff\xff\xff" + body)
    assert time_reference(tmp_path / "big.wav") == HOUR * SR


def test_a_region_export_is_placed_where_its_stamp_says(tmp_path):
    """A file exported from its first note, stamped 1.5 s after the others (which start at 01:00:00), is read as
    the file exported from the song's start, sample for sample; a song built from some of the folder's files (as the
    fit re-reads one) places it the same; unstamped, it would start with the song."""
    full = {"drums": _burst(4.0, 0.0, seed=1), "bass": _burst(4.0, 1.5, seed=2), "vocals": _burst(3.0, 0.5, seed=3)}
    folder = tmp_path / "song"
    folder.mkdir()
    files = {}
    for name, x in full.items():
        cut = int(1.5 * SR) if name == "bass" else 0
        files[name] = (_wav(folder / f"{name}.wav", x[cut:], stamp=HOUR * SR + cut),)
    song = song_from_files("s", "advise", folder, files, {})
    assert song.loader.offsets == {files["bass"][0]: int(1.5 * SR)} and song.num_frames == 3 * SR
    assert song.loader.stamps.seconds == {files["drums"][0]: 0.0, files["bass"][0]: 1.5, files["vocals"][0]: 0.0}
    assert song.loader.signature()["offsets"] == {str(files["bass"][0]): int(1.5 * SR)}   # a decode cache's key
    for name, x in full.items():
        assert np.array_equal(song.stem(name), sf.read(folder / f"{name}.wav", dtype="float32")[0]
                              if name != "bass" else np.pad(sf.read(files["bass"][0], dtype="float32")[0],
                                                            ((int(1.5 * SR), 0), (0, 0))))
    np.testing.assert_allclose(song.stem("bass"), full["bass"], atol=2 ** -22)     # 24-bit rounding
    alone = song_from_files("s", "advise", folder, {"bass": files["bass"]}, {})
    assert np.array_equal(alone.stem("bass"), song.stem("bass"))
    write_time_reference(files["bass"][0], 0)                 # stamped by another tool: far from the others
    far = folder_starts(folder, [])
    assert far.seconds == {} and far.why == ("drums.wav would start 3600.000 s after bass.wav, when the "
                                                 "longest stamped file (4.000 s) has ended")
    unused = song_from_files("s", "advise", folder, files, {}).loader
    assert unused.offsets == {} and "offsets" not in unused.signature()


def test_glimpses_and_stereo_copies_are_placed_with_the_file(tmp_path):
    """The 2 kHz glimpse and stereo copy the folder reader keeps are moved as the file is: a whole number of 2 kHz
    samples, so the region export's glimpse is the full file's but for resampling at its edge; a file at another rate
    than the song's is stamped in its own samples."""
    folder = tmp_path / "song"
    folder.mkdir()
    bass = _burst(3.0, 1.0, sr=SR // 2, seed=2)
    files = {"drums": (_wav(folder / "drums.wav", _burst(3.0, 0.0, seed=1), stamp=HOUR * SR),),
             "bass": (_wav(folder / "bass.wav", bass[SR // 2:], sr=SR // 2, stamp=HOUR * SR // 2 + SR // 2),),
             "vocals": (_wav(folder / "vocals.wav", _burst(3.0, 0.0, seed=3, channels=1), stamp=HOUR * SR),)}
    song = song_from_files("s", "advise", folder, files, {})
    song.loader.glimpse = song.loader.wide = True
    stems = {k: song.stem(k) for k in files}
    assert song.loader.offsets == {files["bass"][0]: SR} and stems["bass"].shape == (3 * SR, 2)
    g, w = song.loader.glimpses[files["bass"][0]], song.loader.wides[files["bass"][0]]
    assert g.shape == (6000,) and w.shape == (6000, 2) and not np.any(g[:2000]) and not np.any(w[:2000])
    assert np.array_equal(g, w.mean(axis=1))
    assert np.abs(stems["bass"][: SR - 40]).max() == 0 and np.abs(stems["bass"][SR + 40:]).max() > 0.2
    _wav(folder / "bass.wav", bass, sr=SR // 2, stamp=HOUR * SR // 2)     # the file from the song's start
    whole = song_from_files("s", "advise", folder, files, {})
    whole.loader.glimpse = whole.loader.wide = True
    np.testing.assert_allclose(whole.stem("bass")[SR + 40:], stems["bass"][SR + 40:], atol=1e-6)
    assert whole.loader.offsets == {}
    np.testing.assert_allclose(whole.loader.glimpses[files["bass"][0]][2040:], g[2040:], atol=1e-6)


def test_stamps_are_left_alone_when_equal_or_missing(tmp_path, caplog):
    """Equal stamps move nothing; a file without one starts with the song and is named; a file a few samples
    later (an export's rounding) is moved without a word."""
    from mixbuddy.corpus.bwf import say_starts

    folder = tmp_path / "song"
    folder.mkdir()
    a = _wav(folder / "drums.wav", _burst(2.0, 0.0), stamp=HOUR * SR)
    b = _wav(folder / "bass.wav", _burst(1.0, 0.0), stamp=HOUR * SR)       # shorter, same start: ends early
    c = folder / "vocals.flac"
    sf.write(c, _burst(2.0, 0.0), SR)
    files = {"drums": (a,), "bass": (b,), "vocals": (c,)}

    def said(stamp_b: int) -> tuple[dict, str]:
        write_time_reference(b, stamp_b)
        song = song_from_files("s", "advise", folder, files, {})
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="mixbuddy"):
            say_starts(folder, song.loader.stamps, [a, b, c])
        return song.loader.offsets, caplog.text

    assert said(HOUR * SR) == ({}, "")
    assert song_from_files("s", "advise", folder, files, {}).loader.stamps.unstamped == [c]
    assert said(HOUR * SR + 4) == ({b: 4}, "")                # 0.5 ms later: moved, not said
    offsets, text = said(HOUR * SR + SR // 2)
    assert offsets == {b: SR // 2} and (
        "placed by their Broadcast WAV time stamps (where the DAW says each file starts in the session): "
        "bass.wav 0.500 s after the earliest file's start; vocals.flac without a stamp, read from the song's "
        "start") in text


def test_an_unstamped_copy_in_another_format_starts_where_its_stamped_twin_does(tmp_path):
    """A pack's WAV/ and FLAC/ folders: "FLAC/Bass.flac" (no bext chunk) is the stamped "WAV/Bass.wav" in another
    format and as long, so it starts where that does, and so does "FLAC/Bass (1).flac" (a copy's name); a twin by
    name of another length, and a file with no twin, start with the song."""
    folder = tmp_path / "pack"
    (folder / "WAV").mkdir(parents=True)
    (folder / "FLAC").mkdir()
    region = _burst(2.5, 0.0, seed=2)
    drums = _wav(folder / "WAV" / "Drums.wav", _burst(4.0, 0.0, seed=1), stamp=HOUR * SR)
    bass = _wav(folder / "WAV" / "Bass.wav", region, stamp=HOUR * SR + int(1.5 * SR))
    sf.write(folder / "FLAC" / "Bass.flac", region, SR)
    sf.write(folder / "FLAC" / "Drums.flac", _burst(3.0, 0.0, seed=1), SR)       # 1 s shorter than its twin
    sf.write(folder / "FLAC" / "Keys.flac", region, SR)                         # no stamped twin
    sf.write(folder / "FLAC" / "Bass (1).flac", region, SR)                     # a copy's name: a twin of Bass.wav
    starts = folder_starts(folder, [])
    assert starts.seconds == {drums: 0.0, bass: 1.5, folder / "FLAC" / "Bass.flac": 1.5,
                              folder / "FLAC" / "Bass (1).flac": 1.5}
    assert starts.unstamped == [folder / "FLAC" / "Drums.flac", folder / "FLAC" / "Keys.flac"]


def test_a_coding_history_names_the_rate_a_stamp_counts_at(tmp_path):
    """EBU R98 coding history: the F= field of its last line that names one. Written into a WAV's bext chunk after
    its fixed fields (the number unchanged), it is not read there: a WAV's stamp counts at its own rate; ffmpeg
    carries it into a converted file's tag, where it is read (the next test)."""
    from mixbuddy.corpus.bwf import history_rate, stamp_of

    assert history_rate("A=PCM,F=48000,W=24,M=stereo,T=REAPER\r\nA=PCM,F=44100,W=16,M=stereo,T=SRC\r\n") == 44100
    assert history_rate("a=pcm,f=96000,w=24\r\nA=ANALOGUE,M=stereo,T=tape\r\n") == 96000   # the last that names one
    assert [history_rate(h) for h in ("", "A=PCM,W=24", "A=PCM,F=48 kHz,W=24", "T=F=48000", "A=PCM,F=12")] == [None] * 5
    path = _wav(tmp_path / "a.wav", _burst(0.3, 0.0))
    write_time_reference(path, HOUR * SR + 7, "A=PCM,F=48000,W=24,M=stereo,T=DAW\r\n")
    assert stamp_of(path) == (HOUR * SR + 7, None) and time_reference(path) == HOUR * SR + 7
    assert b"A=PCM,F=48000,W=24,M=stereo,T=DAW\r\n" in path.read_bytes()
    write_time_reference(path, 5, "A=PCM,F=8000,W=24,M=stereo,T=DAW")          # odd length: padded, replaced
    assert stamp_of(path) == (5, None) and path.read_bytes().count(b"bext") == 1
    assert sf.read(path, dtype="float32")[0].shape == (int(0.3 * SR), 2)


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="needs ffmpeg (make setup installs it)")
def test_a_stamp_converted_to_another_rate_counts_at_its_source_rate(tmp_path, caplog):
    """ffmpeg converting a stamped WAV to another rate keeps the number: a FLAC whose coding history names the old
    rate counts it there, and so does one in a pack's FLAC/ folder holding its WAV/ twin's number (said in a
    warning); one with neither counts it at its own rate, and then (the session at 01:00:00) would start half an
    hour early: the stamps are not used."""
    from mixbuddy.corpus.bwf import say_starts, stamp_of

    pack = tmp_path / "pack"
    for sub in ("WAV", "FLAC", "made"):
        (pack / sub).mkdir(parents=True)
    drums = _wav(pack / "WAV" / "Drums.wav", _burst(4.0, 0.0, seed=1), stamp=HOUR * SR)
    bass = _wav(pack / "WAV" / "Bass.wav", _burst(2.0, 0.0, seed=2), stamp=HOUR * SR + 2 * SR)
    keys = _wav(tmp_path / "Keys.wav", _burst(2.0, 0.0, seed=3))
    write_time_reference(keys, HOUR * SR + SR, "A=PCM,F=8000,W=24,M=stereo,T=DAW\r\n")
    pad = _wav(tmp_path / "Pad.wav", _burst(2.0, 0.0, seed=4), stamp=HOUR * SR + SR)

    def convert(wav: Path, out: Path) -> Path:
        subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(wav), "-ar", str(2 * SR), str(out)], check=True)
        return out

    flac_bass = convert(bass, pack / "FLAC" / "Bass.flac")          # its twin's number: counted at 8 kHz
    flac_keys = convert(keys, pack / "made" / "Keys.flac")          # its coding history: at 8 kHz
    assert stamp_of(flac_bass) == (HOUR * SR + 2 * SR, None) and stamp_of(flac_keys) == (HOUR * SR + SR, SR)
    assert [stamp_of(convert(keys, tmp_path / f"Keys{ext}")) for ext in (".mp3", ".ogg")] == [(HOUR * SR + SR, SR)] * 2
    starts = folder_starts(pack, [])
    assert {p: round(s, 3) for p, s in starts.seconds.items()} == {
        drums: 0.0, bass: 2.0, flac_bass: 2.0, flac_keys: 1.0} and not starts.why
    assert starts.recounted == {flac_bass: (SR, 2 * SR, "as its twin Bass.wav"),
                                flac_keys: (SR, 2 * SR, "its coding history")}
    with caplog.at_level(logging.INFO, logger="mixbuddy"):
        say_starts(pack, starts, [drums, flac_bass, flac_keys])
    assert ("time stamps counted at another rate than their file's: Bass.flac in 8000 Hz samples (as its twin "
            "Bass.wav; the file is at 16000 Hz); Keys.flac in 8000 Hz samples (its coding history; the file is at "
            "16000 Hz)") in caplog.text
    flac_pad = convert(pad, pack / "made" / "Pad.flac")             # neither: at its own 16 kHz
    far = folder_starts(pack, [])
    assert far.seconds == {} and far.why == ("Bass.flac would start 1801.500 s after Pad.flac, when the longest "
                                             "stamped file (4.000 s) has ended") and flac_pad not in far.recounted


def test_an_ixml_chunk_holds_a_stamp_and_the_rate_it_counts_at():
    """iXML (the recorders' metadata document in a WAV's iXML chunk): SPEED's TIMESTAMP_SAMPLES_SINCE_MIDNIGHT words
    and TIMESTAMP_SAMPLE_RATE, else the BEXT mirror's time reference at the file's own rate; padding, a byte-order
    mark and spaces allowed; a damaged document, a negative or oversized word, or an entity bomb (expat refuses
    it): none."""
    from mixbuddy.corpus.bwf import ixml_stamp

    def doc(speed: str = "", bext: str = "") -> bytes:
        return f"<BWFXML><SPEED>{speed}</SPEED><BEXT>{bext}</BEXT></BWFXML>".encode()

    lo, hi, rate = ("<TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>{}</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>",
                    "<TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI>{}</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI>",
                    "<TIMESTAMP_SAMPLE_RATE>{}</TIMESTAMP_SAMPLE_RATE>")
    mirror = "<BWF_TIME_REFERENCE_LOW>{}</BWF_TIME_REFERENCE_LOW><BWF_TIME_REFERENCE_HIGH>{}</BWF_TIME_REFERENCE_HIGH>"
    assert ixml_stamp(doc(lo.format(172800000) + rate.format(48000))) == (172800000, 48000)
    assert ixml_stamp(b"\xef\xbb\xbf<?xml version='1.0'?>" + doc(hi.format(1) + lo.format(" 5 ") + rate.format(
        "47952.000")) + b"\x00\x00") == (2 ** 32 + 5, 47952)
    assert ixml_stamp(doc(rate.format(48000), mirror.format(7, 0))) == (7, None)    # the mirror: at the file's rate
    assert ixml_stamp(doc(lo.format(9) + rate.format("48 kHz"))) == (9, None)       # a rate that is not a number
    assert ixml_stamp(doc(hi.format("") + lo.format(9) + rate.format("9" * 400))) == (9, None)   # blank: absent
    bomb = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %c "%s">' % (98 + i, b"&%c;" % (97 + i) * 10) for i in range(9)) + b"]>" + doc(lo.format("&j;")))
    assert [ixml_stamp(d) for d in (b"", b"not xml", doc(), doc(lo.format(-3)), doc(lo.format(2 ** 32)),
                                    doc(hi.format("x") + lo.format(1)), bomb)] == [None] * 7


def test_a_wav_stamped_in_ixml_only_is_placed_and_counted_at_its_timestamp_rate(tmp_path, caplog):
    """A WAV stamped in its iXML chunk (no bext) is placed as a bext stamp places it; one whose TIMESTAMP_SAMPLE_RATE
    is 48 kHz (a recording converted to 8 kHz with its iXML kept) counts its number there, said in a warning; a
    bext chunk added beside the iXML one is read instead, at the file's own rate."""
    from mixbuddy.corpus.bwf import say_starts, stamp_of, write_ixml_stamp

    folder = tmp_path / "song"
    folder.mkdir()
    drums = _wav(folder / "Drums.wav", _burst(4.0, 0.0, seed=1), stamp=HOUR * SR)
    bass = _wav(folder / "Bass.wav", _burst(2.5, 0.0, seed=2))
    keys = _wav(folder / "Keys.wav", _burst(2.0, 0.0, seed=3))
    before = sf.read(bass, dtype="float32")[0]
    write_ixml_stamp(bass, HOUR * SR + int(1.5 * SR), SR)
    write_ixml_stamp(keys, (HOUR + 2) * 48000, 48000)
    assert stamp_of(bass) == (HOUR * SR + int(1.5 * SR), SR) and stamp_of(keys) == ((HOUR + 2) * 48000, 48000)
    assert np.array_equal(sf.read(bass, dtype="float32")[0], before) and b"bext" not in bass.read_bytes()
    starts = folder_starts(folder, [])
    assert starts.seconds == {drums: 0.0, bass: 1.5, keys: 2.0} and not starts.why
    assert starts.recounted == {keys: (48000, SR, "its iXML TIMESTAMP_SAMPLE_RATE")}
    with caplog.at_level(logging.INFO, logger="mixbuddy"):
        say_starts(folder, starts, [drums, bass, keys])
    assert ("time stamps counted at another rate than their file's: Keys.wav in 48000 Hz samples (its iXML "
            "TIMESTAMP_SAMPLE_RATE; the file is at 8000 Hz)") in caplog.text
    assert "Bass.wav 1.500 s after the earliest file's start, Keys.wav 2.000 s after" in caplog.text
    song = song_from_files("s", "advise", folder, {"bass": (bass,), "drums": (drums,)}, {})
    assert song.loader.offsets == {bass: int(1.5 * SR)}
    write_time_reference(keys, HOUR * SR + SR)                # a bext chunk beside the iXML: read first, at 8 kHz
    assert stamp_of(keys) == (HOUR * SR + SR, None) and b"iXML" in keys.read_bytes()
    assert folder_starts(folder, []).seconds == {drums: 0.0, bass: 1.5, keys: 1.0}
