"""Loader for MUSDB18 ``.stem.mp4`` files (Native Instruments stem format), an optional extra.

Needs ``stempeg`` + ``ffmpeg-python`` (``pip install mixbuddy[stems]``) and the ffmpeg/ffprobe
programs (``apt-get install ffmpeg``). Files live under ``root/train/`` and ``root/test/`` (split =
folder) or directly in ``root`` (split = ``cfg.split``; ignored with a warning when split folders
exist). Song id = file name without ``.stem.mp4`` / ``.stem.m4a``.

Audio streams: 0 = mixture, 1 = drums, 2 = bass, 3 = other, 4 = vocals (the MUSDB18 order, also
stempeg's default metadata). When the file carries the NI ``stem`` metadata atom (moov/udta/stem,
JSON) its stem names are used instead when they give one each of our stems, read by their words as a
stems folder's file names are ("Lead Vox" → vocals, "Kick" → drums, "Synth"
→ other), so a file with another order is still read correctly; both cases are logged when the order
is not MUSDB18's. The mixture is not a stem (see ``read_mixture``).

Loading probes each file once (ffprobe); decoding is lazy and per stem: ffmpeg decodes only the
mapped stream, so reading stems one at a time costs no more than decoding the whole file and keeps
at most one stem in memory; nothing is cached.
"""
from __future__ import annotations

import json
import logging
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..constants import STEMS
from ..errors import AudioFileError, CorpusError, MixbuddyError
from .config import CorpusConfig
from .song import Song

log = logging.getLogger(__name__)

SUFFIXES: tuple[str, ...] = (".stem.mp4", ".stem.m4a")
MUSDB_STREAM_STEMS: tuple[str, ...] = ("drums", "bass", "other", "vocals")  # audio streams 1..4
TRUNCATION_TOLERANCE_S = 0.1


def require_backend() -> None:
    """Raise MixbuddyError (with install instructions) when stempeg/ffmpeg-python/ffmpeg is missing."""
    missing = []
    for module in ("stempeg", "ffmpeg"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise MixbuddyError(f"reading .stem.mp4 files needs the Python package(s) {missing}: "
                            "install them with `pip install mixbuddy[stems]`")
    programs = [p for p in ("ffmpeg", "ffprobe") if shutil.which(p) is None]
    if programs:
        raise MixbuddyError(f"reading .stem.mp4 files needs the program(s) {programs} on PATH: "
                            "install them with `apt-get install ffmpeg` (or your system's package manager)")


def _boxes(data: bytes, start: int, end: int):
    """Yield (type, payload_start, payload_end) of the MP4 boxes in data[start:end]."""
    i = start
    while i + 8 <= end:
        size, kind = struct.unpack(">I4s", data[i:i + 8])
        head = 8
        if size == 1 and i + 16 <= end:
            size, head = struct.unpack(">Q", data[i + 8:i + 16])[0], 16
        elif size == 0:
            size = end - i
        if size < head or i + size > end:
            return
        yield kind, i + head, i + size
        i += size


def _moov(path: Path) -> bytes | None:
    """The payload of the top-level ``moov`` box, read without loading the media data."""
    with open(path, "rb") as f:
        while True:
            head = f.read(8)
            if len(head) < 8:
                return None
            size, kind = struct.unpack(">I4s", head)
            hlen = 8
            if size == 1:
                size, hlen = struct.unpack(">Q", f.read(8))[0], 16
            if kind == b"moov":
                return f.read(size - hlen) if size else f.read()
            if size < hlen:
                return None
            f.seek(size - hlen, 1)


def ni_stem_names(path: Path) -> list[str] | None:
    """Stem names from the NI ``stem`` atom (moov/udta/stem), lower-cased; None when absent/unreadable."""
    try:
        data = _moov(path)
    except (OSError, struct.error):
        return None
    if not data:
        return None
    for kind, a, b in _boxes(data, 0, len(data)):
        if kind != b"udta":
            continue
        for kind2, a2, b2 in _boxes(data, a, b):
            if kind2 == b"stem":
                try:
                    stems = json.loads(data[a2:b2].decode("utf-8"))["stems"]
                    return [str(s["name"]).strip().lower() for s in stems]
                except (ValueError, KeyError, TypeError):
                    return None
    return None


def stem_of_name(name: str) -> str:
    """Our stem for an NI stem name, by its words as the default mapping sorts a stems folder's file names
    ("Vox", "Lead Vox" → vocals, "Kick" → drums, "Sub Bass" → bass, anything else → other)."""
    from .stem_names import default_mapping

    return default_mapping().stem_of(name.replace(".", " ")) or "other"


def stream_stems(path: Path, n_audio: int) -> tuple[str, ...]:
    """The stem names of audio streams 1..4 (stream 0 is the mixture): from the NI metadata when its names
    give four different stems, else the MUSDB18 order (both logged when they are not that order)."""
    names = ni_stem_names(path)
    if names:
        mapped = tuple(stem_of_name(n) for n in names)
        if len(mapped) == n_audio - 1 and sorted(mapped) == sorted(STEMS):
            if mapped != MUSDB_STREAM_STEMS:
                log.info("%s: streams 1-4 are named %s: read as %s", path, names, list(mapped))
            return mapped
        log.info("%s: the stem names %s do not give one each of %s; streams 1-4 read in the MUSDB18 order %s",
                 path, names, list(STEMS), list(MUSDB_STREAM_STEMS))
    return MUSDB_STREAM_STEMS


def _decode(path: Path, stream_index: int, expected: int, sr: int) -> np.ndarray:
    """Decode one ffprobe stream index to float32 (samples, channels); errors name the file."""
    import stempeg

    try:
        audio, _ = stempeg.read_stems(str(path), stem_id=stream_index, always_3d=True, dtype=np.float32)
    except Exception as e:  # ffmpeg/ffprobe failures surface as Warning / ffmpeg.Error / ValueError
        raise AudioFileError(path, f"cannot decode audio stream {stream_index} ({_short(e)})") from None
    x = np.ascontiguousarray(audio[0], dtype=np.float32)
    if x.shape[0] == 0:
        raise AudioFileError(path, f"audio stream {stream_index} decoded to no samples", "is the file corrupt?")
    if x.shape[0] < expected - TRUNCATION_TOLERANCE_S * sr:
        raise AudioFileError(path, f"audio stream {stream_index} decoded to {x.shape[0]} samples but the "
                             f"header says {expected}", "the file looks truncated")
    if not np.isfinite(x).all():
        raise AudioFileError(path, f"audio stream {stream_index} contains NaN or infinite samples")
    return x


def _short(e: Exception) -> str:
    text = getattr(e, "stderr", None)
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(e)
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else type(e).__name__


@dataclass
class StemMp4Loader:
    """Decodes one stem of a stem file on demand (picklable, no cached audio)."""

    path: Path
    streams: dict[str, int]  # stem -> ffprobe stream index
    num_frames: int
    sample_rate: int

    def __call__(self, stem: str) -> np.ndarray:
        return _decode(self.path, self.streams[stem], self.num_frames, self.sample_rate)

    def signature(self) -> dict:
        """The file's path, size and modification time, and the streams read (see ``FileStemLoader.signature``)."""
        from .stems_folder import file_signature

        return {"files": [file_signature(self.path)], "streams": dict(self.streams)}


def probe_song(path: Path, song_id: str, split: str) -> Song:
    """Probe a stem file (ffprobe) and return its lazy Song."""
    import stempeg

    try:
        info = stempeg.Info(str(path))
    except Exception as e:
        raise AudioFileError(path, f"cannot read stem file ({_short(e)})", "is it a valid .stem.mp4?") from None
    audio = info.audio_streams
    if len(audio) < 5:
        raise AudioFileError(path, f"has {len(audio)} audio stream(s); a stem file needs 5 "
                             "(mixture, drums, bass, other, vocals)")
    names = stream_stems(path, len(audio))
    streams = {name: int(audio[k + 1]["index"]) for k, name in enumerate(names)}
    try:
        sr = int(audio[1]["sample_rate"])
        frames = min(int(s.get("duration_ts") or 0) for s in audio[1:5])
    except (KeyError, ValueError) as e:
        raise AudioFileError(path, f"unexpected stream information ({e})") from None
    if frames <= 0:
        raise AudioFileError(path, "stem streams are empty")
    order = tuple(s for s in STEMS if s in streams)
    return Song(id=song_id, split=split, sample_rate=sr, stem_names=order,
                loader=StemMp4Loader(path, {s: streams[s] for s in order}, frames, sr),
                meta={"mixture_stream": int(audio[0]["index"])}, source=str(path), num_frames=frames)


def read_mixture(song: Song) -> np.ndarray:
    """Decode the mixture stream of a Song loaded from a stem file."""
    return _decode(Path(song.source), int(song.meta["mixture_stream"]), song.num_frames or 0, song.sample_rate)


def _stem_files(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(SUFFIXES)),
                  key=lambda p: p.name)


def _song_id(path: Path) -> str:
    name = path.name
    return name[: -len(next(s for s in SUFFIXES if name.lower().endswith(s)))]


def load_stem_mp4(cfg: CorpusConfig) -> list[Song]:
    """All stem files of the corpus (unsorted); raises CorpusError when there are none."""
    require_backend()
    root = Path(cfg.root)
    split_dirs = [(s, root / s) for s in ("train", "test") if (root / s).is_dir()]
    flat = _stem_files(root)
    if split_dirs and flat:
        log.warning("%s: has train/test folders; %d stem file(s) directly in the root are ignored", root, len(flat))
    located = [(s, p) for s, d in split_dirs for p in _stem_files(d)] if split_dirs else [(cfg.split, p) for p in flat]
    if not located:
        raise CorpusError(f"{root}: no {'/'.join(SUFFIXES)} files found (in the root or under train/, test/)")
    return [probe_song(p, _song_id(p), split) for split, p in located]
