"""Stem files given their stems by hand (``advise --map STEM=FILE``, the web page's box): for names that say nothing,
as GarageBand, BandLab or a phone's recorder export them ("Audio 1.wav", "Track 3.wav")."""
from __future__ import annotations

import json
import logging
import shutil
import unicodedata
from dataclasses import replace

import pytest
import soundfile as sf

from mixbuddy.cli import main
from mixbuddy.corpus.stem_names import Assigned, default_mapping, parse_assignments
from mixbuddy.corpus.stems_folder import assign_files
from mixbuddy.errors import ConfigError, CorpusError, MixbuddyError
from mixbuddy.predict.advise import advise
from mixbuddy.predict.engines import LoudnessEngine
from mixbuddy.predict.stems_input import folder_mapping
from mixbuddy.predict.two_track import two_track_files
from predict_helpers import LITHIUM

ORDER = ("bass", "drums", "other", "vocals")      # "Audio 1" is the bass, "Audio 2" the drums, ...


@pytest.fixture(scope="module")
def numbered(tmp_path_factory):
    """The example's four stems under names that name no stem."""
    folder = tmp_path_factory.mktemp("numbered")
    for i, stem in enumerate(ORDER, 1):
        shutil.copy(LITHIUM / "stems" / f"{stem}.ogg", folder / f"Audio {i}.ogg")
    return folder


def test_an_entry_is_a_stem_and_a_file_name_with_or_without_its_extension_or_a_pattern():
    found = parse_assignments(["drums=Audio 1", " Vocals = lead take.WAV ", "other=Gtr*", "ignore=Click?"])
    assert found.pairs == (("drums", "Audio 1"), ("vocals", "lead take.WAV"), ("other", "Gtr*"), ("ignore", "Click?"))
    mapping = default_mapping()
    mapping = replace(mapping, assigned=found.pairs)
    assert [mapping.assigned_to(n) for n in ("audio 1.wav", "AUDIO 1.FLAC", "Audio 10.wav", "Lead Take.wav",
                                             "lead take.flac", "Gtr 2 L.aif", "Click1.wav", "Kick.wav")] == [
        "drums", "drums", None, "vocals", None, "other", "ignore", None]
    nfd = unicodedata.normalize("NFD", "Chœur é.wav")     # a macOS file name: accents decomposed
    assert replace(mapping, assigned=parse_assignments(["vocals=Chœur é"]).pairs).assigned_to(nfd) == "vocals"
    assert str(Assigned((("bass", "Audio 2"),), "map.yaml")) == "--map 'bass=Audio 2' map.yaml"


@pytest.mark.parametrize("entry, message", [
    ("Audio 1", r"--map 'Audio 1': write STEM=FILE, e\.g\. --map 'drums=Audio 1'"),
    ("drums=", r"--map 'drums=': write STEM=FILE"),
    ("=Audio 1", r"--map '=Audio 1': write STEM=FILE"),
    ("drum=Audio 1", r"--map 'drum=Audio 1': 'drum' is not a stem; give one of bass, drums, other, vocals, "
                     r"'instrumental' \(a two-track's beat\) or 'ignore' \(leave the file out\)$"),
])
def test_a_malformed_entry_is_refused_by_name(entry, message):
    with pytest.raises(ConfigError, match=message):
        parse_assignments([entry])


def test_files_given_by_hand_are_advised_on_as_the_named_stems_are(numbered, caplog):
    """Numbered files sorted by hand get the advice the example's named stems get, window by window; the log says
    which file went where and that the hand came first."""
    engine = LoudnessEngine()
    named = advise(None, "drums", engine, stems_dir=LITHIUM / "stems")
    hand = parse_assignments([f"{s}=Audio {i}" for i, s in enumerate(ORDER, 1) if s != "other"])   # other: the rest
    with caplog.at_level(logging.INFO):
        report = advise(None, "drums", engine, stems_dir=numbered, mapping=hand)
    assert ("(files given by hand, then default mapping): bass = Audio 1.ogg; drums = Audio 2.ogg; other = Audio "
            "3.ogg; vocals = Audio 4.ogg") in caplog.text
    assert [(w.start_s, w.finding) for w in report.windows] == [(w.start_s, w.finding) for w in named.windows]
    assert report.verdict == named.verdict and report.verdict.finding.target == "vocals"
    with pytest.raises(MixbuddyError, match=r"say which file is which: --map 'drums=Audio 1' --map 'bass=Audio 2' "
                                            r"\.\.\., or a mapping file with --mapping\)$"):
        advise(None, "drums", engine, stems_dir=numbered)        # without the hand: all "other", and how to say it


def test_a_hand_entry_goes_before_the_names_and_ignore_leaves_a_file_out(tmp_path):
    """"Kick.wav" given to the bass by hand is the bass; a file left out by hand is in no stem."""
    for name, stem in (("Kick", "bass"), ("Snare", "drums"), ("Vox", "vocals"), ("Guide Vox", "vocals")):
        shutil.copy(LITHIUM / "stems" / f"{stem}.ogg", tmp_path / f"{name}.ogg")
    files = assign_files(tmp_path, folder_mapping(tmp_path, parse_assignments(["bass=kick", "ignore=Guide*"])))
    assert {k: [p.name for p in v] for k, v in files.items()} == {
        "bass": ["Kick.ogg"], "drums": ["Snare.ogg"], "vocals": ["Vox.ogg"]}
    with pytest.raises(CorpusError, match=r"no audio file was assigned to a stem by files given by hand, then default "
                                          r"mapping \(Guide Vox\.ogg, Kick\.ogg, Snare\.ogg, Vox\.ogg: left out by "
                                          r"hand\)$"):
        assign_files(tmp_path, folder_mapping(tmp_path, parse_assignments(["ignore=*"])))


def test_a_hand_entry_that_names_no_file_or_gives_one_file_two_stems_is_a_mistake(numbered):
    with pytest.raises(ConfigError, match=r"^--map 'bass=Audio 9': no audio file of .*numbered\d* is named so \(its "
                                          r"audio files: Audio 1\.ogg, Audio 2\.ogg, Audio 3\.ogg, Audio 4\.ogg\)$"):
        folder_mapping(numbered, parse_assignments(["bass=Audio 9"]))
    with pytest.raises(ConfigError, match=r"Audio 1\.ogg is given two stems, --map 'bass=Audio 1' and --map "
                                          r"'drums=audio 1\.ogg': give it one$"):
        folder_mapping(numbered, parse_assignments(["bass=Audio 1", "drums=audio 1.ogg"]))
    # patterns: the first that matches wins, as in a mapping file
    assert folder_mapping(numbered, parse_assignments(["drums=Audio [12]", "bass=Audio 1"])).assigned_to(
        "Audio 1.ogg") == "drums"


def test_a_mapping_file_sorts_what_the_hand_leaves(numbered, tmp_path):
    (tmp_path / "map.yaml").write_text("vocals: ['audio 4*']\nunmatched: ignore\n")
    mapping = folder_mapping(numbered, parse_assignments(["drums=Audio 2", "bass=Audio 1"], tmp_path / "map.yaml"))
    assert {k: [p.name for p in v] for k, v in assign_files(numbered, mapping).items()} == {
        "bass": ["Audio 1.ogg"], "drums": ["Audio 2.ogg"], "vocals": ["Audio 4.ogg"]}


def test_a_two_track_by_hand(tmp_path):
    """A beat and its vocals under names that say nothing become a two-track when the beat is given as the
    instrumental; a file named "Beat" given to the drums by hand is no instrumental."""
    stems = {s: sf.read(str(LITHIUM / "stems" / f"{s}.ogg"), dtype="float32")[0] for s in ORDER}
    sf.write(tmp_path / "Track 1.wav", stems["bass"] + stems["drums"] + stems["other"], 44100)
    sf.write(tmp_path / "Track 2.wav", stems["vocals"], 44100)
    assert two_track_files(tmp_path) is None
    hand = parse_assignments(["instrumental=Track 1", "vocals=Track 2"])
    assert {k: [p.name for p in v] for k, v in two_track_files(tmp_path, hand).items()} == {
        "instrumental": ["Track 1.wav"], "vocals": ["Track 2.wav"]}
    report = advise(None, "drums", LoudnessEngine(), stems_dir=tmp_path, mapping=hand)
    assert report.anchor == "instrumental" and report.verdict.finding.target == "vocals"
    (tmp_path / "Track 1.wav").rename(tmp_path / "Beat.wav")
    assert two_track_files(tmp_path, parse_assignments(["vocals=Track 2"])) is not None
    assert two_track_files(tmp_path, parse_assignments(["drums=Beat", "vocals=Track 2"])) is None


def test_the_command_line_map_and_its_mistakes(numbered, tmp_path, capsys):
    out = tmp_path / "fixed.wav"
    assert main(["advise", "--stems", str(numbered), "--anchor", "drums", "--map", "bass=Audio 1", "--map",
                 "drums=Audio 2", "--map", "vocals=Audio 4", "--json", "--apply", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["correction"]["stem"] == "vocals" and data["correction"]["gain_db"] > 6 and out.is_file()
    for args, message in (
            (["--map", "bass=Audio 1"], "--map gives the files of a stems folder their stems: give the folder "
                                        "(--stems DIR), or drop --map"),
            (["--stems", str(LITHIUM / "missing.stem.mp4"), "--map", "bass=Audio 1"],
             "is a .stem.mp4 file, whose stems are named inside it (drop --map)"),
            (["--stems", str(numbered), "--map", "bass"], "--map 'bass': write STEM=FILE")):
        song = [] if "--stems" in args else [str(LITHIUM / "mix.ogg")]
        assert main(["advise", *song, "--anchor", "drums", *args]) == 1
        assert message in capsys.readouterr().err
