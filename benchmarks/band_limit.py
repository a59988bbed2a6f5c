"""Does a band-limited mix change the advice? The bundled example mix resampled to each rate (soxr),
then ``mixbuddy advise`` (the README's main job: default-real, anchor drums) on every copy; prints each
window's verdict per rate. The basis of advise's warning for files sampled below 16 kHz.

    python benchmarks/band_limit.py [--rates 44100 22050 16000 11025 8000] [--checkpoint default-real]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import soundfile as sf

from mixbuddy.audio import read_audio, resample
from mixbuddy.predict.advise import advise
from mixbuddy.predict.wording import describe
from mixbuddy.predict.engines import ModelEngine

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "lithium" / "mix.ogg"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rates", type=int, nargs="+", default=[44100, 22050, 16000, 11025, 8000])
    ap.add_argument("--checkpoint", default="default-real")
    args = ap.parse_args()
    x, sr = read_audio(EXAMPLE)
    engine = ModelEngine(args.checkpoint)
    with tempfile.TemporaryDirectory() as tmp:
        for rate in args.rates:
            path = Path(tmp) / f"mix{rate}.wav"
            sf.write(path, resample(x, sr, rate), rate, subtype="FLOAT")
            rep = advise(path, "drums", engine)
            cells = [f"{describe(w.finding)} ({w.confidence:.2f})" for w in rep.windows]
            print(f"{rate:>6} Hz: " + " | ".join(cells))


if __name__ == "__main__":
    main()
