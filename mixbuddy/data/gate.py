"""Chunking and level gating of songs.

Each song is decoded once, mono, at the analysis rate. Per stem we compute the mean power of
consecutive ``frame_s`` frames over the whole song (one vectorised pass); chunk and hop are whole
numbers of frames (checked by :class:`DataConfig`), so a chunk's RMS is the mean of its frame
powers and its active share the fraction of its frames above the activity threshold — exactly
what measuring the chunk on its own would give, at a fraction of the cost.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..audio import convert
from ..corpus.format_twins import warn_twins, without_twins
from ..corpus.song import Song
from ..corpus.export_checks import (bus_files, mix_files, named_copies, one_part_files, warn_copy_file, warn_mix_file,
                                     warn_one_part)
from ..corpus.peak_checks import warn_peaks
from .config import DataConfig

EPS = 1e-12


@dataclass(frozen=True)
class ChunkInfo:
    """Gating result of one window of a song."""

    song_id: str
    split: str
    start_ms: int
    mix_rms_db: float
    stem_rms_db: dict[str, float]
    stem_active_share: dict[str, float]
    roles: tuple[str, ...]  # stems allowed as target/anchor (gated stems that passed + ungated role stems)
    rejected: tuple[str, ...] = field(default=())  # reasons; empty when the chunk is kept

    @property
    def kept(self) -> bool:
        return not self.rejected


@dataclass(frozen=True)
class SongChunks:
    """The windows of one song (kept and rejected) and the stems the song has."""

    song_id: str
    split: str
    stem_names: tuple[str, ...]
    num_chunks: int
    chunks: tuple[ChunkInfo, ...]


def frame_powers(x: np.ndarray, frame: int, centred: bool = False) -> np.ndarray:
    """Mean power of consecutive non-overlapping frames of a 1-D signal (float64); ``centred``: each frame's own
    mean taken out first (a DC offset is not sound: ``mixbuddy.predict.gates``)."""
    m = x.shape[0] // frame
    y = np.asarray(x[: m * frame], dtype=np.float64).reshape(m, frame)
    if centred:
        y = y - y.mean(axis=1, keepdims=True)
    return np.einsum("ij,ij->i", y, y) / frame


def db(p: np.ndarray | float) -> np.ndarray:
    return 10.0 * np.log10(np.asarray(p, dtype=np.float64) + EPS)


def gated_stems(cfg: DataConfig, stem_names: tuple[str, ...]) -> tuple[str, ...]:
    wanted = cfg.gate.stems if cfg.gate.stems is not None else cfg.role_stems
    return tuple(s for s in stem_names if s in wanted)


def gate_from_powers(song_id: str, split: str, powers: dict[str, np.ndarray], mix_powers: np.ndarray,
                     cfg: DataConfig) -> tuple[ChunkInfo, ...]:
    """Gate every window from per-frame powers (``powers[stem]``, ``mix_powers``; same frame grid)."""
    g = cfg.gate
    frame = round(g.frame_s * cfg.analysis_sr)
    per_chunk = round(cfg.chunk_s * cfg.analysis_sr) // frame
    per_hop = round(cfg.hop_s * cfg.analysis_sr) // frame
    n_frames = mix_powers.shape[0]
    n_chunks = (n_frames - per_chunk) // per_hop + 1 if n_frames >= per_chunk else 0
    hop_ms = round(cfg.hop_s * 1000)
    gated = gated_stems(cfg, tuple(powers))
    role_stems = [s for s in cfg.role_stems if s in powers]
    out = []
    for k in range(n_chunks):
        sl = slice(k * per_hop, k * per_hop + per_chunk)
        mix_db = float(db(mix_powers[sl].mean()))
        rms = {s: float(db(p[sl].mean())) for s, p in powers.items()}
        share = {s: float(np.mean(db(p[sl]) > g.frame_active_db)) for s, p in powers.items()}
        reasons = []
        if mix_db < g.mix_rms_db:
            reasons.append("mix_quiet")
        failed = set()
        for s in gated:
            if rms[s] < g.stem_rms_db:
                failed.add(s)
                reasons.append(f"stem_quiet:{s}")
            elif share[s] < g.active_share:
                failed.add(s)
                reasons.append(f"stem_sparse:{s}")
        roles = tuple(s for s in role_stems if s not in failed)
        hard = reasons if g.strict else [r for r in reasons if r == "mix_quiet"]
        if not hard and not _has_pair(roles, cfg):
            hard = ["no_role_pair"]
        out.append(ChunkInfo(song_id, split, k * hop_ms, mix_db, rms, share, roles, tuple(hard)))
    return tuple(out)


def _has_pair(roles: tuple[str, ...], cfg: DataConfig) -> bool:
    return any(t != a for t in cfg.targets if t in roles for a in cfg.anchors if a in roles)


def analyse_song(song: Song, cfg: DataConfig) -> SongChunks:
    """Decode a song once (mono, analysis rate) and gate all of its windows."""
    stems = song.stems()  # native rate/channels: each stem decoded once
    if isinstance(getattr(song.loader, "peaks", None), dict):   # a song of files: normalised? limited?
        warn_peaks(song.source or song.id, song.loader.peaks, song.loader.flat)
    if getattr(song.loader, "glimpses", None):     # a stems folder's song: a bounce in "other", a group track, a copy?
        loader = song.loader
        twins, glimpses, files = without_twins(loader, song.source)     # the other checks look at each track once
        warn_twins(song.source, twins, "this build sums each with its track, so the track counts twice; take the "
                   "other formats out of the folder and build again")
        for path, r in mix_files(glimpses, files.get("other", ())):
            warn_mix_file(Path(song.source), path, r, "this build sums it into 'other'; take it out of the folder "
                          "and build again")
        for path, r in bus_files(glimpses, files):
            warn_mix_file(Path(song.source), path, r, "This build counts its tracks twice", bus=True)
        for path, original, _ in named_copies(glimpses, loader.peaks, loader.pairs):
            warn_copy_file(Path(song.source), path, original, "this build counts its audio twice (if it is a "
                           "copy, take it out of the folder and build again)")
        for dropped, kept, r, kind in one_part_files(glimpses, files):
            warn_one_part(Path(song.source), dropped, kept, r, kind, f"this build sums both, so the part counts "
                          f"twice; take {dropped.name} out of the folder and build again")
    frame = round(cfg.gate.frame_s * cfg.analysis_sr)
    mono = {s: convert(x, song.sample_rate, cfg.analysis_sr, 1)[:, 0] for s, x in stems.items()}
    powers = {s: frame_powers(x, frame) for s, x in mono.items()}
    mix = np.zeros_like(next(iter(mono.values())), dtype=np.float64)
    for x in mono.values():
        mix += x
    chunks = gate_from_powers(song.id, song.split, powers, frame_powers(mix, frame), cfg)
    return SongChunks(song.id, song.split, tuple(song.stem_names), len(chunks), chunks)
