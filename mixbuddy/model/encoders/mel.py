"""Built-in log-mel front end (pure torch) + a small trainable conv/transformer encoder.

Level is the signal here: the task is to hear that a stem is 3 dB too loud, so the front end
applies **no per-clip normalisation**. Mel power is converted to dB and mapped by a fixed affine
``(dB - db_offset) / db_scale``; a gain of +g dB shifts every (non-floored) mel bin by exactly +g dB,
i.e. by ``g / db_scale`` at the network input. An optional extra input channel carries the frame's
total STFT power in dB (the same fixed map), so overall loudness is explicit rather than implied.
The encoder uses no batch statistics and masks padded frames to zero before every convolution, so
a clip's frames do not depend on what else is in the batch (padding invariance, tested).

Frames: ``ceil(n / hop)`` STFT frames (frame i centred at ``i*hop + hop/2``, zero padded), then
``ceil(. / s)`` per conv stage of stride ``s``; overall ``ceil(n / (hop * prod(strides)))``.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor, nn

from ..audio_config import MelEncoderConfig
from .base import AudioEncoder, conv_out_len, conv_out_lens, lengths_to_mask, nominal_rate


def _hz_to_mel(f: np.ndarray, scale: str) -> np.ndarray:
    f = np.asarray(f, dtype=np.float64)
    if scale == "htk":
        return 2595.0 * np.log10(1.0 + f / 700.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0           # slaney: linear below 1 kHz, log above
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    lin = f / f_sp
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-12) / min_log_hz) / logstep, lin)


def _mel_to_hz(m: np.ndarray, scale: str) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    if scale == "htk":
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(sr: int, n_fft: int, n_mels: int, f_min: float = 0.0, f_max: float | None = None,
                   scale: str = "slaney") -> np.ndarray:
    """(n_mels, n_fft//2 + 1) triangular filters, slaney area normalisation (as librosa's default)."""
    f_max = sr / 2 if f_max is None else f_max
    if not 0 <= f_min < f_max <= sr / 2:
        raise ValueError(f"mel band [{f_min}, {f_max}] Hz must lie within [0, {sr / 2}]")
    fft_freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    pts = _mel_to_hz(np.linspace(_hz_to_mel(f_min, scale), _hz_to_mel(f_max, scale), n_mels + 2), scale)
    fdiff = np.diff(pts)
    ramps = pts[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (pts[2:n_mels + 2] - pts[:n_mels]))[:, None]
    if np.any(weights.max(axis=1) == 0):
        raise ValueError(f"{n_mels} mel bands are too many for n_fft={n_fft}: some filters are empty")
    return weights.astype(np.float32)


class LogMel(nn.Module):
    """(B, T) waveform -> (B, n_mels [+1], F) scaled log-mel with a (B, F) frame mask."""

    def __init__(self, cfg: MelEncoderConfig):
        super().__init__()
        self.cfg = cfg
        fb = mel_filterbank(cfg.sample_rate, cfg.n_fft, cfg.n_mels, cfg.f_min, cfg.f_max, cfg.mel_scale)
        # Derived from the config: not saved in checkpoints (persistent=False).
        self.register_buffer("fb", torch.from_numpy(fb), persistent=False)
        self.register_buffer("window", torch.hann_window(cfg.n_fft, periodic=True), persistent=False)
        self.out_channels = cfg.n_mels + int(cfg.level_channel)

    def num_frames(self, n: int) -> int:
        return -(-int(n) // self.cfg.hop_length)

    def power(self, wave: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """(B, bins, F) STFT power of (B, T) clips and the (B, F) valid-frame mask."""
        c = self.cfg
        T = wave.shape[1]
        F = self.num_frames(T)
        left = (c.n_fft - c.hop_length) // 2
        right = (F - 1) * c.hop_length + c.n_fft - T - left
        x = nn.functional.pad(wave.float(), (left, right))
        spec = torch.stft(x, c.n_fft, c.hop_length, window=self.window, center=False, return_complex=True)
        mask = lengths_to_mask(torch.div(lengths + c.hop_length - 1, c.hop_length, rounding_mode="floor"), F)
        return spec.real.square() + spec.imag.square(), mask

    def forward(self, wave: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        c = self.cfg
        power, mask = self.power(wave, lengths)                             # (B, bins, F), (B, F)
        feats = torch.matmul(self.fb, power)                                # (B, n_mels, F)
        if c.level_channel:
            feats = torch.cat([feats, power.sum(dim=1, keepdim=True)], dim=1)
        db = 10.0 * torch.log10(feats.clamp_min(1e-10))
        return ((db - c.db_offset) / c.db_scale) * mask[:, None, :], mask


class _ResBlock(nn.Module):
    """Pre-norm residual conv block (LayerNorm over channels per frame; no batch statistics)."""

    def __init__(self, ch: int, dropout: float):
        super().__init__()
        self.norm = nn.LayerNorm(ch)
        self.conv1 = nn.Conv1d(ch, ch, 3, padding=1)
        self.conv2 = nn.Conv1d(ch, ch, 3, padding=1)
        self.act = nn.GELU()
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, m: Tensor) -> Tensor:                    # x (B, C, F), m (B, 1, F)
        h = self.norm(x.transpose(1, 2)).transpose(1, 2) * m
        h = self.conv2(self.act(self.conv1(h)) * m)
        return (x + self.drop(h)) * m


class MelEncoder(AudioEncoder):
    """Log-mel -> strided conv stem -> residual conv blocks -> transformer layers -> Linear(out_dim)."""

    def __init__(self, cfg: MelEncoderConfig | None = None):
        super().__init__()
        cfg = cfg or MelEncoderConfig()
        self.cfg = cfg
        self.sample_rate = cfg.sample_rate
        self.out_dim = cfg.out_dim
        self.frame_rate = nominal_rate(cfg.sample_rate / cfg.hop_length, cfg.strides)
        self.trainable = True
        self.front = LogMel(cfg)
        k, ch = cfg.kernel_size, cfg.channels
        chans = [self.front.out_channels] + [ch] * len(cfg.strides)
        self.stem = nn.ModuleList(nn.Conv1d(chans[i], chans[i + 1], k, stride=s, padding=k // 2)
                                  for i, s in enumerate(cfg.strides))
        if not cfg.strides:
            self.stem.append(nn.Conv1d(chans[0], ch, k, padding=k // 2))
        self.blocks = nn.ModuleList(_ResBlock(ch, cfg.dropout) for _ in range(cfg.res_blocks))
        self.transformer = nn.ModuleList(
            nn.TransformerEncoderLayer(ch, cfg.heads, 2 * ch, cfg.dropout, activation="gelu",
                                       batch_first=True, norm_first=True)
            for _ in range(cfg.transformer_layers))
        self.out_norm = nn.LayerNorm(ch)
        self.out = nn.Linear(ch, cfg.out_dim)

    def _stages(self) -> list[tuple[int, int, int]]:
        return [(c.kernel_size[0], c.stride[0], c.padding[0]) for c in self.stem]  # type: ignore[index]

    def num_frames(self, num_samples: int) -> int:
        n = self.front.num_frames(num_samples)
        for k, s, p in self._stages():
            n = conv_out_len(n, k, s, p)
        return n

    def frame_lengths(self, lengths: Tensor) -> Tensor:
        hop = self.cfg.hop_length
        n = torch.div(lengths + hop - 1, hop, rounding_mode="floor")
        for k, s, p in self._stages():
            n = conv_out_lens(n, k, s, p)
        return n

    def forward(self, wave: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        lengths = self.check_input(wave, lengths)
        if int(lengths.min()) < 1:
            raise ValueError("every clip needs at least one sample")
        x, _ = self.front(wave, lengths)
        n = torch.div(lengths + self.cfg.hop_length - 1, self.cfg.hop_length, rounding_mode="floor")
        for conv, (k, s, p) in zip(self.stem, self._stages()):
            n = conv_out_lens(n, k, s, p)
            x = nn.functional.gelu(conv(x))
            x = x * lengths_to_mask(n, x.shape[-1])[:, None, :]
        mask = lengths_to_mask(n, x.shape[-1])
        m = mask[:, None, :].to(x.dtype)
        for blk in self.blocks:
            x = blk(x, m)
        x = x.transpose(1, 2)                                               # (B, F, C)
        for layer in self.transformer:
            x = layer(x, src_key_padding_mask=~mask)
        x = self.out(self.out_norm(x)) * mask[..., None]
        return x, mask
