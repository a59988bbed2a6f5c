"""Loader for the MUSDB18-HQ folder layout (also used by the bundled synthetic corpus).

Layout: ``root/{train,test}/<track>/{mixture,bass,drums,other,vocals}.<ext>`` with ext one of
wav/flac/ogg (matched case-insensitively). The official split is the folder a track lives in.
``mixture`` is ignored (the mixture is the sum of the stems); a track may lack some of the four
stems, but not all. ``meta.json`` in a track folder becomes ``Song.meta``. Song ids are the track
folder names. Rates/channels/lengths are handled as in :mod:`mixbuddy.corpus.stems_folder`.
"""
from __future__ import annotations

import logging
from pathlib import Path

from ..constants import STEMS
from ..errors import CorpusError
from .config import CorpusConfig
from .song import Song
from .stems_folder import read_meta, song_dirs, song_from_files

log = logging.getLogger(__name__)

SPLIT_FOLDERS: tuple[str, ...] = ("train", "test")
STEM_EXTENSIONS: tuple[str, ...] = (".wav", ".flac", ".ogg")
IGNORED_NAMES: tuple[str, ...] = ("mixture",)


def track_stem_files(track: Path) -> dict[str, Path]:
    """``stem -> file`` of one track folder; two files for one stem (e.g. bass.wav + bass.flac) is an error."""
    found: dict[str, Path] = {}
    for p in sorted(track.iterdir(), key=lambda p: p.name):
        if not p.is_file() or p.suffix.lower() not in STEM_EXTENSIONS:
            continue
        name = p.name[: -len(p.suffix)].lower()
        if name in IGNORED_NAMES:
            continue
        if name not in STEMS:
            log.debug("%s: not a MUSDB stem name, ignored", p)
            continue
        if name in found:
            raise CorpusError(f"{track}: two files for stem {name!r}: {found[name].name} and {p.name}; keep one")
        found[name] = p
    if not found:
        raise CorpusError(f"{track}: track folder holds no stem files "
                          f"(expected {'/'.join(STEMS)} with extension {'/'.join(STEM_EXTENSIONS)})")
    return found


def load_musdb_hq(cfg: CorpusConfig) -> list[Song]:
    """All tracks under ``root/train`` and ``root/test`` with their official split (unsorted)."""
    root = Path(cfg.root)
    present = [s for s in SPLIT_FOLDERS if (root / s).is_dir()]
    if not present:
        raise CorpusError(f"{root}: no train/ or test/ folder; expected the MUSDB18-HQ layout "
                          f"<root>/{{train,test}}/<track>/{{bass,drums,other,vocals}}.wav "
                          f"(for one folder of stem files per song, use kind stems_folder: --kind stems_folder)")
    songs = []
    for split in present:
        for track in song_dirs(root / split):
            files = track_stem_files(track)
            songs.append(song_from_files(track.name, split, track, {k: [v] for k, v in files.items()},
                                         read_meta(track)))
    if not songs:
        raise CorpusError(f"{root}: no track folders found under {' or '.join(s + '/' for s in present)}")
    return songs
