"""A stem of mono files, given with the mix, heard at the level the mix holds it.

A mono file is read at its level in both channels. A DAW whose pan law turns a centred mono track down (Pro Tools,
Cubase and Studio One: -3 dB by default; Pro Tools sessions from before 8.1: -2.5 dB; -4.5 and -6 dB are offered too)
holds it that much lower in its mix, so a stem of mono files among stereo ones read that many dB louder than the mix
has it, and the advice judged a balance the mix does not have. Without the mix nothing says which pan law the DAW used
(:func:`~mixbuddy.predict.input_checks.note_mono_files` notes it); with the mix, the fit of the mix as a weighted sum
of the stems' files (:mod:`mixbuddy.predict.tracks`) measures it, and :func:`pan_law_gains` takes a stem whose every
track is a mono file, among stems with stereo tracks, that the mix holds a pan law's cut (within ``PAN_LAW_TOL``)
under the stereo stems, as the DAW's pan law at work: advise hears it at the mix's level, says so, and ``--apply``
renders it so. Any other gap (a stem exported pre-fader, a mix bounced at another balance) is only noted, since which
balance to judge is then the producer's call (:func:`~mixbuddy.predict.align.note_gains`). Measured by
``python benchmarks/pan_law.py`` (docs/BENCHMARKS.md, "Mono files and the mix's pan law").
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

import numpy as np

from .align import GAIN_FIT_R2
from .input_checks import mono_tracks

if TYPE_CHECKING:
    from ..corpus.song import Song
    from .tracks import Part

log = logging.getLogger(__name__)

PAN_LAWS = (-2.5, -3.0, -4.5, -6.0)   # what DAWs do to a centred mono track (dB in each channel)
PAN_LAW_TOL = 0.5                     # a stem the mix holds this close to one of them is taken as so panned


def pan_law_gains(parts: Mapping[str, "Part"], gains_db: Mapping[str, float], r2: float,
                  folder: "Song | None") -> dict[str, float]:
    """{stem: its gain in the mix against the stereo stems (dB)} for each stem of ``folder`` whose every track is a
    mono file, among stems with stereo tracks, when each of its parts sits within ``PAN_LAW_TOL`` of that gain and it
    within ``PAN_LAW_TOL`` of one of ``PAN_LAWS``, and the fit explains the mix to ``GAIN_FIT_R2``. ``parts``,
    ``gains_db``, ``r2``: the terms of the fit (:mod:`mixbuddy.predict.tracks`), each judged one's gain and R²."""
    if folder is None or r2 < GAIN_FIT_R2 or not PAN_LAWS:
        return {}
    tracks, mono = mono_tracks(folder.loader)
    stereo = {s for s in tracks if len(mono[s]) < len(tracks[s])}
    ref = [v for k, v in gains_db.items() if parts[k].stem in stereo]
    if not ref:
        return {}
    mid = float(np.median(ref))
    found = {}
    for stem in (s for s in tracks if tracks[s] and len(mono[s]) == len(tracks[s])):
        rel = [v - mid for k, v in gains_db.items() if parts[k].stem == stem]
        if not rel:
            continue
        gain = float(np.median(rel))
        if max(abs(v - gain) for v in rel) <= PAN_LAW_TOL and min(abs(gain - law) for law in PAN_LAWS) <= PAN_LAW_TOL:
            found[stem] = round(gain, 2)
    return found


def hear_as_panned(song: str | Path, stems_dir: str | Path, stems: dict[str, np.ndarray],
                   gains: Mapping[str, float]) -> dict[str, np.ndarray]:
    """``stems`` with each stem of ``gains`` turned by its gain (dB), as the mix holds it, and said so."""
    if not gains:
        return stems
    stems = dict(stems)
    for stem, db in gains.items():
        stems[stem] = stems[stem] * np.float32(10.0 ** (db / 20.0))
        log.info("%s: the mix %s holds the %s stem's mono files %.1f dB under their own level, against the stereo "
                 "stems, as a DAW's pan law turns a centred mono track down (a mono file is read at its level in both "
                 "channels): heard at the mix's level", stems_dir, song, stem, -db)
    return stems
