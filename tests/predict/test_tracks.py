"""A stems folder's files against the mix: a file the mix does not hold is left out, one it holds at another level
is named, and files the mix holds stay, even under a master that blurs their weights."""
from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path

import numpy as np
import pytest
import soxr

from corpus_fixtures import synth_stems, write_stem_file
from mixbuddy.audio import read_audio
from mixbuddy.cli import main
from mixbuddy.data.render import master_mix
from mixbuddy.predict.advise import AdviceReport
from mixbuddy.predict.align import fine_aligned
from mixbuddy.predict.tracks import Part, _shifted, unheard
from mixbuddy.predict.windows import load_song
from predict_helpers import LITHIUM

SR = 22050
ROOT = Path(__file__).resolve().parents[2]


def _folder(tmp_path, files: dict[str, np.ndarray], mix: np.ndarray, lead_in_s: float = 0.0):
    folder = tmp_path / "stems"
    for name, x in files.items():
        write_stem_file(folder / f"{name}.wav", x, SR)
    pad = np.zeros((int(lead_in_s * SR), mix.shape[1]), np.float32)
    write_stem_file(tmp_path / "mix.wav", np.concatenate([pad, mix]), SR)
    return folder


@pytest.fixture(scope="module")
def song() -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Four stems and another song's voice (an unused take: the mix does not hold it)."""
    return synth_stems(12.0, SR, 2, seed=4), synth_stems(12.0, SR, 2, seed=9)["vocals"]


@pytest.mark.parametrize("lead_in_s", [0.0, 1.5])
def test_a_file_the_mix_does_not_hold_is_left_out_to_the_sample(tmp_path, caplog, song, lead_in_s):
    """An unused take among the files (the mix: the stems' sum, with or without a lead-in it is lined up by): left
    out by name, and the vocals stem comes back as its own file, moved as the mix has it."""
    stems, take = song
    folder = _folder(tmp_path, {**stems, "vocals take 2": take}, np.sum(list(stems.values()), axis=0), lead_in_s)
    with caplog.at_level(logging.WARNING, logger="mixbuddy"):
        audio = load_song(tmp_path / "mix.wav", folder, SR, 2)
    assert audio.left_out == ("vocals take 2.wav",)
    assert "vocals take 2.wav (in vocals) is not in the mix" in caplog.text and "Left out" in caplog.text
    assert "at other levels" not in caplog.text
    n = audio.stems["vocals"].shape[0]
    assert np.max(np.abs(audio.stems["vocals"] - stems["vocals"][:n])) < 1e-5
    assert np.max(np.abs(audio.stems["drums"] - stems["drums"][:n])) == 0.0


def test_a_file_the_mix_holds_stays(tmp_path, caplog, song):
    """The same folder with the take in the mix (a double): nothing left out, nothing said; nor without a mix."""
    stems, take = song
    files = {**stems, "vocals take 2": take}
    folder = _folder(tmp_path, files, np.sum(list(files.values()), axis=0))
    with caplog.at_level(logging.WARNING, logger="mixbuddy"):
        audio = load_song(tmp_path / "mix.wav", folder, SR, 2)
        alone = load_song(None, folder, SR, 2)
    assert audio.left_out == () and alone.left_out == () and caplog.text == ""
    assert np.allclose(audio.stems["vocals"], stems["vocals"] + take)


def test_a_track_held_at_another_level_is_named(tmp_path, caplog, song):
    """Two vocal tracks, the mix holding the second 4 dB under its file (a pre-fader export): the note names that
    file, not the vocals stem, and nothing is left out."""
    stems, take = song
    files = {**stems, "vocals bv": take}
    mix = np.sum(list(stems.values()), axis=0) + take * np.float32(10 ** (-4 / 20))
    folder = _folder(tmp_path, files, mix)
    with caplog.at_level(logging.WARNING, logger="mixbuddy"):
        audio = load_song(tmp_path / "mix.wav", folder, SR, 2)
    assert audio.left_out == ()
    assert "at other levels than their files: vocals bv.wav -4.0 dB against the others" in caplog.text


def test_two_microphones_of_one_source_are_never_left_out(tmp_path):
    """Under a limiting master a second microphone can be read near zero (the example's bass and a copy of it
    low-passed at 3 kHz, 3 dB down: about 30 dB under the others); it is not taken for a file the mix does not hold
    (such a master is no weighted sum of the files, and the copy matches its twin: either rule keeps it)."""
    from scipy.signal import butter, sosfilt

    stems = {p.stem: read_audio(p, sr=SR)[0] for p in sorted((LITHIUM / "stems").glob("*.ogg"))}
    mic = (sosfilt(butter(4, 3000, fs=SR, output="sos"), stems["bass"], axis=0) * 10 ** (-3 / 20)).astype(np.float32)
    files = {**stems, "bass mic 2": mic}
    folder = _folder(tmp_path, files, master_mix(np.sum(list(files.values()), axis=0), SR, -9.0))
    assert load_song(tmp_path / "mix.wav", folder, SR, 2).left_out == ()


@pytest.mark.parametrize("held", [False, True])
def test_an_unused_take_under_a_master_is_judged_by_the_stems_it_makes(tmp_path, song, held):
    """The unused take of the first test, the mix mastered to -9 LUFS: the fit of the files explains under 95% of it,
    so the take is left out only because the stems explain the mix plainly better without it; a take the mix holds
    (a double) stays."""
    stems, take = song
    files = {**stems, "vocals take 2": take}
    mix = np.sum(list(files.values()) if held else list(stems.values()), axis=0)
    folder = _folder(tmp_path, files, master_mix(mix, SR, -9.0))
    assert load_song(tmp_path / "mix.wav", folder, SR, 2).left_out == (() if held else ("vocals take 2.wav",))


def test_unheard_needs_a_distinct_file_a_fit_and_a_heard_twin():
    """The rule itself: a file part read 30 dB under the others is unheard only when it matches no other part, the
    fit explains the mix, and its stem keeps a heard file; a whole stem is never left out. Under a master (the fit
    explains under 95%) only when the stems, each its files' sum, explain the mix plainly better without it, and
    then to POLARITY_R2."""
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal(4000) for _ in range(3))
    parts = {"v1.wav": Part("vocals", ("v1",)), "v2.wav": Part("vocals", ("v2",)), "drums": Part("drums")}
    monos = {"v1.wav": a, "v2.wav": b, "drums": c}
    rel = {"v1.wav": 0.0, "v2.wav": -30.0, "drums": 0.0}
    mix = a + c                                                                   # the mix without v2

    def found(monos=monos, rel=rel, r2=0.99, mix=mix):
        return unheard(parts, monos, rel, r2, mix)

    assert found() == ["v2.wav"]
    assert found(r2=0.3) == []                                      # another song, not this mix
    assert found(monos={**monos, "v2.wav": a + 0.3 * b}) == []      # it matches v1: a second mic
    assert found(rel={**rel, "v1.wav": -30.0}) == []                # no file of the stem heard
    assert found(rel={"v1.wav": 0.0, "v2.wav": 0.0, "drums": -30.0}) == []   # a whole stem
    assert found(r2=0.8) == ["v2.wav"]                              # under a master: the stems explain it without v2
    assert found(r2=0.8, mix=a + b + c) == []                       # ... not when they explain it better with it
    far = 1.5 * np.random.default_rng(1).standard_normal(4000)      # ... nor when they explain too little of it
    assert found(r2=0.8, mix=a + c + far) == []


def _late(x: np.ndarray, samples: float) -> np.ndarray:
    """``x`` (samples[, channels]) delayed by a fraction of a sample too (a phase ramp), same length."""
    n = x.shape[0] + 64
    ramp = np.exp(-2j * np.pi * np.fft.rfftfreq(n) * samples).reshape(-1, *([1] * (x.ndim - 1)))
    return np.fft.irfft(np.fft.rfft(x, n, axis=0) * ramp, n, axis=0)[: x.shape[0]].astype(np.float32)


@pytest.mark.parametrize("samples", [0.0, 0.2, 2.9, -7.3])
def test_fine_aligned_finds_a_fraction_of_a_sample(samples):
    x = np.random.default_rng(1).standard_normal(20000)
    m, lag = fine_aligned(_late(x, samples), x, 21)
    assert lag == pytest.approx(samples, abs=1e-3) and np.corrcoef(m[50:-50], x[50:-50])[0, 1] > 0.9999
    m, lag = fine_aligned(-_late(x, samples), x, 21)            # a mix of inverted polarity
    assert lag == pytest.approx(samples, abs=1e-3)


def test_a_mix_a_fraction_of_a_millisecond_late_keeps_its_quiet_tracks(tmp_path, bands):
    """The example's stems as band tracks and an unused drum take, the mix 0.1 ms late (a plug-in's latency, under
    what the line-up moves): read as it is, the fit dropped the vocals' quiet low band (21 dB under) with the take;
    lined up to the fraction of a sample first, only the take goes."""
    stems = {p.stem: read_audio(p, sr=SR)[0] for p in sorted((LITHIUM / "stems").glob("*.ogg"))}
    files = bands(stems)
    mix = np.sum(list(files.values()), axis=0)
    files["drums take 2"] = np.roll(stems["drums"], 20 * SR, axis=0)
    folder = _folder(tmp_path, files, _late(mix, 1e-4 * SR))
    assert load_song(tmp_path / "mix.wav", folder, SR, 2).left_out == ("drums take 2.wav",)


@pytest.fixture(scope="module")
def bands():
    """``bands`` of benchmarks/unheard_files.py: each stem as three tracks (below 150 Hz, to 4 kHz, above) that sum to
    it, at this file's SR."""
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(ROOT / "benchmarks"))
        spec = importlib.util.spec_from_file_location("unheard_files", ROOT / "benchmarks" / "unheard_files.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    assert module.SR == SR
    return module.bands


@pytest.mark.parametrize("track, start_s, said", [
    ("other mid", 3.3, "other mid.wav (in other) matches the mix"),
    ("bass mid", 18.0418, "only loosely")])     # the mix's loudest track: the stems' sum matches the mix loosely
def test_a_track_exported_from_its_first_region_is_not_left_out(tmp_path, caplog, bands, track, start_s, said):
    """The example's stems as band tracks, one of them written from a later point (a region export: shorter, its music
    too early): the mix does not hold it where it is, but it is kept where it is, with a warning."""
    tracks = bands({p.stem: read_audio(p, sr=SR)[0] for p in sorted((LITHIUM / "stems").glob("*.ogg"))})
    k = int(round(start_s * SR))
    folder = _folder(tmp_path, {**tracks, track: tracks[track][k:]}, np.sum(list(tracks.values()), axis=0))
    with caplog.at_level(logging.WARNING, logger="mixbuddy"):
        audio = load_song(tmp_path / "mix.wav", folder, SR, 2)
    assert audio.left_out == () and audio.placed == {}
    assert said in caplog.text and ("first region" in caplog.text) == (track == "other mid")
    stem, n = track.split()[0], audio.stems["drums"].shape[0]
    written = {**tracks, track: tracks[track][k:]}          # the stem summed as its files are written
    want = sum(np.pad(x, ((0, n - len(x)), (0, 0))) for name, x in written.items() if name.startswith(stem))
    assert np.max(np.abs(audio.stems[stem] - want)) < 1e-5


def test_a_loud_track_far_out_of_place_does_not_cost_a_held_one(tmp_path, real_dev_dir, bands):
    """Francium's first 2 minutes as band tracks, its drums' mid band written from its first note (22.5 s in): out
    of place, it pulled the fine line-up so that the vocals' mid band was read as not in the mix; a file is left out
    only when the mix, as lined up and lined up again, holds it nowhere, so nothing is."""
    stems = {p.stem: read_audio(p, sr=SR)[0][: 120 * SR] for p in sorted((real_dev_dir / "eif_francium").glob("*.ogg"))}
    files = bands(stems)
    k = int(round(22.49 * SR))
    folder = _folder(tmp_path, {**files, "drums mid": files["drums mid"][k:]}, np.sum(list(files.values()), axis=0))
    assert load_song(tmp_path / "mix.wav", folder, SR, 2).left_out == ()


def test_shifted_moves_and_cuts():
    x = np.arange(1, 6, dtype=np.float32)
    assert _shifted(x, 2, 6).tolist() == [0, 0, 1, 2, 3, 4]
    assert _shifted(x, -2, 4).tolist() == [3, 4, 5, 0]
    assert _shifted(x, 9, 4).tolist() == [0, 0, 0, 0]


def test_advise_says_what_it_left_out_and_applies_the_fix_without_it(tmp_path, capsys):
    """The example with an unused take of its vocals (the vocals 30 s later, wrapped round) beside its stems:
    --json lists it (``left_out``), the advice is the example's, and --apply renders the example's own fix."""
    folder = tmp_path / "stems"
    for p in sorted((LITHIUM / "stems").glob("*.ogg")):
        x = read_audio(p, sr=SR)[0]
        write_stem_file(folder / f"{p.stem}.wav", x, SR)
        if p.stem == "vocals":
            write_stem_file(folder / "vocals take 2.wav", np.roll(x, 30 * SR, axis=0), SR)
    base = ["advise", str(LITHIUM / "mix.ogg"), "--anchor", "drums", "--json", "--apply"]
    main([*base, str(tmp_path / "fixed.wav"), "--stems", str(folder)])
    rep = json.loads(capsys.readouterr().out)
    assert rep["left_out"] == ["vocals take 2.wav"] and AdviceReport.from_dict(rep).left_out == rep["left_out"]
    assert rep["correction"]["gain_db"] == pytest.approx(9.5)
    (folder / "vocals take 2.wav").unlink()
    main([*base, str(tmp_path / "fixed0.wav"), "--stems", str(folder)])
    assert "left_out" not in json.loads(capsys.readouterr().out)
    got, want = read_audio(tmp_path / "fixed.wav")[0], read_audio(tmp_path / "fixed0.wav")[0]
    assert got.shape == want.shape and np.max(np.abs(got - want)) < 1e-6


@pytest.mark.parametrize("extra", ["group", "bounce at 48 kHz"])
def test_a_file_left_out_costs_only_its_stem_a_second_decoding(tmp_path, monkeypatch, song, extra):
    """folder_stems with a drums group track beside its three tracks decodes the drums again, not the other stems;
    with a bounce at another rate (the folder's rate changes without it) every stem again. Either way the stems and
    the peaks are exactly those of the folder without that file."""
    import mixbuddy.corpus.stems_folder as folder_module
    from mixbuddy.predict.stems_input import folder_stems

    stems = song[0]
    drums = {"Kick": stems["drums"] * 0.6, "Snare": np.roll(stems["drums"], 2205, axis=0) * 0.3,
             "Hats": np.roll(stems["drums"], 4410, axis=0) * 0.2}
    files = {**drums, "bass": stems["bass"], "vocals": stems["vocals"], "Keys": stems["other"]}
    plain = _folder(tmp_path / "plain", files, stems["bass"])
    folder = _folder(tmp_path, files, stems["bass"])
    if extra == "group":
        write_stem_file(folder / "Drum Group.wav", sum(drums.values()), SR)
    else:
        write_stem_file(folder / "Song final.wav", soxr.resample(sum(files.values()), SR, 48000), 48000)
    decoded: list[str] = []
    real = folder_module.decode_audio

    def counted(path, *args, **kwargs):
        decoded.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(folder_module, "decode_audio", counted)
    want_song, want = folder_stems(plain, SR, 2, say=False)
    decoded.clear()
    got_song, got = folder_stems(folder, SR, 2, say=False)
    assert list(got) == list(want) == ["bass", "drums", "other", "vocals"]
    assert all(np.array_equal(got[k], want[k]) for k in want)
    for measure in ("peaks", "flat"):
        named = [{p.name: v for p, v in getattr(s.loader, measure).items()} for s in (got_song, want_song)]
        assert list(named[0].items()) == list(named[1].items())
    again = decoded[len(files) + 1:]
    if extra == "group":
        assert sorted(again) == ["Hats.wav", "Kick.wav", "Snare.wav"]
    else:
        assert sorted(again) == sorted(f"{name}.wav" for name in files)
