"""In-memory songs for the data tests (imported as `data_helpers`): exact control over levels per stem and window."""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np
import pytest
from mixbuddy.corpus.song import Song
from mixbuddy.data.config import DataConfig

SR = 8000  # low rate keeps tests fast; DataConfig.analysis_sr is set to match
STEMS4 = ("bass", "drums", "other", "vocals")


def noise(seconds: float, level_db: float, seed: int, channels: int = 2, sr: int = SR) -> np.ndarray:
    """White noise with RMS ``level_db`` dBFS, float32 (samples, channels)."""
    n = int(round(seconds * sr))
    x = np.random.default_rng(seed).standard_normal((n, channels))
    x *= 10 ** (level_db / 20) / np.sqrt(np.mean(x ** 2))
    return x.astype(np.float32)


class ArrayLoader:
    """Picklable stem loader over in-memory arrays; ``meta['calls']`` counts decodes."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.meta = {"calls": 0, "arrays": arrays}

    def __call__(self, name: str) -> np.ndarray:
        self.meta["calls"] += 1
        return self.meta["arrays"][name]


def make_song(song_id: str, split: str = "test", seconds: float = 30.0, levels: Mapping[str, float] | None = None,
              edits: Callable[[dict[str, np.ndarray]], None] | None = None, seed: int = 0,
              channels: int = 2, sr: int = SR, stems: tuple[str, ...] = STEMS4) -> Song:
    """A Song whose stems are white noise at ``levels`` (default −20 dBFS each); ``edits`` may modify
    the arrays in place (e.g. silence a stem in one window). ``song.meta['calls']`` counts decodes."""
    levels = dict(levels or {})
    arrays = {s: noise(seconds, levels.get(s, -20.0), seed * 10 + i, channels, sr) for i, s in enumerate(stems)}
    if edits:
        edits(arrays)
    loader = ArrayLoader(arrays)
    meta: dict = loader.meta

    return Song(id=song_id, split=split, sample_rate=sr, stem_names=stems, loader=loader, meta=meta,
                source=f"memory:{song_id}", num_frames=int(round(seconds * sr)))


def data_config(**kw) -> DataConfig:
    """DataConfig at the test rate (gate settings via ``gate=GateConfig(...)``)."""
    kw.setdefault("analysis_sr", SR)
    return DataConfig(**kw)


@pytest.fixture
def songs() -> list[Song]:
    """2 train, 1 validation, 2 test songs (30 s = 3 windows, one of 25 s = 2 windows), all stems active.

    Defined here, not in a ``tests/data/conftest.py``: a second module named ``conftest`` would shadow
    ``tests/conftest.py`` for tests that import helpers from it. Import it into a test module to use it.
    """
    return [make_song("tr_a", "train", seed=1), make_song("tr_b", "train", seed=2),
            make_song("va_a", "validation", seed=3), make_song("te_a", "test", seed=4),
            make_song("te_b", "test", seed=5, seconds=25.0)]
