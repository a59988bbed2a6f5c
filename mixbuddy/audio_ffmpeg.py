"""Formats libsndfile cannot read (AAC or ALAC in ``.m4a``, raw ``.aac``, ...: :data:`EXTENSIONS`), decoded
by the ``ffmpeg`` program when it is on PATH (Debian's ``ffmpeg`` package, which ``scripts/setup.sh``
installs).

Only the first audio stream is read, at its own rate and channel count; resampling and channel
conversion then happen in :func:`mixbuddy.audio.read_audio` exactly as for any other file.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np

from .errors import AudioFileError

PROGRAMS = ("ffmpeg", "ffprobe")
# read with ffmpeg only: a file libsndfile reads (wav, flac, ogg, mp3, aiff) never falls back to ffmpeg,
# which would quietly decode what is left of a truncated or corrupt file
EXTENSIONS = (".m4a", ".aac", ".opus", ".wma", ".webm", ".wv", ".mka",  # .wv: WavPack; .mka: Matroska audio
              ".mp4", ".mov")   # a video's or a phone's bounce: its first audio stream (AAC in MP4 is what .m4a holds)


def wants_ffmpeg(path: Path) -> bool:
    return path.suffix.lower() in EXTENSIONS


def require(path: Path) -> None:
    """AudioFileError (naming the file and the fix) when ffmpeg/ffprobe are not on PATH."""
    missing = [p for p in PROGRAMS if shutil.which(p) is None]
    if missing:
        raise AudioFileError(path, f"reading {path.suffix} files needs {' and '.join(missing)} on PATH",
                             "apt-get install ffmpeg, or convert the file to wav/flac")


def _run(cmd: list[str], path: Path, problem: str) -> bytes:
    try:
        proc = subprocess.run(cmd, capture_output=True, check=False, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise AudioFileError(path, f"{problem} ({cmd[0]}: {e})") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        why = lines[-1].removeprefix(f"{path}: ") if lines else f"exit status {proc.returncode}"
        raise AudioFileError(path, f"{problem} ({cmd[0]}: {why})")
    return proc.stdout


def _stream(path: Path, problem: str) -> tuple[int, int, int | None]:
    """(sample_rate, channels, frames or None when the container states no duration) of the first audio stream."""
    require(path)
    out = _run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                "stream=sample_rate,channels,duration:format=duration", "-of", "json", str(path)], path, problem)
    info = json.loads(out or b"{}")
    streams = info.get("streams") or []
    if not streams:
        raise AudioFileError(path, f"{problem} (ffprobe: no audio stream)")
    s = streams[0]
    try:
        sr, ch = int(s["sample_rate"]), int(s["channels"])
        duration = s.get("duration") or info.get("format", {}).get("duration")
        return sr, ch, None if duration is None else int(round(float(duration) * sr))
    except (KeyError, ValueError) as e:
        raise AudioFileError(path, f"{problem} (ffprobe: {e})") from None


def _decode(path: Path, sr: int, ch: int, problem: str = "cannot decode audio") -> np.ndarray:
    raw = _run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "f32le",
                "-acodec", "pcm_f32le", "-ac", str(ch), "-ar", str(sr), "-"], path, problem)
    return np.frombuffer(raw, dtype="<f4").reshape(-1, ch)


def probe(path: str | Path, problem: str = "cannot read audio header") -> tuple[int, int, int]:
    """(sample_rate, frames, channels) of the file's first audio stream; frames from its duration, or, when
    the container states none (a streamed Matroska/WebM file), from decoding it."""
    path = Path(path)
    sr, ch, frames = _stream(path, problem)
    return sr, len(_decode(path, sr, ch, problem)) if frames is None else frames, ch


def decode(path: str | Path) -> tuple[np.ndarray, int]:
    """float32 (samples, channels) and the sample rate of the file's first audio stream."""
    path = Path(path)
    sr, ch, _ = _stream(path, "cannot decode audio")
    return _decode(path, sr, ch).copy(), sr
