"""A stem, or a file of one, that the mix holds in opposite polarity to its file.

A polarity (phase) switch turns a track's waveform over: a snare's bottom microphone against its top one, a bass DI
against its amp, a kick's inside microphone against its outside one, so the two add instead of cancelling. The
switch is a plug-in or a channel setting, so tracks exported without their plug-ins (as a mix engineer asks for
them: Logic's "bypass effect plug-ins", a DAW's raw or consolidated clips) or a stem printed before a bus whose
polarity is switched are written as recorded: summed into its stem such a file cancels what the mix adds (the stem
reads quieter than the mix has it, and the advice judges a balance the mix does not have), and a whole stem so
written makes the stems' sum match the mix poorly (which was taken for another song or version).

With the mix given, :mod:`mixbuddy.predict.tracks` reads it as a weighted sum of the stems' files, and
:func:`inverted_parts` takes a part (a file, or a whole stem) as turned over when its weight has the other sign than
most parts (the mix itself may be turned over), the fit explains the mix well enough (a whole stem: ``POLARITY_R2``,
a plain or lossy bounce or a master: under masters to -14 and -9 LUFS the fits that found a stem turned over
explained 0.78-0.93 of the mix; a file: the stems, each its files' sum, explain the mix ``STEMS_R2_GAIN`` better
with it turned over than as written, and then to ``POLARITY_R2`` (:func:`turned_fits_better`), since a track out of
place, a region export, pulls the weights of the tracks that match it, one of a stem's band tracks below zero, and
where the fit explains ``GAIN_FIT_R2`` (a plain or lossy bounce) its weight as strong as the others', within
``GAIN_NOTE_DB``, a guard set for plain bounces), the part is heard (within
``UNHEARD_DB`` of the others' median weight, its own energy within ``HEARD_DB`` of the mix's) and each other file it
matches (correlation ``DISTINCT_R`` or more: a second microphone of its source) it matches in opposite polarity
while the mix holds that one the right way up, so that the two add in the mix as they do not in their files (two
microphones that match the right way up can trade weight in the fit, one read with a small negative weight: not
taken). ``advise`` then hears it turned over, as the mix holds it, says so (``inverted`` in ``--json``), and
``--apply`` renders it so. A mix matching the stems' sum only loosely is first matched again with each set of stems
turned over (:func:`~mixbuddy.predict.align.flipped_match`), so a mix with a lead-in is still lined up. Measured by
``python benchmarks/polarity.py`` (docs/BENCHMARKS.md, "A track the mix holds in opposite polarity" and "A second
microphone turned over under a master"); ``python benchmarks/polarity_elsewhere.py`` counts what is turned over in
the other benchmarks' folders, where nothing is.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

import numpy as np

from .align import GAIN_FIT_R2, GAIN_NOTE_DB, STEMS_R2_GAIN, stems_r2

if TYPE_CHECKING:
    from .tracks import Part

log = logging.getLogger(__name__)

POLARITY_R2 = 0.7   # the fit explains the mix this well for a whole stem: a bounce, lossy or mastered (-9 LUFS: 0.78+)


def inverted_parts(parts: Mapping[str, "Part"], monos: Mapping[str, np.ndarray], weights: Mapping[str, float],
                   rel_db: Mapping[str, float], r2: float, unheard_db: float, distinct_r: float, mix: np.ndarray
                   ) -> list[str]:
    """The labels of the parts the mix holds in opposite polarity to their files (see the module docstring).
    ``monos``: each part's mono copy; ``weights``: its signed weight in the fit; ``rel_db``: the gain (dB) of each
    part loud enough to judge, against their median; ``r2``: how much of the mix the fit explains; ``mix``: the mix's
    mono copy it was fitted to."""
    if r2 < POLARITY_R2 or len(weights) < 2:
        return []
    up = -1.0 if 2 * sum(w < 0 for w in weights.values()) > len(weights) else 1.0   # most parts: a mix turned over
    out = []
    for k, rel in rel_db.items():
        file = bool(parts[k].paths)
        if weights[k] * up >= 0 or rel <= unheard_db or (file and r2 >= GAIN_FIT_R2 and abs(rel) > GAIN_NOTE_DB):
            continue
        if file and not turned_fits_better(k, parts, monos, mix):
            continue
        a = monos[k]
        partners = []
        for j, b in monos.items():
            r = float(np.dot(a, b)) / np.sqrt(float(np.dot(a, a) * np.dot(b, b)) + 1e-30)
            if j != k and abs(r) >= distinct_r:
                partners.append(r < 0 and weights[j] * up > 0)
        if all(partners):
            out.append(k)
    return out


def turned_fits_better(k: str, parts: Mapping[str, "Part"], monos: Mapping[str, np.ndarray], mix: np.ndarray) -> bool:
    """Whether the stems, each the sum of its parts as written (``monos``), explain ``mix`` better by
    ``STEMS_R2_GAIN`` or more with the file part ``k`` turned over, and then to ``POLARITY_R2`` or more, as for a
    whole stem (a file far out of place, a region export, leaves the stems as written explaining little of the mix;
    turning a file that matches it over may explain a little more, not that much)."""
    stem_of = {j: parts[j].stem for j in monos}
    written, turned = stems_r2(mix, stem_of, monos, {}), stems_r2(mix, stem_of, monos, {k: -1.0})
    return (written is not None and turned is not None and turned >= POLARITY_R2
            and turned - written >= STEMS_R2_GAIN)


def warn_inverted(song: str | Path, stems_dir: str | Path, found: Mapping[str, str], r2: float) -> None:
    """Say which parts (``found``: label -> its stem; a whole stem's label is its name) advise hears turned over."""
    if not found:
        return
    named = ", ".join(f"the {k} stem" if k == s else f"{k} ({s})" for k, s in found.items())
    one = len(found) == 1
    log.warning("%s holds %s of %s in opposite polarity to %s (the mix is the files' weighted sum with %s turned over, "
                "to R² %.3f): a polarity (phase) switch or plug-in left out of the export? Heard turned over, as the "
                "mix holds %s; export the tracks again with their plug-ins, or turn %s over", song, named, stems_dir,
                "its file" if one else "their files", "it" if one else "them", r2, "it" if one else "them",
                "it" if one else "them")
