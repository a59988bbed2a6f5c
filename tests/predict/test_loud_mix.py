"""A mix louder than a mix model learned from (a mastered bounce): ``ModelEngine.for_song`` and the level
statistics' record of the training loudness (``mixbuddy.model.levels.trained_mix_loudness``)."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from corpus_fixtures import synth_stems, write_stem_file
from mixbuddy.evaluate.baselines.loudness import loudness
from mixbuddy.model.heads import AuxHead
from mixbuddy.model.levels import LevelFeatures, trained_mix_loudness
from mixbuddy.predict.advise import advise
from mixbuddy.predict.engines import LOUD_Z, ModelEngine
from predict_helpers import FakeModel

SR = 16000


def clip_at(lufs: float, seconds: float = 4.0, seed: int = 0) -> np.ndarray:
    """Mono music-like noise at a given integrated loudness."""
    x = np.mean(list(synth_stems(seconds, SR, 1, seed).values()), axis=0)[:, 0]
    return (x * 10 ** ((lufs - loudness(x, SR)) / 20)).astype(np.float32)


def level_reader(mean: float, sd: float, reference: float | None = None, **kw) -> FakeModel:
    """The fake mix model with a real level front end and aux head whose level standardisation was fitted on
    clips whose loudness spreads as N(mean, sd), as stage 1 fits it on the training mixes."""
    levels = LevelFeatures(SR, 32, "full", reference)
    head = AuxHead(0, 16, ("mix",), level_dim=levels.dim, level_norm=True)
    z = np.linspace(-1.5, 1.5, 8)
    clips = torch.from_numpy(np.stack([clip_at(mean + sd * k / z.std(), seed=i) for i, k in enumerate(z)]))
    head.fit_level_norm(levels(clips, torch.full((len(z),), clips.shape[1])))
    model = FakeModel("mix", sample_rate=SR, **kw)
    model.stack = SimpleNamespace(levels=levels, aux_head=head)
    return model


def test_the_training_loudness_is_read_off_the_level_standardisation():
    m = level_reader(-20.0, 2.0)
    mean, sd = trained_mix_loudness(m)
    assert mean == pytest.approx(-20.0, abs=0.3) and sd == pytest.approx(2.0 * np.sqrt(8 / 7), rel=0.1)
    assert trained_mix_loudness(level_reader(-20.0, 2.0, reference=-20.0)) is None   # level-blind
    assert trained_mix_loudness(FakeModel("mix")) is None                             # no level statistics
    m.cfg.input_mode = "stems"
    assert trained_mix_loudness(m) is None


def song_at(tmp_path, lufs: float):
    x = np.mean(list(synth_stems(25.0, 44100, 2, seed=3).values()), axis=0)
    path = tmp_path / f"song{lufs:g}.wav"
    write_stem_file(path, x * 10 ** ((lufs - loudness(x.mean(axis=1), 44100)) / 20), 44100)
    return path


def test_a_mix_louder_than_the_training_mixes_is_heard_turned_down_to_their_99th_percentile(tmp_path):
    """Trained at -20 +- 1 LUFS (p99 -17.7): a song at -9 LUFS is heard at -17.7 (logged, in the JSON), so the
    fake, which calls the drums too loud above a fixed level, now hears it balanced; a song inside the range
    is heard as it is."""
    loud = song_at(tmp_path, -9.0)
    model = level_reader(-20.0, 1.0, mix_loud_db=-13.0)
    mean, sd = trained_mix_loudness(model)
    rep = advise(loud, "bass", ModelEngine(model=model))
    heard = loudness(np.mean(load_mono(loud), axis=1), SR)
    note = rep.engine["loud_mix"]
    assert note["trained_p99_lufs"] == pytest.approx(mean + LOUD_Z * sd, abs=0.01)
    assert note["gain_db"] == pytest.approx(note["trained_p99_lufs"] - heard, abs=0.05) and note["gain_db"] < -7
    assert all(w.finding.no_error for w in rep.windows)
    assert any("louder than 99% of the mixes this model learned from" in n and "dB quieter" in n for n in rep.notes)
    # the figure is the mono downmix's, not what a stereo meter shows, and the note says so
    assert any(f"{heard:.1f} LUFS (its mono downmix, as the model hears it; a stereo loudness meter reads 3 dB or "
               "more higher)" in n for n in rep.notes)
    d = json.loads(json.dumps(rep.to_dict()))
    assert d["engine"]["loud_mix"] == note
    as_is = advise(loud, "bass", ModelEngine(model=FakeModel("mix", sample_rate=SR, mix_loud_db=-13.0)))
    assert all(w.finding.target == "drums" for w in as_is.windows)     # without the guard: "drums too loud"
    inside = advise(song_at(tmp_path, -19.0), "bass", ModelEngine(model=level_reader(-20.0, 1.0)))
    assert "loud_mix" not in inside.engine and not any("LUFS" in n for n in inside.notes)


def load_mono(path):
    from mixbuddy.predict.windows import load_song

    return load_song(path, None, SR, 1).mix


def test_a_loud_mix_goes_to_the_fallback_model_when_there_is_one(tmp_path):
    """loud_fallback: the other checkpoint (loaded by ``loader``) hears the whole song, as it is; the report
    names it and the model it replaced."""
    reader, blind = level_reader(-20.0, 1.0), FakeModel("mix", sample_rate=SR, mix_loud_db=0.0)
    loaded = []
    engine = ModelEngine(model=reader, loud_fallback="blind-one", loader=lambda name: loaded.append(name) or blind)
    rep = advise(song_at(tmp_path, -9.0), "bass", engine, level_check_db=3.0)
    assert loaded == ["blind-one"] and not reader.batches and sum(blind.batches) == 3 * 3   # 3 windows, ±3 dB
    assert rep.engine["checkpoint"] == "blind-one" and rep.engine["loud_mix"]["instead_of"] is None
    assert any("blind-one, trained for such mixes, advises instead" in n for n in rep.notes)
    assert ", engine model (blind-one)\n" in rep.format_text()    # the text names the model that advised
    quiet = advise(song_at(tmp_path, -19.0), "bass", ModelEngine(model=reader, loud_fallback="blind-one",
                                                                   loader=lambda name: loaded.append(name) or blind))
    assert loaded == ["blind-one"] and quiet.engine["checkpoint"] is None
    assert ", engine model\n" in quiet.format_text()


def test_the_cli_falls_back_only_when_no_model_was_chosen():
    from mixbuddy.predict.cli import loud_fallback

    assert loud_fallback(None, False) == "default-master"
    assert loud_fallback("default-real", False) is None and loud_fallback(None, True) is None


def test_a_mix_just_under_the_guard_gets_a_note_only(tmp_path):
    """Between the training mixes' 95th and 99th percentile (-18.4...-17.7 LUFS here) a mix is heard as it is,
    by the same model, with a note that a mastered bounce may be misread (a lightly mastered one can sit there)."""
    reader, blind = level_reader(-20.0, 1.0), FakeModel("mix", sample_rate=SR)
    engine = ModelEngine(model=reader, loud_fallback="blind-one", loader=lambda name: blind)
    rep = advise(song_at(tmp_path, -18.0), "bass", engine)
    assert "loud_mix" not in rep.engine and rep.engine["checkpoint"] is None and not blind.batches
    (note,) = [n for n in rep.notes if "louder than 95% of the mixes this model learned from" in n]
    assert note.endswith("give the stems, or try --checkpoint blind-one")
    quiet = advise(song_at(tmp_path, -19.0), "bass", ModelEngine(model=reader))
    assert not any("95%" in n for n in quiet.notes)
