"""Does a 5.1 bounce of a song get the advice of its stereo mix? The bundled example rebuilt from its stems as
a 5.1 WAV (L R C LFE Ls Rs): drums, bass and "other" in front left/right, the vocals in the centre at +3 dB
(so the ITU fold-down, centre at −3 dB, gives back the stereo mix exactly), the bass also in the LFE
(low-passed at 120 Hz; the fold-down leaves it out), silent surrounds. Then ``mixbuddy advise`` (the README's
main job: default-real, anchor drums) on the stereo mix, on the 5.1 file, and on the mono signal the 5.1
file gave before surround files were folded down (the mean of all six channels); first the BS.1770 loudness
of the folded and of that mono signal.

    python benchmarks/surround.py [--checkpoint default-real]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pyloudnorm as pyln
import soundfile as sf
from scipy.signal import butter, sosfilt

from mixbuddy.audio import read_audio, to_channels
from mixbuddy.predict.advise import advise
from mixbuddy.predict.wording import describe
from mixbuddy.predict.engines import ModelEngine

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "lithium"


def bounce_5_1(folder: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """(5.1 array, the stereo sum of the stems, rate) from the example's stems."""
    stems = {}
    for f in sorted((folder / "stems").glob("*.ogg")):
        stems[f.stem], sr = read_audio(f, channels=2)
    n = min(x.shape[0] for x in stems.values())
    stems = {k: v[:n] for k, v in stems.items()}
    band = stems["drums"] + stems["bass"] + stems["other"]
    vocal = stems["vocals"].mean(axis=1)
    lfe = sosfilt(butter(4, 120, fs=sr, output="sos"), stems["bass"].mean(axis=1))
    six = np.zeros((n, 6), np.float32)
    six[:, 0], six[:, 1], six[:, 2], six[:, 3] = band[:, 0], band[:, 1], vocal * np.sqrt(2), lfe
    return six, sum(stems.values()), sr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", default="default-real")
    args = ap.parse_args()
    six, stereo, sr = bounce_5_1(EXAMPLE)
    meter = pyln.Meter(sr)
    folded, mean6 = (meter.integrated_loudness(x.astype(np.float64))
                     for x in (to_channels(six, 1)[:, 0], six.mean(axis=1)))
    print(f"mono loudness: folded {folded:.1f} LUFS, mean of six channels {mean6:.1f} LUFS "
          f"({folded - mean6:.1f} dB quieter)")
    engine = ModelEngine(args.checkpoint)
    with tempfile.TemporaryDirectory() as tmp:
        files = {"stereo mix": (Path(tmp) / "stereo.wav", stereo),
                 "5.1 bounce": (Path(tmp) / "mix51.wav", six),
                 "5.1, mean of 6 channels (before)": (Path(tmp) / "mean6.wav", six.mean(axis=1, keepdims=True))}
        for name, (path, x) in files.items():
            sf.write(path, x, sr, subtype="FLOAT")
            rep = advise(path, "drums", engine)
            cells = [f"{describe(w.finding)} ({w.confidence:.2f})" for w in rep.windows]
            print(f"{name:>34}: " + " | ".join(cells))


if __name__ == "__main__":
    main()
