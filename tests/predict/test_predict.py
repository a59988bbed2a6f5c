"""``mixbuddy predict``: batched answers for a dataset, resumable to the byte, scored by evaluate.
The model is a fake with the real generate() interface (a deterministic function of the audio)."""
from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from mixbuddy.cli import main
from mixbuddy.data import templates as T
from mixbuddy.data.templates import SYSTEM_PROMPT
from mixbuddy.errors import DataError
from mixbuddy.predict.predict import predict_dataset
from predict_helpers import FakeModel


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    from corpus_fixtures import build_recipes

    return build_recipes(tmp_path_factory.mktemp("predict"), n_train=1, n_test=1, seconds=20.0, sr=22050) / "test.jsonl"

def ids_of(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_predicts_every_record_in_batches(dataset, tmp_path):
    n = len(dataset.read_text().splitlines())
    model = FakeModel("stems")
    info = predict_dataset(model, dataset, tmp_path / "p.jsonl", batch_size=7, progress=False)
    assert info["records"] == info["predicted"] == n and info["reused"] == 0
    assert model.batches == [7] * (n // 7) + ([n % 7] if n % 7 else [])
    assert model.systems[0] == [SYSTEM_PROMPT] * 7  # each recipe's own system prompt is passed on
    rows = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [json.loads(line)["id"] for line in dataset.read_text().splitlines()]
    assert all(set(r) == {"id", "text", "confidence", "p_answer"} and 0 <= r["confidence"] <= 1 for r in rows)
    # each answer is the model's answer for its own record's audio (re-rendered here: stems, mono, 16 kHz)
    from mixbuddy.data.recipe import load_recipes
    from mixbuddy.data.render import open_renderer

    recs = load_recipes(dataset)
    assert model.stem_lists == [r.stems for r in recs]       # the verdict may only name stems the mix holds
    renderer = open_renderer(dataset, model.sample_rate, 1)
    expected = []
    for r in recs:
        stems = renderer.render(r, return_stems=True).stems
        assert set(stems) == {"bass", "drums", "other", "vocals"}
        expected.append(FakeModel("stems")._one({s: x[:, 0].copy() for s, x in stems.items()}, r.anchor))
    # answers differ between records, so a row paired with another record's answer is caught
    assert len({e.text for e in expected}) >= 4 and len({e.p_error for e in expected}) > len(recs) // 2
    assert [r["text"] for r in rows] == [e.text for e in expected]
    assert [r["confidence"] for r in rows] == pytest.approx([e.p_error for e in expected], abs=1e-6)
    # P(right): 0.7 P(error) for "too loud" (the fake head's mass on that stem and direction), 1 - P(error)
    # for "balanced"
    said_ok = [e.text == T.RESPONSE_TEMPLATES["no_error"]["no_error/1"] for e in expected]
    assert 0 < sum(said_ok) < len(expected)
    assert [r["p_answer"] for r in rows] == pytest.approx(
        [1.0 - e.p_error if ok else 0.7 * e.p_error for e, ok in zip(expected, said_ok)], abs=1e-5)
    # the output is what `mixbuddy evaluate` reads, through the same parser as any model
    rep = tmp_path / "rep"
    assert main(["evaluate", "--predictions", str(tmp_path / "p.jsonl"), "--dataset", str(dataset), "-o", str(rep),
                 "--bootstrap", "0"]) == 0
    m = json.loads((rep / "metrics.json").read_text())
    assert m["counts"]["unparseable"] == 0 and m["n"] == n
    rel = m["answer_reliability"]
    assert rel["n"] == n and rel["mean_confidence"] == pytest.approx(np.mean([r["p_answer"] for r in rows]))
    assert "## How far to trust P(right)" in (rep / "report.md").read_text()


def test_resume_after_interruption_gives_the_same_bytes(dataset, tmp_path):
    one = tmp_path / "one.jsonl"
    predict_dataset(FakeModel("stems"), dataset, one, batch_size=4, progress=False)
    full = one.read_bytes()
    part = tmp_path / "part.jsonl"
    part.write_bytes(full[: len(full) // 2])  # cut mid-line, as a crash during a write would
    kept = len(full[: len(full) // 2].split(b"\n")) - 1
    model = FakeModel("stems")
    info = predict_dataset(model, dataset, part, batch_size=4, progress=False)
    assert part.read_bytes() == full
    assert info["reused"] == kept and sum(model.batches) == info["predicted"] == len(ids_of(one)) - kept
    # a complete output is left alone: nothing to predict
    model = FakeModel("stems")
    assert predict_dataset(model, dataset, part, progress=False)["predicted"] == 0 and model.batches == []


def test_limit_then_complete_and_mix_mode(dataset, tmp_path):
    out = tmp_path / "p.jsonl"
    info = predict_dataset(FakeModel("mix", sample_rate=8000), dataset, out, batch_size=3, limit=5, progress=False)
    assert info["records"] == 5 and len(ids_of(out)) == 5
    predict_dataset(FakeModel("mix", sample_rate=8000), dataset, out, batch_size=3, progress=False)
    single = tmp_path / "single.jsonl"
    predict_dataset(FakeModel("mix", sample_rate=8000), dataset, single, batch_size=8, progress=False)
    assert out.read_bytes() == single.read_bytes()


def test_refuses_an_output_from_another_dataset(dataset, tmp_path):
    out = tmp_path / "p.jsonl"
    out.write_text('{"id": "not-in-the-dataset", "text": "fine"}\n')
    with pytest.raises(DataError, match="p.jsonl:1: id 'not-in-the-dataset' is not in the dataset"):
        predict_dataset(FakeModel(), dataset, out, progress=False)
    out.write_text("garbage\n")
    with pytest.raises(DataError, match=r"p.jsonl: not a predictions JSONL \(line 1: .garbage. is not JSON\)"):
        predict_dataset(FakeModel(), dataset, out, progress=False)


def test_cli_loads_the_checkpoint_and_writes_info(dataset, tmp_path, monkeypatch, capsys):
    calls = []

    def load_checkpoint(path, device=None, merge_lora=False):
        calls.append((path, device, merge_lora))
        return FakeModel("stems")

    fake = types.ModuleType("mixbuddy.model.checkpoint")
    fake.load_checkpoint = load_checkpoint
    fake.checkpoint_id = lambda name: f"{name}@0123"
    monkeypatch.setitem(sys.modules, "mixbuddy.model.checkpoint", fake)
    out = tmp_path / "preds.jsonl"
    assert main(["predict", "--checkpoint", "ckpt", "--dataset", str(dataset), "-o", str(out), "--limit", "6",
                 "--no-progress"]) == 0
    assert calls == [("ckpt", None, True)] and len(ids_of(out)) == 6     # answered by the merged LoRA
    info = json.loads(Path(str(out) + ".json").read_text())
    assert info["checkpoint"] == "ckpt" and info["records"] == 6 and info["input_mode"] == "stems"
    assert info["model"] == "ckpt@0123"
    assert "6 predictions (6 new, 0 reused)" in capsys.readouterr().out


def test_refuses_to_resume_another_models_answers(dataset, tmp_path):
    """Answers are resumed only for the model that wrote them (``model_id`` in ``<output>.json``): a second
    training saved under the same name must not inherit the first one's answers."""
    out = tmp_path / "p.jsonl"
    predict_dataset(FakeModel("stems"), dataset, out, batch_size=4, limit=5, progress=False, model_id="default@aaaa")
    assert json.loads(Path(str(out) + ".json").read_text())["model"] == "default@aaaa"
    info = predict_dataset(FakeModel("stems"), dataset, out, batch_size=4, progress=False, model_id="default@aaaa")
    assert info["reused"] == 5 and info["model"] == "default@aaaa"
    with pytest.raises(DataError, match="p.jsonl: holds answers of default@aaaa, not of default@bbbb; remove it"):
        predict_dataset(FakeModel("stems"), dataset, out, progress=False, model_id="default@bbbb")
    Path(str(out) + ".json").unlink()
    with pytest.raises(DataError, match="holds answers of an unrecorded model"):
        predict_dataset(FakeModel("stems"), dataset, out, progress=False, model_id="default@aaaa")


def test_refuses_to_resume_answers_to_another_version_of_the_dataset(dataset, tmp_path):
    """Datasets rebuilt with another seed or level spread keep their record ids: the sidecar's
    ``dataset_sha256`` keeps their answers apart."""
    out = tmp_path / "p.jsonl"
    info = predict_dataset(FakeModel("stems"), dataset, out, batch_size=4, limit=5, progress=False, model_id="m@1")
    side = json.loads(Path(str(out) + ".json").read_text())
    assert side["dataset_sha256"] == info["dataset_sha256"] and len(info["dataset_sha256"]) == 64
    other = tmp_path / "other.jsonl"
    lines = dataset.read_text().splitlines(keepends=True)
    other.write_text("".join(lines[:-1]))            # same ids (one fewer record), another file
    with pytest.raises(DataError, match="p.jsonl: holds answers to other records than those now in .*other.jsonl"):
        predict_dataset(FakeModel("stems"), other, out, progress=False, model_id="m@1")
    assert predict_dataset(FakeModel("stems"), dataset, out, progress=False, model_id="m@1")["reused"] == 5


def test_checkpoint_id_follows_the_weights(tmp_path):
    """checkpoint_id: same files -> same id; any changed weight file -> another id; meta.json is ignored."""
    from mixbuddy.errors import ConfigError
    from mixbuddy.model.checkpoint import checkpoint_id

    d = tmp_path / "ck"
    (d / "adapter").mkdir(parents=True)
    (d / "config.yaml").write_text("model: {}\n")
    (d / "adapter" / "adapter_model.safetensors").write_bytes(b"weights-1")
    (d / "meta.json").write_text("{}")
    first = checkpoint_id(d)
    assert first.startswith(f"{d}@") and checkpoint_id(d) == first
    (d / "meta.json").write_text('{"note": "exported again"}')
    assert checkpoint_id(d) == first
    (d / "adapter" / "adapter_model.safetensors").write_bytes(b"weights-2")
    assert checkpoint_id(d) != first
    with pytest.raises(ConfigError, match="not a checkpoint folder"):
        checkpoint_id(tmp_path / "nothing")
