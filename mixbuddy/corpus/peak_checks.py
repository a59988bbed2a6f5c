"""What the files' peaks say about how a song's stems were exported: every file **normalised** to one peak
(:func:`warn_normalised`), or the stems exported **through the master bus's limiter**, each on its own, so the loud
ones are pulled down to one ceiling (:func:`warn_limited`). Either sets the balance between the files (what
mixbuddy judges) wrongly without a word, and neither can be undone, so both are said. The peaks and flat shares
come from the stems loader's one pass over each decoded file (:func:`peak_stats`, ``FileStemLoader.peaks`` and
``.flat``); the other export checks, from each file's glimpse, are :mod:`mixbuddy.corpus.export_checks`'.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

log = logging.getLogger(__name__)

NORMALISED_SPREAD_DB = 0.25  # files peaking closer together than this were most likely normalised
FLAT_DB = 0.5                # a file's samples this close to its peak count as its top ...
FLAT_SHARE = 2e-5            # ... and a file with this share of its frames there or more is flat-topped,
FLAT_FRAMES = 32             # ... if they are this many at least (a short file's few peaks are a large share)
CEILING_SPREAD_DB = 0.1      # flat-topped files peaking this close together hit one ceiling


def normalised(peaks: Mapping[Path, float]) -> tuple[float, float, list[str]] | None:
    """(their peak in dBFS, the spread, the files' names) when every file of a song peaks at the same level:
    three or more files within ``NORMALISED_SPREAD_DB`` of each other, or two within a hundredth of that; else
    None. Exported stems normally peak several dB apart (the real-dev songs' 6 dB and more); the same peak
    everywhere is what a DAW's "normalise" export option writes, and it sets each file's level on its own, so
    the balance between them (what mixbuddy judges) is lost. Silent files are left out; a lossy copy of
    normalised files (peaks moved by the codec) is not caught."""
    db = {p: 20.0 * np.log10(v) for p, v in sorted(peaks.items()) if v > 0.0}
    if len(db) < 2:
        return None
    spread = max(db.values()) - min(db.values())
    if spread > (NORMALISED_SPREAD_DB if len(db) >= 3 else NORMALISED_SPREAD_DB / 100):
        return None
    return max(db.values()), spread, [p.name for p in db]


def warn_normalised(folder: str | Path, peaks: Mapping[Path, float]) -> bool:
    """Warn (and say True) when :func:`normalised` finds every file at one peak."""
    found = normalised(peaks)
    if found:
        log.warning("%s: every file peaks at %.2f dBFS, within %.3f dB (%s): were the stems normalised on export? "
                    "That sets each file's level on its own and loses the balance between them, which is what the "
                    "advice judges: export them again with normalising off", folder, found[0], found[1],
                    listed(found[2]))
    return found is not None


def listed(names: Sequence[str], most: int = 6) -> str:
    """"a, b, c and 3 more": the first ``most`` names."""
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def peak_stats(x: np.ndarray) -> tuple[float, float]:
    """(``x``'s sample peak, its flat share): the share of its frames (samples, channels) within ``FLAT_DB`` of
    that peak, 0 for silence and when they are fewer than ``FLAT_FRAMES``. Music peaks now and then: the real-dev
    songs' and the example's stems have under 0.4 in 100 000 frames there, their bass up to 23 (long low notes
    are nearly square at their loudest); a limiter or clipper piles the loud moments up at its ceiling (the same
    stems through a mastering limiter, where it reached them: 1 to 180). One pass over the frames, as quick as
    the peak alone was within a few ms (``python benchmarks/master_stems.py``: 13-21 ms, a 4-minute stereo stem)."""
    if x.size == 0:
        return 0.0, 0.0
    x = x.reshape(x.shape[0], -1)
    top = np.abs(x[:, 0])
    for c in range(1, x.shape[1]):                    # a frame's loudest channel, one column at a time
        np.maximum(top, np.abs(x[:, c]), out=top)
    peak = float(top.max())
    near = int(np.count_nonzero(top >= peak * 10.0 ** (-FLAT_DB / 20.0))) if peak > 0.0 else 0
    return peak, (near / top.shape[0] if near >= FLAT_FRAMES else 0.0)


def warn_limited(folder: str | Path, peaks: Mapping[Path, float], flat: Mapping[Path, float]) -> list[str]:
    """Warn when two files or more are flat-topped (:func:`peak_stats`' flat share at least ``FLAT_SHARE``) at
    the files' highest peak (within ``CEILING_SPREAD_DB``), and return their names (else []). That is what a
    limiter (or clipping) leaves at its ceiling, and one ceiling shared by separate stems is the master bus's:
    stems exported with the master's effects on, each through the limiter on its own, so the loud stems lose
    level against the quiet ones that the limiter leaves alone (the real-dev songs' stems so exported at -14
    LUFS read as balanced instead of "vocals too quiet"). ``peaks``: each file's sample peak; ``flat``: its
    flat share. Tracks that are limited on purpose (or sampled from limited loops) to one ceiling look the
    same, so it is asked, not concluded; lossy copies (peaks moved by the codec) are not caught. Where every
    file peaks at one level as well (:func:`normalised`), normalised files of sustained notes look the same
    too (and a hot master export can bring every stem to its ceiling), so the warning asks about both."""
    top = max(peaks.values(), default=0.0)
    if top <= 0.0:
        return []
    ceiling = 20.0 * np.log10(top)           # a master's limiter lets no stem past its ceiling: the files' top peak
    best = [p for p, v in peaks.items()
            if v > 0.0 and ceiling - 20.0 * np.log10(v) <= CEILING_SPREAD_DB and flat.get(p, 0.0) >= FLAT_SHARE]
    if len(best) < 2:
        return []
    names = sorted(p.name for p in best)
    share = sorted(flat[p] * 1e5 for p in best)
    flat_top = (f"flat-topped ({share[0]:.0f} to {share[-1]:.0f} in 100 000 of their samples within {FLAT_DB:.1f} dB "
                "of it)")
    also = normalised(peaks)
    if also:          # every file at one peak: what a normalise export writes too, so both are asked
        log.warning("%s: every file peaks at %.2f dBFS, within %.3f dB (%s), and %s are %s: were the stems "
                    "normalised on export, or exported through the master bus's limiter (each stem meeting it on "
                    "its own, the loud ones pulled down against the others)? Either changes the balance between "
                    "them, which is what the advice judges: export them again with normalising and the master "
                    "bus's effects off", folder, also[0], also[1], listed(also[2]), listed(names), flat_top)
    else:
        log.warning("%s: %s peak at one level, %.2f dBFS, %s: one limiter's ceiling, or clipping. Were the stems "
                    "exported through the master bus's limiter? Each stem then meets it on its own, and the loud "
                    "ones are pulled down against the others, which changes the balance the advice judges: export "
                    "them again with the master bus's effects off (if these tracks are limited on purpose, ignore "
                    "this)", folder, listed(names), ceiling, flat_top)
    return names


def warn_peaks(folder: str | Path, peaks: Mapping[Path, float], flat: Mapping[Path, float]) -> list[str]:
    """What the files' peaks say: :func:`warn_limited` (which asks about normalising too where it may be that),
    else :func:`warn_normalised`; the names of the files found flat-topped at one ceiling (else [])."""
    limited = warn_limited(folder, peaks, flat)
    if not limited:
        warn_normalised(folder, peaks)
    return limited
