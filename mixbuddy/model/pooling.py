"""Temporal pooling of encoder frames to a fixed number of audio tokens per second.

Frames are grouped in non-overlapping windows of ``w = frame_rate / tokens_per_second`` frames
(``w`` must be a whole number). The last window may be partial. Token count, exactly::

    num_tokens(F) = ceil(F / w)              where F = encoder.num_frames(num_samples)

e.g. mel encoder (25 Hz) at 2.5 tokens/s: w = 10, 10 s at 16 kHz -> F = 250 -> 25 tokens;
MERT (75 Hz) at 2.5 tokens/s: w = 30, 10 s at 24 kHz -> F = 749 -> 25 tokens.
Padded frames (mask False) never enter a token; a token whose window holds no valid frame is
zero and masked out, so ``token_mask.sum(1) == num_tokens(valid frames)`` for every clip.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..errors import ConfigError


def pool_window(frame_rate: float, tokens_per_second: float) -> int:
    """Frames per token; raises ConfigError unless ``frame_rate / tokens_per_second`` is whole."""
    ratio = float(frame_rate) / float(tokens_per_second)
    w = round(ratio)
    if w < 1 or abs(ratio - w) > 1e-6:
        ok = [round(r, 4) for r in token_rate_table(frame_rate)]
        raise ConfigError(f"pooling.tokens_per_second={tokens_per_second} does not divide the encoder's "
                          f"frame rate {frame_rate} Hz; choose one of {ok[:16]}")
    return w


class TemporalPool(nn.Module):
    """(B, F, D) frames + (B, F) mask -> (B, ceil(F / w), D) tokens + (B, N) mask.

    kind ``mean``: average of the window's valid frames. ``attention``: softmax over the window's
    valid frames of a learned score ``Linear(D, 1)`` (a learned, content-dependent average).
    """

    def __init__(self, frame_rate: float, tokens_per_second: float, dim: int, kind: str = "mean"):
        super().__init__()
        if kind not in ("mean", "attention"):
            raise ConfigError(f"pooling.kind must be 'mean' or 'attention', got {kind!r}")
        self.kind = kind
        self.window = pool_window(frame_rate, tokens_per_second)
        self.tokens_per_second = float(tokens_per_second)
        self.score = nn.Linear(dim, 1) if kind == "attention" else None

    def num_tokens(self, num_frames: int) -> int:
        return -(-int(num_frames) // self.window)

    def token_lengths(self, frame_lengths: Tensor) -> Tensor:
        return torch.div(frame_lengths + self.window - 1, self.window, rounding_mode="floor")

    def forward(self, frames: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        B, F, D = frames.shape
        w = self.window
        N = self.num_tokens(F)
        pad = N * w - F
        x = nn.functional.pad(frames, (0, 0, 0, pad)).view(B, N, w, D)
        m = nn.functional.pad(mask, (0, pad)).view(B, N, w)
        if self.score is None:
            weights = m.to(x.dtype)
            count = weights.sum(-1, keepdim=True)
            weights = weights / count.clamp_min(1.0)
        else:
            s = self.score(x).squeeze(-1).masked_fill(~m, float("-inf"))
            weights = torch.softmax(s, dim=-1).nan_to_num(0.0) * m      # empty windows -> all zeros
        tokens = torch.einsum("bnw,bnwd->bnd", weights, x)
        return tokens, m.any(-1)


def token_rate_table(frame_rate: float, max_tokens_per_second: float = 50.0) -> list[float]:
    """Selectable tokens-per-second values for an encoder's frame rate (whole windows)."""
    return [frame_rate / k for k in range(1, int(math.ceil(frame_rate * 2)) + 1)
            if 0.5 <= frame_rate / k <= max_tokens_per_second]
