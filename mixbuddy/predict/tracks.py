"""A stems folder's files against the mix bounced from them: a file the mix does not hold, and one it holds at
another level than the file.

A DAW's "export all tracks" writes every track, muted ones too: an unused take or playlist, a muted double, an
alternative part. Summed into its stem, such a file makes that stem read louder than the mix has it (the example's
vocals with an unused take of them beside them: up to 3 dB), and the advice judges a balance the mix does not
have. Where a mix file is given with a stems folder of three files or more, :func:`check_tracks` reads the mix
as a weighted sum of the files (each stem with several files split into them; least squares on mono copies at
``MATCH_RATE``, below 1 kHz, which the folder reader keeps of every file, after lining the mix up with their sum to
a fraction of a sample: :func:`~mixbuddy.predict.align.fine_aligned`) and

- leaves out, with a warning, a file the mix holds ``UNHEARD_DB`` or more under the others' median weight, when
  its own level is within ``HEARD_DB`` of the mix's (quieter files, a hi-hat with little below 1 kHz, cannot be
  judged), the weighted sum explains at least ``UNHEARD_R2`` of the mix (a plain or lossy bounce, a light master:
  under a heavy one a held track's weight can fall that far, Lithium's bass low band under a -9 LUFS master beside a
  region-exported track; there, from ``POLARITY_R2``, a file is also judged by the stems it makes, each its files'
  sum: they must explain the mix ``STEMS_R2_GAIN`` better without it, and then to ``POLARITY_R2``; measured in
  docs/BENCHMARKS.md, "An unused take under a master"), the mix holds it that far under both as lined up and lined
  up again to a fraction of a sample (a loud file far out of place pulls the second), and the file matches none of
  the other files at ``DISTINCT_R`` or more (two microphones of one instrument can trade weight between them, one read near zero; an
  unused take of a part matches the take the mix holds far less), so long as another file of its stem is heard: a stem the mix does not hold at all is noted
  by the level check, not left out; nor is a file that ends before the song (said so): a track exported from its
  first region has its music too early, so the mix does not hold it where it is either (placing it, as
  :func:`~mixbuddy.predict.align.place_stems` does a whole stem, was tried and not kept: the example's bass band
  track so exported, out of place, pulled the fine line-up of the other files by 2.6 ms, and a held drum track was
  then read as not in the mix);
- notes, as :func:`~mixbuddy.predict.align.note_gains` does for whole stems, each file the mix holds
  ``GAIN_NOTE_DB`` or more louder or quieter than the others (a track exported pre-fader), by its name.

Measured by ``python benchmarks/unheard_files.py`` (docs/BENCHMARKS.md, "Files the mix does not hold").
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

import numpy as np
from scipy.fft import next_fast_len

from ..audio import content_end, resample
from ..errors import MixbuddyError
from .align import (GAIN_FIT_R2, MATCH_RATE, MIN_SHIFT_S, STEMS_R2_GAIN, _mono, delayed, fine_aligned, fit_gains,
                    note_gains, stems_r2)
from .pan_law import as_reported, channel_gains, heard_db, mono_labels, panned_gains, say_panned
from .polarity import POLARITY_R2, inverted_parts, warn_inverted

if TYPE_CHECKING:
    from ..corpus.song import Song

log = logging.getLogger(__name__)

HEARD_DB = -40.0    # a file this far under the mix (energy below 1 kHz) is too quiet to judge
UNHEARD_DB = -20.0  # the mix holds a file this far under the others' median weight: it does not hold it
UNHEARD_R2 = 0.95   # ... where the files explain the mix at least this well (a plain or lossy bounce, a light master)
DISTINCT_R = 0.5    # ... and the file matches no other file this well (microphones of one instrument trade weight)
FINE_LAG = int(MIN_SHIFT_S * MATCH_RATE) + 1   # the mix is lined up with the files to a fraction of a sample
LAG_R = 0.95        # a stem's files, moved as it was, sum to it at least this closely, or it is not split


@dataclass(frozen=True)
class Part:
    """One term of the fit: a file of a stem (a split-stereo pair: both halves), or a whole stem."""
    stem: str
    paths: tuple[Path, ...] = ()  # empty: the whole stem
    lag_s: float = 0.0            # seconds its file(s) were moved by as the stem was placed and lined up


def _shifted(x: np.ndarray, lag: int, n: int) -> np.ndarray:
    """``x`` (samples[, channels]) ``lag`` samples later (earlier when negative), cut or zero-padded to ``n``."""
    out = np.zeros((n, *x.shape[1:]), dtype=x.dtype)
    src = x[max(-lag, 0):]
    k = max(0, min(n - max(lag, 0), src.shape[0]))
    out[max(lag, 0): max(lag, 0) + k] = src[:k]
    return out


def in_folder(folder: "Song", path: Path) -> str:
    """``path``'s place in the stems folder ``folder`` was read from ("Vox/Lead.wav")."""
    return path.relative_to(folder.source).as_posix()


def track_label(folder: "Song", paths: tuple[Path, ...]) -> str:
    """A track's name in messages and reports: its file's place in the folder (a split-stereo pair: both)."""
    return " + ".join(in_folder(folder, p) for p in paths)


def track_of(folder: "Song | None", label: str) -> tuple[str, tuple[Path, ...]]:
    """(the stem, the file(s)) of the track ``label`` (:func:`track_label`) in the stems folder ``folder``."""
    for stem in folder.loader.files if folder is not None else ():
        for t in folder.loader.tracks(stem):
            if track_label(folder, t) == label:
                return stem, t
    raise MixbuddyError(f"{folder.source if folder else 'the stems'}: no track {label!r} to hear as advise heard it "
                        "(was the folder changed?)")


def as_heard(audio: dict[str, np.ndarray], inverted: Mapping[str, str], panned: Mapping[str, float],
             pan_at: Mapping[str, float], stem_of: Callable[[str], str], fetch: Callable[[str], np.ndarray],
             tracks_of: Callable[[str], list[str]]) -> dict[str, np.ndarray]:
    """``audio`` (each stem) with each part of ``inverted`` (its label -> its stem) turned over and each of ``panned``
    (label -> dB under its file; ``pan_at``: its pan position, where off the centre) held as the mix pans it
    (:mod:`~mixbuddy.predict.pan_law`), as :func:`check_tracks` found them: a whole stem (its label is its name)
    scaled; a stem split into tracks (``tracks_of(stem)``: their labels) scaled as most of its tracks are, and each
    other track's file(s) (``fetch(label)``: as its stem in ``audio`` holds them) taken out and put back so."""
    out = dict(audio)
    by_stem: dict[str, list[str]] = {}
    for k in dict.fromkeys([*inverted, *panned]):
        by_stem.setdefault(inverted.get(k) or stem_of(k), []).append(k)
    for stem, labels in by_stem.items():
        if stem not in out:
            continue
        x = out[stem]
        two = x.ndim == 2 and x.shape[1] == 2
        if stem in labels:          # a whole stem: no track of it is named apart
            out[stem] = x * _factor(stem, inverted, panned, pan_at, two)
            continue
        every = {k: _factor(k, inverted, panned, pan_at, two) if k in labels else np.ones(2 if two else (), np.float32)
                 for k in tracks_of(stem)}
        most = Counter(f.tobytes() for f in every.values()).most_common(1)[0][0]
        base = next(f for f in every.values() if f.tobytes() == most)
        y = x * base if np.any(base != 1.0) else x
        for k, f in every.items():
            if np.any(f != base):
                y = y + (f - base) * fetch(k)
        out[stem] = y
    return out


def _factor(k: str, inverted: Mapping[str, str], panned: Mapping[str, float], pan_at: Mapping[str, float],
            two: bool) -> np.ndarray:
    """What :func:`as_heard` multiplies part ``k`` by: its gain in each channel (``two``), else in the mix's mono copy
    (their mean: as a one-channel engine reads the folder as the mix holds it)."""
    g = channel_gains(panned[k], pan_at.get(k, 0.0)) if k in panned else np.ones(2, np.float32)
    g = np.float32(-1.0 if k in inverted else 1.0) * g
    return g if two else np.float32(np.mean(g))


def folder_heard(audio: dict[str, np.ndarray], inverted: Mapping[str, str], panned: Mapping[str, float],
                 pan_at: Mapping[str, float], sr: int, folder: "Song | None") -> dict[str, np.ndarray]:
    """:func:`as_heard` for ``audio``, each stem of ``folder`` as read at ``sr``, not moved (``--apply``)."""
    def fetch(label: str) -> np.ndarray:
        stem, paths = track_of(folder, label)
        return _shifted(file_audio(folder.source, stem, paths, sr, audio[stem].shape[1]), 0, audio[stem].shape[0])

    return as_heard(audio, inverted, panned, pan_at, lambda k: k if k in audio else track_of(folder, k)[0], fetch,
                    lambda stem: [track_label(folder, t) for t in folder.loader.tracks(stem)])


def split_parts(stems: dict[str, np.ndarray], sr: int, folder: "Song | None", moved: dict[str, float] | None = None
                ) -> tuple[dict[str, Part], dict[str, np.ndarray]]:
    """The terms of the fit, by label (a file's name in the folder, or a stem's name), and their mono
    ``MATCH_RATE`` copies at the stems' times: each stem with two tracks or more (a split-stereo pair counts once)
    split into its files, moved as the stem was (``moved``: seconds, by stem; a whole number of ``MATCH_RATE``
    samples, as :mod:`~mixbuddy.predict.align` moves them) when they then sum to it (correlation ``LAG_R``); the
    others whole."""
    parts: dict[str, Part] = {}
    monos: dict[str, np.ndarray] = {}
    glimpses = folder.loader.glimpses if folder is not None else {}
    for stem, x in stems.items():
        m = _mono(x, sr)
        tracks = folder.loader.tracks(stem) if folder is not None else []
        g: dict[tuple[Path, ...], np.ndarray] = {}
        lag_s = (moved or {}).get(stem, 0.0)
        if len(tracks) >= 2 and all(p in glimpses for t in tracks for p in t):
            lag = int(round(lag_s * MATCH_RATE))
            g = {t: _shifted(np.mean([np.asarray(glimpses[p], np.float64) for p in t], axis=0), lag, len(m))
                 for t in tracks}
            total = np.sum(list(g.values()), axis=0)
            if float(np.dot(m, total)) < LAG_R * np.sqrt(float(np.dot(m, m) * np.dot(total, total))):
                g = {}
        if not g:
            parts[stem], monos[stem] = Part(stem, lag_s=lag_s), m
        for t, v in g.items():
            label = track_label(folder, t)
            parts[label], monos[label] = Part(stem, t, lag_s), v
    return parts, monos


def unheard(parts: dict[str, Part], monos: dict[str, np.ndarray], rel: dict[str, float], r2: float,
            mix: np.ndarray) -> list[str]:
    """The file parts the mix does not hold (see the module docstring); ``rel``: the gain (dB) the fit gives each
    part loud enough to judge, against their median; ``mix``: the mix's mono copy it was fitted to. Under a master
    (the fit explains under ``UNHEARD_R2``, at least ``POLARITY_R2``), a file is also judged by the stems it makes:
    they must explain the mix ``STEMS_R2_GAIN`` better without it, and then to ``POLARITY_R2``."""
    if r2 < POLARITY_R2 or len(rel) < 2:
        return []
    low = [k for k, v in rel.items() if parts[k].paths and v <= UNHEARD_DB]
    stem_of = {j: p.stem for j, p in parts.items()}
    held = stems_r2(mix, stem_of, monos, {}) if r2 < UNHEARD_R2 else None   # the stems as written, fitted once
    out = []
    for k in low:
        a = monos[k]
        if any(abs(float(np.dot(a, b))) >= DISTINCT_R * np.sqrt(float(np.dot(a, a) * np.dot(b, b)) + 1e-30)
               for j, b in monos.items() if j != k):
            continue
        if not any(j not in low for j, p in parts.items() if p.stem == parts[k].stem and j != k):
            continue
        if r2 < UNHEARD_R2:
            without = stems_r2(mix, stem_of, monos, {k: 0.0})
            if held is None or without is None or without < POLARITY_R2 or without - held < STEMS_R2_GAIN:
                continue
        out.append(k)
    return out


def file_audio(source: str | Path, stem: str, paths: tuple[Path, ...], sr: int, channels: int) -> np.ndarray:
    """The file(s) ``paths`` of ``stem`` in the stems folder ``source``, decoded as the folder reader decodes them."""
    from ..corpus.stems_folder import song_from_files

    return song_from_files(Path(source).name, "advise", Path(source), {stem: paths}, {}).stem(stem, sr, channels)


def stem_paths(folder: "Song", stem: str) -> tuple[Path, ...]:
    """Every file of ``stem`` in the stems folder ``folder``, track by track."""
    return tuple(p for t in folder.loader.tracks(stem) for p in t)


def in_stem(stems: dict[str, np.ndarray], part: Part, sr: int, folder: "Song", shifts: dict[str, int]) -> np.ndarray:
    """The file(s) of ``part`` as its stem (in ``stems`` as read, placed and lined up) holds them: decoded as the folder
    reader decodes them, moved as the stem was (to the sample: of the lag at ``sr`` and a sample either side, the
    shift that makes the stem's files, all decoded again, the stem itself: its other files may match this one;
    found once per stem and kept in ``shifts``)."""
    s = stems[part.stem]
    if part.stem not in shifts:
        whole = file_audio(folder.source, part.stem, stem_paths(folder, part.stem), sr, s.shape[1])
        at = int(round(part.lag_s * sr))
        shifts[part.stem] = min((at - 1, at, at + 1), key=lambda d: float(
            np.sum(np.square(s - _shifted(whole, d, s.shape[0]), dtype=np.float64))))
    return _shifted(file_audio(folder.source, part.stem, part.paths, sr, s.shape[1]), shifts[part.stem], s.shape[0])


def channel_fit(mix: np.ndarray, stems: dict[str, np.ndarray], parts: dict[str, Part], sr: int, folder: "Song",
                lag: float) -> dict[str, tuple[float, float]] | None:
    """{label: (left, right)}: each part's gain in each channel of ``mix`` (stereo, lined up with ``stems`` at
    ``sr``; moved ``lag`` samples at ``MATCH_RATE`` as the fit's copy was), fitted as for the mono copy (a track the
    mix pans plays in either channel at its own gain), each file at ``MATCH_RATE`` in stereo (as the folder reader
    kept it: ``wide_copy``, else decoded again) and moved as its copy for that fit was (a whole stem too where
    ``stems`` hold one channel: a one-channel engine's); None for a mix not in stereo, or where either channel's fit
    explains under ``GAIN_FIT_R2``."""
    if mix.ndim != 2 or mix.shape[1] != 2:
        return None
    m = resample(np.ascontiguousarray(mix), sr, MATCH_RATE).astype(np.float64)
    n = m.shape[0]

    def copy(p: Part) -> np.ndarray:
        if not p.paths and stems[p.stem].shape[1] == 2:
            return resample(stems[p.stem], sr, MATCH_RATE)[:n]
        x = folder.loader.wide_copy([p.paths] if p.paths else folder.loader.tracks(p.stem))   # as the reader kept it
        if x is None:
            x = file_audio(folder.source, p.stem, p.paths or stem_paths(folder, p.stem), MATCH_RATE, 2)
        at = round(p.lag_s * MATCH_RATE)
        return x[:n] if at == 0 and x.shape[0] >= n else _shifted(x, at, n)   # as kept: no copy

    copies = {k: copy(p) for k, p in parts.items()}
    out: list[dict[str, float]] = []
    for c in (0, 1):
        mc = delayed(m[:, c], lag, next_fast_len(n + 2 * FINE_LAG + 2, real=True)) if lag else m[:, c]
        cols = {k: v[:, min(c, v.shape[1] - 1)] for k, v in copies.items()}   # a mono file: one column for both
        heard = {k: v for k, v in cols.items() if float(np.dot(v, v)) > 1e-12}     # the fit reads them in float64
        fit = fit_gains(mc, heard) if heard else None
        if fit is None or fit[1] < GAIN_FIT_R2:
            return None
        out.append(fit[0])
    return {k: (out[0].get(k, 0.0), out[1].get(k, 0.0)) for k in parts}


def _judged(m: np.ndarray, monos: dict[str, np.ndarray]
            ) -> tuple[dict[str, float], float, float, dict[str, float]] | None:
    """The fit of ``monos`` to ``m``: (the gain (dB) of each part loud enough to judge, their median, R², every part's
    signed weight: 0 for a part silent below 1 kHz, an empty track or a hi-hat band, which the fit leaves out); None
    when the mix or every part is silent."""
    sounding = {k: v for k, v in monos.items() if float(np.dot(v[: len(m)], v[: len(m)])) > 1e-12}
    fit = fit_gains(m, sounding) if sounding else None
    if fit is None:
        return None
    energy = float(np.dot(m, m))
    db = {k: 20.0 * np.log10(max(abs(fit[0][k]), 1e-9)) for k, v in sounding.items()
          if 10.0 * np.log10(max(float(np.dot(v, v)), 1e-30) / energy) >= HEARD_DB}
    return db, float(np.median(list(db.values()))) if db else 0.0, fit[1], {k: fit[0].get(k, 0.0) for k in monos}


def check_tracks(song: str | Path, stems_dir: str | Path, mix: np.ndarray, stems: dict[str, np.ndarray], sr: int,
                 folder: "Song | None" = None, moved: dict[str, float] | None = None,
                 wide: Callable[[], np.ndarray] | None = None
                 ) -> tuple[dict[str, np.ndarray], tuple[str, ...], dict[str, float], dict[str, float],
                            dict[str, str]]:
    """(``stems`` with the files the mix does not hold left out, warned about, the files or stems it holds in opposite
    polarity turned over and the mono files it holds as a pan law does held so, said so; those files' paths in the
    folder; those mono files' (or stems') gains, dB, and pan positions where off the centre:
    :mod:`~mixbuddy.predict.pan_law`; the parts turned over, label -> stem: :mod:`~mixbuddy.predict.polarity`), after
    noting the files or stems it holds at other levels than they are written (``mix`` and ``stems`` lined up, at
    ``sr``; ``folder``: the stems folder's Song as read, None for whole stems only; ``moved``: seconds each stem was
    moved by as it was placed and lined up; ``wide``: for a one-channel engine, the mix in stereo lined up as ``mix``
    is, made only where the fit per channel places a mono file)."""
    parts, monos = split_parts(stems, sr, folder, moved)
    if len(parts) < 2:
        return stems, (), {}, {}, {}
    m0 = _mono(mix, sr)
    # what the line-up leaves (under MIN_SHIFT_S, or half a MATCH_RATE sample) moves the weights: fitted again with the
    # mix lined up to a fraction of a sample; but a loud file far out of place (a region export) pulls that line-up,
    # so a file is left out only when each of the two fits that explains the mix well enough does not hear it (the
    # fit as lined up judges only files: whole stems are only noted). A file the mix holds in opposite polarity pulls
    # the files' plain sum's peak away, so where the fit as lined up reads a weight below zero, the line-up to the sum
    # with each file turned as that fit holds it is tried too, and the finer fit kept
    split = any(p.paths for p in parts.values())
    lined = _judged(m0, monos)
    if lined is None:
        return stems, (), {}, {}, {}
    signs = [{k: 1.0 for k in monos}] + ([{k: np.copysign(1.0, w) for k, w in lined[3].items()}]
                                         if min(lined[3].values()) < 0 else [])
    lined_up = [fine_aligned(m0, np.sum([sign[k] * v[: len(m0)] for k, v in monos.items()], axis=0), FINE_LAG)
                for sign in signs]
    tried = [_judged(x, monos) for x, _ in lined_up]
    if any(f is None for f in tried):
        return stems, (), {}, {}, {}
    best = max(range(len(tried)), key=lambda i: tried[i][2])
    fits = [tried[best], *([lined] if split else [])]
    mixes = [lined_up[best][0], m0]         # the mix copy each fit was made with
    sure = [(f, x) for f, x in zip(fits, mixes) if f[2] >= UNHEARD_R2] if split else []
    if split and not sure and fits[0][2] >= POLARITY_R2:   # under a master: judged by the stems it makes too
        sure = [(fits[0], mixes[0])]
    found = [set(unheard(parts, monos, {k: v - f[1] for k, v in f[0].items()}, f[2], x)) for f, x in sure]
    out = [k for k in parts if found and all(k in f for f in found)]
    held = {k: v for k, v in fits[0][0].items() if k not in out}
    shifts: dict[str, int] = {}          # each stem's move at sr, found once (in_stem)
    mono, stereo = mono_labels(parts, folder) if folder is not None else ([], [])
    gains, found, centred = None, {}, []
    if mono and stereo and fits[0][2] >= GAIN_FIT_R2:
        gains = channel_fit(wide() if wide is not None else mix, stems, parts, sr, folder, lined_up[best][1])
        found, centred = panned_gains(gains or {k: (w, w) for k, w in fits[0][3].items()}, mono, stereo, held,
                                      [k for k in parts if k not in fits[0][0]])
    panned, pan_at = as_reported(found)
    level = dict(held)   # what the level check weighs: a mono file as loud as the mix holds it, wherever it pans it,
    level.update({k: heard_db(gains[k]) for k in mono if k in held} if gains else {})
    for k, g in found.items():          # and a pan law's doing heard, not noted
        if k in level:
            level[k] -= heard_db(g) if gains else 20.0 * np.log10(sum(g) / 2.0)
    note_gains(song, stems_dir, level, fits[0][2])
    rel = {k: v - fits[0][1] for k, v in held.items()}
    flipped = {k: parts[k].stem for k in inverted_parts(parts, {k: v for k, v in monos.items() if k not in out},
                                                        fits[0][3], rel, fits[0][2], UNHEARD_DB, DISTINCT_R, mixes[0])}
    warn_inverted(song, stems_dir, flipped, fits[0][2])
    if out:
        db, mid, r2, _ = sure[0][0]    # what the warnings say: the finer of the fits that judge
    given = stems
    stems = as_heard(given, flipped, panned, pan_at, lambda k: parts[k].stem,
                     lambda k: in_stem(given, parts[k], sr, folder, shifts),
                     lambda stem: [k for k, p in parts.items() if p.stem == stem])
    say_panned(song, stems_dir, panned, pan_at, lambda k: parts[k].stem, centred)
    gone = []
    for k in out:
        assert folder is not None
        room = (len(monos[k]) - content_end(monos[k][:, None])) / MATCH_RATE
        if room >= MIN_SHIFT_S:   # its file ends early: a region export, its music too early, is not heard either
            log.warning("%s: %s (in %s) matches the mix %s nowhere near where its file puts it (the mix holds it %.0f dB "
                        "under the other files there), and its file ends %.2f s before the song: exported from its "
                        "first region rather than from the song's start, or an unused take? Left where it is; export "
                        "every track from the song's start, and move unused ones out of the folder", stems_dir, k,
                        parts[k].stem, song, min(mid - db[k], 60.0), room)
            continue
        stems[parts[k].stem] = stems[parts[k].stem] - in_stem(given, parts[k], sr, folder, shifts)
        gone.append(k)
        under = mid - db[k]
        log.warning("%s: %s (in %s) is not in the mix %s: the mix holds it %s under the other files (their weighted "
                    "sum explains the mix to R² %.2f): a muted track, an unused take or playlist, or a track the mix "
                    "hears only through an effect it was exported without? Left out, so the advice judges what the "
                    "mix holds (move it out of the folder; if the mix was bounced before it was added, give the stems "
                    "alone)", stems_dir, k, parts[k].stem, song, f"{under:.0f} dB" if under < 60 else "60 dB or more", r2)
    files = tuple(in_folder(folder, p) for k in gone for p in parts[k].paths)
    return stems, files, panned, pan_at, flipped
