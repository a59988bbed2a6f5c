"""Surround files (more than two channels) folded down to stereo before anything else reads them.

Which channel is which speaker depends on the container:

- WAV with a channel mask (WAVE_FORMAT_EXTENSIBLE, what ffmpeg, DAWs and Atmos bed exports write): the
  mask's speakers in bit order.
- WAV without a mask, FLAC, AIFF and whatever ffmpeg decodes (m4a, opus, ...): the SMPTE/ITU order
  that FLAC fixes and ffmpeg uses (L R C LFE Ls Rs for 5.1; L R C LFE Lb Rb Ls Rs for 7.1); channels past
  the eighth (the height channels of a 7.1.4 bed) alternate left, right.
- Ogg Vorbis / Opus read by libsndfile: the Vorbis order (L C R Ls Rs LFE for 5.1), which libsndfile
  hands over unchanged.

The fold-down is ITU-R BS.775's: front left/right at 0 dB into their side, the centre at −3 dB into both,
every other speaker at −3 dB into its side (both sides when it is centred), the LFE left out (BS.1770
loudness leaves it out too). A 6-channel file whose centre holds the vocals therefore keeps them, which
keeping the first two channels would not.
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

# dwChannelMask bits, lowest first (Microsoft's WAVEFORMATEXTENSIBLE)
WAV_SPEAKERS = ("FL", "FR", "FC", "LFE", "BL", "BR", "FLC", "FRC", "BC", "SL", "SR",
                "TC", "TFL", "TFC", "TFR", "TBL", "TBC", "TBR")
SMPTE = {3: ("FL", "FR", "FC"), 4: ("FL", "FR", "BL", "BR"), 5: ("FL", "FR", "FC", "BL", "BR"),
         6: ("FL", "FR", "FC", "LFE", "BL", "BR"), 7: ("FL", "FR", "FC", "LFE", "BC", "SL", "SR"),
         8: ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR")}
VORBIS = {3: ("FL", "FC", "FR"), 4: ("FL", "FR", "BL", "BR"), 5: ("FL", "FC", "FR", "BL", "BR"),
          6: ("FL", "FC", "FR", "BL", "BR", "LFE"), 7: ("FL", "FC", "FR", "SL", "SR", "BC", "LFE"),
          8: ("FL", "FC", "FR", "SL", "SR", "BL", "BR", "LFE")}
VORBIS_EXTENSIONS = (".ogg", ".oga")
SIDE_GAIN = np.float32(1 / np.sqrt(2))  # −3 dB
EXTRA = ("XL", "XR")  # a channel no layout names: alternately left and right


def default_layout(channels: int, vorbis: bool = False) -> tuple[str, ...]:
    """Speakers of a file with ``channels`` channels and no channel mask."""
    table = VORBIS if vorbis else SMPTE
    if channels <= 2:
        return ("FL", "FR")[:channels] if channels == 2 else ("FC",)
    if channels in table:
        return table[channels]
    return SMPTE[8] + tuple(EXTRA[i % 2] for i in range(channels - 8))


def wav_channel_mask(path: str | Path) -> int:
    """The channel mask of a WAV/RF64 file (0 when it has none or is not WAV)."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64", b"BW64") or head[8:12] != b"WAVE":
                return 0
            for _ in range(64):  # the fmt chunk comes early; give up after a few dozen chunks
                hdr = f.read(8)
                if len(hdr) < 8:
                    return 0
                cid, size = hdr[:4], struct.unpack("<I", hdr[4:])[0]
                if cid == b"fmt ":
                    fmt = f.read(min(size, 40))
                    if len(fmt) >= 24 and struct.unpack("<H", fmt[:2])[0] == 0xFFFE:
                        return struct.unpack("<I", fmt[20:24])[0]
                    return 0
                f.seek(size + (size & 1), 1)
    except OSError:
        return 0
    return 0


def layout_of(path: str | Path, channels: int, decoded_by_ffmpeg: bool = False) -> tuple[tuple[str, ...], str]:
    """(speakers, where that came from) for a decoded file of ``channels`` channels."""
    path = Path(path)
    mask = 0 if decoded_by_ffmpeg else wav_channel_mask(path)
    if mask:
        named = [s for bit, s in enumerate(WAV_SPEAKERS) if mask >> bit & 1][:channels]
        named += [EXTRA[i % 2] for i in range(channels - len(named))]
        return tuple(named), "its WAV channel mask"
    vorbis = not decoded_by_ffmpeg and path.suffix.lower() in VORBIS_EXTENSIONS
    return default_layout(channels, vorbis), ("the Vorbis channel order" if vorbis else "the SMPTE channel order")


def speaker_gains(speaker: str) -> tuple[float, float]:
    """(left, right) gain of one speaker in the stereo fold-down."""
    if speaker == "LFE":
        return 0.0, 0.0
    if speaker in ("FL", "FR"):
        return (1.0, 0.0) if speaker == "FL" else (0.0, 1.0)
    if speaker.endswith("L") or speaker == "FLC":
        return float(SIDE_GAIN), 0.0
    if speaker.endswith("R") or speaker == "FRC":
        return 0.0, float(SIDE_GAIN)
    return float(SIDE_GAIN), float(SIDE_GAIN)  # FC, BC, TC, TFC, TBC: centred


def fold_to_stereo(x: np.ndarray, layout: tuple[str, ...]) -> np.ndarray:
    """(samples, len(layout)) float32 → (samples, 2) by the ITU-R BS.775 fold-down."""
    if x.shape[1] != len(layout):
        raise ValueError(f"{x.shape[1]} channels but a layout of {len(layout)} speakers")
    m = np.array([speaker_gains(s) for s in layout], dtype=np.float32)
    return np.ascontiguousarray(x.astype(np.float32, copy=False) @ m)
