"""MixbuddyModel (audio stack + LLM) and its checkpoints, with tiny real stand-ins (no mocks)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open

from model_helpers import write_tiny_qwen2
from mixbuddy.config import from_dict
from mixbuddy.data.templates import render_instruction, render_response
from mixbuddy.errors import ConfigError
from mixbuddy.model.audio_config import AudioConfig, EncoderConfig, HFEncoderConfig, MelEncoderConfig
from mixbuddy.model.checkpoint import load_checkpoint, save_checkpoint
from mixbuddy.model.config import LLMConfig, LoRAConfig
from mixbuddy.model.mixbuddy_model import MixbuddyModel
from mixbuddy.model.model_config import ModelConfig

INSTR = render_instruction(["bass", "drums", "other", "vocals"], "vocals", "instr/4")
RESP = render_response("loud", "drums", "vocals", "loud/2")
SR = 16000


@pytest.fixture(scope="module")
def tiny_llm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_qwen2(tmp_path_factory.mktemp("tiny_qwen2_full"))


@pytest.fixture(scope="module")
def tiny_hubert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import HubertConfig, HubertModel, Wav2Vec2FeatureExtractor

    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("tiny_hubert_full")
    HubertModel(HubertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                             conv_dim=(8,) * 7, conv_kernel=(10, 3, 3, 3, 3, 2, 2), conv_stride=(5, 2, 2, 2, 2, 2, 2),
                             num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)).save_pretrained(d)
    Wav2Vec2FeatureExtractor(sampling_rate=SR, do_normalize=True).save_pretrained(d)
    return d


def _cfg(llm: Path, mode: str = "mix", hf: Path | None = None) -> ModelConfig:
    audio = AudioConfig()
    audio.encoder.mel = MelEncoderConfig(channels=32, out_dim=24, res_blocks=1, transformer_layers=1, heads=2,
                                         n_mels=32, n_fft=512)
    if hf is not None:
        audio.encoder = EncoderConfig(kind="hf", hf=HFEncoderConfig(name_or_path=str(hf)))
        audio.pooling.tokens_per_second = 5.0
    return ModelConfig(audio=audio, llm=LLMConfig(name_or_path=str(llm), device="cpu", lora=LoRAConfig(r=4, alpha=8)),
                       input_mode=mode, clip_seconds=2.0, max_new_tokens=12)


def _waves(n: int, seconds: float = 2.0, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(0.1 * rng.standard_normal(int(seconds * SR) - 37 * i)).astype(np.float32) for i in range(n)]


def _train_a_little(model: MixbuddyModel, waves: list, steps: int = 3) -> list[float]:
    """A few AdamW steps on fixed inputs so that LoRA B and every trained part move away from their init."""
    batch = model.prepare(waves, [INSTR] * len(waves), ["vocals"] * len(waves), responses=[RESP] * len(waves))
    batch["aux_labels"] = torch.tensor([7] * len(waves))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    model.train()
    out = []
    for _ in range(steps):
        loss = model(batch).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        out.append(loss.item())
    return out


def test_prepare_counts_and_losses(tiny_llm: Path) -> None:
    torch.manual_seed(0)
    model = MixbuddyModel.build(_cfg(tiny_llm))
    assert model.sample_rate == SR and model.clip_samples == 2 * SR and model.num_tokens(2 * SR) == 5
    waves = _waves(3)
    batch = model.prepare(waves, [INSTR] * 3, ["vocals", "bass", None], responses=[RESP] * 3)
    placeholders = (batch["input_ids"] == model.alm.audio_id).sum(1).tolist()
    assert placeholders == [model.num_tokens(len(w)) for w in waves]
    assert batch["lengths"].tolist() == [len(w) for w in waves] and batch["aux_labels"] is None
    out = model(batch)
    assert out.aux_loss is None and torch.isfinite(out.loss)
    batch["aux_labels"] = torch.tensor([0, 3, 12])
    out = model(batch)
    w = model.cfg.audio.aux.weight
    assert torch.allclose(out.loss, out.lm_loss + w * out.aux_loss)
    audio_only = model(batch, audio_only=True)
    assert audio_only.lm_loss is None and torch.equal(audio_only.loss, audio_only.aux_loss)


@pytest.mark.parametrize("mode", ["mix", "stems"])
def test_checkpoint_roundtrip_identical(tiny_llm: Path, tmp_path: Path, mode: str) -> None:
    torch.manual_seed(0)
    model = MixbuddyModel.build(_cfg(tiny_llm, mode))
    waves: list = _waves(2)
    if mode == "stems":
        assert model.clip_names == ["bass", "drums", "other", "vocals"]
        waves = [{"bass": w, "drums": 0.5 * w, "vocals": 0.3 * w} for w in waves]   # 'other' missing -> silence
    losses = _train_a_little(model, waves)
    assert losses[-1] < losses[0]
    before = model.generate(waves, [INSTR] * 2, ["vocals", "bass"])
    assert len(before) == 2 and all(0.0 <= r.p_error <= 1.0 for r in before)
    assert abs(sum(before[0].aux_probs.values()) - 1.0) < 1e-5 and len(before[0].aux_probs) == 13
    assert [r.text for r in model.generate(waves[:1], [INSTR], ["vocals"])] == [before[0].text]  # batch-independent
    old = os.umask(0o022)
    try:
        ckpt = save_checkpoint(model, tmp_path / "ckpt", {"step": 3})
    finally:
        os.umask(old)
    # readable by others, as any new file under that umask (safetensors itself writes 0600)
    modes = {p.relative_to(ckpt).as_posix(): p.stat().st_mode & 0o777 for p in [ckpt, *ckpt.rglob("*")]}
    assert modes["audio.safetensors"] == modes["adapter/adapter_model.safetensors"] == 0o644
    assert set(modes.values()) == {0o644, 0o755} and modes["."] == modes["adapter"] == 0o755
    loaded = load_checkpoint(ckpt)
    after = loaded.generate(waves, [INSTR] * 2, ["vocals", "bass"])
    assert after == before
    b = model.prepare(waves, [INSTR] * 2, ["vocals", "bass"], responses=[RESP] * 2)
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(b).loss, loaded(b).loss)
    assert json.loads((ckpt / "meta.json").read_text())["extra"] == {"step": 3}


def test_merged_lora_gives_the_trained_models_answers_and_cannot_be_saved(tiny_llm: Path, tmp_path: Path) -> None:
    """load_checkpoint(merge_lora=True) folds the adapter into the LLM: the same losses (to float rounding) and
    answers as the peft model, not those of the LLM without its adapter; such a copy is refused by save."""
    torch.manual_seed(0)
    model = MixbuddyModel.build(_cfg(tiny_llm))
    waves = _waves(2)
    _train_a_little(model, waves)
    ckpt = save_checkpoint(model, tmp_path / "ckpt")
    plain, merged = load_checkpoint(ckpt), load_checkpoint(ckpt, merge_lora=True)
    assert (plain.lora_merged, merged.lora_merged) == (False, True)
    assert not any("lora_" in name for name, _ in merged.named_parameters())
    assert merged.merge_lora() is False                                  # once only
    b = plain.prepare(waves, [INSTR] * 2, ["vocals", "bass"], responses=[RESP] * 2)
    with torch.no_grad():
        want, got = plain(b).lm_loss, merged(b).lm_loss
        with plain.alm.llm.disable_adapter():
            bare = plain(b).lm_loss
    assert abs(got.item() - want.item()) < 1e-5 < abs(bare.item() - want.item())
    assert merged.generate(waves, [INSTR] * 2, ["vocals", "bass"]) == plain.generate(waves, [INSTR] * 2,
                                                                                     ["vocals", "bass"])
    with pytest.raises(ConfigError, match=r"again: not written: the model's LoRA adapter is merged"):
        save_checkpoint(merged, tmp_path / "again")
    assert not (tmp_path / "again").exists()
    no_lora = _cfg(tiny_llm)
    no_lora.llm.lora.enabled = False
    assert MixbuddyModel.build(no_lora).merge_lora() is False
    half = _cfg(tiny_llm)
    half.llm.dtype = "bfloat16"                                        # rounding would eat part of the adapter
    bf16 = MixbuddyModel.build(half)
    assert bf16.merge_lora() is False and not bf16.lora_merged


def test_an_hf_encoder_on_auto_takes_the_dtype_of_the_device_the_model_is_built_on(tiny_llm: Path, tiny_hubert: Path,
                                                                                     monkeypatch) -> None:
    """dtype "auto" meant bfloat16 whenever CUDA existed, even for a model built on the CPU; now it follows the
    model's device (a GPU is faked: only its presence is asked)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    cfg = _cfg(tiny_llm, hf=tiny_hubert)
    model = MixbuddyModel.build(cfg, device="cpu")
    assert next(model.stack.encoder.backbone.parameters()).dtype == torch.float32
    assert cfg.audio.encoder.hf.dtype == "auto"                        # the config itself is not changed
    cfg.audio.encoder.hf.dtype = "bfloat16"                            # an explicit choice stands
    assert next(MixbuddyModel.build(cfg, device="cpu").stack.encoder.backbone.parameters()).dtype == torch.bfloat16


def test_checkpoint_holds_no_frozen_weights(tiny_llm: Path, tiny_hubert: Path, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = MixbuddyModel.build(_cfg(tiny_llm, hf=tiny_hubert))
    _train_a_little(model, _waves(2), steps=1)
    ckpt = save_checkpoint(model, tmp_path / "ckpt")
    with safe_open(str(ckpt / "audio.safetensors"), "pt") as f:
        audio_keys = set(f.keys())
        stored = sum(f.get_tensor(k).numel() for k in audio_keys)
    assert "encoder.layer_logits" in audio_keys and not any("backbone" in k for k in audio_keys)
    assert any(k.startswith("projector.") for k in audio_keys) and any(k.startswith("aux_head.") for k in audio_keys)
    with safe_open(str(ckpt / "adapter" / "adapter_model.safetensors"), "pt") as f:
        adapter_keys = list(f.keys())
        stored += sum(f.get_tensor(k).numel() for k in adapter_keys)
    assert adapter_keys and all("lora_" in k for k in adapter_keys)        # no embedding / base weights
    adapter_config = json.loads((ckpt / "adapter" / "adapter_config.json").read_text())
    modules = adapter_config["target_modules"]
    assert len(modules) > 1 and modules == sorted(modules)                  # the same bytes from every process
    assert adapter_config["base_model_name_or_path"] == tiny_llm.name       # no local path in what is shipped
    assert not (ckpt / "adapter" / "README.md").exists()                    # peft's placeholder card
    card = (ckpt / "README.md").read_text()
    assert card.startswith("# mixbuddy model `ckpt`") and f"**LLM**: {tiny_llm.name}, frozen, with LoRA" in card
    assert f"`{tiny_hubert.name}` (Hugging Face, frozen" in card and "/" + tiny_llm.parent.name + "/" not in card
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert stored == trainable
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    on_disk = sum(p.stat().st_size for p in ckpt.rglob("*.safetensors"))
    assert on_disk < 4 * trainable + 65536 and frozen > 0                  # float32 trained parts + headers only
    loaded = load_checkpoint(ckpt)
    assert torch.equal(loaded.stack.encoder.layer_logits, model.stack.encoder.layer_logits)


def test_derived_checkpoint_takes_its_head_from_itself_and_the_rest_from_its_base(tiny_llm: Path,
                                                                                   tmp_path: Path) -> None:
    """A derived checkpoint (``base=``) stores only the replaced parameters and its own threshold; loading it
    gives the base's other trained parts (LoRA included) with its head; a changed base, a different
    architecture, a derived base and a non-stack prefix are clear errors."""
    from mixbuddy.model.checkpoint import checkpoint_id

    waves = _waves(2)
    torch.manual_seed(0)
    base = MixbuddyModel.build(_cfg(tiny_llm))
    _train_a_little(base, waves)
    save_checkpoint(base, tmp_path / "base")
    torch.manual_seed(1)
    other = MixbuddyModel.build(_cfg(tiny_llm))
    _train_a_little(other, waves, steps=4)
    other.cfg.audio.aux.verdict_threshold = 0.7
    derived = save_checkpoint(other, tmp_path / "derived", base="../base")
    assert sorted(p.name for p in derived.iterdir()) == ["README.md", "audio.safetensors", "base.json", "config.yaml",
                                                         "meta.json", "tokens.json"]       # no adapter
    with safe_open(str(derived / "audio.safetensors"), "pt") as f:
        assert f.keys() and all(k.startswith("aux_head.") for k in f.keys())
    loaded = load_checkpoint(derived)
    assert loaded.stack.threshold == 0.7
    for name, p in loaded.named_parameters():
        src = other if name.startswith("stack.aux_head.") else base
        assert torch.equal(p, dict(src.named_parameters())[name]), name
    lora = [n for n, p in loaded.named_parameters() if "lora_B" in n]
    assert lora and not torch.equal(dict(base.named_parameters())[lora[0]], dict(other.named_parameters())[lora[0]])
    manual = load_checkpoint(tmp_path / "base")                    # the same model put together by hand
    manual.stack.aux_head.load_state_dict(other.stack.aux_head.state_dict())
    manual.stack.threshold = 0.7
    assert loaded.generate(waves, [INSTR] * 2, ["vocals", "bass"]) == manual.generate(waves, [INSTR] * 2, ["vocals", "bass"])
    first = checkpoint_id(derived)
    _train_a_little(base, waves, steps=1)
    save_checkpoint(base, tmp_path / "base")                       # the base changes under the derived one
    assert checkpoint_id(derived) == first                         # its own files did not change ...
    with pytest.raises(ConfigError, match="has changed since"):    # ... but loading notices the base did
        load_checkpoint(derived)
    blind = _cfg(tiny_llm)                                         # a head on level statistics referred to
    blind.audio.aux.level_reference = -20.0                        # another loudness: allowed, as the head is
    save_checkpoint(MixbuddyModel.build(blind), tmp_path / "blind", base="../base")   # what is replaced
    assert load_checkpoint(tmp_path / "blind").cfg.audio.aux.level_reference == -20.0
    with pytest.raises(ConfigError, match="differs from the model's"):
        save_checkpoint(MixbuddyModel.build(blind), tmp_path / "blind2", base="../base", replaces=["stack.projector"])
    wide = _cfg(tiny_llm)
    wide.audio.aux.hidden = 32
    with pytest.raises(ConfigError, match="differs from the model's"):
        save_checkpoint(MixbuddyModel.build(wide), tmp_path / "wide", base="../base")
    save_checkpoint(other, tmp_path / "derived", base="../base")
    with pytest.raises(ConfigError, match="is itself derived"):
        save_checkpoint(other, tmp_path / "twice", base="../derived")
    with pytest.raises(ConfigError, match="audio-stack parameters"):
        save_checkpoint(other, tmp_path / "lora", base="../base", replaces=["alm.llm"])
    assert not (tmp_path / "wide").exists() and not (tmp_path / "lora").exists()


def test_model_config_errors(tiny_llm: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="input_mode"):
        from_dict(ModelConfig, {"input_mode": "multitrack"})
    with pytest.raises(ConfigError, match="aux.clips"):
        from_dict(ModelConfig, {"audio": {"aux": {"clips": ["bass", "drums"]}}})
    with pytest.raises(ConfigError, match="names 'mix'"):
        from_dict(ModelConfig, {"input_mode": "stems", "audio": {"aux": {"clips": ["mix", "bass"]}}})
    with pytest.raises(ConfigError, match="not a mixbuddy checkpoint"):
        load_checkpoint(tmp_path)
    model = MixbuddyModel.build(_cfg(tiny_llm))
    with pytest.raises(ValueError, match="mono"):
        model.generate([np.zeros((SR, 2), np.float32)], [INSTR], ["bass"])
    with pytest.raises(ValueError, match="mapping"):
        model.generate([{"bass": np.zeros(SR, np.float32)}], [INSTR], ["bass"])


@pytest.mark.parametrize("mode", ["mix", "stems"])
def test_verdict_token_counts_gradients_and_half_precision_export(tiny_llm: Path, tmp_path: Path, mode: str) -> None:
    """aux.verdict adds one token per clip (first, unmasked), is trained by the LM loss only, and a float16
    export loads back with every trained tensor within float16 rounding."""
    torch.manual_seed(0)
    plain = MixbuddyModel.build(_cfg(tiny_llm, mode))
    cfg = _cfg(tiny_llm, mode)
    cfg.audio.aux.verdict = True
    model = MixbuddyModel.build(cfg)
    assert model.num_tokens(2 * SR) == plain.num_tokens(2 * SR) + 1 == 6
    waves: list = _waves(2)
    if mode == "stems":
        waves = [{"bass": w, "drums": 0.5 * w, "vocals": 0.3 * w} for w in waves]
    batch = model.prepare(waves, [INSTR] * 2, ["vocals", "bass"], responses=[RESP] * 2)
    n_clips = len(model.clip_names)
    assert (batch["input_ids"] == model.alm.audio_id).sum(1).tolist() == [n_clips * model.num_tokens(len(w))
                                                                          for w in _waves(2)]
    audio = model._audio(batch, with_labels=False)
    mask = audio.mask.reshape(-1, audio.mask.shape[-1])
    assert mask[:, 0].all()                                     # the verdict leads every clip
    expected = audio.aux.probs @ model.stack.verdict[:, 0]
    first = audio.tokens.reshape(-1, *audio.tokens.shape[-2:])[:, 0]
    assert torch.allclose(first, expected.repeat_interleave(n_clips, 0), atol=1e-6)
    batch["aux_labels"] = torch.tensor([7, 0])
    model.train()
    model.zero_grad()
    model(batch, audio_only=True).loss.backward()                # aux loss alone: verdict gets no gradient
    assert model.stack.verdict.grad is None or not model.stack.verdict.grad.any()
    model.zero_grad()
    out = model(batch)
    out.lm_loss.backward()
    assert model.stack.verdict.grad.abs().sum() > 0
    head_grads = [p.grad for p in model.stack.aux_head.parameters()]
    assert all(g is None or not g.any() for g in head_grads)     # the LM loss never reaches the head
    _train_a_little(model, waves)
    ckpt = save_checkpoint(model, tmp_path / "half", dtype="float16")
    from safetensors.torch import load_file

    assert {v.dtype for v in load_file(str(ckpt / "audio.safetensors")).values()} == {torch.float16}
    assert {v.dtype for v in load_file(str(ckpt / "adapter" / "adapter_model.safetensors")).values()} == {torch.float16}
    loaded = load_checkpoint(ckpt)
    for (k, a), (_, b) in zip(sorted(model.named_parameters()), sorted(loaded.named_parameters())):
        assert b.dtype == torch.float32 and torch.allclose(a, b, rtol=1e-3, atol=1e-4), k
    with pytest.raises(ConfigError, match="checkpoint dtype must be one of"):
        save_checkpoint(model, tmp_path / "bad", dtype="int8")


@pytest.mark.parametrize("mode", ["mix", "stems"])
def test_text_verdict_reads_like_the_class_descriptions(tiny_llm: Path, mode: str, caplog) -> None:
    """verdict_init text: class k's L verdict rows are the LLM's embeddings of its description (padded with
    "."); a clip gets L leading verdict tokens = probability-weighted rows; an old (13, H) verdict loads."""
    from mixbuddy.model.audio import load_trainable_state_dict, trainable_state_dict, verdict_texts

    torch.manual_seed(0)
    cfg = _cfg(tiny_llm, mode)
    cfg.audio.aux.verdict, cfg.audio.aux.verdict_tokens, cfg.audio.aux.verdict_init = True, 4, "text"
    with caplog.at_level("WARNING", logger="mixbuddy.model.audio"):
        model = MixbuddyModel.build(cfg)
    assert "aux.verdict_tokens=4 cuts the longest verdict description" in caplog.text
    plain = MixbuddyModel.build(_cfg(tiny_llm, mode))
    assert model.num_tokens(2 * SR) == plain.num_tokens(2 * SR) + 4
    texts = verdict_texts()
    assert len(texts) == 13 and texts[0] == " balanced: no change needed"
    assert texts[6] == " drums too quiet: raise by between 3 and 6 dB"
    assert texts[7] == " drums too loud: lower by between 3 and 6 dB"
    assert texts[12] == " vocals too loud: lower by between 6 and 12 dB"
    table = model.alm.llm.get_input_embeddings().weight
    tok = model.tokenizer
    for k in (0, 7, 12):
        ids = tok(texts[k], add_special_tokens=False)["input_ids"][:4]
        ids += tok(".", add_special_tokens=False)["input_ids"][-1:] * (4 - len(ids))
        assert torch.equal(model.stack.verdict[k], table[torch.tensor(ids)])
    waves: list = _waves(2)
    if mode == "stems":
        waves = [{"bass": w, "drums": 0.5 * w, "vocals": 0.3 * w} for w in waves]
    batch = model.prepare(waves, [INSTR] * 2, ["vocals", "bass"], responses=[RESP] * 2)
    audio = model._audio(batch, with_labels=False)
    n_clips = len(model.clip_names)
    lead = audio.tokens.reshape(-1, *audio.tokens.shape[-2:])[:, :4]
    expected = torch.einsum("bk,klh->blh", audio.aux.probs, model.stack.verdict).repeat_interleave(n_clips, 0)
    assert torch.allclose(lead, expected, atol=1e-6)
    assert audio.mask.reshape(-1, audio.mask.shape[-1])[:, :4].all()
    one = _cfg(tiny_llm, mode)
    one.audio.aux.verdict = True
    single = MixbuddyModel.build(one)
    state = trainable_state_dict(single.stack)
    state["verdict"] = state["verdict"].reshape(13, -1) + 1.0     # the pre-verdict_tokens layout (13, H)
    load_trainable_state_dict(single.stack, state)
    assert torch.equal(single.stack.verdict[:, 0], state["verdict"])


def test_levels_only_head_never_runs_the_encoder(tiny_llm: Path) -> None:
    """aux.source levels: the head reads the band-level statistics alone; the audio-only (stage-1) forward
    gives the same logits as the full forward and leaves every encoder/projector parameter without gradient."""
    torch.manual_seed(0)
    cfg = _cfg(tiny_llm, "stems")
    cfg.audio.aux.levels, cfg.audio.aux.source, cfg.audio.aux.verdict = True, "levels", True
    model = MixbuddyModel.build(cfg).eval()
    assert model.stack.aux_head.summary is None
    waves = [{"bass": w, "drums": 0.5 * w, "vocals": 0.3 * w} for w in _waves(2)]
    batch = model.prepare(waves, [INSTR] * 2, ["vocals", "bass"], responses=[RESP] * 2)
    batch["aux_labels"] = torch.tensor([7, 0])
    out = model(batch, audio_only=True)
    out.loss.backward()
    full = model._audio(batch)
    assert torch.allclose(out.aux_logits, full.aux.logits, atol=1e-6)
    assert all(p.grad is None for p in model.stack.encoder.parameters())
    assert all(p.grad is None for p in model.stack.projector.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.stack.aux_head.parameters())
    with pytest.raises(ConfigError, match="aux.source 'levels' needs aux.levels"):
        from_dict(AudioConfig, {"aux": {"source": "levels", "levels": False}})
    with pytest.raises(ConfigError, match="aux.verdict_init must be"):
        from_dict(AudioConfig, {"aux": {"verdict": True, "verdict_init": "words"}})


def test_shipped_names_resolve_and_unknown_folders_fail(tmp_path: Path) -> None:
    from mixbuddy.model.checkpoint import SHIPPED, SHIPPED_DIR, resolve_checkpoint

    assert set(SHIPPED) == {"default", "default-stems", "default-real", "default-blind", "default-master"}
    assert resolve_checkpoint(tmp_path) == tmp_path
    with pytest.raises(ConfigError, match="not a mixbuddy checkpoint"):
        load_checkpoint(tmp_path / "missing")
    for name in SHIPPED:
        if (SHIPPED_DIR / name / "config.yaml").is_file():
            assert resolve_checkpoint(name) == SHIPPED_DIR / name
    from mixbuddy.model.checkpoint import _read_base

    for derived in ("default-real", "default-blind", "default-master"):   # re-exported whenever 'default' changes
        if (SHIPPED_DIR / derived / "base.json").is_file():
            assert _read_base(SHIPPED_DIR / derived) == (SHIPPED_DIR / "default", ["aux_head"])


@pytest.mark.parametrize("mode", ["mix", "stems"])
def test_hard_verdict_reads_the_decided_class(tiny_llm: Path, mode: str) -> None:
    """verdict_mode hard: every clip leads with the verdict rows of exactly one class, the one the joint-optimal
    rule picks (never the anchor as target); a threshold only demotes findings to "balanced"; in training,
    verdict_truth 1.0 feeds the true class instead; level features of the configured kind reach the head."""
    from mixbuddy.model.verdict import allowed_from_anchor, decide

    torch.manual_seed(0)
    cfg = _cfg(tiny_llm, mode)
    a = cfg.audio.aux
    a.source, a.levels, a.level_features = "levels", True, "rich" if mode == "mix" else "loudness"
    a.verdict, a.verdict_tokens, a.verdict_mode, a.verdict_truth = True, 3, "hard", 1.0
    model = MixbuddyModel.build(cfg)
    assert model.stack.levels.dim == (265 if mode == "mix" else 3)
    waves: list = _waves(3)
    if mode == "stems":
        waves = [{"bass": w, "drums": 0.5 * w, "vocals": 0.3 * w} for w in waves]
    anchors = ["vocals", "bass", "drums"]
    batch = model.prepare(waves, [INSTR] * 3, anchors, responses=[RESP] * 3)
    model.eval()
    audio = model._audio(batch, with_labels=False)
    cls = decide(audio.aux.probs, allowed_from_anchor(batch["anchor"]))
    n_clips = len(model.clip_names)
    lead = audio.tokens.reshape(-1, *audio.tokens.shape[-2:])[:, :3]
    assert torch.allclose(lead, model.stack.verdict[cls].repeat_interleave(n_clips, 0), atol=1e-6)
    model.stack.threshold = 1.0                               # nothing is sure enough: every verdict is "balanced"
    lead = model._audio(batch, with_labels=False).tokens.reshape(-1, *audio.tokens.shape[-2:])[:, :3]
    assert torch.allclose(lead, model.stack.verdict[0].expand_as(lead), atol=1e-6)
    model.stack.threshold = None
    model.train()
    batch["aux_labels"] = torch.tensor([7, 0, 12])
    lead = model._audio(batch).tokens.reshape(-1, *audio.tokens.shape[-2:])[:, :3]
    truth = model.stack.verdict[torch.tensor([7, 0, 12])].repeat_interleave(n_clips, 0)
    assert torch.allclose(lead, truth, atol=1e-6)
    from mixbuddy.predict.engines import ModelEngine

    ModelEngine(model=model, threshold=0.9)                  # advise --threshold reaches the hard verdict
    assert model.stack.threshold == 0.9
    with pytest.raises(ConfigError, match="verdict_mode"):
        from_dict(ModelConfig, {"audio": {"aux": {"verdict_mode": "argmax"}}})


def test_hard_verdict_never_names_a_stem_the_instruction_leaves_out(tiny_llm: Path) -> None:
    """A mix said to lack a stem (``stems``, or a recipe's stem list) never gets that stem as the verdict's
    target: the decision is the joint-optimal rule over the stems that are there, as the baselines decide."""
    from mixbuddy.constants import TARGET_STEMS
    from mixbuddy.model.heads import decode_class
    from mixbuddy.model.verdict import allowed_from_anchor, decide

    torch.manual_seed(0)
    cfg = _cfg(tiny_llm, "mix")
    a = cfg.audio.aux
    a.source, a.levels, a.level_features = "levels", True, "overall"
    a.verdict, a.verdict_tokens, a.verdict_mode = True, 3, "hard"
    model = MixbuddyModel.build(cfg).eval()
    waves, anchors = _waves(6), ["drums"] * 6
    full = model.prepare(waves, [INSTR] * 6, anchors)
    assert full["present"].all() and full["present"].shape == (6, len(TARGET_STEMS))
    probs = model._audio(full, with_labels=False).aux.probs
    named = {decode_class(int(c))[0] for c in decide(probs, allowed_from_anchor(full["anchor"]))}
    assert named - {None}, "the tiny head should name some stem for the test to mean anything"
    gone = sorted(named - {None})[0]
    stems = [[s for s in ("bass", "drums", "other", "vocals") if s != gone]] * 6
    batch = model.prepare(waves, [INSTR] * 6, anchors, stems=stems)
    assert batch["present"][:, TARGET_STEMS.index(gone)].logical_not().all()
    audio = model._audio(batch, with_labels=False)
    cls = decide(audio.aux.probs, allowed_from_anchor(batch["anchor"]) & batch["present"])
    assert gone not in {decode_class(int(c))[0] for c in cls}
    lead = audio.tokens[:, :3]
    assert torch.allclose(lead, model.stack.verdict[cls], atol=1e-6)
    with pytest.raises(ValueError, match="6 waves for 2 stem lists"):
        model.prepare(waves, [INSTR] * 6, anchors, stems=stems[:2])
    # the P(imbalance) an answer reports is the one the threshold tests: over the stems the mix holds, without
    # the anchor, renormalised; not 1 - P(no error) over all 13 classes
    out = model.generate(waves, [INSTR] * 6, anchors, stems=stems, max_new_tokens=2)
    keep = [n == "no_error" or n.split("/")[0] not in ("drums", gone) for n in out[0].aux_probs]
    for r in out:
        p = np.array(list(r.aux_probs.values()))
        want = 1.0 - p[0] / p[keep].sum()
        assert r.p_error == pytest.approx(want, abs=1e-6)
        assert abs(r.p_error - (1.0 - p[0])) > 1e-4          # the old, unrenormalised number differs


def test_model_engine_loads_its_model_only_for_a_song_it_can_analyse(tiny_llm: Path, tiny_hubert: Path,
                                                                     tmp_path: Path) -> None:
    """advise refuses a silent song before the LLM loads; a good song loads it once; an encoder whose rate only
    its feature extractor knows is loaded when the engine is made."""
    import soundfile as sf

    from mixbuddy.errors import AudioFileError
    from mixbuddy.predict.advise import advise
    from mixbuddy.predict.engines import ModelEngine

    ckpt = save_checkpoint(MixbuddyModel.build(_cfg(tiny_llm)), tmp_path / "mel")
    engine = ModelEngine(ckpt, threshold=0.3)
    assert (engine.sample_rate, engine.input_mode, engine.clip_seconds, engine._model) == (SR, "mix", 2.0, None)
    sf.write(str(tmp_path / "silent.wav"), np.zeros((6 * 44100, 2), np.float32), 44100)
    with pytest.raises(AudioFileError, match="silent.wav: no usable window"):
        advise(tmp_path / "silent.wav", "drums", engine)
    assert engine._model is None
    sf.write(str(tmp_path / "song.wav"), np.stack([_waves(1, seconds=6.0)[0]] * 2, axis=1), SR)
    report = advise(tmp_path / "song.wav", "drums", engine)
    assert len(report.windows) == 3 and engine._model is not None and engine.model.stack.threshold == 0.3
    hf = save_checkpoint(MixbuddyModel.build(_cfg(tiny_llm, hf=tiny_hubert)), tmp_path / "hf")
    assert ModelEngine(hf)._model is not None
