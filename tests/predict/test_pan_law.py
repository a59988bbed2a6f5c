"""A stem of mono files given with the mix: a pan law's cut is heard at the mix's level (predict.pan_law)."""
from __future__ import annotations

import logging

import numpy as np
import pytest
import soundfile as sf

from mixbuddy.data.render import DEFAULT_CEILING
from mixbuddy.predict.advise import AdviceReport, advise
from mixbuddy.predict.apply import Correction, render_correction
from mixbuddy.predict.engines import LoudnessEngine
from mixbuddy.predict.windows import load_song
from predict_helpers import LITHIUM

SR = 44100


@pytest.fixture(scope="module")
def example():
    stems = {p.stem: sf.read(str(p), dtype="float32")[0] for p in sorted((LITHIUM / "stems").glob("*.ogg"))}
    return stems, stems["vocals"].mean(axis=1)


def _song(folder, example, law_db: float, held: bool = False):
    """The example with its vocals a mono file (``held``: a stereo file at the level the mix holds it), and the
    mix that pans that mono track centre under a ``law_db`` pan law."""
    stems, mono = example
    folder.mkdir()
    track = np.float32(10 ** (law_db / 20)) * np.repeat(mono[:, None], 2, axis=1)
    for k, x in stems.items():
        sf.write(folder / f"{k}.wav", (track if held else mono) if k == "vocals" else x, SR, subtype="FLOAT")
    mix = sum(x for k, x in stems.items() if k != "vocals") + track
    sf.write(folder.parent / f"{folder.name}-mix.wav", mix, SR, subtype="FLOAT")
    return folder.parent / f"{folder.name}-mix.wav", mix, track


@pytest.mark.parametrize("law_db", [-3.0, -2.5, -6.0])
def test_a_pan_laws_cut_is_heard_as_the_mix_holds_it(tmp_path, example, caplog, law_db):
    """The vocals as a mono file, the mix panning them centre under a pan law: advise reads the cut, hears the vocals
    at the mix's level (the advice of the stems as the mix holds them, to the window), says so, and --apply renders
    the mix with the vocals moved (the stems summed as the mix has them)."""
    mix_file, mix, track = _song(tmp_path / "mono", example, law_db)
    engine = LoudnessEngine()
    with caplog.at_level(logging.INFO):
        report = advise(mix_file, "drums", engine, stems_dir=tmp_path / "mono")
    assert report.panned == {"vocals": law_db} and report.to_dict()["panned"] == {"vocals": law_db}
    assert AdviceReport.from_dict(report.to_dict()).panned == {"vocals": law_db}
    assert (f"the mix {mix_file} holds the vocals stem's mono files {-law_db:.1f} dB under their own level, against "
            "the stereo stems, as a DAW's pan law turns a centred mono track down") in caplog.text
    assert "at other levels than their files" not in caplog.text          # heard, not noted as a mystery
    held = advise(_song(tmp_path / "held", example, law_db, held=True)[0], "drums", engine,
                  stems_dir=tmp_path / "held")
    assert [(w.start_s, w.finding) for w in report.windows] == [(w.start_s, w.finding) for w in held.windows]
    assert held.panned == {} and report.verdict.finding.target == "vocals"
    out = tmp_path / "fixed.wav"
    render_correction(tmp_path / "mono", Correction("vocals", 6.0, "test"), out, panned=report.panned)
    fixed, _ = sf.read(out, dtype="float32")
    want = mix + np.float32(10 ** (6 / 20) - 1) * track
    assert np.max(np.abs(fixed - want * min(1.0, DEFAULT_CEILING / np.max(np.abs(want))))) < 2e-3


def test_a_mono_stem_the_mix_holds_at_its_level_or_off_by_no_pan_law_is_left_as_it_is(tmp_path, example):
    """A centre at 0 dB (Logic, Reaper) leaves nothing to hear otherwise; a gap of -1 dB (a -3 dB law and the track
    2 dB up) is no pan law's, and stems all stereo are never turned, whatever their gap."""
    for name, law_db in (("zero", 0.0), ("off", -1.0)):
        mix_file = _song(tmp_path / name, example, law_db)[0]
        audio = load_song(mix_file, tmp_path / name, SR, 2)
        assert audio.panned == {}
        vocals = audio.stems["vocals"]
        assert np.allclose(vocals[:, 0], vocals[:, 1]) and np.allclose(vocals[:, 0], example[1], atol=1e-6)
    mix_file = _song(tmp_path / "stereo", example, -3.0, held=True)[0]
    sf.write(tmp_path / "stereo" / "vocals.wav", np.repeat(example[1][:, None], 2, axis=1), SR, subtype="FLOAT")
    assert load_song(mix_file, tmp_path / "stereo", SR, 2).panned == {}


def _panned(gains: tuple[float, float], x: np.ndarray) -> np.ndarray:
    return np.stack([np.float32(gains[0]) * x, np.float32(gains[1]) * x], axis=1)


CP = np.cos(3 * np.pi / 8), np.sin(3 * np.pi / 8)   # a -3 dB (constant power) law, halfway to the right


@pytest.fixture(scope="module")
def kit(example):
    """The example's drums as two tracks: their centre below 500 Hz as a mono file (a kick) and the rest stereo."""
    from scipy.signal import butter, sosfiltfilt

    stems, _ = example
    kick = sosfiltfilt(butter(4, 500, fs=SR, output="sos"), stems["drums"].mean(axis=1)).astype(np.float32)
    return kick, stems["drums"] - kick[:, None]


def _kit_song(folder, example, kit, gains, held: bool = False):
    """The example with its drums as a mono kick and a stereo rest (``held``: the kick a stereo file as the mix holds
    it), and the mix that holds the kick at ``gains`` (left, right)."""
    stems, _ = example
    kick, rest = kit
    folder.mkdir()
    for k, x in {**stems, "drums": rest, "drums kick": _panned(gains, kick) if held else kick}.items():
        sf.write(folder / f"{k}.wav", x, SR, subtype="FLOAT")
    mix = sum(x for k, x in stems.items() if k != "drums") + rest + _panned(gains, kick)
    sf.write(folder.parent / f"{folder.name}-mix.wav", mix, SR, subtype="FLOAT")
    return folder.parent / f"{folder.name}-mix.wav", mix


@pytest.mark.parametrize("gains,db,pan", [((10 ** (-3 / 20),) * 2, -3.0, None), ((1.0, 0.0), -3.01, -1.0),
                                          (CP, -3.01, 0.71), ((10 ** (-6 / 20),) * 2, -6.0, None),
                                          ((np.sqrt(2.0), 0.0), 0.0, -1.0)])
def test_a_mono_track_among_a_stems_stereo_ones_is_heard_as_the_mix_pans_it(tmp_path, example, kit, caplog, gains,
                                                                             db, pan):
    """A mono kick among the drums' stereo tracks, the mix panning it centre, hard left or halfway right under a -3 dB
    law, centre under a -6 dB one, or hard left under Logic's "-3 dB compensated" law (+3 dB in one channel: as loud
    as its file read in both): advise hears it as the mix holds it (the stem, the advice), names the file and where
    it sits, and --apply renders the mix it was given."""
    mix_file, mix = _kit_song(tmp_path / "kit", example, kit, gains)
    engine = LoudnessEngine()
    with caplog.at_level(logging.INFO):
        report = advise(mix_file, "vocals", engine, stems_dir=tmp_path / "kit")
    assert list(report.panned) == ["drums kick.wav"] and abs(report.panned["drums kick.wav"] - db) <= 0.02
    assert report.pan_at == ({} if pan is None else {"drums kick.wav": pytest.approx(pan, abs=0.02)})
    assert AdviceReport.from_dict(report.to_dict()).pan_at == report.pan_at
    assert "holds drums kick.wav (drums), a mono file, " + (f"{-db:.1f} dB under" if db else "at their own level") \
        in caplog.text
    assert ("centred" if pan is None else "hard left" if pan == -1 else "71% right") in caplog.text
    audio = load_song(mix_file, tmp_path / "kit", SR, 2)
    held_file, _ = _kit_song(tmp_path / "held", example, kit, gains, held=True)
    held_audio = load_song(held_file, tmp_path / "held", SR, 2)
    assert held_audio.panned == {} and np.max(np.abs(audio.stems["drums"] - held_audio.stems["drums"])) < 2e-3
    held = advise(held_file, "vocals", engine, stems_dir=tmp_path / "held")
    assert [w.finding for w in report.windows] == [w.finding for w in held.windows]
    out = tmp_path / "fixed.wav"
    render_correction(tmp_path / "kit", Correction("bass", 0.0, "test"), out, panned=report.panned,
                      pan_at=report.pan_at)
    fixed, _ = sf.read(out, dtype="float32")
    assert np.max(np.abs(fixed - mix * min(1.0, DEFAULT_CEILING / np.max(np.abs(mix))))) < 2e-3


@pytest.mark.parametrize("gains", [(1.0, 1.0), ((10 ** (0.15 / 20),) * 2), ((10 ** (-1 / 20),) * 2), (0.5, 0.0)])
def test_a_mono_track_the_mix_holds_at_its_level_or_as_no_pan_law_does_is_left_as_read(tmp_path, example, kit,
                                                                                       gains):
    """Centre at 0 dB (nothing to hear otherwise) or 0.15 dB over it (as a light master moves a track's weight), -1 dB
    at the centre (a -3 dB law and the fader 2 dB up) or hard left 6 dB down (the fader 6 dB down): no pan law's
    doing, left as read."""
    mix_file, _ = _kit_song(tmp_path / "kit", example, kit, gains)
    audio = load_song(mix_file, tmp_path / "kit", SR, 2)
    assert audio.panned == {} and audio.pan_at == {}
    assert np.max(np.abs(audio.stems["drums"] - example[0]["drums"][: audio.stems["drums"].shape[0]])) < 1e-5


def _hard_left(tmp_path, example, name: str, held: bool = False):
    """(the mix that pans the example's vocals, a mono file, hard left under a -3 dB law; the folder ``name`` of its
    stems, the vocals that mono file, or ``held``: a stereo file as the mix holds it)."""
    stems, mono = example
    folder = tmp_path / name
    folder.mkdir()
    vocals = _panned((1.0, 0.0), mono)
    for k, x in stems.items():
        sf.write(folder / f"{k}.wav", (vocals if held else mono) if k == "vocals" else x, SR, subtype="FLOAT")
    mix = sum(x for k, x in stems.items() if k != "vocals") + vocals
    sf.write(tmp_path / "hard-mix.wav", mix, SR, subtype="FLOAT")
    return tmp_path / "hard-mix.wav", folder


def test_a_mono_stem_panned_hard_is_heard_at_its_loudness_not_its_mono_copys(tmp_path, example):
    """The vocals a mono file the mix pans hard left under a -3 dB law: a mono copy of the mix holds them 6 dB under
    their file, but they are as loud as centred under that law, 3 dB under it, and heard so, in the left channel."""
    mono = example[1]
    audio = load_song(*_hard_left(tmp_path, example, "hard"), SR, 2)
    assert audio.panned == {"vocals": -3.01} and audio.pan_at == {"vocals": -1.0}
    vocals = audio.stems["vocals"]
    assert np.max(np.abs(vocals[:, 1])) < 1e-3 and np.allclose(vocals[:, 0], mono[: vocals.shape[0]], atol=2e-3)


@pytest.mark.parametrize("gains,pan", [((1.0, 0.0), -1.0), (CP, 0.71), ((10 ** (-3 / 20),) * 2, None)])
def test_an_engine_that_hears_one_channel_places_a_mono_track_from_the_mix_in_stereo(tmp_path, example, kit, gains,
                                                                                      pan):
    """A model hears the mix's mono copy, where a mono kick hard left under a -3 dB law sits 6 dB under its file, as
    a centred one under a -6 dB law would: the mix in stereo places it (hard left, 3 dB under: the place and level
    --apply renders), while the stem it hears is the folder as the mix holds it read in one channel, as before."""
    mix_file, mix = _kit_song(tmp_path / "kit", example, kit, gains)
    audio = load_song(mix_file, tmp_path / "kit", 16000, 1)
    assert list(audio.panned) == ["drums kick.wav"] and abs(audio.panned["drums kick.wav"] + 3.01) <= 0.02
    assert audio.pan_at == ({} if pan is None else {"drums kick.wav": pytest.approx(pan, abs=0.02)})
    held = load_song(_kit_song(tmp_path / "held", example, kit, gains, held=True)[0], tmp_path / "held", 16000, 1)
    assert held.panned == {} and audio.stems["drums"].shape[1] == 1
    assert np.max(np.abs(audio.stems["drums"] - held.stems["drums"])) < 2e-3
    out = tmp_path / "fixed.wav"
    render_correction(tmp_path / "kit", Correction("bass", 0.0, "test"), out, panned=audio.panned, pan_at=audio.pan_at)
    fixed, _ = sf.read(out, dtype="float32")
    assert np.max(np.abs(fixed - mix * min(1.0, DEFAULT_CEILING / np.max(np.abs(mix))))) < 2e-3


def test_an_engine_that_hears_one_channel_places_a_whole_mono_stem_too(tmp_path, example):
    """The vocals a mono file the mix pans hard left: for a one-channel engine the other stems' files are read again
    in stereo for the fit per channel, and the vocals are placed hard left, heard at their mono copy's level."""
    audio = load_song(*_hard_left(tmp_path, example, "hard"), 16000, 1)
    assert audio.panned == {"vocals": -3.01} and audio.pan_at == {"vocals": -1.0}
    want = load_song(*_hard_left(tmp_path, example, "held", held=True), 16000, 1).stems["vocals"]
    assert np.max(np.abs(audio.stems["vocals"] - want)) < 2e-3 and np.max(np.abs(want)) > 0.03


@pytest.mark.parametrize("sr,channels", [(SR, 2), (16000, 1)])
def test_the_fit_per_channel_takes_the_stereo_copies_the_folder_reader_kept(tmp_path, example, kit, monkeypatch, sr,
                                                                            channels):
    """Given with a mix, a folder of mono tracks among stereo ones keeps each stereo file at 2 kHz in stereo as it is
    read, so the fit per channel decodes no file again (each it did, a one-channel engine's whole stems too), with the
    same result as decoding them again (a split-stereo pair, "other.L" + "other.R", from its halves' mono copies); a
    folder read without a mix, or of stereo files only, keeps none."""
    import mixbuddy.predict.tracks as tracks
    from mixbuddy.corpus.stems_folder import FileStemLoader
    from mixbuddy.predict.stems_input import read_stems_folder

    mix_file, _ = _kit_song(tmp_path / "kit", example, kit, (1.0, 0.0))
    other = tmp_path / "kit" / "other.wav"
    for c, side in enumerate("LR"):
        sf.write(tmp_path / "kit" / f"other.{side}.wav", sf.read(other, dtype="float32")[0][:, c], SR, subtype="FLOAT")
    other.unlink()
    folder = read_stems_folder(tmp_path / "kit", sr, channels, wide=True)[0]
    kept = folder.loader.wides
    assert sorted(p.name for p in kept) == ["bass.wav", "drums.wav", "vocals.wav"] and len(folder.loader.pairs) == 1
    assert all(g.shape[1] == 2 and abs(g.shape[0] - 2000 * example[0]["bass"].shape[0] / SR) <= 1
               for g in kept.values())
    assert not read_stems_folder(tmp_path / "kit", sr, channels)[0].loader.wides
    held_file, _ = _kit_song(tmp_path / "held", example, kit, (1.0, 0.0), held=True)
    assert not read_stems_folder(tmp_path / "held", sr, channels, wide=True)[0].loader.wides
    decoded = []
    decode = tracks.file_audio
    monkeypatch.setattr(tracks, "file_audio", lambda *a: decoded.append(a[3]) or decode(*a))
    audio = load_song(mix_file, tmp_path / "kit", sr, channels)
    monkeypatch.setattr(FileStemLoader, "wide_glimpse", lambda self, track: None)
    again = len(decoded)
    before = load_song(mix_file, tmp_path / "kit", sr, channels)
    assert audio.panned == before.panned == {"drums kick.wav": -3.01} and audio.pan_at == before.pan_at
    assert all(np.max(np.abs(audio.stems[k] - before.stems[k])) < 1e-6 for k in audio.stems)
    assert 2000 not in decoded[:again]          # the files at full rate only, for the kick placed where the mix has it
    assert decoded[again:].count(2000) == (2 if channels == 2 else 5)   # drums and kick (+ the three whole stems)


def test_each_pan_law_holds_a_track_at_unity_at_its_centre_and_hard_to_one_side():
    """law_gap is 0 dB where each law puts a track at its fader's unity (its centre gain in both channels; hard to
    one side unity, or +3 dB for the compensated 0 dB law) and tells the laws apart at the centre."""
    from mixbuddy.predict.pan_law import PAN_LAWS, law_gap

    for law in PAN_LAWS:
        centre = 10 ** (law / 20)
        hard = np.sqrt(2.0) if law == 0 else 1.0
        assert abs(law_gap(centre, centre, law)) < 0.02 and abs(law_gap(hard, 0.0, law)) < 0.02
        assert abs(law_gap(0.0, hard, law)) < 0.02
        others = [w for w in PAN_LAWS if abs(w - law) >= 1.0]
        assert all(abs(law_gap(centre, centre, w)) >= 1.0 for w in others)
    assert abs(law_gap(*CP, -3.0)) < 0.01 and law_gap(0.5, 0.0, -3.0) < -6.0   # halfway right; 6 dB down hard left


def test_a_track_silent_below_1_khz_does_not_stop_the_check(tmp_path, example, kit):
    """An empty track exported with the others (silent where the fit listens, below 1 kHz) is left out of the fit,
    not a reason to skip it: the mono kick under a -3 dB law is still heard so."""
    mix_file, _ = _kit_song(tmp_path / "kit", example, kit, (10 ** (-3 / 20),) * 2)
    sf.write(tmp_path / "kit" / "drums empty.wav", np.zeros_like(kit[1]), SR, subtype="FLOAT")
    assert load_song(mix_file, tmp_path / "kit", SR, 2).panned == {"drums kick.wav": -3.0}


def test_a_mono_track_too_quiet_below_1_khz_to_place_is_heard_under_the_others_pan_law(tmp_path, example, kit,
                                                                                      caplog):
    """A mono hi-hat (nothing below 1.5 kHz: the fit, below 1 kHz, cannot weigh it) beside the mono kick, both centred
    under a -3 dB law: the kick is placed by the fit, the hat heard under the same law, as a DAW pans every mono
    track by one law; with the kick given as stereo (no law to go by) the hat is left as read."""
    stems, _ = example
    n = kit[0].shape[0]
    spectrum = np.fft.rfft(np.random.default_rng(3).standard_normal(n))
    hat = np.fft.irfft(spectrum * (np.fft.rfftfreq(n, 1 / SR) > 1500.0), n).astype(np.float32) * np.float32(0.05)
    law = np.float32(10 ** (-3 / 20))
    for name, kick_held in (("kit", False), ("stereo-kick", True)):
        mix_file, mix = _kit_song(tmp_path / name, example, kit, (law, law), held=kick_held)
        sf.write(tmp_path / name / "drums hat.wav", hat, SR, subtype="FLOAT")
        sf.write(mix_file, mix + law * hat[:, None], SR, subtype="FLOAT")
        with caplog.at_level(logging.INFO):
            audio = load_song(mix_file, tmp_path / name, SR, 2)
        if kick_held:
            assert audio.panned == {}
            continue
        assert audio.panned == {"drums kick.wav": -3.0, "drums hat.wav": -3.0} and audio.pan_at == {}
        assert "drums hat.wav (drums), too quiet below 1 kHz for the fit against the mix" in caplog.text
        want = stems["drums"] - (1 - law) * kit[0][:, None] + law * hat[:, None]
        assert np.max(np.abs(audio.stems["drums"] - want[: audio.stems["drums"].shape[0]])) < 2e-3
