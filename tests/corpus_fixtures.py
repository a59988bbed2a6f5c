"""Test-data writers shared by all test folders (imported as ``corpus_fixtures``): tiny synthetic
multitrack corpora written to tmp folders.

``make_song_dir`` writes one song folder from arrays; ``write_musdb_corpus`` writes a MUSDB18-HQ
style corpus (``train|test/<song>/{mixture,bass,drums,other,vocals}.<fmt>`` + ``meta.json``) whose
stems are active, musically plausible sounds; the ``tiny_musdb`` fixture (conftest.py) is 3 train + 2 test songs
of 25 s at 44.1 kHz stereo FLAC. ``SHARED_DIR`` / ``REAL_DEV_DIR`` locate the shared data folder
relative to this file (never the CWD).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

import numpy as np
import soundfile as sf

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = (REPO_ROOT / ".." / "shared").resolve()
REAL_DEV_DIR = SHARED_DIR / "data" / "real-dev"
STEMPEG_CLIP = "The Easton Ellises - Falcon 69.stem.mp4"  # the real MUSDB18 clip inside the stempeg wheel
MUSDB_STEMS = ("bass", "drums", "other", "vocals")


def write_stem_file(path: Path, x: np.ndarray, sr: int) -> Path:
    """Write audio; WAV as 32-bit float (bit-exact), FLAC as 24-bit, OGG as Vorbis."""
    x = np.asarray(x, dtype=np.float32)
    subtype = {".wav": "FLOAT", ".flac": "PCM_24"}.get(path.suffix.lower())
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), x, int(sr), subtype=subtype)
    return path


def make_song_dir(path: str | Path, stems: Mapping[str, np.ndarray], sr: int | Mapping[str, int] = 44100,
                  fmt: str = "flac", meta: dict | None = None) -> Path:
    """Write ``<path>/<name>.<fmt>`` for each array (1-D = mono, 2-D = (samples, channels)).

    ``sr`` may be one rate or a per-name mapping; ``meta`` (if given) goes to ``meta.json``.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for name, x in stems.items():
        rate = sr[name] if isinstance(sr, Mapping) else sr
        write_stem_file(path / f"{name}.{fmt.lstrip('.')}", x, rate)
    if meta is not None:
        (path / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return path


def _env(n: int, sr: int, period_s: float, decay_s: float, rng: np.random.Generator) -> np.ndarray:
    """A train of exponentially decaying note envelopes (onsets every period, slight jitter)."""
    t = np.arange(n) / sr
    phase = (t + rng.uniform(0, period_s)) % period_s
    return np.exp(-phase / decay_s)


def synth_stems(seconds: float, sr: int = 44100, channels: int = 2, seed: int = 0) -> dict[str, np.ndarray]:
    """Four active stems: plucked bass line, kick/hat drums, chord pad, vibrato 'voice' (peaks < 0.5)."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sr))
    t = np.arange(n) / sr
    root = 55.0 * 2 ** (rng.integers(0, 12) / 12)
    notes = root * 2 ** (rng.choice([0, 3, 5, 7, 10], size=int(seconds * 2) + 2) / 12)
    f_bass = notes[(t * 2).astype(int)]
    bass = np.sin(2 * np.pi * np.cumsum(f_bass) / sr) * _env(n, sr, 0.5, 0.25, rng) * 0.4
    kick = np.sin(2 * np.pi * 60 * t) * _env(n, sr, 0.5, 0.08, rng)
    hats = rng.standard_normal(n) * _env(n, sr, 0.25, 0.02, rng) * 0.15
    drums = 0.35 * kick + hats
    chord = sum(np.sin(2 * np.pi * root * 4 * 2 ** (k / 12) * t + rng.uniform(0, 6.28)) for k in (0, 4, 7))
    other = chord / 3 * (0.15 + 0.05 * np.sin(2 * np.pi * 0.2 * t))
    f0 = root * 8 * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))
    ph = 2 * np.pi * np.cumsum(f0) / sr
    vocals = (np.sin(ph) + 0.4 * np.sin(2 * ph) + 0.2 * np.sin(3 * ph)) * 0.2 * _env(n, sr, 2.0, 1.5, rng)
    out = {}
    for name, x in {"bass": bass, "drums": drums, "other": other, "vocals": vocals}.items():
        x = x.astype(np.float32)
        if channels == 1:
            out[name] = x[:, None]
        else:
            pan = rng.uniform(0.35, 0.65)
            out[name] = np.stack([x * (1 - pan) * 2 ** 0.5, x * pan * 2 ** 0.5], axis=1)[:, :channels]
    return out


def write_musdb_corpus(root: str | Path, n_train: int = 3, n_test: int = 2, seconds: float = 25.0,
                       sr: int = 44100, channels: int = 2, fmt: str = "flac", seed: int = 0,
                       with_mixture: bool = True) -> Path:
    """Write a MUSDB18-HQ style corpus: songs ``train_00..`` and ``test_00..`` with meta.json."""
    root = Path(root)
    for split, count in (("train", n_train), ("test", n_test)):
        for i in range(count):
            song_id = f"{split}_{i:02d}"
            stems = synth_stems(seconds, sr, channels, seed=seed * 1000 + (0 if split == "train" else 500) + i)
            files = dict(stems)
            if with_mixture:
                files["mixture"] = np.sum(list(stems.values()), axis=0)
            make_song_dir(root / split / song_id, files, sr, fmt,
                          meta={"title": song_id, "synthetic": True, "seed": seed})
    return root


def build_recipes(root: str | Path, val_songs: int = 0, **corpus_kwargs) -> Path:
    """Write a tiny MUSDB-style corpus under ``root/corpus`` and build its recipes into ``root/ds``
    with ``mixbuddy data build`` (train sampled, validation/test enumerated); returns ``root/ds``."""
    from mixbuddy.cli import main

    root = Path(root)
    corpus = write_musdb_corpus(root / "corpus", **corpus_kwargs)
    args = ["data", "build", "--kind", "musdb_hq", "--root", str(corpus), "-o", str(root / "ds"), "--no-progress", "-q"]
    if val_songs:
        args += ["--val-songs", str(val_songs)]
    assert main(args) == 0
    return root / "ds"
