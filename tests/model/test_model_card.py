"""Model cards (README.md in a checkpoint folder): built from the checkpoint's own files and from evaluation
reports, rewritten by `mixbuddy export --card-only` without touching the model or its id. No LLM is loaded."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mixbuddy.cli import main
from mixbuddy.model import checkpoint as ck
from mixbuddy.model.config import LLMConfig
from mixbuddy.model.model_card import DEFAULT_LLM_SOURCE, llm_source, model_card

REPO = Path(__file__).resolve().parents[2]
WEIGHTS = REPO / "mixbuddy" / "weights"


def _report(folder: Path, joint: float, reliability: bool = True) -> Path:
    """A minimal `mixbuddy evaluate` metrics.json."""
    folder.mkdir(parents=True)
    head = {"joint_accuracy": joint, "stem_accuracy": 0.8125, "direction_accuracy": 0.5, "magnitude_accuracy": None,
            "no_error_accuracy": 0.25}
    m = {"n": 40, "n_songs": 2, "headline": head, "ci95": {"joint_accuracy": [0.5, 0.875]}}
    if reliability:
        m["answer_reliability"] = {"ece": 0.0412}
    (folder / "metrics.json").write_text(json.dumps(m))
    return folder


def _copy(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(WEIGHTS / name, tmp_path / name))


def test_card_describes_the_model_from_its_config(tmp_path: Path) -> None:
    stems = model_card(WEIGHTS / "default-stems", "default-stems")
    assert stems.startswith("# mixbuddy model `default-stems`\n")
    assert "each stem (bass, drums, other, vocals)" in stems and "LoRA r=8, alpha=16" in stems
    assert "`loudness`" in stems and "below P(imbalance) 0.62" in stems
    assert "mixbuddy advise --stems STEMS_DIR --anchor drums --checkpoint default-stems" in stems
    assert DEFAULT_LLM_SOURCE in stems and "Apache-2.0" in stems
    assert "--level-check" not in stems                              # stems: the bounce level does not matter
    assert "## Evaluation" not in stems                              # no report given
    mix = model_card(WEIGHTS / "default-real", "default-real")
    assert "Hears** the mix" in mix and "--level-check 5" in mix and "below P(imbalance) 0.60" in mix
    assert "Derived checkpoint**: stores only stack.aux_head" in mix and "from `default`" in mix
    blind = model_card(WEIGHTS / "default-blind", "default-blind")
    assert "blind to the overall level" in blind and "--level-check" not in blind


def test_llm_source_never_names_a_local_path() -> None:
    assert llm_source(LLMConfig()) == DEFAULT_LLM_SOURCE
    assert llm_source(LLMConfig(name_or_path="Qwen/Qwen2-7B-Instruct")) == "Qwen/Qwen2-7B-Instruct"
    assert llm_source(LLMConfig(name_or_path="/home/me/models/tiny-llm")) == "tiny-llm"
    assert llm_source(LLMConfig(gguf_file="/x/y/model.Q4.gguf")) == "GGUF file model.Q4.gguf"


def test_export_card_only_adds_the_reports_and_leaves_the_model_alone(tmp_path: Path, capsys) -> None:
    ckpt = _copy("default-stems", tmp_path)
    before = {p.relative_to(ckpt).as_posix(): p.read_bytes() for p in ckpt.rglob("*") if p.is_file()
              and p.name != "README.md"}
    model_id = ck.checkpoint_id(ckpt)
    synth = _report(tmp_path / "r" / "synth", 0.76734)
    real = _report(tmp_path / "r" / "real", 0.58125, reliability=False)
    assert main(["export", "--checkpoint", str(ckpt), "--card-only", "--report", f"synth test={synth}",
                 "--report", f"real songs={real}"]) == 0
    assert capsys.readouterr().out.strip() == str(ckpt / "README.md")
    card = (ckpt / "README.md").read_text()
    assert f"| synth test | 40 (2) | 76.7 [50.0–87.5] | 81.2 | 50.0 | — | 25.0 | 0.041 | `{synth.as_posix()}` |" in card
    assert f"| real songs | 40 (2) | 58.1 [50.0–87.5] | 81.2 | 50.0 | — | 25.0 | — | `{real.as_posix()}` |" in card
    after = {p.relative_to(ckpt).as_posix(): p.read_bytes() for p in ckpt.rglob("*") if p.is_file()
             and p.name != "README.md"}
    assert after == before and ck.checkpoint_id(ckpt) == model_id    # the card is outside the content hash
    (ckpt / "README.md").unlink()
    assert ck.checkpoint_id(ckpt) == model_id


def test_export_card_options_are_checked(tmp_path: Path, capsys) -> None:
    ckpt = _copy("default-real", tmp_path)
    card = (ckpt / "README.md").read_bytes()
    cases = {("--report", "synth"): "expected LABEL=DIR",
             ("--report", f"synth={tmp_path / 'nowhere'}"): f"{tmp_path / 'nowhere' / 'metrics.json'} not found",
             ("-o", str(tmp_path / "out")): "--card-only rewrites the model card"}
    for extra, message in cases.items():
        assert main(["export", "--checkpoint", str(ckpt), "--card-only", *extra]) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert (ckpt / "README.md").read_bytes() == card and not (tmp_path / "out").exists()
    assert main(["export", "--checkpoint", str(ckpt)]) == 1
    assert "export needs -o/--output" in capsys.readouterr().err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "metrics.json").write_text(json.dumps({"n": 3}))
    assert main(["export", "--checkpoint", str(ckpt), "--card-only", "--report", f"x={bad}"]) == 1
    assert "not a `mixbuddy evaluate` report" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(ck.SHIPPED))
def test_shipped_models_carry_a_card_and_no_local_paths(name: str, monkeypatch) -> None:
    monkeypatch.chdir(REPO)                                          # the cards name their reports relative to it
    d = WEIGHTS / name
    card = (d / "README.md").read_text()
    assert card == model_card(d, name, _reports_of(card))           # up to date with its files
    assert "## Evaluation" in card and "/root/" not in card
    for f in d.rglob("*.json"):
        assert "/root/" not in f.read_text() or f.name == "meta.json", f
    assert not (d / "adapter" / "README.md").exists()


def _reports_of(card: str) -> list[tuple[str, Path]]:
    """The (label, folder) pairs a card's evaluation table was written from (folders relative to the repo)."""
    rows = [line for line in card.splitlines() if line.startswith("| ") and line.endswith("` |")]
    return [(r.split(" | ")[0][2:], Path(r.rsplit("`", 2)[-2])) for r in rows]
