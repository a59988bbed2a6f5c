"""advise on a stems folder whose region exports carry Broadcast WAV time stamps: heard where the stamps put them."""
from __future__ import annotations

import json

import numpy as np
import pytest

from corpus_fixtures import write_stem_file
from mixbuddy.audio import read_audio
from mixbuddy.cli import main
from mixbuddy.corpus.bwf import write_time_reference
from predict_helpers import LITHIUM

SR = 22050
START = 3600 * SR          # the session starts at 01:00:00


@pytest.fixture(scope="module")
def stems() -> dict[str, np.ndarray]:
    return {p.stem: read_audio(p, sr=SR)[0] for p in sorted((LITHIUM / "stems").glob("*.ogg"))}


def _folder(path, stems, cut_s: dict[str, float], stamped: bool = True):
    """The stems as 32-bit float WAV (so cutting and placing back loses nothing), each in ``cut_s`` written from
    that second on and stamped so (all stamped at 01:00:00 plus their cut, or none with ``stamped`` False)."""
    for k, x in stems.items():
        cut = int(cut_s.get(k, 0.0) * SR)
        write_stem_file(path / f"{k}.wav", x[cut:], SR)
        if stamped:
            write_time_reference(path / f"{k}.wav", START + cut)
    return path


def _advise(capsys, *args) -> dict:
    main(["advise", "--anchor", "drums", "--json", *map(str, args)])
    return json.loads(capsys.readouterr().out)


def test_stems_alone_are_heard_where_their_stamps_put_them(tmp_path, capsys, stems):
    """The bass and the vocals written from 18 s and 9 s: without a mix, only their stamps say where they belong;
    with them the advice, the levels and --apply's render (from 18 s on: before, the stems lack what was cut off) are
    those of the stems as given; without, the levels differ."""
    whole = _advise(capsys, "--stems", _folder(tmp_path / "whole", stems, {}), "--apply", tmp_path / "whole.wav")
    cut = {"bass": 18.0, "vocals": 9.0}
    placed = _advise(capsys, "--stems", _folder(tmp_path / "cut", stems, cut), "--apply", tmp_path / "cut.wav")
    for key in ("windows", "summary", "levels"):
        assert placed[key] == whole[key], key
    assert {**placed["correction"], "output": ""} == {**whole["correction"], "output": ""}
    assert [n for n in placed["notes"] if "time stamps" in n] == [
        f"{tmp_path / 'cut'}: placed by their Broadcast WAV time stamps (where the DAW says each file starts in the "
        "session): vocals.wav 9.000 s after the earliest file's start, bass.wav 18.000 s after the earliest file's "
        "start"]
    got, want = read_audio(tmp_path / "cut.wav")[0], read_audio(tmp_path / "whole.wav")[0]
    assert got.shape == want.shape and np.array_equal(got[18 * SR:], want[18 * SR:])   # before: what was cut off
    plain = _advise(capsys, "--stems", _folder(tmp_path / "plain", stems, cut, stamped=False))
    assert plain["levels"] != whole["levels"] and not any("time stamps" in n for n in plain["notes"])


def test_with_the_mix_a_stamped_region_export_needs_no_search(tmp_path, capsys, stems):
    """Given with the mix, the stamped bass is already where the mix has it: nothing is ``placed`` by matching."""
    rep = _advise(capsys, LITHIUM / "mix.ogg", "--stems", _folder(tmp_path / "cut", stems, {"bass": 18.0}))
    assert "placed" not in rep and not any("later in the mix" in n for n in rep["notes"])
    assert {(w["finding"]["target"], w["finding"]["direction"]) for w in rep["windows"]} == {("vocals", "increase")}


def test_a_two_tracks_stamped_vocals_are_heard_where_their_stamp_puts_them(tmp_path, capsys, stems):
    """A two-track (the instrumental and the vocals, silent for their first 9 s), the vocals written from 9 s and
    stamped so: the advice and levels of the two files as given."""
    vocals = stems["vocals"].copy()
    vocals[: 9 * SR] = 0.0
    two = {"Instrumental": stems["drums"] + stems["bass"] + stems["other"], "Vocals": vocals}
    whole = _advise(capsys, "--stems", _folder(tmp_path / "whole", two, {}))
    cut = _advise(capsys, "--stems", _folder(tmp_path / "cut", two, {"Vocals": 9.0}))
    plain = _advise(capsys, "--stems", _folder(tmp_path / "plain", two, {"Vocals": 9.0}, stamped=False))
    assert whole["anchor"] == "instrumental" and whole["windows"] and whole["levels"]
    assert (cut["windows"], cut["summary"], cut["levels"]) == (whole["windows"], whole["summary"], whole["levels"])
    assert any("Vocals.wav 9.000 s after the earliest file's start" in n for n in cut["notes"])
    assert plain["windows"] != whole["windows"]


def test_a_lossy_copy_of_a_stamped_region_export_is_found_as_its_other_format(tmp_path, capsys, stems):
    """bass.wav written from 18 s and stamped, beside bass.ogg, the same region without a stamp (as a Vorbis copy is):
    the two are one track in two formats, compared from their first samples, and the WAV, placed, is kept."""
    import soundfile as sf

    alone = _advise(capsys, "--stems", _folder(tmp_path / "alone", stems, {"bass": 18.0}))
    folder = _folder(tmp_path / "both", stems, {"bass": 18.0})
    sf.write(folder / "bass.ogg", stems["bass"][18 * SR:], SR)
    both = _advise(capsys, "--stems", folder)
    assert (both["windows"], both["summary"], both["levels"]) == (alone["windows"], alone["summary"], alone["levels"])
    assert any("bass.ogg" in n and "left out" in n for n in both["notes"])


def test_an_effect_return_stamped_later_is_rendered_where_it_starts(tmp_path, capsys, stems):
    """An effect return ("A-Reverb.wav", left out of the stems, rendered as it is by --apply) written from 9 s and
    stamped so is added to the render from 9 s on, as the return written from the song's start is."""
    wet = np.zeros_like(stems["vocals"])
    wet[9 * SR:] = 0.3 * stems["vocals"][9 * SR:] + 0.2 * stems["other"][9 * SR:]
    renders = {}
    for name, cut in (("whole", {}), ("cut", {"bass": 18.0, "A-Reverb": 9.0})):
        folder = _folder(tmp_path / name, {**stems, "A-Reverb": wet}, cut)
        rep = _advise(capsys, "--stems", folder, "--apply", tmp_path / f"{name}.wav")
        assert any("A-Reverb.wav named as an effect return" in n for n in rep["notes"])
        renders[name] = read_audio(tmp_path / f"{name}.wav")[0]
    assert renders["cut"].shape == renders["whole"].shape
    assert np.array_equal(renders["cut"][18 * SR:], renders["whole"][18 * SR:])
