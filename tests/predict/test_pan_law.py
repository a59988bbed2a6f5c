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
