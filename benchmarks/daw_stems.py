"""Write a producer-style export of the example song: 12 tracks as a DAW names them, 4 minutes each.

The example's four stems (vocals 8 dB down) are tiled to ``--seconds`` and split into tracks ("01 Kick",
"02 Snare", "03 OH" from the drums, "04 Bass DI" + "05 Sub", "06 Lead Vox" + "07 BV", four "other"
tracks) plus "12 Full Mix", 44.1 kHz stereo 16-bit WAV. What `advise` makes of such a folder, and at
what cost (the default mapping sorts the tracks by the words of their names and skips the full mix):

    python benchmarks/daw_stems.py /tmp/daw
    /usr/bin/time -f "%e s %M KB" mixbuddy advise --stems /tmp/daw --anchor drums
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import soundfile as sf

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "lithium" / "stems"
TRACKS = {"01 Kick": ("drums", 0.4), "02 Snare": ("drums", 0.3), "03 OH": ("drums", 0.3), "04 Bass DI": ("bass", 0.5),
          "05 Sub": ("bass", 0.5), "06 Lead Vox": ("vocals", 0.7), "07 BV": ("vocals", 0.3), "08 Keys": ("other", 0.3),
          "09 Gtr L": ("other", 0.2), "10 Gtr R": ("other", 0.2), "11 Pad": ("other", 0.3), "12 Full Mix": (None, 1.0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output", type=Path)
    ap.add_argument("--seconds", type=float, default=240.0)
    a = ap.parse_args()
    a.output.mkdir(parents=True, exist_ok=True)
    stems, sr = {}, 0
    for name in ("bass", "drums", "other", "vocals"):
        x, sr = sf.read(EXAMPLE / f"{name}.ogg", dtype="float32", always_2d=True)
        n = int(a.seconds * sr)
        stems[name] = np.tile(x, (int(np.ceil(n / len(x))), 1))[:n]
    full = np.sum(list(stems.values()), axis=0)
    for track, (stem, share) in TRACKS.items():
        x = full if stem is None else stems[stem] * np.float32(share)
        sf.write(a.output / f"{track}.wav", x, sr, subtype="PCM_16")
    print(f"{len(TRACKS)} tracks of {a.seconds:g} s in {a.output}")


if __name__ == "__main__":
    main()
