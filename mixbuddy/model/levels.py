"""Parameter-free level statistics of a clip: what the aux head reads (``aux.levels``).

Level is what the task is about, and any learned encoder with per-frame normalisation blurs it; these
features carry it to the head exactly, with a fixed dB map ``(dB - db_offset) / db_scale`` (no
per-clip statistics), so a gain of +g dB on a clip moves its level numbers by exactly g / db_scale.
All kinds share one front end: a 20 ms-hop STFT of the mono clip and ``bands`` mel bands.

``level_features`` kinds (numbers per clip, with the default 32 bands):

* ``bands`` (99): per mel band and for the overall level, the mean and spread over the valid frames
  of the scaled dB values and the scaled dB of the mean power.
* ``overall`` (3): the overall level's three numbers only.
* ``loudness`` (3): BS.1770 integrated loudness (K-weighting applied as its magnitude response to the
  STFT power, 400 ms blocks every 100 ms, absolute -70 LUFS and relative -10 LU gates), the ungated
  K-weighted level and the spread of the block loudness. Within 0.2 dB of pyloudnorm (tested).
* ``rich`` (265): for a whole mix, where each stem's level must be inferred. ``bands`` + the 10th and
  90th percentile of every band's dB over frames (how often a band is busy) + the mean rise of each
  band from frame to frame (onsets: drums) + the energy of the *harmonic* and *percussive* parts of
  every band (median-filter HPSS on the mel power: sustained vs transient sound) + ``loudness``.

``reference_lufs`` (``aux.level_reference``): each clip is first moved to this gated loudness, so the
statistics describe its balance but not its overall level (a mix bounced 6 dB louder reads the same).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

LEVEL_FEATURES = ("bands", "overall", "loudness", "rich", "full")
DESC_BANDS = 32          # ``full``: log-spaced triangular bands, 30 Hz - 7.8 kHz (as the mix-features baseline)
HPSS_KERNEL = 9          # median filter length: frames (180 ms) for harmonic, bands for percussive
LOUDNESS_BLOCK_FRAMES, LOUDNESS_STEP_FRAMES = 20, 5     # 400 ms blocks every 100 ms at a 20 ms hop
ABS_GATE_LUFS, REL_GATE_LU = -70.0, -10.0


def k_weighting_power(sample_rate: int, n_fft: int) -> np.ndarray:
    """|H(f)|^2 of the BS.1770 K-weighting (high shelf + RLB high pass) at the rfft bins of ``n_fft``,
    from the two biquads pyloudnorm designs for ``sample_rate`` (the meter of the loudness baseline)."""
    import pyloudnorm as pyln

    z = np.exp(-1j * 2 * np.pi * np.arange(n_fft // 2 + 1) / n_fft)
    h = np.ones_like(z)
    for stage in pyln.Meter(int(sample_rate))._filters.values():
        b, a = np.asarray(stage.b, np.float64), np.asarray(stage.a, np.float64)
        h *= (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    return (np.abs(h) ** 2).astype(np.float32)


def _median_filter(x: Tensor, dim: int, k: int) -> Tensor:
    """Centred running median of odd length ``k`` along ``dim`` over the non-NaN values (NaN = not there:
    the ends and invalid frames), so padding past a clip's length never changes its values."""
    x = x.movedim(dim, -1)
    h = k // 2
    xp = nn.functional.pad(x, (h, h), value=float("nan"))
    return torch.nan_to_num(xp.unfold(-1, k, 1).nanmedian(dim=-1).values).movedim(-1, dim)


def _percentile(x: Tensor, mask: Tensor, n: Tensor, q: float) -> Tensor:
    """(B, K, F) values, (B, F) valid frames, (B, 1) their count -> (B, K) q-th percentile over the valid
    frames (nearest rank; invalid frames sorted past the end)."""
    big = torch.finfo(x.dtype).max / 4
    ranked = torch.where(mask[:, None, :].expand_as(x), x, big).sort(-1).values
    idx = (q * (n - 1)).round().long()
    return ranked.gather(-1, idx[:, :, None].expand(-1, x.shape[1], 1)).squeeze(-1)


def _masked_mean_std(x: Tensor, m: Tensor) -> tuple[Tensor, Tensor]:
    """(B, K, F) values, (B, 1, F) float weights -> mean and standard deviation over F, each (B, K)."""
    n = m.sum(-1).clamp_min(1.0)
    mean = (x * m).sum(-1) / n
    return mean, torch.sqrt(((x - mean[..., None]).square() * m).sum(-1) / n + 1e-6)


class LevelFeatures(nn.Module):
    """(B, T) mono clips + (B,) valid lengths -> (B, dim) level statistics (see the module docstring)."""

    def __init__(self, sample_rate: int, bands: int = 32, kind: str = "bands", reference_lufs: float | None = None):
        super().__init__()
        self.reference_lufs = reference_lufs
        from .audio_config import MelEncoderConfig
        from .encoders.mel import LogMel

        if kind not in LEVEL_FEATURES:
            raise ValueError(f"level_features must be one of {list(LEVEL_FEATURES)}, got {kind!r}")
        self.kind = kind
        hop = max(1, int(sample_rate) // 50)
        n_fft = 1 << max(8, (2 * hop - 1).bit_length())
        self.cfg = MelEncoderConfig(sample_rate=int(sample_rate), n_fft=n_fft, hop_length=hop, n_mels=int(bands),
                                    level_channel=True)
        self.mel = LogMel(self.cfg)
        # one-sided power -> mean square of the windowed signal (Parseval), then K-weighted
        c = np.full(n_fft // 2 + 1, 2.0, np.float32)
        c[0] = c[-1] = 1.0
        norm = n_fft * float(self.mel.window.square().sum())
        self.register_buffer("kw", torch.from_numpy(c * k_weighting_power(sample_rate, n_fft) / norm),
                             persistent=False)
        if kind == "full":
            from ..audio import log_band_matrix

            fb = log_band_matrix(n_fft, int(sample_rate), DESC_BANDS, fmax=min(7800.0, 0.49 * sample_rate))
            self.register_buffer("log_fb", torch.from_numpy(fb.astype(np.float32)), persistent=False)
            self.register_buffer("freq_khz", torch.linspace(0, sample_rate / 2000, n_fft // 2 + 1), persistent=False)
        k = self.mel.out_channels
        rich = 3 * k + 3 * k + 2 * bands + 3
        self.dim = {"bands": 3 * k, "overall": 3, "loudness": 3, "rich": rich, "full": rich + 5 * DESC_BANDS + 6}[kind]
        # where the gated loudness (scaled) sits in the vector: the first of the three loudness numbers
        self.loudness_index = {"loudness": 0, "rich": rich - 3, "full": rich - 3}.get(kind)

    def _scale(self, db: Tensor) -> Tensor:
        return (db - self.cfg.db_offset) / self.cfg.db_scale

    def loudness(self, power: Tensor, mask: Tensor) -> Tensor:
        """(B, 3): scaled gated loudness, ungated K-weighted level and block-loudness spread (LU / db_scale)."""
        ms = torch.einsum("bkf,k->bf", power, self.kw) * mask                       # K-weighted mean square
        m = mask.float()
        L, S = LOUDNESS_BLOCK_FRAMES, LOUDNESS_STEP_FRAMES
        if ms.shape[1] < L:                                                          # shorter than one block
            pad = L - ms.shape[1]
            ms, m = nn.functional.pad(ms, (0, pad)), nn.functional.pad(m, (0, pad))
        z = ms.unfold(1, L, S).mean(-1)                                              # (B, blocks)
        full = m.unfold(1, L, S).min(-1).values > 0
        full[:, 0] |= ~full.any(1)                                                   # keep >= 1 block
        lj = -0.691 + 10 * torch.log10(z.clamp_min(1e-12))
        g1 = full & (lj >= ABS_GATE_LUFS)
        mean_pow = lambda g: (z * g).sum(1) / g.sum(1).clamp_min(1)                  # noqa: E731
        rel = -0.691 + 10 * torch.log10(mean_pow(g1).clamp_min(1e-12)) + REL_GATE_LU
        g2 = g1 & (lj > rel[:, None])
        gated = -0.691 + 10 * torch.log10(mean_pow(g2).clamp_min(1e-12))
        gated = torch.where(g2.any(1), gated, torch.full_like(gated, ABS_GATE_LUFS))
        ungated = -0.691 + 10 * torch.log10((ms.sum(1) / m.sum(1).clamp_min(1)).clamp_min(1e-12))
        f = full.float()
        mu = (lj * f).sum(1) / f.sum(1).clamp_min(1)
        spread = torch.sqrt(((lj - mu[:, None]).square() * f).sum(1) / f.sum(1).clamp_min(1) + 1e-6)
        return torch.stack([self._scale(gated), self._scale(ungated), spread / self.cfg.db_scale], dim=-1)

    def forward(self, wave: Tensor, lengths: Tensor) -> Tensor:
        """Always in float32, autocast or not: the features are measurements (dB), and the stage-1 cache, predict
        and calibrate compute them in float32; under bf16 autocast they moved by up to 0.4 dB."""
        with torch.autocast(wave.device.type, enabled=False):
            return self._features(wave.float(), lengths)

    def _features(self, wave: Tensor, lengths: Tensor) -> Tensor:
        power, mask = self.mel.power(wave, lengths.to(wave.device))
        if self.reference_lufs is not None:     # every clip at the same gated loudness: blind to overall gain
            lufs = self.loudness(power, mask)[:, 0] * self.cfg.db_scale + self.cfg.db_offset
            shift = torch.where(lufs > ABS_GATE_LUFS, self.reference_lufs - lufs, torch.zeros_like(lufs))
            power = power * (10.0 ** (shift / 10.0))[:, None, None]
            wave = wave * (10.0 ** (shift / 20.0))[:, None]
        if self.kind == "loudness":
            return self.loudness(power, mask)
        mel = torch.matmul(self.mel.fb, power)                                       # (B, bands, F)
        feats = torch.cat([mel, power.sum(dim=1, keepdim=True)], dim=1)              # + overall level
        x = self._scale(10.0 * torch.log10(feats.clamp_min(1e-10))) * mask[:, None, :]
        m = mask.to(x.dtype)[:, None, :]
        n = m.sum(-1).clamp_min(1.0)
        mean, std = _masked_mean_std(x, m)
        energy = self._scale(10.0 * torch.log10(((feats * m).sum(-1) / n).clamp_min(1e-10)))
        if self.kind == "overall":                          # the level channel is the last one
            return torch.stack([mean[:, -1], std[:, -1], energy[:, -1]], dim=-1)
        if self.kind == "bands":
            return torch.cat([mean, std, energy], dim=-1)
        # rich: percentiles over valid frames, onsets, HPSS
        p10 = _percentile(x, mask, n, 0.1)
        p90 = -_percentile(-x, mask, n, 0.1)
        pair = m[..., 1:] * m[..., :-1]
        rise = ((x[..., 1:] - x[..., :-1]).clamp_min(0) * pair).sum(-1) / pair.sum(-1).clamp_min(1.0)
        valid_mel = torch.where(mask[:, None, :], mel, float("nan"))
        harm = _median_filter(valid_mel, -1, HPSS_KERNEL)
        perc = _median_filter(valid_mel, -2, HPSS_KERNEL)
        wh = harm.square() / (harm.square() + perc.square()).clamp_min(1e-20)
        part = lambda w: self._scale(10 * torch.log10(((mel * w * m).sum(-1) / n).clamp_min(1e-10)))  # noqa: E731
        out = [mean, std, energy, p10, p90, rise, part(wh), part(1 - wh), self.loudness(power, mask)]
        if self.kind == "full":
            out.append(self.descriptors(wave, lengths, power, mask, m, n))
        return torch.cat(out, -1)

    def descriptors(self, wave: Tensor, lengths: Tensor, power: Tensor, mask: Tensor, m: Tensor, n: Tensor) -> Tensor:
        """The ``full`` kind's 166 classic descriptors (see the module docstring), dB values scaled."""
        bands = torch.matmul(self.log_fb, power).clamp_min(1e-10)                    # (B, 32, F)
        logb = self._scale(10.0 * torch.log10(bands))
        total = self._scale(10.0 * torch.log10(power.sum(1, keepdim=True).clamp_min(1e-10)))
        b_mean, b_std = _masked_mean_std(logb, m)
        b_range = -_percentile(-logb, mask, n, 0.1) - _percentile(logb, mask, n, 0.1)
        r_mean, r_std = _masked_mean_std(logb - total, m)
        centroid = (self.freq_khz[:, None] * power).sum(1, keepdim=True) / power.sum(1, keepdim=True).clamp_min(1e-10)
        c_mean, c_std = _masked_mean_std(centroid, m)
        pair = m[..., 1:] * m[..., :-1]
        flux = torch.sqrt((torch.diff(torch.log(bands), dim=-1).clamp_min(0).square()).sum(1, keepdim=True))
        f_mean, f_std = _masked_mean_std(flux, pair)
        valid = (torch.arange(wave.shape[-1], device=wave.device)[None] < lengths[:, None].to(wave.device)).float()
        rms = torch.sqrt((wave.square() * valid).sum(-1) / valid.sum(-1).clamp_min(1.0) + 1e-10)
        peak = (wave.abs() * valid).amax(-1)
        crest = 20.0 * torch.log10(peak / rms + 1e-10) / self.cfg.db_scale
        return torch.cat([b_mean, b_std, b_range, r_mean, r_std, c_mean, c_std, f_mean, f_std,
                          crest[:, None], self._scale(20.0 * torch.log10(rms))[:, None]], -1)

__all__ = ["LevelFeatures", "LEVEL_FEATURES", "k_weighting_power", "trained_mix_loudness", "loudness_of_level_norm"]


def trained_mix_loudness(model) -> tuple[float, float] | None:
    """(mean, standard deviation) in LUFS of the gated loudness of the 10 s mixes a mix model's aux head
    learned from, read off its level standardisation (``aux.level_norm``, fitted on the training features).

    None for a model that does not read a mix's loudness: stems mode, no level statistics, none of
    them a loudness, no standardisation, or a level-blind head (``aux.level_reference``: every clip
    moved to one loudness, so the spread is nil)."""
    stack = getattr(model, "stack", None)
    levels, head = getattr(stack, "levels", None), getattr(stack, "aux_head", None)
    if (getattr(model.cfg, "input_mode", None) != "mix" or levels is None or head is None
            or levels.loudness_index is None or levels.reference_lufs is not None
            or not getattr(head, "level_norm", False) or head.clips != ("mix",)):
        return None
    return loudness_of_level_norm(levels, head.level_mean, head.level_std)


def loudness_of_level_norm(levels: LevelFeatures, level_mean: Tensor, level_std: Tensor) -> tuple[float, float]:
    """(mean, standard deviation) in LUFS of the gated loudness, from a mix-only head's level standardisation
    (``level_mean`` / ``level_std``, shape (1, levels.dim)) of level features of a kind that holds it."""
    i, c = levels.loudness_index, levels.cfg
    return (float(level_mean[0, i]) * c.db_scale + c.db_offset, float(level_std[0, i]) * c.db_scale)
