"""``load_corpus``: one entry point over the corpus loaders, with the validation carve-out.

Songs come back sorted by split (train, validation, test, then any other split name
alphabetically) and then by id, whatever order the file system lists them in. Decoding is lazy:
loading reads folder layouts and audio headers only, so layout problems (missing root, no songs,
a track without stems, an unreadable header) are reported here, corrupt audio data when a stem is
decoded.
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Callable

from ..errors import CorpusError
from ..rng import rng_for
from .config import CorpusConfig
from .song import Song

log = logging.getLogger(__name__)

SPLIT_ORDER: tuple[str, ...] = ("train", "validation", "test")
VALIDATION = "validation"


def _loader_for(kind: str) -> Callable[[CorpusConfig], list[Song]]:
    if kind == "musdb_hq":
        from .musdb_hq import load_musdb_hq
        return load_musdb_hq
    if kind == "stem_mp4":
        from .stem_mp4 import load_stem_mp4
        return load_stem_mp4
    if kind == "stems_folder":
        from .stems_folder import load_stems_folder
        return load_stems_folder
    raise CorpusError(f"unknown corpus kind {kind!r}")


def split_key(song: Song) -> tuple[int, str, str]:
    """Sort key: canonical split order, then split name, then song id."""
    rank = SPLIT_ORDER.index(song.split) if song.split in SPLIT_ORDER else len(SPLIT_ORDER)
    return (rank, song.split, song.id)


def carve_validation(songs: list[Song], n: int, seed: int) -> list[Song]:
    """Move ``n`` train songs (seeded choice from the id-sorted train list) to the validation split.

    Only train songs are eligible; at least one train song must remain. The choice depends only on
    (seed, the set of train ids), never on listing order.
    """
    if n <= 0:
        return songs
    train = sorted((s for s in songs if s.split == "train"), key=lambda s: s.id)
    if n >= len(train):
        raise CorpusError(f"val_songs={n} but the corpus has {len(train)} train song(s); validation songs are "
                          "taken from train only and at least one train song must remain")
    picks = rng_for(seed, "validation-carve-out").permutation(len(train))[:n]
    for i in sorted(int(i) for i in picks):
        train[i].split = VALIDATION
    log.debug("validation songs: %s", sorted(train[int(i)].id for i in picks))
    return songs


def move_to_validation(songs: list[Song], ids: list[str]) -> list[Song]:
    """Move exactly the train songs named in ``ids`` to the validation split (a fixed, published list)."""
    train = {s.id: s for s in songs if s.split == "train"}
    missing = [i for i in ids if i not in train]
    if missing:
        others = sorted(s.id for s in songs if s.id in missing)
        where = f" ({', '.join(others)} in another split)" if others else ""
        raise CorpusError(f"val_ids: {len(missing)} of {len(ids)} validation song(s) are not train songs of this "
                          f"corpus{where}: {', '.join(repr(m) for m in missing[:5])}"
                          f"{' ...' if len(missing) > 5 else ''}")
    if len(ids) >= len(train):
        raise CorpusError(f"val_ids names all {len(train)} train song(s); at least one train song must remain")
    for i in ids:
        train[i].split = VALIDATION
    return songs


def check_unique_ids(songs: list[Song]) -> None:
    """Song ids must be unique across the whole corpus (a song in two splits would leak)."""
    seen: dict[str, Song] = {}
    for s in songs:
        if s.id in seen:
            other = seen[s.id]
            raise CorpusError(f"song id {s.id!r} appears twice: {other.source} ({other.split}) and "
                              f"{s.source} ({s.split}); ids must be unique across splits")
        seen[s.id] = s


def load_corpus(cfg: CorpusConfig) -> list[Song]:
    """Load the songs of a corpus (lazy stems), validation carved out of train, sorted by split and id."""
    if not cfg.root:
        raise CorpusError("corpus root is not set (CorpusConfig.root)")
    root = Path(cfg.root).expanduser()
    if not root.exists():
        raise CorpusError(f"{root}: corpus folder not found")
    if not root.is_dir():
        raise CorpusError(f"{root}: corpus root is not a folder")
    songs = _loader_for(cfg.kind)(dataclasses.replace(cfg, root=str(root)))
    check_unique_ids(songs)
    if cfg.val_ids is not None:
        songs = move_to_validation(songs, cfg.val_ids)
    songs = carve_validation(songs, cfg.val_songs, cfg.seed)
    return sorted(songs, key=split_key)
