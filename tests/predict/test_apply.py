"""``advise --apply``: the stems summed again with the verdict's correction (mixbuddy/predict/apply.py)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from mixbuddy.cli import main
from mixbuddy.findings import Finding
from mixbuddy.predict.advise import AdviceReport, advise, summarise
from mixbuddy.predict.apply import correction_of
from mixbuddy.predict.engines import LoudnessEngine
from predict_helpers import balanced_stems, write_stems
from test_advise import w


def report_of(windows) -> AdviceReport:
    summary, verdict = summarise(windows)
    return AdviceReport("song", {"name": "model"}, "drums", 40.0, windows, summary, verdict)


def test_the_correction_is_the_stated_gain_or_the_median_middle_of_the_ranges():
    up = lambda lo, hi: Finding(False, "vocals", "increase", (lo, hi))  # noqa: E731
    c = correction_of(report_of([w(0, 10, up(6, 12), 0.9), w(10, 20, up(6, 12), 0.9), w(20, 30, up(3, 6), 0.8),
                                 w(30, 40, Finding(False, "bass", "decrease", (3, 6)), 0.7)]))
    assert (c.stem, c.gain_db) == ("vocals", 9.0) and "median over 3 windows" in c.basis
    down = Finding(False, "drums", "decrease", (6, 12), gain_db=-8.0)
    c = correction_of(report_of([w(0, 10, down, 0.9), w(10, 20, Finding(False, "drums", "decrease", (6, 12), gain_db=-9.0), 0.9)]))
    assert (c.stem, c.gain_db) == ("drums", -8.5) and "mean over 2 windows" in c.basis
    # the mean of 9 and 9.5 is stated "about 9.5 dB", and 9.5 is what is applied (not 9.25)
    rep = report_of([w(0, 10, Finding(False, "vocals", "increase", (6, 12), 9.0), 0.9),
                     w(10, 20, Finding(False, "vocals", "increase", (6, 12), 9.5), 0.9)])
    assert rep.verdict.finding.gain_db == 9.25 and "(about 9.5 dB)" in rep.verdict.line()
    assert correction_of(rep).gain_db == 9.5
    assert correction_of(report_of([w(0, 10, Finding(True), 0.2)])) is None


def test_apply_renders_the_fix_and_the_fixed_stems_sound_balanced(tmp_path, capsys):
    """Drums pushed 9 dB: the loudness engine asks to lower them by about 9 dB; the render is the stems'
    sum with exactly that gain on the drums, at the stems' own rate, and those stems are then balanced."""
    stems = balanced_stems(30.0, 44100, seed=4, push={"drums": 9.0})
    folder = write_stems(tmp_path / "song", stems, 44100, "wav")
    out = tmp_path / "fixed" / "fixed.wav"
    assert main(["advise", "--stems", str(folder), "--anchor", "vocals", "--apply", str(out), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)["correction"]
    assert res["stem"] == "drums" and -10.5 < res["gain_db"] < -7.5 and res["peak_scale_db"] == 0.0
    assert (res["output"], res["sample_rate"], res["duration_s"]) == (str(out), 44100, 30.0)
    y, sr = sf.read(out, dtype="float32")
    g = np.float32(10 ** (res["gain_db"] / 20))
    expected = stems["vocals"] + stems["bass"] + stems["other"] + g * stems["drums"]
    assert sr == 44100 and y.shape == expected.shape and np.abs(y - expected).max() < 1e-4
    fixed = write_stems(tmp_path / "fixed-stems", {**stems, "drums": g * stems["drums"]}, 44100, "wav")
    again = advise(None, "vocals", LoudnessEngine(), stems_dir=fixed)
    assert [x.finding.no_error for x in again.windows] == [True, True, True]
    # text mode says what it did, after the advice
    assert main(["advise", str(folder), "--anchor", "vocals", "--apply", str(tmp_path / "fixed.flac")]) == 0
    assert "\nApplied: drums lowered by" in capsys.readouterr().out
    assert sf.info(tmp_path / "fixed.flac").samplerate == 44100


def test_an_effect_return_left_out_of_the_stems_is_in_the_render_as_it_is(tmp_path, capsys):
    """"A-Reverb.wav" beside the stems is not a stem (advise leaves it out, so the advice is that of the stems
    alone), but it is part of the song's sound: the render holds it unchanged, its tail past the stems' end too."""
    stems = balanced_stems(20.0, 44100, seed=4, push={"drums": 9.0})
    rng = np.random.default_rng(0)
    wet = (rng.standard_normal((int(21.5 * 44100), 2)) * 0.01).astype(np.float32)     # 1.5 s longer than the stems
    folder = write_stems(tmp_path / "song", stems, 44100, "wav")
    sf.write(folder / "A-Reverb.wav", wet, 44100, subtype="FLOAT")
    plain = write_stems(tmp_path / "plain", stems, 44100, "wav")
    for src, out in ((folder, tmp_path / "a.wav"), (plain, tmp_path / "b.wav")):
        assert main(["advise", "--stems", str(src), "--anchor", "vocals", "--apply", str(out), "--json"]) == 0
        res = json.loads(capsys.readouterr().out)
        assert res["correction"]["peak_scale_db"] == 0.0 and res["correction"]["stem"] == "drums"
        assert any("A-Reverb.wav named as an effect return" in n for n in res["notes"]) == (src == folder)
    a, b = sf.read(tmp_path / "a.wav", dtype="float32")[0], sf.read(tmp_path / "b.wav", dtype="float32")[0]
    assert a.shape == wet.shape and b.shape == (20 * 44100, 2)
    assert np.abs(a - wet - np.pad(b, ((0, wet.shape[0] - b.shape[0]), (0, 0)))).max() < 1e-6


def test_a_render_that_would_clip_is_turned_down_and_a_balanced_verdict_writes_nothing(tmp_path, capsys):
    loud = {k: v * np.float32(6.0) for k, v in balanced_stems(20.0, 44100, seed=2, push={"vocals": -9.0}).items()}
    folder = write_stems(tmp_path / "loud", loud, 44100, "wav")
    assert main(["advise", str(folder), "--anchor", "drums", "--apply", str(tmp_path / "a.wav"), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)["correction"]
    assert res["stem"] == "vocals" and res["gain_db"] > 6 and res["peak_scale_db"] < -1.0
    y, _ = sf.read(tmp_path / "a.wav", dtype="float32")
    assert abs(float(np.abs(y).max()) - 0.999) < 1e-4
    calm = write_stems(tmp_path / "calm", balanced_stems(20.0, 44100, seed=2), 44100, "wav")
    assert main(["advise", str(calm), "--anchor", "drums", "--apply", str(tmp_path / "b.wav"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["correction"] is None and not (tmp_path / "b.wav").exists()


@pytest.mark.parametrize("extra,message", [
    (["--apply", "{tmp}/x.wav"], "--apply {tmp}/x.wav: a correction is rendered from the stems; give them with --stems"),
    (["--stems", "{song}", "--apply", "{tmp}/x.mp3"], "unsupported audio file extension '.mp3'; use one of .wav"),
    (["--stems", "{song}", "--apply", "{song}/fixed.wav"], "that is inside the stems folder"),
    (["--stems", "{song}", "--apply", "{tmp}/x.wav", "-o", "{tmp}/x.wav"], "-o and --apply both name"),
])
def test_apply_is_refused_by_name_before_any_work(tmp_path, capsys, extra, message):
    song = write_stems(tmp_path / "song", balanced_stems(12.0, 44100, seed=1), 44100, "wav")
    fill = lambda s: s.format(tmp=tmp_path, song=song)  # noqa: E731
    mix = [str(song / "vocals.wav")] if "--stems" not in extra else []
    assert main(["advise", *mix, "--anchor", "drums", "--engine", "loudness" if mix == [] else "model",
                 *map(fill, extra)]) == 1
    assert fill(message) in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song"]
    assert sorted(p.name for p in song.iterdir()) == ["bass.wav", "drums.wav", "other.wav", "vocals.wav"]
