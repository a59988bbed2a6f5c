"""``advise --reference``: the loudness engine judges against a reference song's balance
(mixbuddy/predict/reference.py)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from mixbuddy.cli import main
from mixbuddy.evaluate.baselines.bayes import GaussianBalance
from mixbuddy.predict.advise import advise
from mixbuddy.predict.engines import LoudnessEngine
from mixbuddy.predict.reference import combine_levels, use_reference
from predict_helpers import balanced_stems, write_stems


def test_a_shifted_balance_takes_the_reference_levels_and_keeps_the_spread():
    b = GaussianBalance(("bass", "drums", "other", "vocals"), np.array([-30.0, -34.0, -31.0, -30.0]),
                        np.diag([4.0, 5.0, 6.0, 7.0]), 10)
    s = b.shifted_to({"drums": -20.0, "vocals": -22.0, "bass": float("nan")})
    # drums +14, vocals +8: the stems the reference lacks (bass: silent, other) move by the mean, +11
    assert s.mean.tolist() == [-19.0, -20.0, -20.0, -22.0] and np.array_equal(s.cov, b.cov) and s.n == 10
    assert b.shifted_to({}) is b


def test_several_references_give_their_mean_balance_each_song_counted_once():
    b = GaussianBalance(("bass", "drums", "other", "vocals"), np.array([-30.0, -34.0, -31.0, -30.0]),
                        np.diag([4.0, 5.0, 6.0, 7.0]), 10)
    one = {"bass": -20.0, "drums": -22.0, "other": -21.0, "vocals": -24.0}
    assert combine_levels(b, [one]) == one and combine_levels(b, []) == {}
    # the same balance mastered 10 dB louder: the mean is that balance, at the songs' mean level
    loud = {s: v + 10.0 for s, v in one.items()}
    assert combine_levels(b, [one, loud]) == pytest.approx({s: v + 5.0 for s, v in one.items()})
    # vocals 4 dB louder against the rest in the second song: half of it in the mean balance
    other = dict(one, vocals=-20.0)
    mean = combine_levels(b, [one, other])
    assert mean["vocals"] - mean["drums"] == pytest.approx(0.0)             # -2 dB in one, +2 in the other
    assert mean["drums"] - mean["bass"] == pytest.approx(-2.0) and mean["other"] - mean["bass"] == pytest.approx(-1.0)
    # a stem one song lacks is read from the song that has it, against that song's other stems
    no_vox = {k: v for k, v in one.items() if k != "vocals"}
    m2 = combine_levels(b, [no_vox, other])
    assert m2["vocals"] - m2["drums"] == pytest.approx(other["vocals"] - other["drums"])
    assert m2["drums"] - m2["bass"] == pytest.approx(-2.0) and set(m2) == set(one)
    assert set(combine_levels(b, [no_vox, no_vox])) == {"bass", "drums", "other"}   # nobody has vocals
    # songs sharing no stem (only drums / only vocals): set against each other as the prior has them
    apart = combine_levels(b, [{"drums": -20.0}, {"vocals": -10.0}])
    assert apart["vocals"] - apart["drums"] == pytest.approx(b.mean[3] - b.mean[1], abs=1e-6)
    assert (apart["vocals"] + apart["drums"]) / 2 == pytest.approx(-15.0, abs=1e-6)   # at the songs' mean level


def test_two_references_on_the_command_line(tmp_path, capsys):
    """Two references that keep the vocals 6 dB down (one 8 dB louder overall): the song with its vocals as
    low is balanced against them, the JSON lists each song, and a missing second one is named."""
    song = write_stems(tmp_path / "song", balanced_stems(30.0, 44100, seed=4, push={"vocals": -6.0}), 44100, "wav")
    a = write_stems(tmp_path / "a", balanced_stems(30.0, 44100, seed=9, push={"vocals": -6.0}), 44100, "wav")
    st = balanced_stems(30.0, 44100, seed=11, push={"vocals": -6.0})
    b = write_stems(tmp_path / "b", {k: v * 10 ** (8 / 20) for k, v in st.items()}, 44100, "wav")
    args = ["advise", "--stems", str(song), "--anchor", "drums", "--reference", str(a), "--reference", str(b)]
    assert main(args + ["--json"]) == 0
    ref = json.loads(capsys.readouterr().out)["engine"]["reference"]
    assert ref["song"] == f"{a}, {b}" and [x["song"] for x in ref["songs"]] == [str(a), str(b)]
    assert ref["windows"] == sum(x["windows"] for x in ref["songs"]) == 6
    assert -7.0 < ref["vs_prior_db"]["vocals"] < -4.0
    louder = [x["lufs"]["drums"] for x in ref["songs"]]
    assert 7.0 < louder[1] - louder[0] < 9.0 and min(louder) < ref["lufs"]["drums"] < max(louder)
    assert main(args) == 0
    text = capsys.readouterr().out
    assert f"typical balance from {a}, {b}" in text and "Summary:\n  balanced" in text
    assert main(args[:-1] + [str(tmp_path / "nowhere")]) == 1
    assert f"mixbuddy: error: --reference {tmp_path / 'nowhere'}: stems folder not found" in capsys.readouterr().err


def test_a_reference_with_the_same_quiet_vocals_makes_them_balanced(tmp_path, capsys):
    """A song whose vocals sit 6 dB under the prior's balance is told to raise them; judged against a
    reference that keeps its vocals as low (another song: other seed), it is balanced."""
    song = write_stems(tmp_path / "song", balanced_stems(30.0, 44100, seed=4, push={"vocals": -6.0}), 44100, "wav")
    ref = write_stems(tmp_path / "ref", balanced_stems(40.0, 44100, seed=9, push={"vocals": -6.0}), 44100, "wav")
    plain = advise(None, "drums", LoudnessEngine(), stems_dir=song)
    assert all((w.finding.target, w.finding.direction) == ("vocals", "increase") for w in plain.windows)
    engine = LoudnessEngine()
    info = use_reference(engine, ref, "drums")
    assert info["windows"] == 4 and -7.0 < info["vs_prior_db"]["vocals"] < -4.0  # 6 dB down (drums lose highs at 22 kHz)
    rep = advise(None, "drums", engine, stems_dir=song)
    assert all(w.finding.no_error for w in rep.windows)
    assert all(abs(w.levels["vocals"][0]) < 1.0 for w in rep.windows)
    assert main(["advise", "--stems", str(song), "--anchor", "drums", "--reference", str(ref), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["engine"]["reference"]["song"] == str(ref) and out["verdict"]["finding"]["no_error"]
    assert main(["advise", str(song), "--anchor", "drums", "--reference", str(ref)]) == 0
    text = capsys.readouterr().out
    assert f"engine loudness, typical balance from {ref}" in text
    # the levels behind the advice are measured against the reference, and say so
    assert "levels vs the reference, drums as is: bass " in text and "levels vs typical" not in text
    assert "Levels against the reference's balance, relative to the drums (mean over the windows" in text


def test_a_reference_without_the_anchor_still_sets_the_other_stems(tmp_path, caplog):
    st = balanced_stems(30.0, 44100, seed=9, push={"vocals": -6.0})
    ref = write_stems(tmp_path / "ref", {k: v for k, v in st.items() if k != "bass"}, 44100, "wav")
    engine = LoudnessEngine()
    with caplog.at_level("INFO"):
        info = use_reference(engine, ref, "bass")
    assert "has no bass stem (the anchor): its other stems set the typical balance" in caplog.text
    assert set(info["lufs"]) == {"drums", "other", "vocals"} and info["vs_prior_db"] == {}
    assert info["lacks"] == ["bass"]


def test_a_stem_the_reference_lacks_is_named_in_the_advice(tmp_path, capsys, caplog):
    """The reference has no vocals (as an instrumental reference would): the advice's header says the vocals
    are judged against the typical balance, the JSON lists them, and a complete reference says nothing."""
    song = write_stems(tmp_path / "song", balanced_stems(30.0, 44100, seed=4), 44100, "wav")
    st = balanced_stems(30.0, 44100, seed=9)
    full = write_stems(tmp_path / "full", st, 44100, "wav")
    part = write_stems(tmp_path / "part", {k: v for k, v in st.items() if k not in ("vocals", "other")}, 44100, "wav")
    with caplog.at_level("INFO", logger="mixbuddy"):
        assert main(["advise", "--stems", str(song), "--anchor", "drums", "--reference", str(part)]) == 0
    note = ("the reference has no other instruments or vocals playing: those stems are judged against the "
            "typical balance, moved with the reference's other stems")
    assert capsys.readouterr().out.splitlines()[1] == f"  ({note})" and f"{part}: {note}" in caplog.messages
    assert main(["advise", "--stems", str(song), "--anchor", "drums", "--reference", str(part), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["engine"]["reference"]["lacks"] == ["other", "vocals"]
    assert main(["advise", "--stems", str(song), "--anchor", "drums", "--reference", str(full)]) == 0
    text = capsys.readouterr().out
    assert "has no" not in text and text.splitlines()[1] == ""


def test_a_stems_model_hears_the_song_shifted_by_the_reference(tmp_path):
    """The drums 9 dB up: a stems model (the fake: "too loud" above 3 dB over the anchor) calls them too
    loud; with a reference whose drums are as loud, the stems reach it turned by zero-sum gains and the
    song is balanced; the gains are in the report."""
    from predict_helpers import FakeModel

    from mixbuddy.predict.engines import ModelEngine

    song = write_stems(tmp_path / "song", balanced_stems(30.0, 44100, seed=4, push={"drums": 9.0}), 44100, "wav")
    ref = write_stems(tmp_path / "ref", balanced_stems(30.0, 44100, seed=9, push={"drums": 9.0}), 44100, "wav")
    plain = advise(None, "vocals", ModelEngine(model=FakeModel("stems")), stems_dir=song)
    assert all((w.finding.target, w.finding.direction) == ("drums", "decrease") for w in plain.windows)
    engine = ModelEngine(model=FakeModel("stems"))
    gains = use_reference(engine, ref, "vocals")["stem_gains_db"]
    assert abs(sum(gains.values())) < 1e-6 and -8.0 < gains["drums"] - gains["vocals"] < -6.0
    rep = advise(None, "vocals", engine, stems_dir=song)
    assert all(w.finding.no_error for w in rep.windows)
    assert rep.engine["reference"]["stem_gains_db"] == gains


@pytest.mark.parametrize("extra,message", [
    (["--checkpoint", "default-real"], "--reference needs an engine that hears the stems"),
    (["--reference-missing"], "mixbuddy: error: --reference {tmp}/nowhere: stems folder not found"),
])
def test_reference_mistakes_are_named_before_any_model_loads(tmp_path, capsys, monkeypatch, extra, message):
    def no_load(*a, **k):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr("mixbuddy.model.checkpoint.load_checkpoint", no_load)
    song = write_stems(tmp_path / "song", balanced_stems(12.0, 44100, seed=1), 44100, "wav")
    ref = str(tmp_path / "nowhere") if extra == ["--reference-missing"] else str(song)
    args = ["advise", "--stems", str(song), "--anchor", "drums", "--reference", ref]
    assert main(args + [x for x in extra if x != "--reference-missing"]) == 1
    assert message.format(tmp=tmp_path) in capsys.readouterr().err
