"""One track given in two formats or more: "Vocals.wav" beside "Vocals.mp3", or a stem pack's ``WAV/`` and ``MP3/``
folders holding the same files.

Remix packs and label deliveries often give every stem twice, lossless and lossy, in parallel folders ("Stems
(WAV)/Drums.wav", "Stems (MP3)/Drums.mp3"), and a producer may bounce a track again as MP3 to send it and leave
both in the folder. The stems folder reader sums every file of a stem, so such a track counted twice (its stem
6 dB up), and the strict copy check (:func:`mixbuddy.corpus.export_checks.copy_files`: peaks within 0.01 dB) does
not see a lossy copy as the same audio, since a codec moves the peaks.

Two files are *twins by name* when they sort to one stem and their names are the same once the extension, marks of a
format ("_MP3", "(WAV)", "24bit", "320kbps", "44.1kHz"; a beat store's "(Untagged)") and folders named only by a
format ("WAV", "MP3 320") are taken away, or when one file's name is the other's with a copy's mark and another format
("Vocals (1).mp3" beside "Vocals.wav": :func:`twin_groups`). Twins by name are *one track* when their mono glimpses (:data:`~mixbuddy.corpus.export_checks.GLIMPSE_RATE`)
correlate ``FORMAT_R`` or more at the best lag within ``FORMAT_LAG_S`` (an MP3 without its gapless header decodes
25-50 ms late; AAC's priming likewise) and hold the same energy within ``FORMAT_DB``. Of one track the best copy is
kept: lossless before lossy, then the higher sample rate, then more bytes per second and channel (bit depth, or a
lossy file's bitrate). Twins by name that are not one track are kept and named.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from scipy.signal import correlate

from .export_checks import GLIMPSE_RATE, _shown, named_as_copy
from .peak_checks import listed

log = logging.getLogger(__name__)

FORMAT_R = 0.9        # twins by name whose glimpses correlate this well (at the best lag) are one track ...
FORMAT_DB = 1.0       # ... if their glimpses' energies are this close
FORMAT_LAG_S = 0.1    # the lags looked at, either way: a codec's delay left in the decoded audio
LOSSLESS = frozenset({".wav", ".wave", ".flac", ".aiff", ".aif", ".aifc", ".caf", ".w64", ".rf64", ".wv"})
# a word that names a format, a bit depth, a bitrate or a rate ("24bit", "320kbps", "44.1khz" after _UNITS joins them),
# or a beat store's delivery of one beat with or without its producer tag ("Beat (Untagged).wav", "Beat (Tagged).mp3")
_FORMAT_WORD = re.compile(r"wav|mp3|flac|aiff?|aifc|ogg|oga|vorbis|m4a|aac|alac|opus|wma|caf|wv|pcm|float|lossless|"
                          r"lossy|hq|hires|stereo|tagged|untagged|\d+(?:[.,]\d+)?(?:bits?|kbps|kbits?|kb|k|khz|hz)")
_UNITS = re.compile(r"(\d+(?:[.,]\d+)?)[\s_-]*(bits?|kbps|kbits?|kb|khz|hz|k)\b")


def unmarked(name: str) -> str:
    """A file's or folder's name as twins share it: lower case, accents dropped, its words with those that name a
    format taken off both ends ("Vocals_MP3" and "Vocals (WAV 24-bit)" → "vocals"; "WAV" → ""). A plain number is a
    format's mark only beside one ("MP3 320"), not beside a name ("Vocals 2" stays)."""
    text = unicodedata.normalize("NFKD", name.lower())
    text = _UNITS.sub(r"\1\2", "".join(c for c in text if not unicodedata.combining(c)))
    words = re.findall(r"\d+(?:[.,]\d+)?[a-z]*|[a-z0-9]+", text)
    for end, inner in ((-1, -2), (0, 1)):       # the last words, then the first ones
        while words and (_FORMAT_WORD.fullmatch(words[end]) or (
                len(words) > 1 and words[end].isdigit() and _FORMAT_WORD.fullmatch(words[inner]))):
            words.pop(end)
    return " ".join(words)


def twin_key(path: Path, folder: Path) -> tuple[str, ...]:
    """What twins by name share: the folders between ``folder`` and ``path`` and ``path``'s own name, each
    :func:`unmarked` (a folder named only by a format left out; a file named only by one keeps its name)."""
    parts = path.relative_to(folder).parts if path.is_relative_to(folder) else (path.name,)
    dirs = tuple(d for d in map(unmarked, parts[:-1]) if d)
    return (*dirs, unmarked(Path(parts[-1]).stem) or path.stem.lower())


def twin_groups(paths: Sequence[Path], folder: Path) -> list[list[Path]]:
    """``paths`` grouped by :func:`twin_key` (a group of two or more: twins by name). A file alone in its group whose
    name is another's with what a browser or a file manager adds to a copy's name (:func:`~mixbuddy.corpus.export_checks.named_as_copy`:
    "Vocals (1).mp3", "Vocals copy.mp3" beside "Vocals.wav"), in the same folders as that one once format folders are
    set aside and in another format, joins that file's group: a lossy copy, which the strict copy check cannot take
    for the same audio (the codec moved its peaks). Two copies in one format are left to that check."""
    groups: dict[tuple[str, ...], list[Path]] = {}
    for p in paths:
        groups.setdefault(twin_key(p, folder), []).append(p)
    for key, group in list(groups.items()):
        if len(group) != 1:
            continue
        p = group[0]
        home = next((g for k, g in groups.items() if k != key and k[:-1] == key[:-1] and any(
            named_as_copy(p, q) and q.suffix.lower() != p.suffix.lower() for q in g)), None)
        if home is not None:
            home.append(groups.pop(key)[0])
    return list(groups.values())


@dataclass(frozen=True)
class Twin:
    """A file whose name is another's in another format: ``path`` beside ``kept`` (the best of them), their glimpses'
    correlation ``r`` at ``lag_s`` (``path`` that much later) and energy gap ``db``; ``same``: one track."""

    path: Path
    kept: Path
    r: float
    lag_s: float
    db: float

    @property
    def same(self) -> bool:
        return self.r >= FORMAT_R and abs(self.db) <= FORMAT_DB


def quality(path: Path, rate: int, channels: int, seconds: float) -> tuple:
    """How good a copy a file is, to sort by (higher is better): lossless, its sample rate, its bytes per second and
    channel (a bit depth, or a lossy file's bitrate)."""
    size = path.stat().st_size if path.exists() else 0
    return path.suffix.lower() in LOSSLESS, rate, size / max(seconds * max(channels, 1), 1e-9)


def best_lag(a: np.ndarray, b: np.ndarray, most: int) -> tuple[float, int]:
    """(the highest correlation of glimpses ``a`` and ``b`` over lags of ``b`` within ``most`` samples either way,
    that lag): a positive lag is ``b`` later than ``a``."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norm == 0.0:
        return 0.0, 0
    c = correlate(b, a, mode="full", method="fft")       # index len(a) - 1 is lag 0
    zero = a.shape[0] - 1
    window = c[max(zero - most, 0): zero + most + 1]
    i = int(np.argmax(window))
    return float(window[i]) / norm, i + max(zero - most, 0) - zero


def format_twins(glimpses: Mapping[Path, np.ndarray], files: Mapping[str, Sequence[Path]], folder: str | Path,
                 rates: Mapping[Path, int], channels: Mapping[Path, int]) -> list[Twin]:
    """Each file that is a twin by name of a better copy in its stem (:func:`twin_key`, :func:`quality`), with how
    its glimpse compares with that copy's: :attr:`Twin.same` ones hold the same track and are left out by a reader.
    ``glimpses``: the files' mono copies at ``GLIMPSE_RATE``; ``rates``, ``channels``: each file's own."""
    folder = Path(folder)
    found: list[Twin] = []
    for paths in files.values():
        for group in twin_groups([p for p in paths if p in glimpses], folder):
            if len(group) < 2:
                continue
            ranked = sorted(group, key=lambda p: (tuple(-v for v in quality(
                p, rates.get(p, 0), channels.get(p, 1), glimpses[p].shape[0] / GLIMPSE_RATE)), str(p)))
            best = glimpses[ranked[0]]
            for p in ranked[1:]:
                r, lag = best_lag(best, glimpses[p], round(FORMAT_LAG_S * GLIMPSE_RATE))
                energies = [float(np.dot(g.astype(np.float64), g)) for g in (glimpses[p], best)]
                db = 10.0 * np.log10(energies[0] / energies[1]) if min(energies) > 0.0 else float("inf")
                found.append(Twin(p, ranked[0], r, lag / GLIMPSE_RATE, db))
    return found


def without_twins(loader, source: str | Path) -> tuple[list[Twin], dict[Path, np.ndarray], dict[str, list[Path]]]:
    """(the :func:`format_twins` of a folder's files as its ``loader`` read them, with their glimpses, their glimpses
    and each stem's files without the other formats of a track): what the other export checks look at, each track
    once. The glimpses compared are the files' own, from their first sample: a region export placed by its time
    stamp (:mod:`mixbuddy.corpus.bwf`) is one track with a lossy copy of it that carries no stamp."""
    as_read = {p: g[loader.glimpse_shift(p):] for p, g in loader.glimpses.items()}
    twins = format_twins(as_read, loader.files, source, loader.file_rates, loader.file_channels)
    gone = {t.path for t in twins if t.same}
    return (twins, {p: g for p, g in loader.glimpses.items() if p not in gone},
            {k: [p for p in v if p not in gone] for k, v in loader.files.items()})


def warn_twins(folder: str | Path, twins: Sequence[Twin], done: str) -> None:
    """Say which files are other formats of a file kept (:attr:`Twin.same`: one warning for them all, with what was
    ``done`` with them), and name each pair of twins by name that do not hold the same audio (both kept)."""
    folder = Path(folder)
    same = [t for t in twins if t.same]
    if same:
        late = max(abs(t.lag_s) for t in same)
        what = (f"{_shown(folder, same[0].path)} is {_shown(folder, same[0].kept)} in another format" if len(same) == 1
                else f"{len(same)} files are tracks kept in another format (" + listed(
                    [f"{_shown(folder, t.path)} = {_shown(folder, t.kept)}" for t in same], 4) + ")")
        r = sorted(f"{t.r:.3f}" for t in same)
        log.warning("%s: %s: %s (their glimpses correlated %s%s)", folder, what, done,
                    r[0] if r[0] == r[-1] else f"{r[0]} to {r[-1]}",
                    f"; up to {late * 1000:.0f} ms late, a codec's delay" if late >= 0.002 else "")
    for t in twins:
        if not t.same:
            log.warning("%s: %s and %s have one name in two formats but do not hold the same audio (correlation "
                        "%.2f, %+.1f dB): both summed into their stem (if one is an older export, take it out of the "
                        "folder)", folder, _shown(folder, t.path), _shown(folder, t.kept), t.r, t.db)
