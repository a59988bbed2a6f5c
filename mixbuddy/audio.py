"""Audio I/O and level utilities. Inside mixbuddy audio is float32 numpy ``(samples, channels)``
with its sample rate carried explicitly."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from . import audio_ffmpeg, audio_ogg
from .audio_layout import default_layout, fold_to_stereo, layout_of
from .errors import AudioFileError
from .io import atomic_path

# read by libsndfile (CAF: what Logic bounces long files to; W64/RF64: WAV past 4 GB), then through ffmpeg
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif", ".mp3", ".caf", ".w64", ".rf64",
                    *audio_ffmpeg.EXTENSIONS)
EPS = 1e-12
MAX_PEAK = 1000.0  # +60 dB over full scale: beyond any float bounce (integer formats stop at 1.0)
FULL_SCALE = 0.9999    # -0.001 dBFS: a sample at full scale (16-bit: 32767/32768 = 0.99997 is the top code)
OVER_SAMPLES = 3       # an "over": this many consecutive samples of one channel flat at full scale, as meters count
FORMATS_HINT = f"is it a valid {'/'.join(e[1:] for e in AUDIO_EXTENSIONS)} file?"
log = logging.getLogger(__name__)


def _existing_file(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise AudioFileError(path, "file not found")
    if path.stat().st_size == 0:
        raise AudioFileError(path, "the file is empty (0 bytes)")
    return path


def read_audio(path: str | Path, sr: int | None = None, channels: int | None = None) -> tuple[np.ndarray, int]:
    """Decode an audio file to float32 (samples, channels), optionally resampled / channel-converted.

    A surround file (more than two channels) is folded down to stereo first, by its own speaker layout
    (:mod:`mixbuddy.audio_layout`). Raises AudioFileError (naming the file) when it is missing, unreadable
    or empty.
    """
    data, file_sr, _ = decode_audio(path)
    return convert(data, file_sr, sr or file_sr, channels), int(sr or file_sr)


def decode_audio(path: str | Path) -> tuple[np.ndarray, int, float]:
    """(the file's samples as float32 (samples, channels), its rate, its sample peak as decoded): what
    :func:`read_audio` reads before any conversion, a surround file folded down to stereo; the peak is the
    file's own (before that fold), which the checks (:func:`overs`) take instead of measuring it again."""
    path = _existing_file(path)
    by_ffmpeg = audio_ffmpeg.wants_ffmpeg(path)
    if by_ffmpeg:
        data, file_sr = audio_ffmpeg.decode(path)
    else:
        try:
            data, file_sr = sf.read(str(path), dtype="float32", always_2d=True)
        except Exception as e:  # soundfile raises LibsndfileError / RuntimeError with cryptic text
            raise AudioFileError(path, f"cannot decode audio ({e})", FORMATS_HINT) from None
    if data.shape[0] == 0:
        raise AudioFileError(path, "file contains no audio samples")
    peak = sample_peak(data)                              # NaN and infinity carry through
    if not np.isfinite(peak):
        raise AudioFileError(path, "file contains NaN or infinite samples")
    if peak > MAX_PEAK:
        raise AudioFileError(path, f"samples reach {peak:.3g}, {20 * np.log10(peak):.0f} dB above full scale "
                                   f"(more than {20 * np.log10(MAX_PEAK):.0f} dB): a damaged file, or floats written "
                                   "at the wrong scale; export it again")
    if data.shape[1] > 2:
        layout, source = layout_of(path, data.shape[1], by_ffmpeg)
        log.info("%s: %d channels read as %s (from %s), folded down to stereo (ITU-R BS.775, LFE left out)",
                 path, data.shape[1], " ".join(layout), source)
        data = fold_to_stereo(data, layout)
    return data, int(file_sr), peak


def audio_info(path: str | Path) -> tuple[int, int, int]:
    """(sample_rate, frames, channels) of a file without decoding it."""
    path = _existing_file(path)
    if audio_ffmpeg.wants_ffmpeg(path):
        return audio_ffmpeg.probe(path)
    try:
        info = sf.info(str(path))
    except Exception as e:
        raise AudioFileError(path, f"cannot read audio header ({e})", FORMATS_HINT) from None
    return int(info.samplerate), int(info.frames), int(info.channels)


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """High-quality resampling (soxr) of (samples, channels) float32."""
    if sr_in == sr_out:
        return x
    y = soxr.resample(np.ascontiguousarray(x), sr_in, sr_out, quality="HQ")
    return np.ascontiguousarray(y, dtype=np.float32).reshape(-1, x.shape[1])


def convert(x: np.ndarray, sr: int, out_sr: int, channels: int | None) -> np.ndarray:
    """(samples, ch) at ``sr`` as (samples', ``channels``; None: as they are) at ``out_sr``: folded to fewer channels
    before soxr, copied to more after it (soxr treats each channel alone, so a copy resampled is the copy of the
    resampled channel, sample for sample; a mono file read into stereo is resampled once)."""
    x = x[:, None] if x.ndim == 1 else x
    more = bool(channels) and channels > x.shape[1]
    x = to_channels(x, channels) if channels and not more else x
    x = resample(x, sr, out_sr)
    return to_channels(x, channels) if more else x


def to_channels(x: np.ndarray, channels: int) -> np.ndarray:
    """Convert (samples, ch) to ``channels`` (1 or 2): mono = mean of left and right, mono → stereo = copies;
    more than two channels are folded down to stereo first, in the SMPTE order (``read_audio`` folds a
    file by its own layout before this)."""
    if x.ndim == 1:
        x = x[:, None]
    c = x.shape[1]
    if c == channels:
        return x
    if c > 2:
        x, c = fold_to_stereo(x, default_layout(c)), 2
        if c == channels:
            return x
    if channels == 1:  # column sum: several times faster than mean(axis=1) on an (n, 2) array
        y = np.array(x[:, 0], dtype=np.float32)
        for i in range(1, c):
            y += x[:, i]
        y *= np.float32(1.0 / c)
        return y[:, None]
    if c == 1:
        return np.repeat(x, channels, axis=1)
    raise ValueError(f"cannot convert {c} channels to {channels}")


SFC_SET_ADD_PEAK_CHUNK = 0x1050   # libsndfile's sf_command: whether a float WAV/AIFF gets a PEAK chunk
WRITE_BLOCK = 1 << 16             # frames handed to libsndfile per call (see write_audio)


def write_audio(path: str | Path, x: np.ndarray, sr: int, subtype: str | None = None) -> Path:
    """Write audio atomically (temp file, then rename). WAV defaults to float32 so nothing clips.

    The same audio gives the same bytes: a float file carries no PEAK chunk (libsndfile stamps it with the
    time of writing), and an Ogg file's stream serial number is fixed (libsndfile draws it at random). The
    frames go in ``WRITE_BLOCK`` at a time: libsndfile 1.2.2's Vorbis encoder crashes the process (a
    segmentation fault) when handed about 2.1 million frames or more at once, 48 s of stereo at 44.1 kHz
    (WAV, FLAC and AIFF bytes are the same either way)."""
    path = Path(path)
    if subtype is None and path.suffix.lower() == ".wav":
        subtype = "FLOAT"
    x = np.asarray(x, dtype=np.float32)
    with atomic_path(path) as tmp:
        with sf.SoundFile(str(tmp), "w", int(sr), 1 if x.ndim == 1 else x.shape[1], subtype=subtype) as f:
            sf._snd.sf_command(f._file, SFC_SET_ADD_PEAK_CHUNK, sf._ffi.NULL, sf._snd.SF_FALSE)  # before any frame
            for start in range(0, x.shape[0], WRITE_BLOCK):
                f.write(x[start:start + WRITE_BLOCK])
        if f.format == "OGG":      # its stream serial number is drawn at random
            tmp.write_bytes(audio_ogg.fix_serial(tmp.read_bytes()))
    return path


def content_end(x: np.ndarray, block: int = 1 << 16) -> int:
    """Samples up to the last non-zero one (the zero-padding of a file shorter than the song comes after);
    read from the end, a block at a time."""
    end = x.shape[0]
    while end > 0:
        a = max(end - block, 0)
        nz = np.flatnonzero(np.any(x[a:end] != 0, axis=1))
        if nz.size:
            return a + int(nz[-1]) + 1
        end = a
    return 0


def sample_peak(x: np.ndarray) -> float:
    """The largest absolute sample of ``x``, in two passes without an absolute-value copy (NaN carries through)."""
    return float(np.maximum(x.max(), -x.min()))


def overs(x: np.ndarray, sr: int, peak: float | None = None) -> tuple[int, int, float] | None:
    """(how many overs ``x`` (samples, channels) holds, the longest's length in samples, where the first starts in
    s), or None for none. An over is a run of at least ``OVER_SAMPLES`` samples of one channel, each equal to the one
    before and at full scale: what clipping (a clipper, a limiter that clips, a fixed-point export of audio over 0
    dBFS) leaves in a lossless file. A lossy codec rounds the flat tops off, so a lossy copy of a clipped mix shows
    none (docs/BENCHMARKS.md, "A mix that clips, and stems that clip"); a peak normalised to 0 dBFS is one sample,
    not an over. ``peak``: the file's sample peak where known (:func:`decode_audio`'s): below full scale, as in most
    audio, nothing is searched (else it is measured first: :func:`sample_peak`)."""
    if not x.size:
        return None
    if (sample_peak(x) if peak is None else peak) < FULL_SCALE:
        return None
    count, longest, first = 0, 0, x.shape[0]
    for c in range(x.shape[1]):
        a = x[:, c]
        b = a[1:]
        flat = (b == a[:-1]) & ((b >= FULL_SCALE) | (b <= -FULL_SCALE))  # flat[i]: samples i, i+1 equal, at full scale
        edges = np.flatnonzero(np.diff(flat, prepend=False, append=False))
        starts, ends = edges[::2], edges[1::2]          # runs of flat pairs: a run of n pairs is n+1 samples
        runs = ends - starts + 1
        over = runs >= OVER_SAMPLES
        if over.any():
            count += int(over.sum())
            longest = max(longest, int(runs[over].max()))
            first = min(first, int(starts[over][0]))
    return (count, longest, first / sr) if count else None


def rms_db(x: np.ndarray) -> float:
    """RMS level in dBFS over all samples and channels (−inf → large negative number)."""
    x = np.asarray(x, dtype=np.float64)
    return float(10.0 * np.log10(np.mean(x * x) + EPS))


def frame_rms_db(x: np.ndarray, sr: int, frame_s: float = 0.05) -> np.ndarray:
    """RMS in dBFS of consecutive non-overlapping frames (channels averaged in power)."""
    n = max(1, int(round(frame_s * sr)))
    m = x.shape[0] // n
    if m == 0:
        return np.array([rms_db(x)])
    p = np.asarray(x[: m * n], dtype=np.float64) ** 2
    p = p.reshape(m, n, -1).mean(axis=(1, 2))
    return 10.0 * np.log10(p + EPS)


def log_band_matrix(n_fft: int, sr: int, n_bands: int = 32, fmin: float = 30.0, fmax: float = 7800.0) -> np.ndarray:
    """Triangular filters on a log-frequency axis over the rfft bins of ``n_fft``, each summing to 1:
    shape (n_bands, n_fft // 2 + 1). Shared by the ``mix-features`` baseline and the ``full`` level features."""
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    edges = np.geomspace(fmin, fmax, n_bands + 2)
    fb = np.zeros((n_bands, len(freqs)))
    for b in range(n_bands):
        lo, mid, hi = edges[b], edges[b + 1], edges[b + 2]
        fb[b] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0, None)
    return fb / np.maximum(fb.sum(axis=1, keepdims=True), 1e-10)
