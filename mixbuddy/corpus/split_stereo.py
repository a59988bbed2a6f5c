"""Split-stereo exports: two mono files of one stem that are the left and right channels of one stereo track
("Gtr.L.wav" + "Gtr.R.wav", as Pro Tools bounces multi-mono; "OH_L" + "OH_R"), found by their names and read as
one stereo track by the folder reader (:mod:`mixbuddy.corpus.stems_folder`)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..audio import to_channels

# a split-stereo half: "Gtr.L", "OH_R", "Keys Left", "Pad (R)" (the name without its extension)
_SIDE = re.compile(r"^(?P<base>.*?\S)(?P<sep>[ ._-]+|\s*\()(?P<side>l|r|left|right)\)?$", re.IGNORECASE)


def stereo_pairs(files: Mapping[str, Sequence[Path]], infos: Mapping[Path, tuple[int, int, int]]) -> dict[Path, Path]:
    """Left file → right file of each split-stereo pair: two mono files of one stem, at one rate, whose names differ
    only in a closing channel mark ("Gtr.L.wav" + "Gtr.R.wav", as Pro Tools bounces multi-mono; "OH_L" + "OH_R",
    "Keys Left" + "Keys Right", "Pad (L)" + "Pad (R)"). ``infos``: each file's (rate, frames, channels)."""
    pairs: dict[Path, Path] = {}
    for paths in files.values():
        halves: dict[tuple, dict[str, Path]] = {}
        for p in paths:
            m = _SIDE.match(p.stem)
            if m and infos[p][2] == 1:
                side = m.group("side")
                key = (p.parent, m.group("base"), m.group("sep"), p.suffix.lower(), len(side) == 1, infos[p][0])
                halves.setdefault(key, {})[side[0].lower()] = p
        pairs.update((h["l"], h["r"]) for h in halves.values() if set(h) == {"l", "r"})
    return pairs


def join_pair(left: np.ndarray, right: np.ndarray, channels: int) -> np.ndarray:
    """Two mono halves (samples, 1) as one stereo track (the shorter zero-padded), at ``channels``."""
    n = max(left.shape[0], right.shape[0])
    out = np.zeros((n, 2), dtype=np.float32)
    out[: left.shape[0], 0] = left[:, 0]
    out[: right.shape[0], 1] = right[:, 0]
    return to_channels(out, channels)
