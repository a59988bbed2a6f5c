"""The gates that decide which windows of a song are analysed and which stems play in them.

A window is skipped when its mix is silent (RMS below ``MIX_SILENCE_DB``, −35 dBFS) or, when the stems are
known, when the anchor stem is inactive (RMS below ``STEM_SILENCE_DB``, −45 dBFS, or fewer than
``ACTIVE_SHARE`` (20 %) of its 50 ms frames above it) or no stem other than the anchor can be a target; the
same activity test decides which stems the loudness engine measures in a window (the dataset's gates,
:mod:`mixbuddy.data.build`). Each frame's own mean is taken out before its power, so a DC offset, which the
ear does not hear, never counts as sound (``advise`` also takes a large one out as it reads the files and
notes it: :func:`mixbuddy.predict.input_checks.take_out_dc`).

Those levels were set for mixes at the training corpus's levels (−18…−14 LUFS on a stereo meter, their
mono downmix at −19.3 LUFS in the median, ``GATE_LUFS``). When the stems are known the gates move with the
song: the stem gate by how far the stems' sum (BS.1770, mono) sits from ``GATE_LUFS``, the mix gate by how
far the mix does (the same unless a mix file is given: a mastered bounce given with its unmastered stems
does not raise the stems' gate), at most ``MAX_GATE_SHIFT_DB`` either way; noted for a song outside the
training mixes' 1st–99th percentiles (``TRAINED_LUFS_RANGE``). So every export level of the stems counts the
same windows and the same playing stems, and the advice of the loudness engine, which weighs the stems
against each other, does not change with it (a quiet export no longer loses its buried stem first, nor
does a hot one count a stem's bleed as playing). A mix without stems keeps the fixed gates: the mix models
read its level, so a very quiet mix is refused with a hint to raise it rather than misread
(docs/BENCHMARKS.md, "Quiet exports", "Hot exports").
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from ..data.gate import frame_powers as centred_powers
from .engines import MAX_QUIET_SHIFT_DB, QUIET_LUFS, QUIET_RAISE_TO_LUFS

if TYPE_CHECKING:
    from .windows import SongAudio

log = logging.getLogger(__name__)

MIX_SILENCE_DB = -35.0
STEM_SILENCE_DB = -45.0
ACTIVE_SHARE = 0.2
FRAME_S = 0.05
MAX_GATE_SHIFT_DB = MAX_QUIET_SHIFT_DB  # gates go no lower than -65 / -75 dBFS: above a 16-bit file's noise floor
GATE_LUFS = QUIET_RAISE_TO_LUFS   # the level the gates were set at: the training mixes' median (mono)
TRAINED_LUFS_RANGE = (QUIET_LUFS, -13.6)  # the training mixes' 1st and 99th percentiles (mono): a song outside
                                          # is noted (docs/BENCHMARKS.md, "Mastered bounces")


def frame_powers(x: np.ndarray, sr: int) -> np.ndarray:
    """Power of each 50 ms frame of a (samples, channels) signal, channels averaged, with each frame's own mean
    taken out first (``data.gate.frame_powers``, centred): a DC offset (a constant the ear does not hear, which
    a DAW's export can carry) never makes a silent stem or mix look as if it played. The last partial frame is
    left out (the whole signal is one frame when shorter than that)."""
    if not x.size:
        return np.zeros(1)
    n = min(max(1, int(round(FRAME_S * sr))), x.shape[0])
    return np.mean([centred_powers(x[:, c], n, centred=True) for c in range(x.shape[1])], axis=0)


def rms_db(x: np.ndarray, sr: int) -> float:
    """RMS in dBFS of a (samples, channels) signal, DC left out (:func:`frame_powers`)."""
    return float(10.0 * np.log10(frame_powers(x, sr).mean() + 1e-12))


def activity(x: np.ndarray, sr: int, gate_db: float = STEM_SILENCE_DB) -> tuple[float, float]:
    """(RMS dBFS, share of 50 ms frames above ``gate_db``) of a (samples, channels) signal, DC left out."""
    p = frame_powers(x, sr)
    return float(10.0 * np.log10(p.mean() + 1e-12)), float(np.mean(10.0 * np.log10(p + 1e-12) > gate_db))


def dc_offsets(x: np.ndarray, sr: int) -> np.ndarray:
    """The constant each channel of a (samples, channels) signal sits at: the median over its 50 ms frames of
    each frame's mean (so a kick's or a bass note's lopsided cycles, which come and go, do not count); one
    channel at a time (a mean over the middle axis of the whole (frames, n, channels) view is 8 times slower)."""
    n = max(1, int(round(FRAME_S * sr)))
    m = x.shape[0] // n
    if m == 0:
        return np.zeros(x.shape[1])
    return np.array([np.median(x[: m * n, c].reshape(m, n).mean(axis=1, dtype=np.float64))
                     for c in range(x.shape[1])])


def dc_offset(x: np.ndarray, sr: int) -> float:
    """The larger channel's DC offset (:func:`dc_offsets`), as a magnitude."""
    return float(np.abs(dc_offsets(x, sr)).max(initial=0.0))


def gate_shift(lufs: float, quiet_lufs: float | None = GATE_LUFS, loud_lufs: float | None = GATE_LUFS) -> float:
    """dB to move a gate by for a song at ``lufs`` (mono BS.1770): down by how far it sits below ``quiet_lufs``,
    up by how far above ``loud_lufs`` (None: not that way), at most ``MAX_GATE_SHIFT_DB``; 0 when not finite."""
    if not np.isfinite(lufs):
        return 0.0
    if quiet_lufs is not None and lufs < quiet_lufs:
        return float(max(lufs - quiet_lufs, -MAX_GATE_SHIFT_DB))
    if loud_lufs is not None and lufs > loud_lufs:
        return float(min(lufs - loud_lufs, MAX_GATE_SHIFT_DB))
    return 0.0


def gate_levels(audio: "SongAudio", quiet_lufs: float | None = GATE_LUFS,
                loud_lufs: float | None = GATE_LUFS) -> tuple[float, float]:
    """(mix silence gate, stem activity gate) in dBFS for this song: fixed for a mix alone, else moved with the
    mix's and the stems' loudness (see the module docstring), noted for a song outside ``TRAINED_LUFS_RANGE``."""
    if audio.stems is None:
        return MIX_SILENCE_DB, STEM_SILENCE_DB
    mix_shift, stem_shift = (gate_shift(x, quiet_lufs, loud_lufs) for x in (audio.lufs, audio.stems_lufs))
    mix_gate, stem_gate = MIX_SILENCE_DB + mix_shift, STEM_SILENCE_DB + stem_shift
    low, high = TRAINED_LUFS_RANGE
    if (mix_shift or stem_shift) and not all(low <= x <= high for x in (audio.lufs, audio.stems_lufs)):
        def moves(shift: float) -> str:
            return "stays" if abs(shift) < 0.05 else f"moves {'up' if shift > 0 else 'down'} {abs(shift):.1f} dB"

        if round(mix_shift - stem_shift, 1) == 0:
            said = (f"the song is at {audio.lufs:.1f} LUFS (mono): each gate {moves(stem_shift)} (silence below "
                    f"{fmt_gate(mix_gate)} dBFS, a stem plays above {fmt_gate(stem_gate)} dBFS)")
        else:
            said = (f"the mix is at {audio.lufs:.1f} LUFS and the stems' sum at {audio.stems_lufs:.1f} (mono): the "
                    f"silence gate {moves(mix_shift)} (below {fmt_gate(mix_gate)} dBFS), the stems' activity gate "
                    f"{moves(stem_shift)} (a stem plays above {fmt_gate(stem_gate)} dBFS)")
        log.info("%s: %s, so its windows and playing stems are those of an export at %.1f LUFS, where the gates "
                 "were set", audio.source, said, audio.stems_lufs - stem_shift)
    return mix_gate, stem_gate


def fmt_gate(x: float) -> str:
    """A gate level as messages print it: to 0.1 dB, no trailing zero (-35, -48.5)."""
    return f"{round(x, 1):g}"
