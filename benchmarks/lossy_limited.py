"""Stems exported through the master bus's limiter, then encoded lossy: is there a cue left in the decoded files?

``warn_limited`` finds a shared limiter by files flat-topped at one ceiling; a lossy codec rounds the flat tops off
and sends the decoded peaks past full scale by varying amounts, so Ogg Vorbis copies were not caught ("Stems
exported through the master bus's limiter"). For each song (the three real-dev songs and the bundled example,
44.1 kHz stereo) the stems are written as Ogg Vorbis (and with ``--mp3`` as MP3 too): as exported, 8 dB hotter
(a hot float session's export, no limiter) and through the master to -14 and -9 LUFS (``master_stems.limited``,
``master_mix``'s chain). Printed per file, decoded: its peak (dBFS) and how many of 100 000 frames reach -0.5,
-1 and -2 dBFS (absolute, not against its own peak). A cue would tell the limited exports from both others.

    python benchmarks/lossy_limited.py [--mp3]
"""
from __future__ import annotations

import argparse
import logging

import numpy as np

from mixbuddy.audio import read_audio, write_audio
from mixbuddy.evaluate.baselines.loudness import loudness

from master_stems import SR, limited, scratch, song_stems   # this folder is on sys.path

LEVELS_DB = (-0.5, -1.0, -2.0)
CODECS = {"ogg": "VORBIS", "mp3": "MPEG_LAYER_III"}


def decoded_stats(x: np.ndarray) -> tuple[float, list[float]]:
    """(peak in dBFS, per 100 000 frames the share whose loudest channel reaches each of ``LEVELS_DB``)."""
    top = np.abs(x).max(axis=1)
    return 20.0 * np.log10(float(top.max())), [float(np.mean(top >= 10.0 ** (d / 20.0))) * 1e5 for d in LEVELS_DB]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mp3", action="store_true", help="MP3 copies as well as Ogg Vorbis")
    args = ap.parse_args()
    logging.getLogger("mixbuddy").setLevel(logging.ERROR)
    print(f"per file: peak dBFS, frames per 100 000 at {' / '.join(f'{d:g}' for d in LEVELS_DB)} dBFS or more")
    with scratch("lossy-limited-") as work:
        for song, _, stems in song_stems():
            total = np.sum(list(stems.values()), axis=0)
            variants = {"as exported": stems, "8 dB hotter": {k: x * np.float32(10 ** 0.4) for k, x in stems.items()}}
            for lufs in (-14.0, -9.0):
                gain = 10 ** ((lufs - loudness(total.mean(axis=1), SR)) / 20)
                variants[f"through the master to {lufs:g} LUFS"] = {k: limited(x, gain) for k, x in stems.items()}
            for name, files in variants.items():
                for ext in ("ogg", "mp3") if args.mp3 else ("ogg",):
                    cells = []
                    for stem, x in files.items():
                        path = work / f"{stem}.{ext}"
                        write_audio(path, x, SR, subtype=CODECS[ext])
                        peak, shares = decoded_stats(read_audio(path)[0])
                        cells.append(f"{stem} {peak:+.2f} {'/'.join(f'{s:.0f}' for s in shares)}")
                    print(f"{song}, {name}, {ext}: " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
