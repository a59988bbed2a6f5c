"""The audio side assembled: encoder -> pooling -> projector (+ aux head), built from ``AudioConfig``.

``AudioStack.forward(wave, lengths) -> (tokens, mask)``: ``wave`` is (B, T) for one clip per
example or (B, C, T) for C clips (the ``stems`` mode), mono float32 at ``stack.sample_rate``;
``tokens`` is (B, N, H) / (B, C, N, H) in the LLM's width with ``N = num_tokens(T)``, and
``mask[b].sum() == num_tokens(lengths[b])``. The prompt builder must expand each clip's
placeholder to ``num_tokens(num_samples)`` positions, exactly::

    num_tokens(n) = ceil(encoder.num_frames(n) / window),  window = frame_rate / tokens_per_second
    mel (defaults, 16 kHz): ceil(n / 6400)       -> 25 tokens per 10 s
    MERT (24 kHz):          ceil(conv_frames(n) / 30) at 2.5 tokens/s -> 25 tokens per 10 s

Checkpoints: :func:`trainable_state_dict` keeps only trained parameters and the persistent
buffers of modules that are not frozen, so a frozen 330 M-parameter backbone is never saved.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Sequence

import torch
from torch import Tensor, nn

from .audio_config import AudioConfig
from .encoders import AudioEncoder, build_encoder
from ..constants import CATEGORY_BY_NAME
from ..data.templates import STEM_DISPLAY
from .heads import NUM_CLASSES, AuxHead, AuxOutput, class_names, decode_class
from .levels import LevelFeatures
from .verdict import allowed_targets, decide
from .pooling import TemporalPool
from .projector import build_projector

log = logging.getLogger(__name__)


@dataclass
class AudioOutput:
    tokens: Tensor              # (B, [C,] N, H) LLM-width audio embeddings
    mask: Tensor                # (B, [C,] N) bool
    aux: AuxOutput | None       # aux head logits / loss (None when the head is disabled)


class AudioStack(nn.Module):
    """encoder -> TemporalPool -> Projector, plus the optional :class:`AuxHead`."""

    def __init__(self, cfg: AudioConfig, llm_hidden: int, encoder: AudioEncoder | None = None, device=None):
        super().__init__()
        self.cfg = cfg
        self.encoder = encoder if encoder is not None else build_encoder(cfg.encoder, device)
        self.pool = TemporalPool(self.encoder.frame_rate, cfg.pooling.tokens_per_second,
                                 self.encoder.out_dim, cfg.pooling.kind)
        self.projector = build_projector(cfg.projector, self.encoder.out_dim, llm_hidden)
        a = cfg.aux
        head_in = {"projected": llm_hidden, "pooled": self.encoder.out_dim, "levels": 0}[a.source]
        self.levels = (LevelFeatures(self.encoder.sample_rate, a.level_bands, a.level_features, a.level_reference)
                       if a.enabled and a.levels else None)
        level_dim = self.levels.dim if self.levels is not None else 0
        self.aux_head = (AuxHead(head_in, a.hidden, a.clips, a.anchor, a.dropout, level_dim, a.level_norm)
                         if a.enabled else None)
        self.verdict = None
        if a.enabled and a.verdict:           # verdict_tokens learned LLM-width vectors per aux class
            self.verdict = nn.Parameter(torch.randn(NUM_CLASSES, a.verdict_tokens, int(llm_hidden)) * 0.1)
        self.llm_hidden = int(llm_hidden)

    @property
    def sample_rate(self) -> int:
        return self.encoder.sample_rate

    def num_tokens(self, num_samples: int, sample_rate: int | None = None) -> int:
        """Audio tokens of a clip of ``num_samples`` samples at the encoder's sample rate."""
        if sample_rate is not None and int(sample_rate) != self.sample_rate:
            raise ValueError(f"the audio stack counts samples at {self.sample_rate} Hz, got {sample_rate} Hz: "
                             f"resample the clip first and count its resampled samples")
        extra = self.verdict.shape[1] if self.verdict is not None else 0
        return self.pool.num_tokens(self.encoder.num_frames(num_samples)) + extra

    def _levels(self, wave: Tensor, lengths: Tensor | None, lead: tuple[int, ...]) -> Tensor | None:
        if self.levels is None:
            return None
        flat = wave.reshape(-1, wave.shape[-1])
        n = (torch.full((flat.shape[0],), flat.shape[-1], dtype=torch.long, device=flat.device)
             if lengths is None else lengths.reshape(-1))
        return self.levels(flat, n).reshape(*lead, -1)

    def _encode(self, wave: Tensor, lengths: Tensor | None) -> tuple[Tensor, Tensor, Tensor, tuple[int, ...]]:
        lead: tuple[int, ...] = tuple(wave.shape[:-1])
        if wave.dim() == 3:                                     # (B, C, T): one encoder call for all clips
            wave = wave.reshape(-1, wave.shape[-1])
            lengths = None if lengths is None else lengths.reshape(-1)
        elif wave.dim() != 2:
            raise ValueError(f"audio stack expects (B, T) or (B, C, T) waveforms, got {tuple(wave.shape)}")
        frames, fmask = self.encoder(wave, lengths)
        pooled, mask = self.pool(frames, fmask)
        tokens = self.projector(pooled)
        return pooled, tokens, mask, lead

    def forward(self, wave: Tensor, lengths: Tensor | None = None, anchor: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if self.verdict is not None:
            out = self.forward_with_aux(wave, lengths, anchor)
            return out.tokens, out.mask
        _, tokens, mask, lead = self._encode(wave, lengths)
        return tokens.reshape(*lead, *tokens.shape[1:]), mask.reshape(*lead, mask.shape[-1])

    def level_stats(self, wave: Tensor, lengths: Tensor | None = None) -> Tensor:
        """(B, [C,] level_dim) level features of (B, T) / (B, C, T) clips (what a levels head reads)."""
        if self.levels is None:
            raise ValueError("this audio stack computes no level features (aux.levels: false)")
        return self._levels(wave, lengths, tuple(wave.shape[:-1]))

    def aux_only(self, wave: Tensor | None, lengths: Tensor | None = None, anchor: Tensor | None = None,
                 labels: Tensor | None = None, levels: Tensor | None = None) -> AuxOutput:
        """The aux head alone; with ``aux.source: levels`` the encoder is not run at all, and precomputed
        ``levels`` (from :meth:`level_stats`) replace the waveform."""
        if self.aux_head is None:
            raise ValueError("this audio stack has no aux head (aux.enabled: false)")
        if self.cfg.aux.source != "levels":
            if wave is None:
                raise ValueError(f"aux.source {self.cfg.aux.source!r} reads audio tokens: pass the waveform")
            return self.forward_with_aux(wave, lengths, anchor, labels).aux
        if levels is None:
            levels = self.level_stats(wave, lengths)
        return self.aux_head(None, None, anchor=anchor, labels=labels, levels=levels)

    def forward_with_aux(self, wave: Tensor, lengths: Tensor | None = None, anchor: Tensor | None = None,
                         labels: Tensor | None = None, present: Tensor | None = None) -> AudioOutput:
        """Tokens plus the aux head's logits (and CE loss when ``labels`` are given); ``present`` (B, 3) bool:
        the target stems the instruction says the mix holds (see :meth:`verdict_weights`)."""
        pooled, tokens, mask, lead = self._encode(wave, lengths)
        shape = lambda t: t.reshape(*lead, *t.shape[1:])  # noqa: E731
        aux = None
        if self.aux_head is not None:
            source = self.cfg.aux.source
            src = None if source == "levels" else shape(tokens if source == "projected" else pooled)
            aux = self.aux_head(src, None if src is None else shape(mask), anchor=anchor, labels=labels,
                                levels=self._levels(wave, lengths, lead))
        tokens, mask = shape(tokens), shape(mask)
        if self.verdict is not None:
            tokens, mask = self._with_verdict(tokens, mask, self.verdict_weights(aux, anchor, labels, present))
        return AudioOutput(tokens, mask, aux)

    def verdict_weights(self, aux: AuxOutput, anchor: Tensor | None = None, labels: Tensor | None = None,
                        present: Tensor | None = None) -> Tensor:
        """(B, 13) weights of the verdict rows: the head's probabilities (``soft``) or the one-hot of its
        decision (``hard``; while training, ``verdict_truth`` of the examples get their true class). The hard
        decision never names the anchor, nor a stem that ``present`` (B, 3) bool says the mix lacks."""
        a = self.cfg.aux
        probs = aux.probs.detach()
        if a.verdict_mode == "soft":
            return probs
        allowed = allowed_targets(None if anchor is None else anchor.to(probs.device),
                                  None if present is None else present.to(probs.device))
        cls = decide(probs, allowed, self.threshold)
        if self.training and labels is not None and a.verdict_truth > 0:
            take = torch.rand(cls.shape[0], device=cls.device) < a.verdict_truth
            cls = torch.where(take, labels.to(cls.device), cls)
        return nn.functional.one_hot(cls, NUM_CLASSES).to(probs.dtype)

    @property
    def threshold(self) -> float | None:
        """The P(imbalance) threshold of the hard verdict (``aux.verdict_threshold`` unless overridden)."""
        return getattr(self, "_threshold", self.cfg.aux.verdict_threshold)

    @threshold.setter
    def threshold(self, value: float | None) -> None:
        self._threshold = value

    def _with_verdict(self, tokens: Tensor, mask: Tensor, weights: Tensor) -> tuple[Tensor, Tensor]:
        """Prepend the verdict tokens to every clip (the mask stays a prefix per clip)."""
        v = torch.einsum("bk,klh->blh", weights, self.verdict.float()).to(tokens.dtype)  # (B, L, H)
        if tokens.dim() == 4:                                                     # stems: (B, C, L, H)
            v = v.unsqueeze(1).expand(-1, tokens.shape[1], -1, -1)
        tokens = torch.cat([v, tokens], dim=-2)
        mask = torch.cat([torch.ones_like(mask[..., :1]).expand(*mask.shape[:-1], v.shape[-2]), mask], dim=-1)
        return tokens, mask

    @torch.no_grad()
    def init_verdict_from_text(self, tokenizer: Any, embeddings: nn.Embedding) -> None:
        """``aux.verdict_init: text``: class k's verdict rows = the LLM's embeddings of its description
        (:func:`verdict_texts`), cut or right-padded with the embedding of "." to ``verdict_tokens``."""
        if self.verdict is None:
            return
        n = self.verdict.shape[1]
        pad = tokenizer(".", add_special_tokens=False)["input_ids"][-1]
        table = embeddings.weight
        all_ids = [tokenizer(text, add_special_tokens=False)["input_ids"] for text in verdict_texts()]
        longest = max(len(ids) for ids in all_ids)
        if longest > n:  # e.g. another LLM's tokenizer: the LLM would read a cut description
            log.warning("aux.verdict_tokens=%d cuts the longest verdict description (%d tokens with this "
                        "tokenizer); set aux.verdict_tokens: %d", n, longest, longest)
        for k, ids in enumerate(all_ids):
            ids = ids[:n] + [pad] * (n - len(ids[:n]))
            self.verdict[k] = table[torch.tensor(ids, device=table.device)].float().to(self.verdict.device)


def verdict_texts() -> list[str]:
    """Plain descriptions of the 13 aux classes, in class order (what ``verdict_init: text`` embeds)."""
    out = []
    for k in range(len(class_names())):
        target, cat = decode_class(k)
        if target is None:
            out.append(" balanced: no change needed")
            continue
        c = CATEGORY_BY_NAME[cat]
        lo, hi = (int(x) for x in c.magnitude)
        word, verb = ("too quiet", "raise") if c.direction == "increase" else ("too loud", "lower")
        out.append(f" {STEM_DISPLAY[target]} {word}: {verb} by between {lo} and {hi} dB")
    return out


def build_audio_stack(cfg: AudioConfig, llm_hidden: int, device=None) -> AudioStack:
    """Encoder, pooling, projector (and aux head) for an LLM of width ``llm_hidden``, to run on ``device``
    (it settles an HF encoder's dtype "auto"; the stack is not moved there)."""
    return AudioStack(cfg, llm_hidden, device=device)


def _frozen_prefixes(module: nn.Module) -> list[str]:
    """Top-most submodules that own parameters, none of them trainable."""
    out: list[str] = []
    for name, sub in module.named_modules():
        if not name or any(name == p or name.startswith(p + ".") for p in out):
            continue
        params = list(sub.parameters())
        if params and not any(p.requires_grad for p in params):
            out.append(name)
    return out


def trainable_state_dict(module: nn.Module) -> dict[str, Tensor]:
    """Parameters with ``requires_grad`` + persistent buffers outside frozen submodules (detached)."""
    frozen = _frozen_prefixes(module)
    params = dict(module.named_parameters())
    out: dict[str, Tensor] = {}
    for key, value in module.state_dict().items():
        if key in params:
            keep = params[key].requires_grad
        else:
            keep = not any(key.startswith(p + ".") for p in frozen)
        if keep:
            out[key] = value.detach()
    return out


def under_prefix(key: str, prefixes: Sequence[str]) -> bool:
    """``key`` is one of ``prefixes`` or a name inside one of them (``aux_head.mlp.1.weight`` in ``aux_head``)."""
    return any(key == p or key.startswith(p + ".") for p in prefixes)


def load_trainable_state_dict(module: nn.Module, state: dict[str, Tensor], skip: Sequence[str] = (),
                              only: Sequence[str] | None = None) -> None:
    """Load what :func:`trainable_state_dict` saved; every expected key must be present, no extras.
    Keys under a ``skip`` prefix are neither expected nor loaded; with ``only``, just the keys under one of
    its prefixes are expected (the rest of ``module`` keeps its weights)."""
    wanted = lambda k: not under_prefix(k, skip) and (only is None or under_prefix(k, only))  # noqa: E731
    state = {k: v for k, v in state.items() if not under_prefix(k, skip)}
    expected = {k for k in trainable_state_dict(module) if wanted(k)}
    missing, extra = sorted(expected - set(state)), sorted(set(state) - expected)
    if missing or extra:
        raise KeyError(f"audio checkpoint mismatch: missing {missing[:8]}, unexpected {extra[:8]}")
    own = module.state_dict()
    state = {k: (v.reshape(own[k].shape) if k.endswith("verdict") and v.shape != own[k].shape
                 and v.numel() == own[k].numel() else v) for k, v in state.items()}   # (13, H) = 1 token
    module.load_state_dict(state, strict=False)


__all__ = ["AudioStack", "AudioOutput", "build_audio_stack", "trainable_state_dict", "load_trainable_state_dict",
           "under_prefix"]
