"""AudioLanguageModel: scatter of audio embeddings, loss, training, greedy generation."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from model_helpers import write_tiny_qwen2
from mixbuddy.data.templates import SYSTEM_PROMPT, render_instruction, render_response
from mixbuddy.model.alm import AudioLanguageModel
from mixbuddy.model.config import LLMConfig, LoRAConfig
from mixbuddy.model.llm import load_llm

INSTR = render_instruction(["bass", "drums", "other", "vocals"], "bass", "instr/4")
RESP = render_response("quiet", "drums", "bass", "quiet/3")


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_qwen2(tmp_path_factory.mktemp("tiny_qwen2_alm"))


@pytest.fixture
def alm(tiny_dir: Path) -> AudioLanguageModel:
    model, tok = load_llm(LLMConfig(name_or_path=str(tiny_dir)))
    return AudioLanguageModel(model, tok)


def _audio(n: int, hidden: int, seed: int) -> torch.Tensor:
    return torch.randn(n, hidden, generator=torch.Generator().manual_seed(seed))


def _train_batch(alm: AudioLanguageModel, counts=(5, 9)):
    exs = [alm.prompts.build(SYSTEM_PROMPT, INSTR, [n], RESP) for n in counts]
    return alm.batch(exs), [_audio(n, alm.hidden_size, i) for i, n in enumerate(counts)]


def test_placeholder_row_is_never_used(alm: AudioLanguageModel) -> None:
    alm.eval()
    b, audio = _train_batch(alm)
    out1 = alm(b["input_ids"], b["attention_mask"], b["labels"], audio, b["audio_positions"])
    with torch.no_grad():
        alm.llm.get_input_embeddings().weight[alm.audio_id] += 100.0
    out2 = alm(b["input_ids"], b["attention_mask"], b["labels"], audio, b["audio_positions"])
    assert torch.equal(out1.logits, out2.logits)
    emb = alm.embed(b["input_ids"], audio)
    s, e = b["audio_positions"][1][0]
    assert torch.equal(emb[1, s:e], audio[1])


def test_count_mismatches_are_clear_errors(alm: AudioLanguageModel) -> None:
    b, audio = _train_batch(alm)
    ids, mask = b["input_ids"], b["attention_mask"]
    with pytest.raises(ValueError, match="13 audio embeddings for 14 placeholder"):
        alm(ids, mask, audio_embeds=[audio[0], audio[1][:-1]])
    with pytest.raises(ValueError, match="width"):
        alm(ids, mask, audio_embeds=[a[:, :-1] for a in audio])
    with pytest.raises(ValueError, match="clip 0 .* has 4 audio embeddings"):  # right total, wrong split
        alm(ids, mask, audio_embeds=[audio[0][:4], torch.cat([audio[0][4:], audio[1]])],
            audio_positions=b["audio_positions"])
    with pytest.raises(ValueError, match="1 audio clips for 2"):
        alm(ids, mask, audio_embeds=[torch.cat(audio)], audio_positions=b["audio_positions"])
    alm.eval()
    with torch.no_grad():                           # one concatenated tensor is accepted: same as the list
        joined = alm(ids, mask, audio_embeds=torch.cat(audio)).logits
        listed = alm(ids, mask, audio_embeds=audio, audio_positions=b["audio_positions"]).logits
        text_only = alm(ids, mask, audio_embeds=[torch.zeros_like(a) for a in audio]).logits
    assert joined.shape == (2, ids.shape[1], listed.shape[-1])
    assert torch.allclose(joined, listed, atol=1e-6)
    assert not torch.allclose(joined, text_only, atol=1e-3)     # the audio did reach the logits


def test_padding_does_not_change_the_loss(alm: AudioLanguageModel) -> None:
    alm.eval()
    ex = alm.prompts.build(SYSTEM_PROMPT, INSTR, [6], RESP)
    audio = [_audio(6, alm.hidden_size, 0)]
    b = alm.batch([ex])
    ref = alm(b["input_ids"], b["attention_mask"], b["labels"], audio).loss
    pad = 7
    ids = torch.cat([b["input_ids"], torch.full((1, pad), alm.pad_id)], 1)
    mask = torch.cat([b["attention_mask"], torch.zeros(1, pad, dtype=torch.long)], 1)
    labels = torch.cat([b["labels"], torch.full((1, pad), -100)], 1)
    padded = alm(ids, mask, labels, audio).loss
    assert torch.allclose(ref, padded, atol=1e-6)
    n_sup = int((b["labels"] != -100).sum())
    logits = alm(b["input_ids"], b["attention_mask"], None, audio).logits[0, :-1]
    manual = torch.nn.functional.cross_entropy(logits, b["labels"][0, 1:], ignore_index=-100, reduction="sum") / n_sup
    assert torch.allclose(ref, manual, atol=1e-5)


def test_training_steps_reduce_the_loss(alm: AudioLanguageModel) -> None:
    torch.manual_seed(0)
    b, audio = _train_batch(alm)
    audio = [torch.nn.Parameter(a * 0.1) for a in audio]  # stands in for the projector's output
    base = {n: p.detach().clone() for n, p in alm.llm.named_parameters() if not p.requires_grad}
    lora = [p for p in alm.llm.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(lora + audio, lr=3e-3)
    alm.train()
    losses = []
    for _ in range(8):
        loss = alm(b["input_ids"], b["attention_mask"], b["labels"], audio, b["audio_positions"]).loss
        opt.zero_grad()
        loss.backward()
        assert all(a.grad is not None and a.grad.abs().sum() > 0 for a in audio)  # gradient reaches the audio
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 0.5, losses
    assert all(torch.equal(p, base[n]) for n, p in alm.llm.named_parameters() if n in base)  # base frozen


def _gen_batch(alm: AudioLanguageModel):
    specs = [([4], "mix", None, INSTR), ([2, 3], "stems", ["bass", "vocals"], "Short?"), ([7], "mix", None, "Q")]
    exs = [alm.prompts.build(SYSTEM_PROMPT, ins, c, None, mode=m, clip_names=nm) for c, m, nm, ins in specs]
    audio = [[_audio(n, alm.hidden_size, 10 * i + k) for k, n in enumerate(c)] for i, (c, *_r) in enumerate(specs)]
    return exs, audio


def test_greedy_generation_deterministic_and_batch_invariant(alm: AudioLanguageModel) -> None:
    alm.train()  # generate must switch LoRA dropout off by itself
    exs, audio = _gen_batch(alm)
    b = alm.batch(exs, for_generation=True)
    flat = [a for clips in audio for a in clips]
    first = alm.generate_ids(b["input_ids"], b["attention_mask"], flat, b["audio_positions"], max_new_tokens=12)
    second = alm.generate_ids(b["input_ids"], b["attention_mask"], flat, b["audio_positions"], max_new_tokens=12)
    assert first == second and alm.training
    assert all(0 < len(r) <= 12 for r in first)
    for ex, clips, ref in zip(exs, audio, first):
        one = alm.batch([ex], for_generation=True)
        assert alm.generate_ids(one["input_ids"], one["attention_mask"], clips, max_new_tokens=12)[0] == ref
    texts = alm.generate(b["input_ids"], b["attention_mask"], flat, max_new_tokens=12)
    assert texts == [alm.tokenizer.decode(r, skip_special_tokens=True).strip() for r in first]


def test_generation_is_plain_greedy_whatever_the_model_config(alm: AudioLanguageModel) -> None:
    gc = alm.llm.generation_config
    gc.do_sample, gc.temperature, gc.top_p, gc.repetition_penalty = True, 0.7, 0.8, 1.5  # as Qwen2-Instruct ships
    exs, audio = _gen_batch(alm)
    ex, clips = exs[0], audio[0]
    b = alm.batch([ex], for_generation=True)
    got = alm.generate_ids(b["input_ids"], b["attention_mask"], clips, max_new_tokens=10)[0]
    alm.eval()
    embeds = alm.embed(b["input_ids"], clips)
    manual: list[int] = []
    with torch.no_grad():
        for _ in range(10):
            logits = alm.llm(inputs_embeds=embeds).logits[0, -1]
            logits[alm.audio_id] = -float("inf")
            nxt = int(logits.argmax())
            if nxt in alm.end_ids:
                break
            manual.append(nxt)
            embeds = torch.cat([embeds, alm.llm.get_input_embeddings()(torch.tensor([[nxt]]))], 1)
    assert got == manual


def test_generation_needs_left_padding(alm: AudioLanguageModel) -> None:
    exs, audio = _gen_batch(alm)
    b = alm.batch(exs)  # right padded
    with pytest.raises(ValueError, match="left-padded"):
        alm.generate(b["input_ids"], b["attention_mask"], [a for c in audio for a in c])


def test_real_smollm2_greedy_generation() -> None:
    """The offline default LLM end to end (first run converts the GGUF into the user cache, ~20 s)."""
    from model_helpers import smollm2_gguf_or_skip

    smollm2_gguf_or_skip()
    model, tok = load_llm(LLMConfig(lora=LoRAConfig(enabled=False)))
    alm = AudioLanguageModel(model, tok)
    table = alm.llm.get_input_embeddings().weight.detach()
    exs = [alm.prompts.build("You are a helpful assistant.", "What is the capital of France? One word.", []),
           alm.prompts.build(SYSTEM_PROMPT, INSTR, [4])]
    b = alm.batch(exs, for_generation=True)
    audio = [table[100:104].clone()]
    one = alm.generate(b["input_ids"], b["attention_mask"], audio, max_new_tokens=8)
    two = alm.generate(b["input_ids"], b["attention_mask"], audio, max_new_tokens=8)
    assert one == two and all(t.strip() for t in one)
    assert "paris" in one[0].lower()
