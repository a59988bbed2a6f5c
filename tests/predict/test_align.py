"""A mix file given with its stems: found shifted, lined up (or warned about), then trimmed to one length."""
from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from corpus_fixtures import synth_stems, write_stem_file
from mixbuddy.audio import read_audio
from mixbuddy.cli import main
from mixbuddy.predict.advise import AdviceReport
from mixbuddy.data.render import master_mix
from mixbuddy.predict.align import (MATCH_RATE, best_match, fit_gains, late_placement, note_gains, place_stems,
                                    placement_action, stem_gains)
from mixbuddy.predict.windows import load_song
from predict_helpers import LITHIUM

SR = 22050


def _shift(x: np.ndarray, seconds: float, sr: int) -> np.ndarray:
    """``x`` starting ``seconds`` later (zeros first; negative: its start left out), same length."""
    k = int(round(abs(seconds) * sr))
    if seconds >= 0:
        return np.concatenate([np.zeros((k, x.shape[1]), x.dtype), x])[: len(x)]
    return x[k:]


@pytest.fixture(scope="module")
def lithium() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The example's mix and stems at SR."""
    stems = {p.stem: read_audio(p, sr=SR)[0] for p in sorted((LITHIUM / "stems").glob("*.ogg"))}
    return read_audio(LITHIUM / "mix.ogg", sr=SR)[0], stems


@pytest.mark.parametrize("seconds", [1.2345, -0.75, 0.0])
def test_best_match_finds_the_shift_of_a_mix(seconds):
    stems = synth_stems(12.0, SR, 2, seed=4)
    total = np.sum(list(stems.values()), axis=0)
    found = best_match(_shift(total, seconds, SR) * 0.5, total, SR)  # a level change does not matter
    assert abs(found.lag_s - seconds) <= 1.0 / MATCH_RATE
    assert found.r > 0.9
    assert (found.r_as_given < 0.5) if seconds else found.r_as_given == found.r


def test_best_match_of_silence_is_none_and_of_another_song_is_weak():
    stems = synth_stems(8.0, SR, 2, seed=1)
    total = np.sum(list(stems.values()), axis=0)
    assert best_match(np.zeros_like(total), total, SR) is None
    other = np.sum(list(synth_stems(8.0, SR, 2, seed=2).values()), axis=0)
    assert best_match(other, total, SR).r < 0.3


def _load(tmp_path, caplog, mix: np.ndarray):
    write_stem_file(tmp_path / "mix.wav", mix, SR)
    with caplog.at_level(logging.WARNING, logger="mixbuddy"):
        return load_song(tmp_path / "mix.wav", LITHIUM / "stems", SR, 2)


def _r0(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))


def test_a_mix_with_a_lead_in_is_lined_up_with_the_stems(tmp_path, caplog, lithium):
    mix, stems = lithium
    audio = _load(tmp_path, caplog, np.concatenate([np.zeros((3 * SR, 2), np.float32), mix]))  # a 3 s count-in
    assert (f"does not line up with {LITHIUM / 'stems'}: its first 3.000 s (before the stems' music) are left out"
            in caplog.text)
    assert "times count from the stems' start" in caplog.text and "differ in length" not in caplog.text
    assert audio.mix.shape == audio.stems["vocals"].shape == mix.shape
    assert _r0(audio.mix, np.sum(list(audio.stems.values()), axis=0)) > 0.99
    assert all(np.array_equal(audio.stems[k], stems[k]) for k in stems)  # the stems are as read


def test_a_mix_that_starts_into_the_music_leaves_the_stems_start_out(tmp_path, caplog, lithium):
    mix, stems = lithium
    audio = _load(tmp_path, caplog, mix[int(1.5 * SR):])
    assert "it starts 1.500 s into the stems' music; the stems' first 1.500 s are left out" in caplog.text
    assert "differ in length" not in caplog.text
    assert audio.duration_s == pytest.approx(34.5, abs=1e-3)
    assert np.array_equal(audio.stems["drums"], stems["drums"][int(1.5 * SR):])
    assert _r0(audio.mix, np.sum(list(audio.stems.values()), axis=0)) > 0.99


def test_a_matching_mix_is_left_alone(tmp_path, caplog, lithium):
    """The mix as bounced, a loud master-like copy, a mix whose vocals sit 20 dB higher, and one 5 ms late
    (a plug-in's latency): no shift, and no warning but the vocals' level in the mix, which is not their file's."""
    mix, stems = lithium
    vocals_up = mix + stems["vocals"] * np.float32(10 ** (20 / 20) - 1)
    master = np.tanh(mix * 6).astype(np.float32) * 0.9
    for case in (mix, master, vocals_up, _shift(mix, 0.005, SR)):
        caplog.clear()
        audio = _load(tmp_path, caplog, case)
        if case is vocals_up:
            (rec,) = caplog.records
            assert "at other levels than their files: vocals +20.0 dB against the others" in rec.getMessage()
        else:
            assert not caplog.records, caplog.text
        assert np.array_equal(audio.mix, read_audio(tmp_path / "mix.wav")[0])


def test_stems_that_do_not_hold_the_mix_s_balance_are_named(tmp_path, caplog, lithium):
    """The example's mix with its bass file 4 dB louder (a pre-fader export, say): the mix holds the bass 4 dB
    below its file, and the warning says so; 1 dB is not noted, nor a limited master (not a weighted sum)."""
    mix, stems = lithium
    for gain_db, said in ((4.0, True), (1.0, False)):
        folder = tmp_path / f"stems{gain_db:g}"
        for k, x in stems.items():
            write_stem_file(folder / f"{k}.wav", x * np.float32(10 ** (gain_db / 20) if k == "bass" else 1), SR)
        caplog.clear()
        write_stem_file(tmp_path / "mix.wav", mix, SR)
        with caplog.at_level(logging.WARNING, logger="mixbuddy"):
            load_song(tmp_path / "mix.wav", folder, SR, 2)
        assert (f"at other levels than their files: bass -{gain_db:.1f} dB against the others" in caplog.text) == said
    gains, r2 = stem_gains(mix, stems, SR)
    assert r2 > 0.99 and all(abs(v) < 0.1 for v in gains.values())       # the example's own: its files, unmoved
    gains, r2 = stem_gains(master_mix(mix, SR, -9.0), stems, SR)
    assert r2 < 0.99 and note_gains("m", "s", gains, r2) == {}


def test_a_codec_s_padding_at_the_end_is_trimmed_without_a_word(tmp_path, caplog, lithium):
    """An AAC or MP3 mix decodes a frame or two longer than the stems: trimmed, not warned about; 0.1 s is."""
    mix, stems = lithium
    for extra, warned in ((0.03, False), (0.1, True)):
        caplog.clear()
        audio = _load(tmp_path, caplog, np.concatenate([mix, np.zeros((int(extra * SR), 2), np.float32)]))
        assert ("differ in length" in caplog.text) == warned and len(caplog.records) == warned, caplog.text
        assert audio.mix.shape == mix.shape and np.array_equal(audio.mix, mix)


def test_a_mix_of_another_song_is_warned_about_and_used_as_given(tmp_path, caplog, lithium):
    mix, _ = lithium
    other = np.sum(list(synth_stems(40.0, SR, 2, seed=7).values()), axis=0) * 0.3
    audio = _load(tmp_path, caplog, other)
    assert f"mix.wav matches the stems' sum ({LITHIUM / 'stems'}) only loosely (correlation 0.0" in caplog.text
    assert "another song or version, or stems of this mix missing from the folder?" in caplog.text
    assert "differ in length" in caplog.text  # 40 s against 36 s: trimmed, not shifted
    assert np.array_equal(audio.mix, other[: mix.shape[0]])


def test_advise_reports_the_line_up_in_its_notes(tmp_path, capsys, lithium):
    mix, _ = lithium
    write_stem_file(tmp_path / "late.wav", np.concatenate([np.zeros((2 * SR, 2), np.float32), mix]), SR)
    main(["advise", str(tmp_path / "late.wav"), "--stems", str(LITHIUM / "stems"), "--anchor", "drums", "--json"])
    rep = json.loads(capsys.readouterr().out)
    (note,) = [n for n in rep["notes"] if "line up" in n]
    assert note.startswith(f"{tmp_path / 'late.wav'} does not line up with {LITHIUM / 'stems'}: its first 2.000 s")
    assert rep["duration_s"] == pytest.approx(36.0, abs=1e-3)
    said = [(w["start_s"], w["finding"]["target"], w["finding"]["direction"]) for w in rep["windows"]]
    assert said == [(10.0, "vocals", "increase"), (20.0, "vocals", "increase")]  # the example's, at its times


def _region_folder(tmp_path, stems: dict[str, np.ndarray], name: str, start_s: float, end_s: float | None = None):
    """The stems written to ``tmp_path/stems`` with ``name`` exported as a region: from ``start_s`` to ``end_s``."""
    folder = tmp_path / "stems"
    for k, x in stems.items():
        y = x[int(start_s * SR): int(end_s * SR) if end_s else None] if k == name else x
        write_stem_file(folder / f"{k}.wav", y, SR)
    return folder


@pytest.mark.parametrize("lead_in", [0.0, 1.5])
def test_a_stem_exported_from_its_first_region_is_heard_where_the_mix_has_it(tmp_path, caplog, lithium, lead_in):
    """The example's bass written from its first note (18 s) to 34 s: a 16 s file. Given with the mix (also one with
    a 1.5 s count-in, which must not move the bass further), it is heard 18 s later, where the mix holds it."""
    mix, stems = lithium
    folder = _region_folder(tmp_path, stems, "bass", 18.0, 34.0)
    write_stem_file(tmp_path / "mix.wav", np.concatenate([np.zeros((int(lead_in * SR), 2), np.float32), mix]), SR)
    with caplog.at_level(logging.WARNING, logger="mixbuddy"):
        audio = load_song(tmp_path / "mix.wav", folder, SR, 2)
    assert audio.placed == {"bass": pytest.approx(18.0, abs=1.0 / MATCH_RATE)}
    assert f"{folder}: the bass stem's music is 18.000 s later in the mix {tmp_path / 'mix.wav'}" in caplog.text
    assert "exported from its first region rather than from the song's start?" in caplog.text
    assert audio.mix.shape == mix.shape                                        # the count-in left out
    assert _r0(audio.stems["bass"][: 34 * SR], stems["bass"][: 34 * SR]) > 0.999
    assert all(np.array_equal(audio.stems[k], stems[k]) for k in ("drums", "other", "vocals"))


def test_stems_that_start_with_the_song_stay_where_they_are(tmp_path, caplog, lithium):
    """Files that end early (each stem trimmed after 30 s) and a mix of another song: nothing is moved."""
    mix, stems = lithium
    folder = tmp_path / "stems"
    for k, x in stems.items():
        write_stem_file(folder / f"{k}.wav", x[: 30 * SR], SR)
    for m in (mix, np.sum(list(synth_stems(36.0, SR, 2, seed=7).values()), axis=0) * 0.3):
        caplog.clear()
        write_stem_file(tmp_path / "mix.wav", m, SR)
        with caplog.at_level(logging.WARNING, logger="mixbuddy"):
            audio = load_song(tmp_path / "mix.wav", folder, SR, 2)
        assert audio.placed == {} and "stem's music is" not in caplog.text and "region" not in caplog.text
    region = {**stems, "bass": stems["bass"][18 * SR: 34 * SR]}
    padded = {k: np.pad(v, ((0, mix.shape[0] - v.shape[0]), (0, 0))) for k, v in region.items()}
    assert late_placement(m, padded, "bass", SR) is None      # another song: nothing to place it against


def test_a_region_of_a_loop_that_fits_several_places_is_left_with_a_warning(tmp_path, caplog):
    """A stem that repeats a 2 s pattern exactly, written from 7 s: its music fits 1 s, 3 s and 5 s later
    equally well, so it is not moved (a loop-based song's parts do this), but the poor match is said."""
    rng = np.random.default_rng(3)
    n = 20 * SR
    loop = np.tile(rng.standard_normal((2 * SR, 2)).astype(np.float32) * 0.1, (10, 1))
    stems = {"drums": rng.standard_normal((n, 2)).astype(np.float32) * 0.1, "other": loop}
    mix = stems["drums"] + stems["other"]
    padded = {**stems, "other": np.pad(loop[7 * SR:], ((0, 7 * SR), (0, 0)))}
    p = late_placement(mix, padded, "other", SR)
    assert p.lag_s in (1.0, 3.0, 5.0) and p.runner_up == pytest.approx(p.r, rel=0.02) and p.r > 4 * p.r_as_given
    assert placement_action(p) == "unsure"
    with caplog.at_level(logging.WARNING, logger="mixbuddy"):
        kept, placed = place_stems("mix.wav", "stems", mix, padded, SR)
    assert placed == {} and kept is padded
    assert "the other stem (13.00 s of audio, then silence to 20.00 s) matches the mix mix.wav poorly" in caplog.text
    assert "Left where it is; export every track from the song's start" in caplog.text


def test_advise_hears_a_region_export_in_place_and_applies_its_fix_there(tmp_path, capsys, lithium):
    """advise --json says which stem it moved (``placed``), the example's advice comes back, and --apply renders
    the fix with the bass where the mix has it: the same render as from the example's own stems."""
    mix, stems = lithium
    folder = _region_folder(tmp_path, stems, "bass", 18.0)
    base = ["advise", str(LITHIUM / "mix.ogg"), "--anchor", "drums", "--json", "--apply"]
    main([*base, str(tmp_path / "fixed.wav"), "--stems", str(folder)])
    rep = json.loads(capsys.readouterr().out)
    assert rep["placed"] == {"bass": pytest.approx(18.0, abs=1.0 / MATCH_RATE)}
    assert AdviceReport.from_dict(rep).placed == rep["placed"]
    assert any("bass stem's music is 18.000 s later" in n for n in rep["notes"])
    said = {(w["finding"]["target"], w["finding"]["direction"]) for w in rep["windows"]}
    assert said == {("vocals", "increase")} and rep["correction"]["gain_db"] == pytest.approx(9.5)
    main([*base, str(tmp_path / "fixed0.wav"), "--stems", str(LITHIUM / "stems")])
    assert "placed" not in json.loads(capsys.readouterr().out)
    got, want = read_audio(tmp_path / "fixed.wav", sr=SR)[0], read_audio(tmp_path / "fixed0.wav", sr=SR)[0]
    assert got.shape == want.shape and _r0(got, want) > 0.9999


def test_a_region_export_at_a_dc_offset_is_placed_and_its_padding_stays_silent(tmp_path, caplog, lithium):
    """The offset is measured and taken out over the file's own samples: the zero-padding after a short file
    (silence, not offset) stays zero, so the stem can still be moved later, and is silent around its music."""
    mix, stems = lithium
    region = stems["bass"][18 * SR: 34 * SR] + np.float32(0.01)
    folder = _region_folder(tmp_path, {**stems, "bass": np.concatenate([np.zeros((18 * SR, 2), np.float32),
                                                                          region])}, "bass", 18.0, 34.0)
    write_stem_file(tmp_path / "mix.wav", mix, SR)
    with caplog.at_level(logging.INFO, logger="mixbuddy"):
        audio = load_song(tmp_path / "mix.wav", folder, SR, 2)
    assert "the bass stem sits at a DC offset of 0.010" in caplog.text
    assert audio.placed == {"bass": pytest.approx(18.0, abs=1.0 / MATCH_RATE)}
    bass = audio.stems["bass"]
    assert not bass[: 17 * SR].any() and not bass[35 * SR:].any()
    assert abs(float(bass[18 * SR: 34 * SR].mean())) < 1e-3


def test_two_stems_exported_from_their_regions_at_once_are_both_placed(tmp_path, caplog, lithium):
    """The bass written from 18 s and the drums from 10 s (where they come back after a pause): each is placed
    against the stems whose files run to the song's end (the other instruments and the vocals), not against the
    other misplaced one."""
    mix, stems = lithium
    folder = tmp_path / "stems"
    for k, x in stems.items():
        write_stem_file(folder / f"{k}.wav", x[{"bass": 18, "drums": 10}.get(k, 0) * SR:], SR)
    write_stem_file(tmp_path / "mix.wav", mix, SR)
    with caplog.at_level(logging.WARNING, logger="mixbuddy"):
        audio = load_song(tmp_path / "mix.wav", folder, SR, 2)
    assert audio.placed == {"bass": pytest.approx(18.0, abs=1.0 / MATCH_RATE),
                            "drums": pytest.approx(10.0, abs=1.0 / MATCH_RATE)}
    assert all(_r0(audio.stems[k], stems[k]) > 0.999 for k in ("bass", "other", "vocals"))
    assert _r0(audio.stems["drums"][10 * SR:], stems["drums"][10 * SR:]) > 0.999   # its first hits were not exported


def test_fit_gains_reads_parts_of_any_length_and_float32_as_the_padded_float64_fit():
    rng = np.random.default_rng(3)
    n = 5000
    parts = {"short": rng.standard_normal(n - 700).astype(np.float32),     # zero-padded to the mix's length
             "long": rng.standard_normal(n + 300).astype(np.float32),      # trimmed to it
             "exact": rng.standard_normal(n)}
    full = {k: np.pad(x[:n].astype(np.float64), (0, max(n - len(x), 0))) for k, x in parts.items()}
    m = 0.5 * full["short"] - 2.0 * full["long"] + 1.25 * full["exact"]
    gains, r2 = fit_gains(m, parts)
    assert list(gains) == ["short", "long", "exact"]
    np.testing.assert_allclose([gains["short"], gains["long"], gains["exact"]], [0.5, -2.0, 1.25], rtol=1e-9)
    assert r2 == pytest.approx(1.0, abs=1e-9)
    noisy = m + 0.1 * rng.standard_normal(n)
    a = np.stack(list(full.values()), axis=1)
    want = np.linalg.lstsq(a, noisy, rcond=None)[0]
    got, r2 = fit_gains(noisy, parts)
    np.testing.assert_allclose(list(got.values()), want, rtol=1e-9)
    assert 0.9 < r2 < 1.0
    assert fit_gains(m, {**parts, "silent": np.zeros(n, np.float32)}) is None
    assert fit_gains(np.zeros(n), parts) is None
