"""``mixbuddy corpus list``: print the songs of a corpus, one tab-separated line each:
split, id, stems (comma-separated), duration in seconds, sample rate in Hz.

Durations come from file headers (no audio is decoded), so listing a large corpus is quick.
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, TextIO

from ..argtypes import non_negative_int
from .config import CORPUS_KINDS, CorpusConfig

SPLITS = ("train", "validation", "test")  # = load.SPLIT_ORDER (not imported: load pulls in the audio stack)

if TYPE_CHECKING:
    from .song import Song

log = logging.getLogger(__name__)


def format_song_line(song: Song) -> str:
    """``split<TAB>id<TAB>stems<TAB>duration<TAB>rate`` for one Song."""
    dur = f"{song.num_frames / song.sample_rate:.2f}s" if song.num_frames else "?"
    return "\t".join((song.split, song.id, ",".join(song.stem_names), dur, f"{song.sample_rate}Hz"))


def run_list(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Load the corpus described by ``args`` and print it; returns the exit code."""
    from .load import load_corpus

    cfg = CorpusConfig(kind=args.kind, root=args.root, val_songs=args.val_songs, seed=args.seed,
                       mapping=args.mapping, split=args.split)
    songs = load_corpus(cfg)
    out = out or sys.stdout
    for song in songs:
        print(format_song_line(song), file=out)
    counts: dict[str, int] = {}
    for song in songs:
        counts[song.split] = counts.get(song.split, 0) + 1
    log.info("%d songs (%s)", len(songs), ", ".join(f"{k}: {v}" for k, v in counts.items()))
    return 0


def add_list_verb(corpus_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``list`` on the ``corpus`` group's sub-parsers; returns the new parser."""
    p = corpus_subparsers.add_parser("list", help="list the songs of a corpus (split, id, stems, duration, rate)",
                                     description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kind", choices=CORPUS_KINDS, default="musdb_hq", help="corpus layout (default: musdb_hq)")
    p.add_argument("--root", required=True, help="corpus folder")
    p.add_argument("--mapping", default=None, help="stems_folder: YAML/JSON stem -> filename patterns")
    p.add_argument("--val-songs", type=non_negative_int, default=0, help="train songs moved to validation")
    p.add_argument("--seed", type=int, default=0, help="seed of the validation carve-out")
    p.add_argument("--split", default="test", choices=SPLITS,
                   help="split of stems_folder / flat stem_mp4 songs (default: test)")
    p.set_defaults(func=run_list)
    return p
