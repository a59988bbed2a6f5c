"""The Song type: an id, a split, a native sample rate and named stems decoded lazily."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from ..audio import convert, to_channels
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
        return convert(self.loader(name), self.sample_rate, sr or self.sample_rate, channels)

    def stems(self, sr: int | None = None, channels: int | None = None, pad: bool = False) -> dict[str, np.ndarray]:
        """All stems at one length (with a warning when they differ): trimmed to the shortest, or with
        ``pad`` zero-padded at the end to the longest (tracks exported from one DAW timeline, some of
        which end early)."""
        out = {n: self.stem(n, sr, channels) for n in self.stem_names}
        return fit_lengths(out, f"song {self.id!r} ({self.source})", sr or self.sample_rate, pad)

    def mixture(self, sr: int | None = None, channels: int | None = None) -> np.ndarray:
        stems = self.stems(sr, channels)
        return np.sum(np.stack(list(stems.values())), axis=0, dtype=np.float32)


def fit_lengths(stems: Mapping[str, np.ndarray], what: str, sr: int, pad: bool = False) -> dict[str, np.ndarray]:
    """Bring every array to one length, the shortest (trim) or with ``pad`` the longest (silence appended);
    warn when they differ (lengths in seconds at ``sr``); equalise channel counts."""
    if not stems:
        return {}
    lengths = {n: a.shape[0] for n, a in stems.items()}
    n = max(lengths.values()) if pad else min(lengths.values())
    if len(set(lengths.values())) > 1:
        how = "zero-padding the shorter ones at the end to" if pad else "trimming all to"
        secs = ", ".join(f"{k} {v / sr:.3f} s" for k, v in lengths.items())
        log.warning("%s: stems differ in length (%s); %s %.3f s", what, secs, how, n / sr)
    chans = max(a.shape[1] for a in stems.values())
    fitted = {k: to_channels(a[:n], chans) for k, a in stems.items()}
    return {k: a if a.shape[0] == n else np.pad(a, ((0, n - a.shape[0]), (0, 0))) for k, a in fitted.items()}
