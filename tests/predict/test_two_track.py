"""A two-track (the instrumental and the vocals): found by name, judged by the loudness engine's two-track prior."""
from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import soundfile as sf

from corpus_fixtures import write_stem_file
from mixbuddy.cli import main
from mixbuddy.constants import TWO_TRACK
from mixbuddy.corpus.stem_names import parse_assignments
from mixbuddy.errors import ConfigError, MixbuddyError
from mixbuddy.predict.advise import advise
from mixbuddy.predict.engines import LoudnessEngine, ModelEngine
from mixbuddy.predict.prior import DEFAULT_TWO_TRACK_PRIOR, load_prior
from mixbuddy.predict.two_track import names_instrumental, two_track_files
from predict_helpers import LITHIUM, FakeModel


@pytest.mark.parametrize("name, said", [
    ("Beat.wav", True), ("Song Instrumental.wav", True), ("no_vocals.wav", True), ("Karaoke.flac", True),
    ("Track (No Vox).wav", True), ("Off Vocal.wav", True), ("伴奏.wav", True), ("Night Drive (Untagged).wav", True),
    ("Night Drive [Tagged].mp3", True), ("Breakbeat.wav", False),
    ("Drumless.wav", False), ("Vocals.wav", False), ("Keys.wav", False)])
def test_names_instrumental(name, said):
    assert names_instrumental(name) is said


def _two_track(folder, names=("Beat", "Vocals"), push_db=0.0, extra=()):
    stems = {p.stem: sf.read(str(p), dtype="float32")[0] for p in sorted((LITHIUM / "stems").glob("*.ogg"))}
    write_stem_file(folder / f"{names[0]}.wav", stems["bass"] + stems["drums"] + stems["other"], 44100)
    write_stem_file(folder / f"{names[1]}.wav", stems["vocals"] * np.float32(10 ** (push_db / 20)), 44100)
    for name in extra:
        write_stem_file(folder / f"{name}.wav", stems["drums"], 44100)
    return folder


def test_two_track_files_finds_a_beat_and_its_vocals_only(tmp_path):
    """An instrumental by name and vocals, with nothing else but files skipped by name (a mix) or named as the song
    (a remix pack's "Song.wav" beside "Song - Instrumental.wav"): a two-track. A folder with a stem of its own (Kick)
    beside them, or without vocals, or the example's four stems, is not."""
    folder = _two_track(tmp_path / "a", extra=("Mix",))
    assert {k: [p.name for p in v] for k, v in two_track_files(folder).items()} == {
        "instrumental": ["Beat.wav"], "vocals": ["Vocals.wav"]}
    assert two_track_files(_two_track(tmp_path / "b", ("no_vocals", "vocals"))) is not None    # Demucs --two-stems
    pack = _two_track(tmp_path / "pack", ("Song - Instrumental", "Song - Acapella"), extra=("Song",))  # its own mix
    assert {k: [p.name for p in v] for k, v in two_track_files(pack).items()} == {
        "instrumental": ["Song - Instrumental.wav"], "vocals": ["Song - Acapella.wav"]}
    assert two_track_files(_two_track(tmp_path / "c", extra=("Kick",))) is None
    takes = _two_track(tmp_path / "takes", ("Beat", "Hook"), extra=("Verse 2 Main", "Hook Dbl"))   # vocal takes
    assert [p.name for p in two_track_files(takes)["vocals"]] == ["Hook Dbl.wav", "Hook.wav", "Verse 2 Main.wav"]
    assert two_track_files(_two_track(tmp_path / "gtr", extra=("Chorus Gtr",))) is None    # an instrument's part
    assert two_track_files(_two_track(tmp_path / "d", ("Beat", "Keys"))) is None
    assert two_track_files(LITHIUM / "stems") is None and two_track_files(tmp_path / "missing") is None


def test_the_two_track_prior_is_packaged_and_fitted_on_the_training_chunks():
    """... and it is no four-stem prior: given as --prior, it is refused by name."""
    with pytest.raises(ConfigError, match="two_track_prior.json: a two-track prior .*, not a four-stem one"):
        LoudnessEngine(DEFAULT_TWO_TRACK_PRIOR)
    balance, meta = load_prior(DEFAULT_TWO_TRACK_PRIOR)
    four, four_meta = load_prior()
    assert balance.stems == TWO_TRACK and balance.n == four.n and meta["sample_rate"] == four_meta["sample_rate"]
    assert "--two-track" in meta["command"]
    gap = balance.mean[1] - balance.mean[0]          # typical vocals against the instrumental
    assert -12.0 < gap < 0.0 and 1.0 < np.sqrt(balance.cov[0, 0] + balance.cov[1, 1] - 2 * balance.cov[0, 1]) < 6.0


def test_a_two_track_gets_the_vocals_judged_against_the_instrumental(tmp_path, capsys):
    """The example as a beat and its vocals (9.5 dB down, as in its stems): "vocals too quiet" as from the four stems;
    the vocals 9 dB up read about 9 dB closer to typical; the report's anchor is the instrumental. Before, the folder
    was an error (no drums stem). --apply renders the beat with the vocals moved. A model engine or --anchor vocals
    is refused with a reason."""
    engine = LoudnessEngine()
    folder = _two_track(tmp_path / "song")
    rep = advise(None, "drums", engine, stems_dir=folder)
    four = advise(None, "drums", engine, stems_dir=LITHIUM / "stems")
    assert rep.anchor == "instrumental" and rep.verdict.finding.target == "vocals"
    assert rep.verdict.finding.direction == four.verdict.finding.direction == "increase"
    assert any("a two-track, the instrumental (Beat.wav) and the vocals (Vocals.wav)" in n for n in rep.notes)
    up = advise(None, "drums", engine, stems_dir=_two_track(tmp_path / "up", push_db=9.0))
    for w, u in zip(rep.windows, up.windows):
        assert u.levels["vocals"][0] - w.levels["vocals"][0] == pytest.approx(9.0, abs=0.05)
    assert main(["advise", str(folder), "--anchor", "bass", "--apply", str(tmp_path / "fixed.wav"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["anchor"] == "instrumental" and out["correction"]["stem"] == "vocals"
    fixed = sf.read(str(tmp_path / "fixed.wav"))[0]
    beat, vocals = (sf.read(str(folder / n))[0] for n in ("Beat.wav", "Vocals.wav"))
    gain = 10 ** (out["correction"]["gain_db"] / 20)
    assert np.allclose(fixed, (beat + gain * vocals) * 10 ** (out["correction"]["peak_scale_db"] / 20), atol=1e-4)
    with pytest.raises(MixbuddyError, match="a two-track: the vocals are judged against the instrumental, which is "
                                            "the anchor"):
        advise(None, "vocals", engine, stems_dir=folder)
    with pytest.raises(MixbuddyError, match="the loudness engine judges the vocals against the instrumental"):
        advise(None, "drums", ModelEngine(model=FakeModel()), stems_dir=folder)


def test_a_reference_sets_the_vocals_against_the_instrumental(tmp_path):
    """A reference song for a two-track, as its four stems or as a two-track itself: the vocals judged against the
    reference's vocals-to-instrumental balance (the example against itself: about 0 dB, "balanced"). A two-track
    reference cannot set a four-stem song's balance, and a reference without vocals sets no two-track's: refused."""
    from mixbuddy.predict.reference import use_reference

    folder = _two_track(tmp_path / "song")
    for ref in (LITHIUM / "stems", folder):
        engine = LoudnessEngine()
        use_reference(engine, ref, "drums")
        rep = advise(None, "drums", engine, stems_dir=folder)
        assert rep.engine["reference"]["song"] == str(ref) and set(rep.engine["reference"]["lufs"]) == set(TWO_TRACK)
        assert abs(np.mean([w.levels["vocals"][0] for w in rep.windows])) < 0.5 and rep.verdict.finding.no_error
    engine = LoudnessEngine()
    use_reference(engine, folder, "drums")
    with pytest.raises(MixbuddyError, match="a two-track reference sets the balance of a two-track .* only"):
        advise(None, "drums", engine, stems_dir=LITHIUM / "stems")
    no_vocals = tmp_path / "nv"
    for name in ("drums", "bass"):
        write_stem_file(no_vocals / f"{name}.wav", sf.read(str(LITHIUM / "stems" / f"{name}.ogg"))[0], 44100)
    engine = LoudnessEngine()
    use_reference(engine, no_vocals, "drums")
    with pytest.raises(MixbuddyError, match="has no vocals or no other stem, so it sets no balance"):
        advise(None, "drums", engine, stems_dir=folder)


def test_a_two_track_s_silent_vocals_are_said_as_a_folder_s_stems_are(tmp_path, caplog):
    """A two-track whose vocals file is silent (a muted export): warned about by name, as a stems folder's silent
    stem is, and refused for want of a window to judge."""
    folder = _two_track(tmp_path / "song")
    sf.write(str(folder / "Vocals.wav"), np.zeros((44100 * 30, 2), np.float32), 44100)
    with caplog.at_level(logging.WARNING), pytest.raises(MixbuddyError, match="the vocals stem is not active"):
        advise(None, "drums", LoudnessEngine(), stems_dir=folder)
    assert f"{folder}: the vocals stem is silent throughout (an empty or muted export?)" in caplog.text


def test_a_mix_given_with_a_two_track_places_late_vocals_and_notes_other_levels(tmp_path, caplog, capsys):
    """The mix is read as with a song's stems: vocals exported from their first region (12 s in) are heard where the
    mix has them, as the same two-track written from the song's start is, and --apply renders them there; a cappella
    vocals normalised 6 dB up against the mix are noted. Without the mix nothing places them."""
    stems = {p.stem: sf.read(str(p), dtype="float32")[0] for p in sorted((LITHIUM / "stems").glob("*.ogg"))}
    beat, vocals = stems["bass"] + stems["drums"] + stems["other"], stems["vocals"].copy()
    vocals[: 12 * 44100] = 0.0                      # the vocals enter at 12 s
    sf.write(tmp_path / "mix.wav", beat + vocals, 44100, subtype="FLOAT")
    for name, v in (("full", vocals), ("region", vocals[12 * 44100:]), ("loud", 2.0 * vocals)):
        (tmp_path / name).mkdir()
        sf.write(tmp_path / name / "Beat.wav", beat, 44100, subtype="FLOAT")
        sf.write(tmp_path / name / "Vocals.wav", v, 44100, subtype="FLOAT")
    engine = LoudnessEngine()
    full = advise(tmp_path / "mix.wav", "drums", engine, stems_dir=tmp_path / "full")
    with caplog.at_level(logging.INFO):
        late = advise(tmp_path / "mix.wav", "drums", engine, stems_dir=tmp_path / "region")
    assert full.placed == {} and late.placed == {"vocals": 12.0} and late.anchor == "instrumental"
    assert "the vocals stem's music is 12.000 s later in the mix" in caplog.text
    assert [(w.start_s, w.finding) for w in late.windows] == [(w.start_s, w.finding) for w in full.windows]
    assert advise(None, "drums", engine, stems_dir=tmp_path / "region").placed == {}
    out = tmp_path / "fixed.wav"
    assert main(["advise", str(tmp_path / "mix.wav"), "--stems", str(tmp_path / "region"), "--anchor", "drums",
                 "--apply", str(out), "--json"]) == 0
    applied = json.loads(capsys.readouterr().out)["correction"]
    fixed, _ = sf.read(out, dtype="float32")
    gain = np.float32(10 ** (applied["gain_db"] / 20))
    want = beat + gain * vocals
    assert np.max(np.abs(fixed - want * min(1.0, 0.999 / np.max(np.abs(want))))) < 2e-3
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        advise(tmp_path / "mix.wav", "drums", engine, stems_dir=tmp_path / "loud")
    assert "holds the stems of" in caplog.text and "vocals -3.0 dB" in caplog.text


def test_a_two_tracks_files_get_the_folders_export_checks(tmp_path, caplog):
    """A beat store's delivery, the beat as an untagged WAV and a tagged MP3 (a voice tag every 10 s), beside the
    vocals: the MP3 is the same beat in another format, left out with a warning, so the beat counts once and the
    advice is the plain two-track's (summed, the beat read 6 dB up)."""
    plain = _two_track(tmp_path / "plain")
    store = _two_track(tmp_path / "store", ("Night Drive (Untagged)", "Vocals"))
    beat, sr = sf.read(str(store / "Night Drive (Untagged).wav"), dtype="float32")
    vocals = sf.read(str(store / "Vocals.wav"), dtype="float32")[0]
    for s in (0, 10, 20, 30):
        beat[s * sr: s * sr + 2 * sr] += vocals[14 * sr: 16 * sr]
    sf.write(store / "Night Drive (Tagged).flac", beat, sr)       # lossless here; an MP3 in the shop
    engine = LoudnessEngine()
    with caplog.at_level(logging.WARNING):
        report = advise(None, "drums", engine, stems_dir=store)
    assert ("Night Drive (Tagged).flac is Night Drive (Untagged).wav in another format: left out, so each track counts "
            "once") in caplog.text
    assert report.to_dict()["windows"] == advise(None, "drums", engine, stems_dir=plain).to_dict()["windows"]


def test_a_lead_vocal_take_and_a_folder_that_is_not_quite_a_two_track(tmp_path):
    """"Lead.wav" beside a beat and "Adlibs.wav" is a vocal take; a file that is neither part ("Lead Synth.wav")
    makes the folder no two-track, and the error says how to tell it which part a file is."""
    folder = _two_track(tmp_path / "takes", ("Beat", "Lead"), extra=())
    write_stem_file(folder / "Adlibs.wav", sf.read(str(folder / "Lead.wav"), dtype="float32")[0] * 0.5, 44100)
    assert [p.name for p in two_track_files(folder)["vocals"]] == ["Adlibs.wav", "Lead.wav"]
    (folder / "Lead.wav").rename(folder / "Lead Synth.wav")
    assert two_track_files(folder) is None
    with pytest.raises(MixbuddyError, match=r"the stems found are \['other', 'vocals'\] \(a beat and its vocals\? A "
                                            r"folder of an instrumental and vocal files only is judged as a two-track: "
                                            r"say which part a file is with --map, e.g\. --map 'instrumental=Beat' or "
                                            r"--map 'vocals=Lead'\)$"):
        advise(None, "drums", LoudnessEngine(), stems_dir=folder)
    assert two_track_files(folder, parse_assignments(["vocals=Lead Synth"])) is not None


def test_mono_vocals_in_a_two_track_are_noted_and_with_the_mix_heard_at_its_pan_law(tmp_path, caplog):
    stems = {p.stem: sf.read(str(p), dtype="float32")[0] for p in sorted((LITHIUM / "stems").glob("*.ogg"))}
    beat, mono = stems["bass"] + stems["drums"] + stems["other"], stems["vocals"].mean(axis=1)
    (tmp_path / "song").mkdir()
    sf.write(tmp_path / "song" / "Beat.wav", beat, 44100, subtype="FLOAT")
    sf.write(tmp_path / "song" / "Vocals.wav", mono, 44100, subtype="FLOAT")
    sf.write(tmp_path / "mix.wav", beat + np.float32(np.sqrt(0.5)) * mono[:, None], 44100, subtype="FLOAT")
    engine = LoudnessEngine()
    with caplog.at_level(logging.INFO):
        alone = advise(None, "drums", engine, stems_dir=tmp_path / "song")
    assert alone.panned == {} and "mono files among stereo ones in vocals (1 of 1 file)" in caplog.text
    with_mix = advise(tmp_path / "mix.wav", "drums", engine, stems_dir=tmp_path / "song")
    assert set(with_mix.panned) == {"vocals"} and abs(with_mix.panned["vocals"] + 3.0) < 0.05
    assert with_mix.verdict.finding.gain_db > alone.verdict.finding.gain_db + 1.0     # 3 dB quieter than read
