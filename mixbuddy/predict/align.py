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
mix that matches only loosely (``r < ALIGN_R``) is first matched again with each set of the stems turned over
(:func:`flipped_match`: a stem the mix holds in opposite polarity, :mod:`mixbuddy.predict.polarity`), and lined up
by that match when it is trusted, else used as given with a warning (another song or version, or stems of the mix
missing from the folder); then the two are trimmed to the same length (warned about
when they differ by more than 50 ms, more than a lossy codec's padding).

Before that, :func:`place_stems` looks for a stem exported from its first region rather than from the song's
start (a DAW's "export region" or a consolidated clip): its file is shorter than the song and its music sits
too early. For a stem whose file ends early (the zero-padding after it leaves room to move it later), it finds
where the stem's music best matches the mix, relative to where the stems whose files run to the song's end match
it (those cannot have started late; with none, or too quiet a match, all the others), so a mix's own lead-in is
not mistaken for it, nor another misplaced stem taken as the reference. A place that is not also the stem's own
best match anywhere in the mix is not trusted (under a heavy master, several stems misplaced at once can pull the
reference off). The stem is moved there, with a warning, when it matches there at least ``PLACE_GAIN``
times better than where it is and ``PLACE_DISTINCT`` times better than anywhere else ``PLACE_APART_S`` away (a
loop-based song repeats its parts, so a region of it may match a few places about equally well: then it is left
where it is, with a warning). A region export summed with other files into one stem (one of several "other"
tracks) is not looked at: the stem as a whole runs to the song's end. Measured by ``python
benchmarks/late_stems.py`` on the three real-dev songs and the example: of 280 region exports (every stem from its
first note and from random points; the mix as summed, mastered, through MP3, and with a lead-in) 240 placed within
0.7 ms of where they belong (but one quiet vocal region, 10 ms late, with three of the mixes), none wrongly, 40
left where they were with a warning (parts that repeat: near-ties); none of the 60 files that end early but start
with the song moved; every stem of a song written from its first note at once: all placed in the 4 songs with the
mix summed, through MP3 or with a lead-in, and in 1 of 4 under a heavy master, none wrongly (docs/BENCHMARKS.md,
"Stems exported from their first region").
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft
from scipy.signal import correlate

from ..audio import content_end, convert
from ..corpus.export_checks import GLIMPSE_RATE

log = logging.getLogger(__name__)

MATCH_RATE = GLIMPSE_RATE   # the folder reader's glimpses are the fit's copies (tracks.split_parts, channel_fit)
ALIGN_R = 0.5        # the shift is trusted (and applied) from here
MIN_GAIN_R = 0.1     # ... when it matches this much better than as given (a loop a bar off matches well too)
MIN_SHIFT_S = 0.01   # smaller offsets (a plug-in's latency) change nothing a 10 s window or a 50 ms frame sees
PLACE_GAIN = 2.0     # a stem is moved where its music matches the mix at least this much better than as given
PLACE_DISTINCT = 1.1  # ... and this much better than anywhere PLACE_APART_S or more away (a loop's repeat)
PLACE_APART_S = 0.5
FULL_REF_R = 0.2     # stems whose files run to the song's end (they cannot have started late) place the others when
                     # they match the mix this well together: one stem is a share of the mix (the example's vocals 0.12)
GAIN_FIT_R2 = 0.99   # the mix is the stems' weighted sum this closely (a plain or lossy bounce, not a limited master)
MAX_FLIPPED = 5        # a mix matching the stems loosely is matched again with each set of them turned over, up to this
                       # many stems (2 ** (n - 1) - 1 sets)
GAIN_NOTE_DB = 1.5   # a stem the mix holds this much louder or quieter, against the others, than its file is noted
STEMS_R2_GAIN = 0.05  # a file turned over or left out makes the stems explain the mix this much better (R²): it is so


@dataclass(frozen=True)
class Match:
    lag_s: float       # > 0: the mix holds the stems' music lag_s later (a lead-in); < 0: it starts into it
    r: float           # correlation at that lag
    r_as_given: float  # correlation at lag 0


@dataclass(frozen=True)
class Placement:
    stem: str
    lag_s: float       # where the stem's music best matches the mix, relative to the other stems (> 0: later)
    r: float           # correlation there
    r_as_given: float  # correlation where the file puts it
    runner_up: float   # the best correlation at least PLACE_APART_S from lag_s
    own_best: bool = True  # the stem's best match anywhere in the mix is there too (else the reference's lag, and
                           # so the place, is in doubt: several stems misplaced under a heavy master)


def _mono(x: np.ndarray, sr: int) -> np.ndarray:
    return convert(x, sr, MATCH_RATE, 1)[:, 0].astype(np.float64)


def best_match(mix: np.ndarray, stems_sum: np.ndarray, sr: int) -> Match | None:
    """Where ``mix`` best matches ``stems_sum`` (both (samples, channels) at ``sr``); None when either is
    silent (nothing to match)."""
    return _match(_mono(mix, sr), _mono(stems_sum, sr))


def _match(m: np.ndarray, s: np.ndarray) -> Match | None:
    """:func:`best_match` of two mono signals at ``MATCH_RATE``."""
    energy = float(np.sqrt(np.dot(m, m) * np.dot(s, s)))
    if energy < 1e-9 or not np.isfinite(energy):
        return None
    c = correlate(m, s, mode="full", method="fft")
    k = int(np.argmax(np.abs(c)))  # a mix of inverted polarity matches as well
    zero = len(s) - 1
    return Match((k - zero) / MATCH_RATE, abs(float(c[k])) / energy, abs(float(c[zero])) / energy)


def flipped_match(m: np.ndarray, stems: dict[str, np.ndarray], sr: int) -> tuple[Match, tuple[str, ...]] | None:
    """The best :func:`_match` of the mix's mono copy ``m`` (at ``MATCH_RATE``) with the stems' sum with some of
    them turned over (each set of them, up to the whole sum's polarity, which matches alike), and those stems (the
    fewer of the two sets alike); None when nothing matches."""
    monos = {k: _mono(v, sr) for k, v in stems.items()}
    names = list(monos)
    best = None
    for bits in range(1, 2 ** (len(names) - 1)):
        over = tuple(k for i, k in enumerate(names[1:]) if bits >> i & 1)
        found = _match(m, np.sum([-v if k in over else v for k, v in monos.items()], axis=0))
        if found is not None and (best is None or found.r > best[0].r):
            best = found, over if 2 * len(over) <= len(names) else tuple(k for k in names if k not in over)
    return best


def decide(found: Match | None) -> str:
    """What :func:`line_up` does about a match: "line up", "loose" (warn, use as given) or "keep"."""
    if found is None:
        return "keep"
    if found.r < ALIGN_R:
        return "loose"
    if abs(found.lag_s) >= MIN_SHIFT_S and found.r >= found.r_as_given + MIN_GAIN_R:
        return "line up"
    return "keep"


def late_placement(mix: np.ndarray, stems: dict[str, np.ndarray], name: str, sr: int,
                   monos: dict[str | None, np.ndarray] | None = None,
                   reference: Sequence[str] | None = None, min_ref_r: float = ALIGN_R) -> Placement | None:
    """Where stem ``name`` (zero-padded at the end, as read) best matches ``mix`` no earlier than where it is and
    no later than its padding allows, relative to where the ``reference`` stems (default: all the others) match
    the mix; None when there is nothing to move or nothing to match against (the reference silent, or matching
    the mix below ``min_ref_r``). ``monos`` keeps the mix's and each stem's mono ``MATCH_RATE`` copy (key ``None``:
    the mix) between calls."""
    x = stems[name]
    end = content_end(x)
    room = x.shape[0] - end            # how much later its music could start
    if end == 0 or room < MIN_SHIFT_S * sr or len(stems) < 2:
        return None
    monos = {} if monos is None else monos
    for k, v in ((None, mix), *stems.items()):
        if k not in monos:
            monos[k] = _mono(v, sr)
    m = monos[None]
    others = [k for k in (reference or stems) if k != name]
    if not others:
        return None
    ref = _match(m, np.sum([monos[k] for k in others], axis=0))
    if ref is None or ref.r < min_ref_r:
        return None
    s = monos[name][: int(np.ceil(end * MATCH_RATE / sr))]     # its file's music (the padding left out)
    energy = float(np.sqrt(np.dot(m, m) * np.dot(s, s)))
    if energy < 1e-9 or not np.isfinite(energy):
        return None
    c = np.abs(correlate(m, s, mode="full", method="fft")) / energy
    given = len(s) - 1 + int(round(ref.lag_s * MATCH_RATE))    # the stem where its file puts it, as the others
    if not 0 <= given < len(c):
        return None
    seg = c[given: min(given + int(room * MATCH_RATE / sr), len(c) - 1) + 1]
    k = int(np.argmax(seg))
    apart = int(PLACE_APART_S * MATCH_RATE)
    elsewhere = np.concatenate([seg[: max(k - apart + 1, 0)], seg[k + apart:]])
    return Placement(name, k / MATCH_RATE, float(seg[k]), float(seg[0]),
                     float(elsewhere.max()) if elsewhere.size else 0.0,
                     abs(int(np.argmax(c)) - (given + k)) <= apart)


def placement_action(p: Placement | None) -> str:
    """What :func:`place_stems` does about a placement: "place", "unsure" (warn, leave it) or "keep"."""
    if p is None or p.lag_s < MIN_SHIFT_S or p.r < PLACE_GAIN * p.r_as_given or not p.own_best:
        return "keep"
    return "place" if p.r >= PLACE_DISTINCT * p.runner_up else "unsure"


def moved_later(x: np.ndarray, seconds: float, sr: int) -> np.ndarray:
    """``x`` (samples, channels) starting ``seconds`` later, same length: its zero-padding at the end gives way
    (never more than it holds, so no sound is cut)."""
    k = min(int(round(seconds * sr)), x.shape[0] - content_end(x))
    if k <= 0:
        return x
    return np.concatenate([np.zeros((k, x.shape[1]), x.dtype), x[: x.shape[0] - k]])


def place_stems(song: str | Path, stems_dir: str | Path, mix: np.ndarray, stems: dict[str, np.ndarray],
                sr: int) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """``stems`` with any stem exported from its first region moved to where the mix holds its music, and the
    seconds each moved stem was moved by; a warning for each moved stem and each that matches the mix poorly
    where it is but about as well in several places (see the module docstring)."""
    placed: dict[str, float] = {}
    if len(stems) < 2:
        return stems, placed
    monos: dict[str | None, np.ndarray] = {}
    ends = {k: content_end(x) for k, x in stems.items()}
    late = [k for k, x in stems.items() if x.shape[0] - ends[k] >= MIN_SHIFT_S * sr]
    full = [k for k in stems if k not in late]   # files that run to the song's end cannot have started late
    for name in late:
        p = late_placement(mix, stems, name, sr, monos, full, FULL_REF_R) if full else None
        if p is None:   # no full-length stem, or they match the mix too loosely to say where it stands: all the others
            p = late_placement(mix, stems, name, sr, monos)
        action = placement_action(p)
        if action == "keep":
            continue
        if action == "unsure":
            log.warning("%s: the %s stem (%.2f s of audio, then silence to %.2f s) matches the mix %s poorly where "
                        "its file puts it (correlation %.2f) and about as well in more than one later place (%.2f at "
                        "%.2f s, %.2f elsewhere): exported from a region rather than from the song's start? Left "
                        "where it is; export every track from the song's start", stems_dir, name, ends[name] / sr,
                        stems[name].shape[0] / sr, song, p.r_as_given, p.r, p.lag_s, p.runner_up)
            continue
        stems = {**stems, name: moved_later(stems[name], p.lag_s, sr)}
        monos.pop(name, None)
        placed[name] = round(p.lag_s, 4)
        log.warning("%s: the %s stem's music is %.3f s later in the mix %s than in its file (correlation %.2f "
                    "there, %.2f where the file puts it): exported from its first region rather than from the song's "
                    "start? Heard where the mix has it; export every track from the song's start", stems_dir, name,
                    p.lag_s, song, p.r, p.r_as_given)
    return stems, placed


def stem_gains(mix: np.ndarray, stems: dict[str, np.ndarray], sr: int) -> tuple[dict[str, float], float] | None:
    """Each stem's gain (dB) in ``mix`` read as a weighted sum of the stems (:func:`fit_gains` on the mono downmixes
    at ``MATCH_RATE``, so a lossy codec's rounding does not count), and how much of the mix that sum explains (R²);
    None when the mix is silent or a stem is (no gain to fit)."""
    fit = fit_gains(_mono(mix, sr), {k: _mono(x, sr) for k, x in stems.items()})
    if fit is None:
        return None
    return {k: float(20.0 * np.log10(max(abs(v), 1e-6))) for k, v in fit[0].items()}, fit[1]


def fit_gains(m: np.ndarray, parts: dict[str, np.ndarray]) -> tuple[dict[str, float], float] | None:
    """Least-squares linear gains of ``parts`` (mono, at one rate; trimmed or zero-padded to ``m``'s length, read in
    float64) whose sum best makes ``m``, and the share of ``m``'s energy that sum explains (R²); None when ``m`` or a
    part is silent."""
    a = np.zeros((len(m), len(parts)), order="F")      # a column per part, written once (no padded copy to stack)
    for i, x in enumerate(parts.values()):
        a[: len(x), i] = x[: len(m)]
    gram, am, mm = a.T @ a, a.T @ m, float(np.dot(m, m))
    if not mm > 1e-12 or not (np.diag(gram) > 1e-12).all():
        return None
    g, *_ = np.linalg.lstsq(gram, am, rcond=None)       # the normal equations: a few parts, many samples
    return dict(zip(parts, map(float, g))), float(1.0 - (mm - 2.0 * g @ am + g @ gram @ g) / mm)


def stems_r2(m: np.ndarray, stem_of: Mapping[str, str], monos: Mapping[str, np.ndarray],
             scale: Mapping[str, float]) -> float | None:
    """How much of ``m`` (R²) whole stems explain, each the sum of its parts' ``monos`` (``stem_of``: label -> stem),
    each part times its ``scale`` (1 when not named; 0 leaves it out, -1 turns it over); None when a stem is silent."""
    whole: dict[str, np.ndarray] = {}
    for k, x in monos.items():
        whole[stem_of[k]] = whole.get(stem_of[k], 0.0) + scale.get(k, 1.0) * x
    fit = fit_gains(m, whole)
    return None if fit is None else fit[1]


def note_gains(song: str | Path, stems_dir: str | Path, gains: dict[str, float], r2: float) -> dict[str, float]:
    """Warn when the mix (lined up with the stems) holds a stem (or a file of one: :mod:`mixbuddy.predict.tracks`)
    ``GAIN_NOTE_DB`` or more louder or quieter, against the others, than its file: stems exported pre-fader, mono
    tracks the mix pans (its pan law takes 3 dB or more off a mono source, which a file read into both channels does
    not), or a mix bounced at another balance, so the advice from the stems would judge a balance the mix does not
    have. ``gains``: each one's gain (dB) in the fit; ``r2``: how much of the mix the fit explains, which must be at
    least ``GAIN_FIT_R2`` (a plain bounce or a lossy copy of it; a limited master reshapes the stems' levels itself).
    Returns each gain against the median of the gains (dB), empty when not measured."""
    if len(gains) < 2 or r2 < GAIN_FIT_R2:
        return {}
    mid = float(np.median(list(gains.values())))
    off = {k: v - mid for k, v in gains.items()}
    if max(abs(v) for v in off.values()) >= GAIN_NOTE_DB:
        said = ", ".join(f"{k} {v:+.1f} dB" for k, v in off.items() if abs(v) >= GAIN_NOTE_DB)
        log.warning("%s holds the stems of %s at other levels than their files: %s against the others (the mix is "
                    "their weighted sum to R² %.3f; every gain: %s): stems exported pre-fader, mono tracks the mix "
                    "pans (a pan law takes 3 dB or more off them), or the mix bounced at another balance? The advice "
                    "from the stems judges the balance their files hold, not the mix's: export them again from this "
                    "mix, or give the mix alone", song, stems_dir, said, r2,
                    ", ".join(f"{k} {v:+.1f}" for k, v in off.items()))
    return off


def line_up(song: str | Path, stems_dir: str | Path, mix: np.ndarray, stems: dict[str, np.ndarray],
            sr: int) -> tuple[np.ndarray, dict[str, np.ndarray], float, int]:
    """``mix`` and ``stems`` (at ``sr``) lined up and trimmed to one length, with a warning for whatever
    was changed or looks wrong, the seconds left out at the stems' start and the samples left out at the mix's (0
    when none)."""
    cut, lead = 0.0, 0
    m = _mono(mix, sr)
    found = _match(m, _mono(np.sum(np.stack(list(stems.values())), axis=0), sr))
    action = decide(found)
    if action == "loose" and len(stems) <= MAX_FLIPPED:
        # a stem the mix holds in opposite polarity to its file (:mod:`~mixbuddy.predict.polarity` turns it over)
        over = flipped_match(m, stems, sr)
        if over is not None and decide(over[0]) != "loose" and over[0].r >= found.r + MIN_GAIN_R:
            log.info("%s matches the sum of %s with %s turned over (correlation %.2f, as summed %.2f)", song,
                     stems_dir, " and ".join(over[1]), over[0].r, found.r)
            found, action = over[0], decide(over[0])
    if action == "loose":
        log.warning("%s matches the stems' sum (%s) only loosely (correlation %.2f at best): another "
                    "song or version, or stems of this mix missing from the folder? The advice takes each "
                    "window's mix and stems at the same times", song, stems_dir, found.r)
    elif action == "line up":
        shift = int(round(abs(found.lag_s) * sr))
        if found.lag_s > 0:
            mix, lead = mix[shift:], shift
            how = (f"its first {found.lag_s:.3f} s (before the stems' music) are left out, and times count "
                   "from the stems' start")
        else:
            stems = {k: v[shift:] for k, v in stems.items()}
            cut = -found.lag_s
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
    return mix, stems, cut, lead


def fine_aligned(m: np.ndarray, t: np.ndarray, max_lag: int) -> tuple[np.ndarray, float]:
    """``m`` moved by the fraction of a sample, up to ``max_lag`` samples, that best lines it up with ``t`` (both mono,
    at one rate), and that shift (samples; > 0: ``m`` held ``t`` that much later). The cross-correlation's peak,
    refined by a parabola through it and its neighbours and then by Newton steps on the correlation as a function of
    the shift (its spectrum's phase ramp), and ``m`` moved by that ramp (a fractional delay)."""
    n = next_fast_len(max(len(m), len(t)) + 2 * max_lag + 2, real=True)   # room for the lags looked at, no more
    spec = rfft(m, n)
    cross = spec * np.conj(rfft(t, n))
    c = irfft(cross, n)
    lags = np.arange(-max_lag, max_lag + 1)
    k = int(lags[np.argmax(np.abs(c[lags]))])
    if c[k] < 0:         # a mix of inverted polarity: the peak is a trough
        c, cross = -c, -cross
    a, b, d = c[k - 1], c[k], c[(k + 1) % n]
    curve = a - 2.0 * b + d
    lag = k + (0.5 * (a - d) / curve if curve < 0 else 0.0)
    w = 2.0 * np.pi * np.fft.rfftfreq(n)
    for _ in range(3):   # the peak of sum(cross * exp(i w lag)).real: slope and curvature from the same sum
        z = cross * np.exp(1j * w * lag)
        slope, curve = float(-np.sum(w * z.imag)), float(-np.sum(w * w * z.real))
        if curve >= 0 or abs(slope / curve) > 1.0:
            break
        lag -= slope / curve
    if abs(lag) < 1e-3:
        return m, 0.0
    return delayed(m, lag, n, spec), float(lag)


def delayed(m: np.ndarray, lag: float, n: int, spec: np.ndarray | None = None) -> np.ndarray:
    """``m`` moved ``lag`` samples earlier (a fraction too: its spectrum's phase ramp over ``n`` points; ``spec``:
    its ``n``-point spectrum, when at hand), as :func:`fine_aligned` moves the mix."""
    spec = rfft(m, n) if spec is None else spec
    w = 2.0 * np.pi * np.fft.rfftfreq(n)
    return irfft(spec * np.exp(1j * w * lag), n)[: len(m)]
