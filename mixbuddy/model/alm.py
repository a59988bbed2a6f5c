"""The audio-language model: projected audio embeddings scattered into an LLM's placeholder slots.

The audio side (encoder → pooling → projector, in other modules) turns each clip into a tensor
``(n_tokens, hidden)``; :class:`mixbuddy.model.prompt.PromptBuilder` made a prompt with exactly
``n_tokens`` placeholder ids for that clip. :meth:`AudioLanguageModel.embed` looks the text ids up
in the LLM's embedding table and overwrites every placeholder position with the audio rows, in
order (batch row by batch row, left to right = clip order). Counts must match exactly, otherwise a
``ValueError`` says where they differ: no placeholder embedding and no padding ever stands in for
audio, in training or inference.
"""
from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

from .config import AUDIO_TOKEN
from .prefix import MIN_SHARED, shared_start, start_cache, start_first
from .prompt import PromptBuilder, PromptExample, collate

AudioEmbeds = Sequence[torch.Tensor] | torch.Tensor
"""Per clip ``(n_tokens, hidden)`` tensors in clip order over the whole batch, or them concatenated."""


class AudioLanguageModel(nn.Module):
    """An LLM (plain or peft-wrapped) that reads audio embeddings at placeholder positions."""

    def __init__(self, llm: nn.Module, tokenizer: Any, audio_token: str = AUDIO_TOKEN):
        super().__init__()
        self.llm = llm
        self.tokenizer = tokenizer
        self.prompts = PromptBuilder(tokenizer, audio_token)
        self.audio_id = self.prompts.audio_id
        self.pad_id = self.prompts.pad_id
        self.end_ids = sorted({self.prompts.end_id} | ({int(tokenizer.eos_token_id)}
                                                        if tokenizer.eos_token_id is not None else set()))
        self.share_start = True
        """Generation reads the prompt start every row shares once (:mod:`mixbuddy.model.prefix`)."""

    @property
    def hidden_size(self) -> int:
        """Width of the LLM's input embeddings (the projector's output size)."""
        return int(self.llm.get_input_embeddings().embedding_dim)

    @property
    def device(self) -> torch.device:
        return self.llm.get_input_embeddings().weight.device

    def batch(self, examples: Sequence[PromptExample], for_generation: bool = False) -> dict[str, Any]:
        """Collate examples: right padding for training, left padding for generation."""
        return collate(examples, self.pad_id, "left" if for_generation else "right")

    def embed(self, input_ids: torch.Tensor, audio_embeds: AudioEmbeds | None,
              audio_positions: Sequence[Sequence[tuple[int, int]]] | None = None) -> torch.Tensor:
        """``inputs_embeds`` ``(B, T, hidden)``: text embeddings with audio rows at placeholder positions.

        With ``audio_positions`` (from the collator) every clip's span and length is checked too.
        """
        input_ids = input_ids.to(self.device)
        is_audio = input_ids == self.audio_id
        table = self.llm.get_input_embeddings()
        # placeholder ids are looked up as pad (their row is never used, and is then overwritten)
        embeds = table(input_ids.masked_fill(is_audio, self.pad_id))
        n_slots = int(is_audio.sum())
        clips = ([] if audio_embeds is None else [audio_embeds] if isinstance(audio_embeds, torch.Tensor)
                 else list(audio_embeds))
        if audio_positions is not None and not isinstance(audio_embeds, torch.Tensor):
            self._check_positions(is_audio, clips, audio_positions)
        if n_slots == 0 and not clips:
            return embeds
        audio = torch.cat([c.reshape(-1, c.shape[-1]) for c in clips]) if clips else embeds.new_zeros(0, embeds.shape[-1])
        if audio.shape[-1] != embeds.shape[-1]:
            raise ValueError(f"audio embeddings have width {audio.shape[-1]}, the LLM expects {embeds.shape[-1]}")
        if audio.shape[0] != n_slots:
            per_row = is_audio.sum(dim=1).tolist()
            raise ValueError(f"{audio.shape[0]} audio embeddings for {n_slots} placeholder positions "
                             f"(per batch row: {per_row}); the prompt must hold one placeholder per audio token")
        audio = audio.to(device=embeds.device, dtype=embeds.dtype)
        return embeds.masked_scatter(is_audio.unsqueeze(-1), audio)

    def _check_positions(self, is_audio: torch.Tensor, clips: list[torch.Tensor],
                         audio_positions: Sequence[Sequence[tuple[int, int]]]) -> None:
        spans = [(b, s, e) for b, row in enumerate(audio_positions) for s, e in row]
        if len(spans) != len(clips):
            raise ValueError(f"{len(clips)} audio clips for {len(spans)} clip spans in the prompts")
        for k, ((b, s, e), clip) in enumerate(zip(spans, clips)):
            n = clip.reshape(-1, clip.shape[-1]).shape[0]
            if n != e - s:
                raise ValueError(f"clip {k} (batch row {b}) has {n} audio embeddings but its span {s}:{e} "
                                 f"holds {e - s} placeholders")
            if not bool(is_audio[b, s:e].all()):
                raise ValueError(f"clip {k}: span {s}:{e} of batch row {b} is not all placeholders")
        if sum(e - s for _, s, e in spans) != int(is_audio.sum()):
            raise ValueError("the prompts hold placeholder positions outside the given clip spans")

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor | None = None,
                audio_embeds: AudioEmbeds | None = None,
                audio_positions: Sequence[Sequence[tuple[int, int]]] | None = None, **kwargs: Any) -> Any:
        """LLM output for the batch; ``.loss`` is the shifted cross-entropy over labels != -100."""
        embeds = self.embed(input_ids, audio_embeds, audio_positions)
        attention_mask = attention_mask.to(embeds.device)
        if labels is not None:
            labels = labels.to(embeds.device)
        return self.llm(inputs_embeds=embeds, attention_mask=attention_mask, labels=labels, **kwargs)

    def generation_config(self, max_new_tokens: int = 64) -> Any:
        """Greedy decoding with every sampling/penalty knob explicitly neutral (a model's own
        ``generation_config``, e.g. Qwen2-Instruct's sampling and repetition penalty, cannot leak in)."""
        from transformers import GenerationConfig

        suppress = [self.audio_id] + ([self.pad_id] if self.pad_id not in self.end_ids else [])
        return GenerationConfig(max_new_tokens=max_new_tokens, do_sample=False, num_beams=1, temperature=1.0,
                                top_k=None, top_p=1.0, repetition_penalty=1.0, no_repeat_ngram_size=0,
                                eos_token_id=list(self.end_ids), pad_token_id=self.pad_id,
                                suppress_tokens=suppress, use_cache=True)

    @torch.no_grad()
    def generate_ids(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                     audio_embeds: AudioEmbeds | None = None,
                     audio_positions: Sequence[Sequence[tuple[int, int]]] | None = None,
                     max_new_tokens: int = 64) -> list[list[int]]:
        """Greedy continuation ids per row (left-padded prompts), cut before the first end token."""
        if bool((attention_mask[:, -1] == 0).any()):
            raise ValueError("generation needs left-padded prompts (use batch(..., for_generation=True))")
        was_training = self.training
        self.eval()  # LoRA / projector dropout off: deterministic
        try:
            embeds = self.embed(input_ids, audio_embeds, audio_positions)
            mask = attention_mask.to(embeds.device)
            k = shared_start(input_ids, attention_mask, self.audio_id) if self.share_start and len(embeds) > 1 else 0
            cache = None
            if k >= MIN_SHARED:
                embeds, mask = start_first(embeds, mask, k)
                cache = start_cache(self.llm, embeds, mask, k)
            out = self.llm.generate(inputs_embeds=embeds, attention_mask=mask, past_key_values=cache,
                                    generation_config=self.generation_config(max_new_tokens))
        finally:
            self.train(was_training)
        seqs = out.sequences if hasattr(out, "sequences") else out
        result = []
        for row in seqs.tolist():
            cut = next((i for i, t in enumerate(row) if t in self.end_ids), len(row))
            result.append(row[:cut])
        return result

    def generate(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, audio_embeds: AudioEmbeds | None = None,
                 audio_positions: Sequence[Sequence[tuple[int, int]]] | None = None,
                 max_new_tokens: int = 64) -> list[str]:
        """Greedy, batched generation; the decoded replies (special tokens removed, stripped)."""
        ids = self.generate_ids(input_ids, attention_mask, audio_embeds, audio_positions, max_new_tokens)
        return [t.strip() for t in self.tokenizer.batch_decode(ids, skip_special_tokens=True)]
