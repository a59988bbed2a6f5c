"""Shared pytest fixtures; the writers they use live in ``corpus_fixtures`` (importable by tests)."""
from __future__ import annotations

import importlib.resources
import shutil
from pathlib import Path

import pytest

from corpus_fixtures import REAL_DEV_DIR, STEMPEG_CLIP, write_musdb_corpus


@pytest.fixture(scope="session")
def _tiny_musdb_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_musdb_corpus(tmp_path_factory.mktemp("tiny_musdb_master") / "musdb")


@pytest.fixture
def tiny_musdb(tmp_path: Path, _tiny_musdb_master: Path) -> Path:
    """Root of a MUSDB18-HQ style corpus: 3 train + 2 test songs, 25 s, 44.1 kHz stereo FLAC.

    Generated once per session and copied, so a test may modify its copy freely.
    """
    return Path(shutil.copytree(_tiny_musdb_master, tmp_path / "musdb"))


@pytest.fixture
def real_dev_dir() -> Path:
    """The shared real-dev stems folder; the test is skipped when it is absent."""
    if not (REAL_DEV_DIR / "README.md").is_file():
        pytest.skip(f"shared real-dev data not found at {REAL_DEV_DIR}")
    return REAL_DEV_DIR


@pytest.fixture
def stem_clip() -> Path:
    """The real MUSDB18 clip (.stem.mp4, ~6 s) inside the stempeg wheel; skipped without stempeg/ffmpeg."""
    pytest.importorskip("stempeg", reason="stempeg not installed (pip install mixbuddy[stems])")
    if not (shutil.which("ffmpeg") and shutil.which("ffprobe")):
        pytest.skip("ffmpeg/ffprobe not installed")
    return Path(str(importlib.resources.files("stempeg") / "data" / STEMPEG_CLIP))
