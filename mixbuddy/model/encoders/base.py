"""The encoder interface shared by every audio encoder, plus exact frame arithmetic."""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor, nn


def conv_out_len(n: int, kernel: int, stride: int, padding: int = 0) -> int:
    """Output length of a 1-D convolution (PyTorch formula, dilation 1); 0 when the input is too short."""
    return max(0, (n + 2 * padding - kernel) // stride + 1)


def conv_out_lens(lengths: Tensor, kernel: int, stride: int, padding: int = 0) -> Tensor:
    """:func:`conv_out_len` for a tensor of lengths (integer arithmetic, stays on device)."""
    return torch.clamp(torch.div(lengths + 2 * padding - kernel, stride, rounding_mode="floor") + 1, min=0)


def lengths_to_mask(lengths: Tensor, max_len: int) -> Tensor:
    """(B,) lengths -> (B, max_len) bool mask, True on valid positions."""
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


class AudioEncoder(nn.Module):
    """Waveform -> frames.

    Attributes: ``sample_rate`` (Hz the input must have), ``out_dim`` (D), ``frame_rate``
    (frames per second, nominal), ``trainable`` (whether any parameter is trained).

    Contract: ``forward(wave (B, T) float32 mono, lengths (B,) | None) -> (frames (B, F, D), mask (B, F))``
    with ``F = num_frames(T)`` and ``mask[b].sum() == num_frames(lengths[b])``. Stereo input is not
    accepted: downmix (mean of channels) before the encoder, as the paper does.
    """

    sample_rate: int
    out_dim: int
    frame_rate: float
    trainable: bool

    def num_frames(self, num_samples: int) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def frame_lengths(self, lengths: Tensor) -> Tensor:  # pragma: no cover - abstract
        """:meth:`num_frames` for a (B,) tensor of sample counts."""
        raise NotImplementedError

    @staticmethod
    def check_input(wave: Tensor, lengths: Tensor | None) -> Tensor:
        """Validate shapes; returns int64 lengths on the wave's device (full length when None)."""
        if wave.dim() != 2:
            raise ValueError(f"audio encoder expects mono (B, T) waveforms, got shape {tuple(wave.shape)} "
                             "(downmix stereo to mono first)")
        if lengths is None:
            return torch.full((wave.shape[0],), wave.shape[1], dtype=torch.long, device=wave.device)
        lengths = lengths.to(device=wave.device, dtype=torch.long)
        if lengths.shape != (wave.shape[0],):
            raise ValueError(f"lengths must have shape ({wave.shape[0]},), got {tuple(lengths.shape)}")
        if int(lengths.max()) > wave.shape[1]:
            raise ValueError(f"a length ({int(lengths.max())}) exceeds the padded waveform ({wave.shape[1]} samples)")
        return lengths


def compose_num_frames(n: int, stages: Sequence[tuple[int, int, int]]) -> int:
    """Apply ``(kernel, stride, padding)`` conv stages to a length ``n``."""
    for k, s, p in stages:
        n = conv_out_len(n, k, s, p)
    return n


def nominal_rate(sample_rate: float, strides: Sequence[int]) -> float:
    return float(sample_rate) / float(math.prod(strides))
