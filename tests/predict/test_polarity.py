"""A stem, or a microphone of one, that the mix holds in opposite polarity to its file (predict.polarity)."""
from __future__ import annotations

import logging

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import butter, sosfilt

from mixbuddy.data.render import master_mix
from mixbuddy.predict.advise import AdviceReport, advise
from mixbuddy.predict.apply import Correction, render_correction
from mixbuddy.predict.engines import LoudnessEngine
from mixbuddy.predict.polarity import POLARITY_R2, inverted_parts
from mixbuddy.predict.tracks import Part
from mixbuddy.predict.windows import load_song
from predict_helpers import LITHIUM

SR = 44100


@pytest.fixture(scope="module")
def example():
    return {p.stem: sf.read(str(p), dtype="float32")[0] for p in sorted((LITHIUM / "stems").glob("*.ogg"))}


def _folder(folder, files):
    folder.mkdir()
    for k, x in files.items():
        sf.write(folder / f"{k}.wav", x, SR, subtype="FLOAT")
    return folder


def _mix(path, stems, lead_in_s: float = 0.0):
    mix = np.sum(list(stems), axis=0)
    sf.write(path, np.concatenate([np.zeros((int(lead_in_s * SR), 2), np.float32), mix]), SR, subtype="FLOAT")
    return path


def _mic(x):
    """A second microphone of ``x`` as the mix holds it: band-passed, 0.7 times as loud, 11 samples later."""
    y = sosfilt(butter(2, (80.0, 5000.0), btype="bandpass", fs=SR, output="sos"), x, axis=0)
    return (0.7 * np.pad(y, ((11, 0), (0, 0)))[: len(x)]).astype(np.float32)


def _rendered(folder, out, **heard):
    render_correction(folder, Correction("vocals", 6.0, "test"), out, **heard)
    return sf.read(out, dtype="float32")[0]


def test_a_stem_turned_over_is_heard_and_rendered_as_the_mix_holds_it(tmp_path, example, caplog):
    """The bass written in opposite polarity to the mix, the mix with a 1.5 s lead-in: the stems' sum matched it
    loosely (correlation 0.37: "another song or version?") and it was not lined up. Now the mix is matched with the
    bass turned over and lined up, the bass is said to be turned over (--json ``inverted``), the advice is that of
    the stems as the mix holds them, window by window, and --apply renders the bass as the mix holds it."""
    folder = _folder(tmp_path / "turned", {**example, "bass": -example["bass"]})
    held = _folder(tmp_path / "held", example)
    mix = _mix(tmp_path / "mix.wav", example.values(), lead_in_s=1.5)
    engine = LoudnessEngine()
    with caplog.at_level(logging.INFO):
        report = advise(mix, "drums", engine, stems_dir=folder)
    assert report.inverted == {"bass": "bass"} and report.to_dict()["inverted"] == {"bass": "bass"}
    assert AdviceReport.from_dict(report.to_dict()).inverted == {"bass": "bass"}
    assert f"holds the bass stem of {folder} in opposite polarity to its file" in caplog.text
    assert "only loosely" not in caplog.text
    assert "its first 1.500 s (before the stems' music) are left out" in caplog.text
    want = advise(mix, "drums", engine, stems_dir=held)
    assert want.inverted == {}
    assert [(w.start_s, w.finding) for w in report.windows] == [(w.start_s, w.finding) for w in want.windows]
    fixed = _rendered(folder, tmp_path / "a.wav", inverted=report.inverted)
    assert np.max(np.abs(fixed - _rendered(held, tmp_path / "b.wav"))) < 1e-5
    assert np.max(np.abs(_rendered(folder, tmp_path / "c.wav") - fixed)) > 0.1      # as written: not the mix's


def test_a_second_microphone_turned_over_is_heard_as_the_mix_holds_it(tmp_path, example, caplog):
    """The drums as two tracks, a top microphone and a bottom one written as recorded (opposite polarity), that the
    mix holds turned over so they add: the drums stem is read as the mix holds it (top + bottom turned over), not
    as the files sum (the bottom cancelling a band of the top), and --apply renders it so."""
    mic = _mic(example["drums"])
    rest = {k: v for k, v in example.items() if k != "drums"}
    folder = _folder(tmp_path / "mics", {**rest, "drums top": example["drums"], "drums bottom": -mic})
    mix = _mix(tmp_path / "mix.wav", [*rest.values(), example["drums"] + mic])
    with caplog.at_level(logging.WARNING):
        audio = load_song(mix, folder, SR, 2)
    assert audio.inverted == {"drums bottom.wav": "drums"}
    assert "holds drums bottom.wav (drums) of" in caplog.text
    assert np.max(np.abs(audio.stems["drums"] - (example["drums"] + mic))) < 1e-5
    held = _folder(tmp_path / "held", {**rest, "drums": example["drums"] + mic})
    fixed = _rendered(folder, tmp_path / "a.wav", inverted=audio.inverted)
    assert np.max(np.abs(fixed - _rendered(held, tmp_path / "b.wav"))) < 1e-5


@pytest.mark.parametrize("held_as", ["turned over", "as written"])
def test_a_second_microphone_under_a_master_is_judged_by_the_stems_it_makes(tmp_path, example, held_as):
    """The two drum microphones of the test above, the mix mastered to -9 LUFS: the fit of the files explains less of
    it (0.77-0.91 in benchmarks/polarity.py), so a file is judged by the stems it makes: with the bottom turned over
    the stems, each its files' sum, explain the mastered mix plainly better when the mix holds it so, and it is heard
    so; not when the mix holds it as written."""
    mic = _mic(example["drums"])
    rest = {k: v for k, v in example.items() if k != "drums"}
    folder = _folder(tmp_path / "mics", {**rest, "drums top": example["drums"], "drums bottom": -mic})
    drums = example["drums"] + (mic if held_as == "turned over" else -mic)
    mix = tmp_path / "mix.wav"
    sf.write(mix, master_mix(np.sum([*rest.values(), drums], axis=0), SR, -9.0), SR, subtype="FLOAT")
    audio = load_song(mix, folder, SR, 2)
    assert audio.inverted == ({"drums bottom.wav": "drums"} if held_as == "turned over" else {})
    assert np.max(np.abs(audio.stems["drums"] - drums)) < 1e-5


@pytest.mark.parametrize("case", ["as written", "stems as they are", "the mix turned over"])
def test_nothing_is_turned_over_where_the_mix_holds_the_files_as_written(tmp_path, example, case):
    """Two microphones the mix holds as written (cancelling there too), the stems as they are, or a whole mix
    turned over (every stem's weight negative: the mix, not a stem): nothing is turned over."""
    if case == "as written":
        mic = _mic(example["drums"])
        rest = {k: v for k, v in example.items() if k != "drums"}
        folder = _folder(tmp_path / "f", {**rest, "drums top": example["drums"], "drums bottom": -mic})
        held = [*rest.values(), example["drums"] - mic]
    else:
        folder, held = _folder(tmp_path / "f", example), list(example.values())
        if case == "the mix turned over":
            held = [-x for x in held]
    audio = load_song(_mix(tmp_path / "mix.wav", held), folder, SR, 2)
    assert audio.inverted == {}
    assert np.max(np.abs(sum(audio.stems.values()) - np.sum(held, axis=0) * (-1 if case == "the mix turned over"
                                                                               else 1))) < 1e-5


def test_a_negative_weight_is_taken_only_for_a_part_the_mix_plainly_holds_turned_over():
    """Two microphones that match the right way up trade weight in the fit (one read negative): not taken; one that
    matches the other in opposite polarity, with a negative weight, is taken; not when every weight is negative (the
    mix turned over), the fit explains too little, the part is too quiet to judge, or, for a file, the stems (each its
    files' sum) do not explain the mix plainly better with it turned over, or, where the fit explains 99% of the mix,
    its weight is not as strong as the others'."""
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal(4000) for _ in range(3))
    monos = {"top.wav": a, "bottom.wav": a + 0.3 * b, "other": c}
    parts = {"top.wav": Part("drums", ("top.wav",)), "bottom.wav": Part("drums", ("bottom.wav",)),
             "other": Part("other")}
    rel = {"top.wav": 0.0, "bottom.wav": -0.5, "other": 0.0}
    weights = {"top.wav": 1.0, "bottom.wav": -0.95, "other": 1.0}

    def taken(weights=weights, rel=rel, r2=0.99, mix=None):
        mix = monos["top.wav"] - monos["bottom.wav"] + c if mix is None else mix   # the mix holds bottom turned over
        return inverted_parts(parts, monos, weights, rel, r2, -20.0, 0.5, mix)

    assert taken() == []                   # they match the right way up
    monos["bottom.wav"] = -a + 0.3 * b
    assert taken() == ["bottom.wav"]
    assert taken(weights={k: -abs(v) for k, v in weights.items()}) == []
    assert taken(r2=POLARITY_R2 - 0.01) == []
    # under a master the fit explains less, and the weight guard is for plain bounces: taken from POLARITY_R2 when the
    # stems explain the mix plainly better with it turned over; not when the mix holds the files as written (a track
    # out of place pulls its neighbours' weights below zero: the region export of tests/predict/test_tracks.py)
    assert taken(r2=0.8) == ["bottom.wav"]
    assert taken(r2=0.8, rel={**rel, "bottom.wav": 6.0}) == ["bottom.wav"]
    assert taken(r2=0.8, mix=a + monos["bottom.wav"] + c) == []
    assert taken(mix=a + monos["bottom.wav"] + c) == []
    far = 2.0 * np.random.default_rng(1).standard_normal(4000)    # what the stems' sums do not explain (a region
    assert taken(r2=0.8, mix=monos["top.wav"] - monos["bottom.wav"] + c + far) == []    # export far out of place)
    whole = {**weights, "bottom.wav": 0.5, "other": -1.0}
    assert taken(weights=whole, r2=0.95) == ["other"]
    assert taken(rel={**rel, "bottom.wav": -25.0}) == []   # unheard
    # where the fit explains 99%, a file's weight must be as strong as the others', turned over (a weight pulled below
    # zero is weaker)
    assert taken(rel={**rel, "bottom.wav": -6.0}) == []
