"""The full audio-language model: audio stack (encoder → pooling → projector [+ aux head]) feeding
an LLM (with LoRA) through exactly-counted placeholder slots.

Training objective: ``loss = lm_loss + audio.aux.weight * aux_loss`` (both reported). Stage 1
(:meth:`MixbuddyModel.forward` with ``audio_only=True``) trains the audio side on the aux loss alone
and never calls the LLM. Generation is batched and greedy (deterministic); every answer comes with
the aux head's probability that the mix has an imbalance (``p_error``, over the targets the instruction
allows: not the anchor, not a stem it says the mix lacks; the number a hard verdict's threshold tests and a
confidence a user can threshold) and its 13 class probabilities (as the head gives them).

Usage::

    model = MixbuddyModel.build(cfg)                      # or mixbuddy.model.checkpoint.load_checkpoint(dir)
    out = model.generate([mix_16k], [instruction], ["vocals"])
    out[0].text, out[0].p_error
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from ..data.templates import SYSTEM_PROMPT
from .alm import AudioLanguageModel
from .audio import AudioStack, build_audio_stack
from .batch import Example, RawAudio, clip_audio, collate_examples, num_samples, present_targets
from .heads import anchor_index, class_names, labels_from_recipe
from .llm import load_llm
from .model_config import ModelConfig
from .prompt import IGNORE_INDEX
from .verdict import allowed_targets, p_imbalance


@dataclass
class GenerationResult:
    """One answer: the text, the aux head's P(imbalance) over the targets the instruction allows and its 13
    class probabilities (None without a head)."""

    text: str
    p_error: float | None
    aux_probs: dict[str, float] | None


@dataclass
class MixbuddyOutput:
    """Training/eval forward output (losses are scalars; ``aux_logits`` (B, 13) when the head exists)."""

    loss: Tensor
    lm_loss: Tensor | None
    aux_loss: Tensor | None
    aux_logits: Tensor | None


class MixbuddyModel(nn.Module):
    """Audio stack + :class:`AudioLanguageModel`; see the module docstring."""

    def __init__(self, cfg: ModelConfig, stack: AudioStack, alm: AudioLanguageModel):
        super().__init__()
        self.cfg = cfg
        self.stack = stack
        self.alm = alm

    # ---- construction ----------------------------------------------------------------------------
    @classmethod
    def build(cls, cfg: ModelConfig, device: str | torch.device | None = None) -> "MixbuddyModel":
        """Load the LLM (+ LoRA) as ``cfg.llm`` says and build a freshly initialised audio stack.

        ``device`` overrides ``cfg.llm.device`` (the config itself is not changed). Without LoRA the
        LLM is frozen (only the audio side trains). Initialisation draws from torch's global RNG:
        seed it first for reproducible runs.
        """
        llm_cfg = copy.deepcopy(cfg.llm)
        if device is not None:
            llm_cfg.device = str(device)
        llm, tokenizer = load_llm(llm_cfg)
        if not cfg.llm.lora.enabled:
            for p in llm.parameters():
                p.requires_grad_(False)
        alm = AudioLanguageModel(llm, tokenizer, cfg.llm.audio_token)
        stack = build_audio_stack(cfg.audio, alm.hidden_size, device=alm.device).to(alm.device)
        if cfg.audio.aux.verdict and cfg.audio.aux.verdict_init == "text":
            stack.init_verdict_from_text(tokenizer, alm.llm.get_input_embeddings())
        return cls(cfg, stack, alm)

    def merge_lora(self) -> bool:
        """Fold the LoRA adapter into the LLM's weights for inference (peft's ``merge_and_unload``).

        Each adapted layer then costs one matrix product instead of three: ``mixbuddy predict`` answers the
        same, 14% (mix) / 7% (stems) faster with the shipped models (docs/BENCHMARKS.md, "predict's batch and
        the merged LoRA"). ``advise`` and the app do not merge: on one song it saved no measurable time, and the
        merged weights are resident from loading on, which raised the stems model's peak by ~0.2 GB. Returns
        whether it merged: only into a float32 LLM (a 4-bit or half-precision weight would round away part of
        the adapter's small change), and not without LoRA. A merged model cannot be trained further or saved
        as a checkpoint: load the checkpoint again for that.
        """
        if (not self.cfg.llm.lora.enabled or self.cfg.llm.load_in_4bit or self.lora_merged
                or self.alm.llm.get_base_model().dtype != torch.float32):
            return False
        self.alm.llm = self.alm.llm.merge_and_unload()
        return True

    @property
    def lora_merged(self) -> bool:
        """Whether :meth:`merge_lora` folded the adapter in (the LLM is no longer a peft model)."""
        return self.cfg.llm.lora.enabled and not hasattr(self.alm.llm, "peft_config")

    # ---- geometry --------------------------------------------------------------------------------
    @property
    def sample_rate(self) -> int:
        """Rate (Hz) of the mono audio the model takes (the encoder's)."""
        return int(self.stack.sample_rate)

    @property
    def device(self) -> torch.device:
        return self.alm.device

    @property
    def tokenizer(self) -> Any:
        return self.alm.tokenizer

    @property
    def input_mode(self) -> str:
        return self.cfg.input_mode

    @property
    def clip_names(self) -> list[str]:
        """Clips of one item in model order (``["mix"]`` or the stems)."""
        return self.cfg.clip_names

    @property
    def clip_samples(self) -> int:
        """Samples of a training clip (``clip_seconds`` at :attr:`sample_rate`)."""
        return int(round(self.cfg.clip_seconds * self.sample_rate))

    def num_tokens(self, n_samples: int) -> int:
        """Audio tokens (= placeholders in the prompt) of one clip of ``n_samples`` samples."""
        return self.stack.num_tokens(int(n_samples))

    # ---- inputs ----------------------------------------------------------------------------------
    def example(self, audio: RawAudio, instruction: str, anchor: str | None, system: str | None = None,
                response: str | None = None, label: int = IGNORE_INDEX, id: str = "",
                clip_tokens: int | None = None, stems: Sequence[str] | None = None) -> Example:
        """One :class:`Example` (prompt with a response = training example; without = generation prompt).

        ``audio`` is raw (see :func:`mixbuddy.model.batch.clip_audio`) or already normalised; ``clip_tokens``
        may pass a precomputed token count for the clip length. ``stems``: the stems the instruction says the
        mix holds (None = all); the verdict never names another as the target.
        """
        ready = (self.input_mode == "stems" and isinstance(audio, np.ndarray) and audio.ndim == 2
                 and audio.shape[0] == len(self.clip_names))      # already (C, T) in model order
        if not ready:
            audio = clip_audio(audio, self.input_mode, self.clip_names)
        n = clip_tokens if clip_tokens is not None else self.num_tokens(num_samples(audio))
        prompt = self.alm.prompts.build(system if system is not None else SYSTEM_PROMPT, instruction,
                                        [n] * len(self.clip_names), response, self.input_mode,
                                        self.clip_names if self.input_mode == "stems" else None)
        return Example(id, prompt, audio, anchor_index(anchor), label, present_targets(stems))

    def prepare(self, waves: Sequence[RawAudio] | None = None, instructions: Sequence[str] | None = None,
                anchors: Sequence[str | None] | None = None, system: str | Sequence[str] | None = None,
                responses: Sequence[str] | None = None, recipes: Sequence[Any] | None = None,
                for_generation: bool | None = None,
                stems: Sequence[Sequence[str] | None] | None = None) -> dict[str, Any]:
        """A collated batch from raw inputs, or from ``recipes`` (texts, anchor, aux label and the stems the
        mix holds taken from them; ``stems`` gives the latter per item for raw inputs, None = all).

        Left padding for generation (the default when no responses are given), right padding otherwise.
        """
        if waves is None:
            raise ValueError("prepare needs the audio of every item (waves)")
        n = len(waves)
        labels = [IGNORE_INDEX] * n
        if recipes is not None:
            if len(recipes) != n:
                raise ValueError(f"{n} waves for {len(recipes)} recipes")
            instructions = [r.instruction for r in recipes]
            anchors = [r.anchor for r in recipes]
            system = [r.system for r in recipes]
            labels = [labels_from_recipe(r) for r in recipes]
            stems = [r.stems for r in recipes]
            if for_generation is not True:
                responses = [r.response for r in recipes]
        if instructions is None or anchors is None or len(instructions) != n or len(anchors) != n:
            raise ValueError(f"give one instruction and one anchor per item ({n} waves)")
        if responses is not None and len(responses) != n:
            raise ValueError(f"{n} waves for {len(responses)} responses")
        if stems is not None and len(stems) != n:
            raise ValueError(f"{n} waves for {len(stems)} stem lists")
        systems = [system] * n if system is None or isinstance(system, str) else list(system)
        for_generation = responses is None if for_generation is None else for_generation
        exs = [self.example(w, instructions[i], anchors[i], systems[i],
                            None if for_generation or responses is None else responses[i], labels[i], str(i),
                            stems=None if stems is None else stems[i])
               for i, w in enumerate(waves)]
        return collate_examples(exs, self.alm.pad_id, "left" if for_generation else "right")

    # ---- forward ---------------------------------------------------------------------------------
    def _audio(self, batch: dict[str, Any], with_labels: bool = True, aux_only: bool = False):
        """The audio stack on a batch (``aux_only``: just the aux head's output, see ``AudioStack.aux_only``)."""
        dev = self.device
        labels = batch.get("aux_labels") if with_labels else None
        if aux_only and "levels" in batch:             # stage 1 on cached level features: no audio at all
            return self.stack.aux_only(None, anchor=batch["anchor"].to(dev), levels=batch["levels"].to(dev),
                                       labels=None if labels is None else labels.to(dev))
        run = self.stack.aux_only if aux_only else self.stack.forward_with_aux
        kw = {} if aux_only or "present" not in batch else {"present": batch["present"].to(dev)}
        return run(batch["wave"].to(dev), batch["lengths"].to(dev), anchor=batch["anchor"].to(dev),
                   labels=None if labels is None else labels.to(dev), **kw)

    @staticmethod
    def clip_embeds(tokens: Tensor, mask: Tensor) -> list[Tensor]:
        """Per clip (batch-major, clip order) its valid audio tokens (the mask is a prefix per clip)."""
        flat = tokens.reshape(-1, tokens.shape[-2], tokens.shape[-1])
        counts = mask.reshape(-1, mask.shape[-1]).sum(-1).tolist()
        return [flat[i, :c] for i, c in enumerate(counts)]

    def forward(self, batch: dict[str, Any], audio_only: bool = False) -> MixbuddyOutput:
        """Losses on a collated (right-padded) batch; ``audio_only``: aux loss only, the LLM is not run."""
        if audio_only:
            if self.stack.aux_head is None or batch.get("aux_labels") is None:
                raise ValueError("audio-only training needs the aux head and labelled examples")
            aux = self._audio(batch, aux_only=True)
            return MixbuddyOutput(aux.loss, None, aux.loss, aux.logits)
        audio = self._audio(batch)
        aux_loss = audio.aux.loss if audio.aux is not None else None
        aux_logits = audio.aux.logits if audio.aux is not None else None
        out = self.alm(batch["input_ids"], batch["attention_mask"], batch["labels"],
                       audio_embeds=self.clip_embeds(audio.tokens, audio.mask),
                       audio_positions=batch["audio_positions"])
        loss = out.loss
        if aux_loss is not None and self.cfg.audio.aux.weight > 0:
            loss = loss + self.cfg.audio.aux.weight * aux_loss
        return MixbuddyOutput(loss, out.loss, aux_loss, aux_logits)

    # ---- generation ------------------------------------------------------------------------------
    @torch.no_grad()
    def generate(self, waves: Sequence[RawAudio], instructions: Sequence[str], anchors: Sequence[str | None],
                 system: str | Sequence[str] | None = None, max_new_tokens: int | None = None,
                 batch_size: int | None = None,
                 stems: Sequence[Sequence[str] | None] | None = None) -> list[GenerationResult]:
        """Batched greedy answers for mono float32 audio at :attr:`sample_rate` (one array per item for
        mode ``mix``; a mapping stem → array for ``stems``). ``batch_size`` splits a long list; ``stems``: per
        item, the stems its instruction says the mix holds (None = all; see :meth:`example`)."""
        n = len(waves)
        step = batch_size or max(n, 1)
        results: list[GenerationResult] = []
        was_training = self.training
        self.eval()
        try:
            for s in range(0, n, step):
                sys_part = system if system is None or isinstance(system, str) else list(system)[s:s + step]
                batch = self.prepare(list(waves[s:s + step]), list(instructions[s:s + step]),
                                     list(anchors[s:s + step]), sys_part, for_generation=True,
                                     stems=None if stems is None else list(stems[s:s + step]))
                audio = self._audio(batch, with_labels=False)
                texts = self.alm.generate(batch["input_ids"], batch["attention_mask"],
                                          self.clip_embeds(audio.tokens, audio.mask), batch["audio_positions"],
                                          max_new_tokens or self.cfg.max_new_tokens)
                if audio.aux is not None:
                    probs = audio.aux.probs.cpu()
                    p_err = p_imbalance(probs, allowed_targets(batch["anchor"], batch.get("present")))
                    names = class_names()
                    for t, p, e in zip(texts, probs, p_err.tolist()):
                        results.append(GenerationResult(t, float(e), {k: float(v) for k, v in zip(names, p)}))
                else:
                    results.extend(GenerationResult(t, None, None) for t in texts)
        finally:
            self.train(was_training)
        return results


__all__ = ["MixbuddyModel", "GenerationResult", "MixbuddyOutput", "ModelConfig"]
