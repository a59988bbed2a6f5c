"""Hand-crafted descriptors of a mix for the ``mix-features`` baseline: band energies (log, absolute
and relative to the whole spectrum), their spread over time, loudness, crest, spectral shape, onset
strength and stereo width. Deliberately classic: the bar any neural model must clear."""
from __future__ import annotations

import numpy as np
import pyloudnorm as pyln
from scipy.signal import stft

from ...audio import convert, log_band_matrix

FEATURE_SR = 16000
N_BANDS = 32
_EPS = 1e-10


_FB = log_band_matrix(1024, FEATURE_SR, N_BANDS)
_METER = pyln.Meter(FEATURE_SR)


def mix_features(mix: np.ndarray, sr: int) -> np.ndarray:
    """Feature vector (float32) of a mix given as (samples, channels) float32."""
    x = convert(mix, sr, FEATURE_SR, 2)
    mono = x.mean(axis=1)
    side = 0.5 * (x[:, 0] - x[:, 1])
    _, _, Z = stft(mono, fs=FEATURE_SR, nperseg=1024, noverlap=512, boundary=None, padded=False)
    power = np.abs(Z) ** 2  # (freq, frames)
    bands = _FB @ power  # (bands, frames)
    logb = 10 * np.log10(bands + _EPS)
    total = 10 * np.log10(power.sum(axis=0) + _EPS)
    rel = logb - total[None, :]
    loud = _METER.integrated_loudness(x.astype(np.float64))
    loud = loud if np.isfinite(loud) else -70.0
    freqs = np.linspace(0, FEATURE_SR / 2, power.shape[0])
    centroid = (freqs[:, None] * power).sum(0) / (power.sum(0) + _EPS)
    flux = np.sqrt((np.diff(np.log(bands + _EPS), axis=1).clip(0) ** 2).sum(0))
    rms = np.sqrt(np.mean(mono**2) + _EPS)
    feats = [
        logb.mean(1), logb.std(1), np.percentile(logb, 90, axis=1) - np.percentile(logb, 10, axis=1),
        rel.mean(1), rel.std(1),
        [loud, 20 * np.log10(np.abs(mono).max() / rms + _EPS), 20 * np.log10(rms),
         centroid.mean(), centroid.std(), flux.mean(), flux.std(),
         10 * np.log10((side**2).mean() + _EPS) - 10 * np.log10((mono**2).mean() + _EPS)],
    ]
    return np.concatenate([np.asarray(f, dtype=np.float64).ravel() for f in feats]).astype(np.float32)
