"""Follow the advice and ask again: ``advise --apply`` on the bundled example's stems (the vocals are 8 dB
down), then the engines on the result: the loudness engine and the stems model on the stems with the
correction applied, ``default-real`` on the rendered mix. Prints each window's verdict and the time the
render took.

    python benchmarks/apply_fix.py [--anchor drums]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import soundfile as sf

from mixbuddy.audio import read_audio
from mixbuddy.predict.advise import advise
from mixbuddy.predict.wording import describe
from mixbuddy.predict.apply import correction_of, render_correction
from mixbuddy.predict.engines import LoudnessEngine, ModelEngine

STEMS = Path(__file__).resolve().parents[1] / "examples" / "lithium" / "stems"


def show(name: str, report) -> None:
    cells = [f"{describe(w.finding)} ({w.confidence:.2f})" for w in report.windows]
    print(f"{name:>36}: " + " | ".join(cells))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--anchor", default="drums")
    args = ap.parse_args()
    loudness = LoudnessEngine()
    before = advise(None, args.anchor, loudness, stems_dir=STEMS)
    show("loudness, example stems", before)
    correction = correction_of(before)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        applied = render_correction(STEMS, correction, Path(tmp) / "fixed.wav")
        print(f"{applied.line()} [{time.perf_counter() - t:.2f} s]")
        fixed = Path(tmp) / "stems"
        fixed.mkdir()
        for f in sorted(STEMS.iterdir()):
            x, sr = read_audio(f)
            gain = 10 ** (correction.gain_db / 20) if f.stem == correction.stem else 1.0
            sf.write(fixed / f"{f.stem}.wav", x * gain, sr, subtype="FLOAT")
        show("loudness, corrected stems", advise(None, args.anchor, loudness, stems_dir=fixed))
        show("default-stems, corrected stems", advise(None, args.anchor, ModelEngine("default-stems"), stems_dir=fixed))
        show("default-real, rendered fix", advise(applied.output, args.anchor, ModelEngine("default-real")))
        show("default-real, example mix", advise(STEMS.parent / "mix.ogg", args.anchor, ModelEngine("default-real")))


if __name__ == "__main__":
    main()
