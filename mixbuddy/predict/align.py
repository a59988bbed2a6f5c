"""A mix file given with its stems: do they hold the same music at the same times?

``advise`` takes each window's mix and stems at the same times: a mix model hears the mix while the stems
decide which windows count (and the loudness engine measures the stems while the mix decides which windows
are silent). A mix bounced with a count-in or a pre-roll, or a master whose leading silence was trimmed or
padded, holds other moments of the song there, and nothing said so.

:func:`best_match` finds where the mix best matches the stems' sum: the cross-correlation of their mono
downmixes at ``MATCH_RATE`` (2 kHz, so 0.5 ms steps; 43 ms for a 150 s song at 22,050 Hz stereo, 62 ms for
240 s at 16 kHz), normalised by both signals' whole energy (so a large shift, which overlaps less, needs
more to win). Measured by ``python benchmarks/mix_offset.py`` on the three real-dev songs and the example:
every offset made (5 ms to 8 s late, a click count-in, bounced from 0:00.5 to 0:40) found to the sample at
2 kHz, at r 0.88-1.00, or 0.58-0.72 for a mix whose vocals sit 20 dB above the stems'; a master-like copy
0.97-0.98; another song at most 0.04 (two songs' 6 s passages at most 0.28, two passages of one loop-based song
up to 0.86).

:func:`line_up` acts on it: a mix matching at a shift of at least ``MIN_SHIFT_S`` with ``r >= ALIGN_R``,
clearly better than as given, is lined up (the part only one of them holds is left out) with a warning; a
mix that matches only loosely (``r < ALIGN_R``) is used as given with a warning (another song or version,
or stems of the mix missing from the folder); then the two are trimmed to the same length (warned about
when they differ by more than 50 ms, more than a lossy codec's padding).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.signal import correlate

from ..audio import resample, to_channels

log = logging.getLogger(__name__)

MATCH_RATE = 2000
ALIGN_R = 0.5        # the shift is trusted (and applied) from here
MIN_GAIN_R = 0.1     # ... when it matches this much better than as given (a loop a bar off matches well too)
MIN_SHIFT_S = 0.01   # smaller offsets (a plug-in's latency) change nothing a 10 s window or a 50 ms frame sees


@dataclass(frozen=True)
class Match:
    lag_s: float       # > 0: the mix holds the stems' music lag_s later (a lead-in); < 0: it starts into it
    r: float           # correlation at that lag
    r_as_given: float  # correlation at lag 0


def _mono(x: np.ndarray, sr: int) -> np.ndarray:
    return resample(to_channels(x, 1), sr, MATCH_RATE)[:, 0].astype(np.float64)


def best_match(mix: np.ndarray, stems_sum: np.ndarray, sr: int) -> Match | None:
    """Where ``mix`` best matches ``stems_sum`` (both (samples, channels) at ``sr``); None when either is
    silent (nothing to match)."""
    m, s = _mono(mix, sr), _mono(stems_sum, sr)
    energy = float(np.sqrt(np.dot(m, m) * np.dot(s, s)))
    if energy < 1e-9 or not np.isfinite(energy):
        return None
    c = correlate(m, s, mode="full", method="fft")
    k = int(np.argmax(np.abs(c)))  # a mix of inverted polarity matches as well
    zero = len(s) - 1
    return Match((k - zero) / MATCH_RATE, abs(float(c[k])) / energy, abs(float(c[zero])) / energy)


def decide(found: Match | None) -> str:
    """What :func:`line_up` does about a match: "line up", "loose" (warn, use as given) or "keep"."""
    if found is None:
        return "keep"
    if found.r < ALIGN_R:
        return "loose"
    if abs(found.lag_s) >= MIN_SHIFT_S and found.r >= found.r_as_given + MIN_GAIN_R:
        return "line up"
    return "keep"


def line_up(song: str | Path, stems_dir: str | Path, mix: np.ndarray, stems: dict[str, np.ndarray],
            sr: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``mix`` and ``stems`` (at ``sr``) lined up and trimmed to one length, with a warning for whatever
    was changed or looks wrong."""
    found = best_match(mix, np.sum(np.stack(list(stems.values())), axis=0), sr)
    action = decide(found)
    if action == "loose":
        log.warning("%s matches the stems' sum (%s) only loosely (correlation %.2f at best): another "
                    "song or version, or stems of this mix missing from the folder? The advice takes each "
                    "window's mix and stems at the same times", song, stems_dir, found.r)
    elif action == "line up":
        shift = int(round(abs(found.lag_s) * sr))
        if found.lag_s > 0:
            mix = mix[shift:]
            how = (f"its first {found.lag_s:.3f} s (before the stems' music) are left out, and times count "
                   "from the stems' start")
        else:
            stems = {k: v[shift:] for k, v in stems.items()}
            how = (f"it starts {-found.lag_s:.3f} s into the stems' music; the stems' first {-found.lag_s:.3f} s "
                   "are left out, and times count from the mix's start")
        log.warning("%s does not line up with %s: %s (correlation %.2f lined up, %.2f as given)",
                    song, stems_dir, how, found.r, found.r_as_given)
    n_mix, n_stems = mix.shape[0], next(iter(stems.values())).shape[0]
    if n_mix != n_stems:
        n = min(n_mix, n_stems)
        if abs(n_mix - n_stems) > sr // 20:  # a lossy codec's padding (an AAC/MP3 frame or two): no news
            log.warning("%s (%.2f s) and stems %s (%.2f s) differ in length; trimming both to %.2f s", song,
                        n_mix / sr, stems_dir, n_stems / sr, n / sr)
        mix = mix[:n]
        stems = {k: v[:n] for k, v in stems.items()}
    return mix, stems
