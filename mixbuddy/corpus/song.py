"""The Song type: an id, a split, a native sample rate and named stems decoded lazily."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from ..audio import resample, to_channels
from ..errors import CorpusError

log = logging.getLogger(__name__)

StemLoader = Callable[[str], np.ndarray]
"""Given a stem name, return its audio as float32 (samples, channels) at the song's native rate."""


@dataclass
class Song:
    """A multitrack song. Stems are decoded only when asked for (``stems()``/``stem()``).

    ``stem_names`` lists the stems the song actually has (a song may lack e.g. bass); ``meta`` holds
    free-form metadata (title, license, reference balance of synthetic songs, ...).
    """

    id: str
    split: str
    sample_rate: int
    stem_names: tuple[str, ...]
    loader: StemLoader = field(repr=False)
    meta: dict = field(default_factory=dict)
    source: str = ""  # where it came from (a folder or a file), for error messages
    num_frames: int | None = None  # length at sample_rate (shortest stem) known without decoding; None = unknown

    def stem(self, name: str, sr: int | None = None, channels: int | None = None) -> np.ndarray:
        if name not in self.stem_names:
            raise CorpusError(f"song {self.id!r} ({self.source}) has no stem {name!r}; it has {list(self.stem_names)}")
        x = self.loader(name)
        if channels:
            x = to_channels(x, channels)
        if sr and sr != self.sample_rate:
            x = resample(x, self.sample_rate, sr)
        return x

    def stems(self, sr: int | None = None, channels: int | None = None) -> dict[str, np.ndarray]:
        """All stems, trimmed to the shortest (with a warning when lengths differ)."""
        out = {n: self.stem(n, sr, channels) for n in self.stem_names}
        return trim_to_shortest(out, f"song {self.id!r} ({self.source})")

    def mixture(self, sr: int | None = None, channels: int | None = None) -> np.ndarray:
        stems = self.stems(sr, channels)
        return np.sum(np.stack(list(stems.values())), axis=0, dtype=np.float32)


def trim_to_shortest(stems: Mapping[str, np.ndarray], what: str) -> dict[str, np.ndarray]:
    """Trim every array to the shortest length; warn when they differ; equalise channel counts."""
    if not stems:
        return {}
    lengths = {n: a.shape[0] for n, a in stems.items()}
    n = min(lengths.values())
    if len(set(lengths.values())) > 1:
        log.warning("%s: stems differ in length %s; trimming all to %d samples", what, lengths, n)
    chans = max(a.shape[1] for a in stems.values())
    return {k: to_channels(a[:n], chans) for k, a in stems.items()}
