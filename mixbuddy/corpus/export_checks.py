"""What the files of a song folder say about how they were exported, beyond their names.

Seven mistakes of a stems export that the names do not show (or not alone), each of which makes the stems' balance
(what mixbuddy judges) wrong without a word:

- every file **normalised** to one peak, or the stems exported **through the master bus's limiter**: found from
  the files' peaks (:mod:`mixbuddy.corpus.peak_checks`; said, nothing can be undone);
- a **bounce of the whole song** left among the stems under a name that names no stem, so summed into
  "other" (:func:`mix_files`);
- a **group or bus track** exported with the tracks it sums, so they count twice (:func:`bus_files`);
- a **second copy** of a file ("Vocals (1).wav" from a second download, "Kick copy.wav", a remix pack's
  "Acapella.wav" beside its vocal stem), so its audio counts twice (:func:`copy_files`, :func:`which_copy`);
- a part given **dry and with its effects** ("Vox Dry.wav" + "Vox Wet.wav"), or a track **exported again**
  beside its first export ("Vocals.wav" + "Vocals v2.wav"), so the part counts twice (:func:`dry_wet_pairs`,
  :func:`older_versions`).

The last four are found from ``glimpses``: each file as a mono copy at ``GLIMPSE_RATE``, which the stems
loader keeps when asked (``FileStemLoader.glimpse``). ``advise`` leaves such files out
(``mixbuddy.predict.stems_input.folder_stems``); ``data build`` names them (``mixbuddy.data.gate``).
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from .stem_names import name_phrase, name_words

log = logging.getLogger(__name__)

GLIMPSE_RATE = 2000          # Hz: a file's mono copy for telling a whole-song bounce from a stem
MIX_FILE_R = 0.5             # a file this correlated with the sum of the others ...
MIX_OUTSIDE_R = 0.3          # ... and this with the drums, bass and vocals files is the mix, not a stem
BUS_R = 0.9                  # a file this correlated with the sum of its stem's other files ...
BUS_GAIN_R = 0.1             # ... and this much less with any one of them sums them: a bus
COPY_DB = 0.01               # two files whose peaks and glimpse energies are this close ...
COPY_R = 0.9999              # ... and whose glimpses correlate this well hold the same audio
# what a browser, a file manager or a shell adds to a copy's name: "x (1)", "x copy", "x copy 2", "x - Copy",
# "x - Copy (2)", "x (copy)", "x (another copy)", "x (3rd copy)", "Copy of x"
_COPY_SUFFIX = re.compile(r"\s*\(\d+\)|\s+(-\s+)?copy(\s+\d+)?(\s*\(\d+\))?|\s*\((another |\d+(st|nd|rd|th) )?copy\)",
                          re.IGNORECASE)
_COPY_PREFIX = re.compile(r"copy of\s+", re.IGNORECASE)
ACAPELLA_WORDS = frozenset("acapella acappella accapella acapela cappella capella".split())
DRY_WET_R = 0.5              # a part's "wet" file this correlated with its "dry" one holds it (with its effects)
_DRY_WET = {"dry": "dry", "unprocessed": "dry", "wet": "wet", "processed": "wet"}
VERSION_R = 0.5              # two versions of a track this correlated hold one part (a re-export after a fix)
_LAST, _NEWER, _OLDER = frozenset({"final", "latest"}), frozenset({"fixed", "updated"}), frozenset({"old"})


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    norm = float(np.linalg.norm(x) * np.linalg.norm(y))
    return float(np.dot(x, y)) / norm if norm > 0 else 0.0


def _padded(glimpses: Mapping[Path, np.ndarray], paths: Sequence[Path]) -> dict[Path, np.ndarray]:
    """``paths``' glimpses in float32 (a 20-minute file: 9.6 MB), zero-padded to the longest glimpse of the song."""
    n = max((g.shape[0] for g in glimpses.values()), default=0)
    return {p: np.pad(glimpses[p].astype(np.float32), (0, n - glimpses[p].shape[0])) for p in paths}


def _pair_r(glimpses: Mapping[Path, np.ndarray], a: Path, b: Path) -> float:
    """The correlation of two files' glimpses (the shorter zero-padded)."""
    return _corr(*_padded(glimpses, [a, b]).values())


def _shown(folder: str | Path, path: Path) -> str:
    """A file as a warning names it: relative to the song's folder where it lies inside it."""
    return path.relative_to(folder).as_posix() if path.is_relative_to(folder) else path.name


def _take_out(left: dict[Path, np.ndarray], candidates: Sequence[Path], passes: Callable[[Path, float], bool]
              ) -> list[tuple[Path, float]]:
    """While ``left`` holds three files or more: the candidate most correlated with the sum of the other files
    among those that ``passes(path, that correlation)``, taken out of ``left`` (in place); each with its r."""
    found: list[tuple[Path, float]] = []
    while len(left) >= 3:
        total = np.sum(list(left.values()), axis=0)
        scored = sorted(((p, _corr(left[p], total - left[p])) for p in candidates if p in left), key=lambda t: -t[1])
        best = next(((p, r) for p, r in scored if passes(p, r)), None)
        if best is None:
            break
        found.append(best)
        del left[best[0]]
    return found


def mix_files(glimpses: Mapping[Path, np.ndarray], candidates: Sequence[Path]) -> list[tuple[Path, float]]:
    """The files among ``candidates`` (those the words put in "other") that hold the whole song: a bounce
    left in the stems folder under a name that names no stem ("My Song final.wav"), with their correlation
    with the sum of the other files. ``glimpses``: every file of the song as a mono copy at one rate.

    A bounce holds every stem, so it correlates with the sum of the other files (``MIX_FILE_R``) and with
    the sum of the files outside "other" (``MIX_OUTSIDE_R``: drums, bass and vocals); separate stems are
    nearly uncorrelated, and a second microphone of an "other" instrument (Piano L beside Piano R) matches
    its twin but not the drums, bass and vocals. The highest first, each found one taken out before the
    next is looked for; only with three files or more. Measured (``python benchmarks/mix_in_stems.py``) on
    the real-dev songs and the example: a stem against the others |r| 0.012 at most; the stems' sum 1.00
    (0.91-0.97 with the drums, bass and vocals), mastered copies of it 0.85-0.94 (0.77-0.88); one of two
    microphones of an instrument 0.16-0.31 (0.00)."""
    left = _padded(glimpses, list(glimpses))
    outside = [p for p in left if p not in set(candidates)]     # the drums, bass and vocals files
    if not outside:
        return []
    out_sum = np.sum([left[p] for p in outside], axis=0)
    return _take_out(left, candidates, lambda p, r: r >= MIX_FILE_R and _corr(left[p], out_sum) >= MIX_OUTSIDE_R)


def bus_files(glimpses: Mapping[Path, np.ndarray], groups: Mapping[str, Sequence[Path]]
              ) -> list[tuple[Path, float]]:
    """The files that hold the sum of other files of their own stem: a group or bus track exported with the
    tracks it sums (a DAW's "all individual tracks" export includes group tracks, so "Drums.wav" beside
    "Kick.wav" and "Snare.wav" would count the drums twice), with their correlation with the sum of the
    stem's other files. In a stem of three files or more, a file is a bus when that correlation is
    ``BUS_R`` or more and at least ``BUS_GAIN_R`` above its correlation with the closest single file: the
    sum explains it, no one track does (a second microphone of one drum matches its twin at least as well
    as the whole kit). A bus dominated by one track at low frequencies (the glimpses hold up to 1 kHz) can
    be missed. The highest first, each found one taken out before the next is looked for."""
    found: list[tuple[Path, float]] = []
    for paths in groups.values():
        left = _padded(glimpses, [p for p in paths if p in glimpses])
        found += _take_out(left, list(left), lambda p, r: r >= BUS_R and r - max(
            _corr(left[p], left[q]) for q in left if q != p) >= BUS_GAIN_R)
    return found


def copy_files(glimpses: Mapping[Path, np.ndarray], peaks: Mapping[Path, float],
               pairs: Mapping[Path, Path] | None = None) -> list[tuple[Path, Path, float]]:
    """(the copy, the file it copies, their correlation) for each file that holds the same audio as another: a
    second copy of one file (a second download saved as "Vocals (1).wav", a "Kick copy.wav"), which summed with
    it would count its audio twice (6 dB up). The same audio means peaks within ``COPY_DB`` (decoded at full
    band), and mono 2 kHz glimpses within ``COPY_DB`` in energy that correlate ``COPY_R`` or more; of the two,
    the file with the longer name (then the later one) is the copy. Two microphones of one source, a double take
    or a track turned down are not the same audio; a lossy re-encode of a file (peaks moved) is not caught.
    Silent files are left out, and so are the two halves of a split-stereo pair (``pairs``: left -> right file),
    which hold the same audio whenever the track is a centred mono one."""
    energy = {p: float(np.dot(g.astype(np.float64), g)) for p, g in glimpses.items()}
    order = sorted((p for p in glimpses if peaks.get(p, 0.0) > 0.0 and energy[p] > 0.0),
                   key=lambda p: (len(p.name), p.name))
    found: list[tuple[Path, Path, float]] = []
    copied: set[Path] = set()
    for i, a in enumerate(order):
        if a in copied:
            continue
        for b in order[i + 1:]:        # the cheap tests first: files limited to one ceiling share their peaks
            if (b in copied or abs(20.0 * np.log10(peaks[a] / peaks[b])) > COPY_DB
                    or abs(10.0 * np.log10(energy[a] / energy[b])) > COPY_DB
                    or (pairs or {}).get(a) == b or (pairs or {}).get(b) == a):
                continue
            r = _pair_r(glimpses, a, b)
            if r >= COPY_R:
                found.append((b, a, r))
                copied.add(b)
    return found


def dry_wet_pairs(glimpses: Mapping[Path, np.ndarray], groups: Mapping[str, Sequence[Path]]
                  ) -> list[tuple[Path, Path, float]]:
    """(the dry file, the wet one, their correlation) for each part given both dry and with its effects, as remix
    packs do ("Vox Dry.wav" + "Vox Wet.wav", "Acapella (Unprocessed)" + "Acapella (Processed)": two files of one
    stem whose names differ only in that word), where the wet file holds the dry one (glimpses correlated
    ``DRY_WET_R`` or more): summed, the part counts twice. A wet file of the effects alone (a reverb print, which
    the song plays beside the dry part) correlates less and is not paired."""
    return _ranked_parts(glimpses, groups, _dry_wet, DRY_WET_R, pairs_only=True)


def _dry_wet(phrase: str) -> tuple[str, tuple[int, ...]] | None:
    """(a name's phrase without its dry/wet word, 1 for wet and 0 for dry); None without exactly one kind."""
    words = phrase.split()
    kinds = {_DRY_WET[w] for w in words if w in _DRY_WET}
    if len(kinds) != 1:
        return None
    return " ".join(w for w in words if w not in _DRY_WET), (int(kinds.pop() == "wet"),)


def _version(phrase: str) -> tuple[str, tuple[int, ...]]:
    """(a name's phrase without its version marks, its rank: final or latest first, then the highest "v2" /
    "version 2", then fixed/updated, an unmarked name, old; not "new": "New Synth" is as often a layer)."""
    words, rest, rank = phrase.split(), [], [0, 0, 0]
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("v", "ver", "version") and i + 1 < len(words) and words[i + 1].isdigit():
            rank[1] = max(rank[1], int(words[i + 1]))
            i += 2
            continue
        if w in _LAST:
            rank[0] = 1
        elif w in _NEWER:
            rank[2] = 1
        elif w in _OLDER:
            rank[2] = -1 if rank[2] == 0 else rank[2]
        else:
            rest.append(w)
        i += 1
    return " ".join(rest), tuple(rank)


def older_versions(glimpses: Mapping[Path, np.ndarray], groups: Mapping[str, Sequence[Path]]
                   ) -> list[tuple[Path, Path, float]]:
    """(an older version, the newest one, their correlation) for each track exported again into the same folder
    ("Vocals.wav" and "Vocals v2.wav", "Bass_old.wav" and "Bass.wav", "Keys final.wav"): files of one stem whose
    names differ only in version marks (:func:`_version`), the newest holding the same part (glimpses correlated
    ``VERSION_R`` or more). Summed, the part counts twice."""
    return _ranked_parts(glimpses, groups, _version, VERSION_R)


def _ranked_parts(glimpses: Mapping[Path, np.ndarray], groups: Mapping[str, Sequence[Path]],
                  key: Callable[[str], tuple[str, tuple[int, ...]] | None], least_r: float, pairs_only: bool = False
                  ) -> list[tuple[Path, Path, float]]:
    """(a file left out, the file kept, their correlation): the files of one stem whose names' phrases ``key``
    makes one (the name without its marks, a rank; None: not such a name) are one part, the single top-ranked file
    kept and each other file that correlates ``least_r`` or more with it left out (``pairs_only``: only parts of
    two files)."""
    found: list[tuple[Path, Path, float]] = []
    for paths in groups.values():
        parts: dict[str, list[tuple[tuple[int, ...], Path]]] = {}
        for p in paths:
            marked = key(name_phrase(p.name))
            if marked is not None:
                parts.setdefault(marked[0], []).append((marked[1], p))
        for ranked in parts.values():
            ranked.sort(key=lambda t: t[0])
            if (len(ranked) < 2 or (pairs_only and len(ranked) != 2) or ranked[-1][0] == ranked[-2][0]
                    or ranked[-1][1] not in glimpses):
                continue
            kept = ranked[-1][1]
            for _, p in ranked[:-1]:
                if p in glimpses and (r := _pair_r(glimpses, p, kept)) >= least_r:
                    found.append((p, kept, r))
    return found


def one_part_files(glimpses: Mapping[Path, np.ndarray], groups: Mapping[str, Sequence[Path]]
                   ) -> list[tuple[Path, Path, float, str]]:
    """(a file left out, the file kept, their correlation, "dry" or "version") for the parts a folder holds twice:
    :func:`dry_wet_pairs` and :func:`older_versions`."""
    return ([(d, w, r, "dry") for d, w, r in dry_wet_pairs(glimpses, groups)]
            + [(o, n, r, "version") for o, n, r in older_versions(glimpses, groups)])


ONE_PART = {"dry": ("one part, dry and with its effects", "a remix pack gives both"),
            "version": ("versions of one track", "exported again after a change?")}


def warn_one_part(folder: str | Path, dropped: Path, kept: Path, r: float, kind: str, done: str) -> None:
    """Say that ``dropped`` and ``kept`` hold one part (``kind``: "dry", from :func:`dry_wet_pairs`, or "version",
    from :func:`older_versions`) and what was ``done``."""
    what, why = ONE_PART[kind]
    log.warning("%s: %s and %s are %s (correlation %.2f; %s): %s", folder, _shown(folder, dropped),
                _shown(folder, kept), what, r, why, done)


def named_as_copy(path: Path, original: Path) -> bool:
    """Whether ``path``'s name is ``original``'s with what a browser or a file manager adds to a copy ("vocals
    (1).wav", "vocals copy.wav", "vocals - Copy.wav", "Copy of vocals.wav"); the extensions may differ."""
    name, first = path.stem.lower(), original.stem.lower()
    rest = name[len(first):] if name.startswith(first) else None
    return ((rest is not None and _COPY_SUFFIX.fullmatch(rest) is not None)
            or (_COPY_PREFIX.match(name) is not None and _COPY_PREFIX.sub("", name, count=1) == first))


def named_acapella(path: Path) -> bool:
    """Whether a file's name says it is an a cappella ("Acapella.wav", "Song - A Cappella.wav"): the vocals alone,
    which a remix pack gives beside the vocal stem itself."""
    return bool(name_words(path.name) & ACAPELLA_WORDS)


def which_copy(copy: Path, original: Path) -> tuple[Path, Path, bool]:
    """(the copy, its original, whether to leave the copy out) for two files of the same audio (:func:`copy_files`):
    the copy is left out when its name says it is one (:func:`named_as_copy`), or says a cappella beside a file
    whose name does not (the a cappella is then the one left out: the same audio as the vocal stem beside it)."""
    if named_acapella(original) and not named_acapella(copy):
        copy, original = original, copy
    return copy, original, named_as_copy(copy, original) or (named_acapella(copy) and not named_acapella(original))


def named_copies(glimpses: Mapping[Path, np.ndarray], peaks: Mapping[Path, float],
                 pairs: Mapping[Path, Path] | None = None) -> list[tuple[Path, Path, bool]]:
    """:func:`copy_files` as a folder's reader uses it: (the copy, its original, whether to leave the copy out)
    by :func:`which_copy`."""
    return [which_copy(c, o) for c, o, _ in copy_files(glimpses, peaks, pairs)]


def warn_copy_file(folder: str | Path, path: Path, original: Path, done: str) -> None:
    """Say that ``path`` holds the same audio as ``original`` (found by :func:`copy_files`) and what was
    ``done`` with it; for a file not named as a copy (:func:`named_as_copy`), ask which it is."""
    name, first = _shown(folder, path), _shown(folder, original)
    what = ("a second copy of one file?" if named_as_copy(path, original) else
            "an a cappella: the vocal stem's own audio under a second name" if named_acapella(path) else
            "one file exported twice under two names, or a track duplicated in the session?")
    log.warning("%s: %s holds the same audio as %s (%s): %s", folder, name, first, what, done)


def warn_mix_file(folder: str | Path, path: Path, r: float, done: str, bus: bool = False) -> None:
    """Say that ``path`` holds the whole song (found by :func:`mix_files`) or, with ``bus``, the sum of other
    files of its stem (:func:`bus_files`), and what was ``done`` with it."""
    name = _shown(folder, path)
    if bus:
        log.warning("%s: %s sounds like the sum of other files of its stem (correlation %.2f): a group or bus track "
                    "exported with its tracks? %s (export either the group or its tracks)", folder, name, r, done)
    else:
        log.warning("%s: %s sounds like the whole song (correlation %.2f with the sum of the other files), not a "
                    "stem: %s (name it Mix or Master to have it skipped, or put it under a stem in a mapping file "
                    "to keep it)", folder, name, r, done)
