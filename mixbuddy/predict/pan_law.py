"""Mono files given with the mix, heard at the level and in the place the mix pans them.

A mono file is read at its level in both channels. A DAW pans a mono track by a pan law: at the centre Pro Tools,
Cubase and Studio One turn it down 3 dB in each channel by default (Pro Tools sessions from before 8.1: 2.5 dB; 4.5 and
6 dB are offered too), and panned hard to one side it plays at its fader's level in that channel alone, 3 dB under its
file read in both. So a stem of mono files among stereo ones, or a mono kick or lead vocal among a stem's stereo
tracks, reads up to 6 dB louder than the mix has it, and the advice judged a balance the mix does not have. Without
the mix nothing says how the DAW panned its mono tracks (:func:`~mixbuddy.predict.input_checks.note_mono_files`
notes them); with it, the fit of the mix as a weighted sum of the folder's files (:mod:`mixbuddy.predict.tracks`),
made again for each channel of the mix, gives each mono file its gain in either channel against the stereo tracks
(:func:`panned_gains`). Those the pan law most of them share holds at some pan position (within ``PAN_LAW_TOL`` dB
of the gain it gives there: the track at its fader's unity) advise hears as the mix pans them, says so, and
``--apply`` renders them so; a mono file too quiet below 1 kHz for the fit to weigh (a hi-hat, a shaker) is then
heard at that law's centre gain, as a DAW pans every mono track by one law. Any other gap (a track exported
pre-fader, a mix bounced at another balance) is only noted, since which balance to judge is then the producer's call
(:func:`~mixbuddy.predict.align.note_gains`). A model that hears one channel hears the mix's mono copy, which
cannot tell a track hard left under a -3 dB law from a centred one under a -6 dB law; the mix in stereo places its
mono files all the same (so the report and ``--apply`` have them where the mix does), and the stem the model hears
holds each at its gain in that mono copy, as the folder the mix holds would read. Measured by ``python
benchmarks/pan_law.py``, ``python benchmarks/pan_law_tracks.py`` and ``python benchmarks/pan_law_one_channel.py``
(docs/BENCHMARKS.md, "Mono files and the mix's pan law", "Mono tracks among a stem's stereo ones", "... for a model
that hears one channel").
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Collection, Mapping

import numpy as np

from .input_checks import mono_tracks

if TYPE_CHECKING:
    from ..corpus.song import Song
    from .tracks import Part

log = logging.getLogger(__name__)

# what DAWs do to a centred mono track (dB in each channel); 0: the centre left as it is, the sides raised 3 dB
# (Logic's "-3 dB compensated"), so the track is as loud as its file read in both channels wherever it is panned
PAN_LAWS = (-3.0, -2.5, -4.5, -6.0, 0.0)
PAN_LAW_TOL = 0.5                     # a mono track this close to a pan law's gain at its place is taken as so panned
CENTRED = 0.02                        # a pan position (-1 left ... +1 right) this close to 0 is the centre
SAME_DB = 0.05                        # a track this close to its file's level is said to be at it
_HALF_DB = 10.0 * np.log10(2.0)


def mono_labels(parts: Mapping[str, "Part"], folder: "Song") -> tuple[list[str], list[str]]:
    """(the parts that are a mono file, or a whole stem of mono files; those with stereo tracks only: a stereo file,
    a split-stereo pair, or a whole stem of them) of ``parts``, the terms of the fit."""
    tracks, mono = mono_tracks(folder.loader)
    one = {t for ts in mono.values() for t in ts}
    mono_parts, stereo = [], []
    for k, p in parts.items():
        ts = [p.paths] if p.paths else tracks.get(p.stem, [])
        if ts and all(t in one for t in ts):
            mono_parts.append(k)
        elif ts and not any(t in one for t in ts):
            stereo.append(k)
    return mono_parts, stereo


def law_gap(left: float, right: float, law: float) -> float:
    """How far (dB) a track the mix holds at linear gains ``left`` and ``right`` (against its file read in both
    channels) sits from where the pan law ``law`` (its centre gain, dB) puts a track at its fader's unity at that pan
    position. The laws are taken as cos^a / sin^a of the pan angle: a = law / -3.01 with unity hard to one side
    (-3 dB: constant power; -6 dB: near linear), or, for a centre at 0 dB, constant power with the sides 3 dB up."""
    a = law / -_HALF_DB if law < 0 else 1.0
    return 10.0 * a * float(np.log10(left ** (2.0 / a) + right ** (2.0 / a))) - (law + _HALF_DB * a)


def panned_gains(gains: Mapping[str, tuple[float, float]], mono: Collection[str], stereo: Collection[str],
                 judged: Collection[str], unjudged: Collection[str]
                 ) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """({label: (left, right)}, the labels of those taken as centred): each of the ``mono`` parts (a mono file, or a
    whole stem of them: :func:`mono_labels`) among ``judged`` that the mix holds as the pan law most of them share
    does, at those linear gains (in each channel, against its file read in both) against the ``stereo`` parts' median
    (``gains``: each part's gain in each channel of the mix, from the fit; the same in both for a mono copy of the
    mix), and, where that law turns a centred track down, each of ``mono`` among ``unjudged`` (too quiet below 1 kHz
    for the fit to weigh: a hi-hat, a shaker) at its centre gain, as a DAW applies one pan law to every mono track
    (under -3 dB, constant power, that is its loudness wherever it is panned). Empty without a stereo part."""
    ref = [np.hypot(*gains[k]) / np.sqrt(2.0) for k in stereo if k in gains]
    if not PAN_LAWS or not ref or not mono:
        return {}, []
    mid = float(np.median(ref))
    # both channels' gains of one sign (a channel's at -40 dB or under the other's is taken as silent there)
    rel = {k: (abs(lv) / mid, abs(rv) / mid) for k in mono if k in judged for lv, rv in [gains[k]]
           if lv * rv >= -1e-4 * max(lv * lv, rv * rv) and max(abs(lv), abs(rv)) > 1e-6}
    fit = {law: {k: abs(law_gap(*g, law)) for k, g in rel.items()} for law in PAN_LAWS}
    law = max(PAN_LAWS, key=lambda w: (sum(v <= PAN_LAW_TOL for v in fit[w].values()), -sum(fit[w].values())))
    # a centred track within PAN_LAW_TOL of its file's level is left as read: at a 0 dB centre there is nothing to
    # hear, and a light master moves a track's weight by a tenth of a dB
    found = {k: rel[k] for k, v in fit[law].items()
             if v <= PAN_LAW_TOL and (abs(heard_db(rel[k])) > PAN_LAW_TOL or abs(pan_position(rel[k])) >= CENTRED)}
    if not found or law > -PAN_LAW_TOL:
        return found, []
    rest = [k for k in mono if k in unjudged]
    centre = 10.0 ** (law / 20.0)
    return {**found, **{k: (centre, centre) for k in rest}}, rest


def heard_db(gains: tuple[float, float]) -> float:
    """A track's level in the mix against its file read in both channels (dB: the channels' energy)."""
    return 10.0 * float(np.log10(max((gains[0] ** 2 + gains[1] ** 2) / 2.0, 1e-30)))


def pan_position(gains: tuple[float, float]) -> float:
    """Where the mix holds a track: -1 hard left, 0 centre, +1 hard right (the channels' energy balance)."""
    e = gains[0] ** 2 + gains[1] ** 2
    return float((gains[1] ** 2 - gains[0] ** 2) / e) if e > 0 else 0.0


def channel_gains(db: float, pan: float) -> np.ndarray:
    """The linear gains (left, right) that hold a mono track ``db`` dB under its file (read in both channels) at
    ``pan`` (:func:`pan_position`)."""
    e = 10.0 ** (db / 10.0)
    return np.sqrt([e * (1.0 - pan), e * (1.0 + pan)]).astype(np.float32)


def as_reported(found: Mapping[str, tuple[float, float]]) -> tuple[dict[str, float], dict[str, float]]:
    """(label -> dB under its file, label -> pan position where off the centre): what advise reports and --apply
    renders (``AdviceReport.panned``, ``AdviceReport.pan_at``)."""
    db = {k: round(heard_db(g), 2) for k, g in found.items()}
    at = {k: round(pan_position(g), 2) for k, g in found.items() if abs(pan_position(g)) >= CENTRED}
    return db, at


def say_panned(song: str | Path, stems_dir: str | Path, panned: Mapping[str, float], pan_at: Mapping[str, float],
               stem_of: Callable[[str], str], centred: Collection[str] = ()) -> None:
    """Say which mono files advise hears as the mix pans them (a whole stem's label is its name; ``centred``: those
    the fit could not place, taken as centred under the others' pan law)."""
    if centred:
        log.info("%s: %s, too quiet below 1 kHz for the fit against the mix %s to place, heard %.1f dB under their own "
                 "level, as the pan law the mix holds the other mono files by does to a centred mono track", stems_dir,
                 ", ".join(f"{k} ({stem_of(k)})" for k in centred), song, -panned[centred[0]])
    for k, db in ((k, v) for k, v in panned.items() if k not in centred):
        p = pan_at.get(k, 0.0)
        place = "centred" if not p else f"panned {abs(p):.0%} {'left' if p < 0 else 'right'}" if abs(p) < 0.99 \
            else f"panned hard {'left' if p < 0 else 'right'}"
        if k == stem_of(k) and not p:
            log.info("%s: the mix %s holds the %s stem's mono files %.1f dB under their own level, against the stereo "
                     "stems, as a DAW's pan law turns a centred mono track down (a mono file is read at its level in "
                     "both channels): heard at the mix's level", stems_dir, song, k, -db)
            continue
        what = f"the {k} stem's mono files" if k == stem_of(k) else f"{k} ({stem_of(k)}), a mono file,"
        level = "at their own level" if abs(db) < SAME_DB else f"{abs(db):.1f} dB {'under' if db < 0 else 'over'} " \
            "their own level"
        log.info("%s: the mix %s holds %s %s, %s, against the stereo tracks, as a DAW's pan law does to a mono track "
                 "(a mono file is read at its level in both channels): heard as the mix pans it", stems_dir, song,
                 what, level, place)
