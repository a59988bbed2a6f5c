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

from dataclasses import dataclass

from torch import Tensor, nn

from .audio_config import AudioConfig
from .encoders import AudioEncoder, build_encoder
from .heads import AuxHead, AuxOutput
from .pooling import TemporalPool
from .projector import build_projector


@dataclass
class AudioOutput:
    tokens: Tensor              # (B, [C,] N, H) LLM-width audio embeddings
    mask: Tensor                # (B, [C,] N) bool
    aux: AuxOutput | None       # aux head logits / loss (None when the head is disabled)


class AudioStack(nn.Module):
    """encoder -> TemporalPool -> Projector, plus the optional :class:`AuxHead`."""

    def __init__(self, cfg: AudioConfig, llm_hidden: int, encoder: AudioEncoder | None = None):
        super().__init__()
        self.cfg = cfg
        self.encoder = encoder if encoder is not None else build_encoder(cfg.encoder)
        self.pool = TemporalPool(self.encoder.frame_rate, cfg.pooling.tokens_per_second,
                                 self.encoder.out_dim, cfg.pooling.kind)
        self.projector = build_projector(cfg.projector, self.encoder.out_dim, llm_hidden)
        a = cfg.aux
        head_in = llm_hidden if a.source == "projected" else self.encoder.out_dim
        self.aux_head = AuxHead(head_in, a.hidden, a.clips, a.anchor, a.dropout) if a.enabled else None
        self.llm_hidden = int(llm_hidden)

    @property
    def sample_rate(self) -> int:
        return self.encoder.sample_rate

    def num_tokens(self, num_samples: int, sample_rate: int | None = None) -> int:
        """Audio tokens of a clip of ``num_samples`` samples at the encoder's sample rate."""
        if sample_rate is not None and int(sample_rate) != self.sample_rate:
            raise ValueError(f"the audio stack counts samples at {self.sample_rate} Hz, got {sample_rate} Hz: "
                             f"resample the clip first and count its resampled samples")
        return self.pool.num_tokens(self.encoder.num_frames(num_samples))

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

    def forward(self, wave: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        _, tokens, mask, lead = self._encode(wave, lengths)
        return tokens.reshape(*lead, *tokens.shape[1:]), mask.reshape(*lead, mask.shape[-1])

    def forward_with_aux(self, wave: Tensor, lengths: Tensor | None = None, anchor: Tensor | None = None,
                         labels: Tensor | None = None) -> AudioOutput:
        """Tokens plus the aux head's logits (and CE loss when ``labels`` are given)."""
        pooled, tokens, mask, lead = self._encode(wave, lengths)
        shape = lambda t: t.reshape(*lead, *t.shape[1:])  # noqa: E731
        aux = None
        if self.aux_head is not None:
            src = tokens if self.cfg.aux.source == "projected" else pooled
            aux = self.aux_head(shape(src), shape(mask), anchor=anchor, labels=labels)
        return AudioOutput(shape(tokens), shape(mask), aux)


def build_audio_stack(cfg: AudioConfig, llm_hidden: int) -> AudioStack:
    """Encoder, pooling, projector (and aux head) for an LLM of width ``llm_hidden``."""
    return AudioStack(cfg, llm_hidden)


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


def load_trainable_state_dict(module: nn.Module, state: dict[str, Tensor]) -> None:
    """Load what :func:`trainable_state_dict` saved; every expected key must be present, no extras."""
    expected = set(trainable_state_dict(module))
    missing, extra = sorted(expected - set(state)), sorted(set(state) - expected)
    if missing or extra:
        raise KeyError(f"audio checkpoint mismatch: missing {missing[:8]}, unexpected {extra[:8]}")
    module.load_state_dict(state, strict=False)


__all__ = ["AudioStack", "AudioOutput", "build_audio_stack", "trainable_state_dict", "load_trainable_state_dict"]
