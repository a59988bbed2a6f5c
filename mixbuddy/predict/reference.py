"""A reference song for the engines that hear the stems: "balanced" means balanced like this song, not like
the training corpus.

The loudness engine's prior is a Gaussian over the stems' loudness: a typical balance (its mean, fitted on
the synthetic training songs) and how far songs stray from it (its covariance). A producer who knows what
their balance should sound like (an earlier song of theirs, a reference track of the genre) gives that
song's stems with ``advise --reference REF``. The reference is cut into the same windows as the song (its
anchor must play; a reference without the anchor is gated on another stem), each active stem's BS.1770
loudness is measured at the loudness engine's rate, and the mean per stem becomes the typical balance; a
stem the reference lacks (the anchor too) moves with the others, and the advice says so. The spread stays
the prior's: one reference does not say how far a good mix may stray from it. A stems model is handed the
same balance by turning the song's stems (:func:`use_reference`).

Several references (``--reference A --reference B``) give their mean balance, each song counted once: every
song's levels are taken against its own overall level (so a louder master weighs no more than a quiet one),
and a stem one song lacks is read from the songs that have it (:func:`combine_levels`).

For a two-track (a beat and its vocals, :mod:`mixbuddy.predict.two_track`) the reference's vocals and instrumental
are measured too (its drums, bass and other summed per window where the vocals play, or its own two-track's parts),
and the two-track prior is moved to them; a two-track reference sets no four-stem balance.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..constants import INSTRUMENTAL, STEMS, TARGET_STEMS, TWO_TRACK
from ..errors import MixbuddyError
from ..evaluate.baselines.bayes import GaussianBalance
from .engines import LoudnessEngine
from .prior import DEFAULT_TWO_TRACK_PRIOR, load_prior
from .stem_pack import opened_stems
from .two_track import read_two_track, two_track_files
from .windows import cut_windows, load_song
from .wording import lacks_note

log = logging.getLogger(__name__)


def reference_levels(engine: LoudnessEngine, reference: str | Path, anchor: str,
                     mapping: str | Path | None = None) -> tuple[dict[str, float], int]:
    """({stem: mean LUFS over the reference's usable windows where it plays}, number of windows)."""
    from ..evaluate.baselines.loudness import loudness

    with opened_stems(reference) as opened:
        parts = two_track_files(opened, mapping)
        if parts:       # a two-track reference: it sets a two-track's balance only
            audio = read_two_track(opened, parts, engine.sample_rate, engine.channels)
        else:
            audio = load_song(None, opened, engine.sample_rate, engine.channels, mapping)
        audio.source = str(reference)
        gate = INSTRUMENTAL if parts else (anchor if anchor in audio.stems else next(
            (s for s in TARGET_STEMS if s in audio.stems), anchor))
        if gate not in (anchor, INSTRUMENTAL):
            log.info("%s has no %s stem (the anchor): its other stems set the typical balance, and the %s is "
                     "taken to sit as the prior has it against them", reference, anchor, anchor)
        windows, _ = cut_windows(audio, gate, engine.clip_seconds)
    seen: dict[str, list[float]] = {}
    for w in windows:
        for s in w.active:
            v = loudness(w.stems[s], engine.sample_rate)
            if np.isfinite(v):
                seen.setdefault(s, []).append(v)
        rest = [x for s, x in w.stems.items() if s != "vocals" and s in w.active]
        if not parts and rest and "vocals" in w.active:     # its stems as a two-track: the others summed
            v = loudness(np.sum(rest, axis=0), engine.sample_rate)
            if np.isfinite(v):
                seen.setdefault(INSTRUMENTAL, []).append(v)
    return {s: float(np.mean(v)) for s, v in seen.items()}, len(windows)


TIE = 1e-3   # weight of the prior's balance in combine_levels, which joins only to relate unrelated songs


def combine_levels(prior: GaussianBalance, each: Sequence[dict[str, float]]) -> dict[str, float]:
    """The mean balance of several references' levels ({stem: LUFS} each), each song counted once: the
    least-squares fit of ``level[song][stem] = overall[song] + balance[stem]`` over the stems each song has
    (a song's overall level is its own, so a louder master weighs no more than a quiet one, and a stem one
    song lacks is read from the songs that have it, against their other stems). With every stem in every
    song this is the mean of each song's levels taken against its own mean. The result sits at the songs'
    mean overall level; a stem no song has is left out (the balance moves it with the others). Songs that
    share no stem, directly or through others (one holds only drums, another only vocals), are set against
    each other as the prior has their stems: its balance joins as one more song of small weight (``TIE``).
    One song's levels come back as they are."""
    each = [{k: float(v) for k, v in lv.items() if k in prior.stems and np.isfinite(v)} for lv in each]
    each = [lv for lv in each if lv]
    if len(each) <= 1:
        return dict(each[0]) if each else {}
    stems = [s for s in prior.stems if any(s in lv for lv in each)]
    linked, reached = set(each[0]), {0}         # do the songs' shared stems relate every song to every other?
    while grow := {r for r, lv in enumerate(each) if r not in reached and linked & set(lv)}:
        reached |= grow
        linked |= {s for r in grow for s in each[r]}
    tie = [] if len(reached) == len(each) else [{s: float(prior.mean[prior.stems.index(s)]) for s in stems}]
    n = len(each) + len(tie)                    # the songs, then (if needed) the prior's balance, weight TIE
    rows, y = [], []
    for r, lv in enumerate([*each, *tie]):
        w = 1.0 if r < len(each) else TIE
        for s, v in lv.items():
            row = np.zeros(n + len(stems))
            row[r], row[n + stems.index(s)] = w, w
            rows.append(row)
            y.append(w * v)
    rows.append(np.r_[np.ones(len(each)), np.zeros(len(tie) + len(stems))])  # songs' overall levels average 0
    y.append(0.0)
    x = np.linalg.lstsq(np.array(rows), np.array(y), rcond=None)[0]
    return {s: float(v) for s, v in zip(stems, x[n:])}


def shift_gains(prior: GaussianBalance, levels: dict[str, float]) -> dict[str, float]:
    """dB per stem that moves a mix balanced like ``levels`` onto the ``prior``'s typical balance; they sum
    to zero, so the overall level hardly moves."""
    d = {s: float(prior.mean[prior.stems.index(s)] - v) for s, v in levels.items() if s in prior.stems}
    m = float(np.mean(list(d.values()))) if d else 0.0
    return {s: round(v - m, 3) for s, v in d.items()}


def use_reference(engine: Any, reference: str | Path | Sequence[str | Path], anchor: str,
                  mapping: str | Path | None = None) -> dict:
    """Make ``engine`` judge against the balance of ``reference`` (a stems folder, ``.zip`` or
    ``.stem.mp4``, or several: their mean balance, :func:`combine_levels`); returns what it measured (also in
    ``engine.describe()``; with several songs, each song's own levels under ``songs``).

    The loudness engine takes the reference's levels as its typical balance. A model that hears the stems
    learned the training songs' balance (the packaged prior's mean, fitted on the same songs), so each stem
    of the song is turned by the difference (``engine.stem_gains_db``, zero-sum) before it listens: a mix
    balanced like the reference reaches it balanced like the training songs. A mix model cannot take one."""
    if not isinstance(engine, LoudnessEngine) and getattr(engine, "input_mode", None) != "stems":
        raise MixbuddyError("--reference needs an engine that hears the stems: the loudness engine (the default "
                            "with --stems) or a stems model (--checkpoint default-stems), not a mix model")
    meter = engine if isinstance(engine, LoudnessEngine) else LoudnessEngine()
    refs = [reference] if isinstance(reference, (str, Path)) else list(reference)
    measured = [reference_levels(meter, r, anchor, mapping) for r in refs]
    levels = combine_levels(meter.balance, [lv for lv, _ in measured if set(lv) - set(TWO_TRACK)])  # not two-tracks
    two_track, _ = load_prior(getattr(meter, "two_track_prior", None) or DEFAULT_TWO_TRACK_PRIOR)
    two_levels = combine_levels(two_track, [lv for lv, _ in measured])     # for a two-track song
    if not levels:
        if not isinstance(engine, LoudnessEngine):
            raise MixbuddyError(f"{', '.join(str(r) for r in refs)}: a two-track reference sets a two-track's balance "
                                "only (the vocals against the instrumental); a stems model hears four stems")
        engine.reference = {"song": ", ".join(str(r) for r in refs), "windows": sum(n for _, n in measured),
                            "two_track_lufs": {s: round(v, 2) for s, v in two_levels.items()}, "two_track_only": True}
        return engine.reference
    before = meter.balance.deviations(levels, anchor)
    info = {"song": ", ".join(str(r) for r in refs), "windows": sum(n for _, n in measured),
            "lufs": {s: round(v, 2) for s, v in levels.items()}, "vs_prior_db": {s: v for s, (v, _) in before.items()}}
    if len(refs) > 1:
        info["songs"] = [{"song": str(r), "windows": n, "lufs": {s: round(v, 2) for s, v in lv.items()}}
                         for r, (lv, n) in zip(refs, measured)]
    lacks = [s for s in STEMS if s not in levels]
    if lacks:       # the engines move such a stem with the reference's others, as the typical balance has it
        info["lacks"] = lacks
        log.info("%s: %s", info["song"], lacks_note(lacks))
    if len(two_levels) == len(TWO_TRACK):
        info["two_track_lufs"] = {s: round(v, 2) for s, v in two_levels.items()}
    if isinstance(engine, LoudnessEngine):
        engine.balance = engine.balance.shifted_to(levels)
    else:
        engine.stem_gains_db = info["stem_gains_db"] = shift_gains(meter.balance, levels)
    engine.reference = info
    return info
