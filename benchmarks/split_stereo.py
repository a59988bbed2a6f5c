"""Stems bounced as split-stereo halves (multi-mono: ``bass.L.wav`` + ``bass.R.wav``, as Pro Tools bounces them):
what reading each half as its own track did, and what reading each pair as one stereo track does.

For the three real-dev songs and the bundled example, every stem is written as two mono float WAVs (its left and
right channels) into a temporary folder, then read three ways: the stems as they are (the truth), the halves
paired into stereo tracks (``advise`` now), and the halves as two tracks each copied to both channels (before:
``stereo_pairs`` switched off in this process). Printed per song and stem: BS.1770 loudness (pyloudnorm, 22.05 kHz
stereo, as the loudness engine measures) of the two readings against the truth; then ``mixbuddy advise --stems``
with the loudness engine (and with ``--model``, ``default-real`` hearing the stems' sum, at most ``--seconds`` of
each song): the overall verdict of each reading.

    python benchmarks/split_stereo.py [--model] [--seconds 60]
"""
from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import soundfile as sf

import mixbuddy.corpus.stems_folder as stems_folder
from mixbuddy.evaluate.baselines.loudness import loudness
from mixbuddy.predict.advise import advise
from mixbuddy.predict.engines import LoudnessEngine, ModelEngine
from mixbuddy.predict.stems_input import read_stems_folder

from late_stems import songs   # the real-dev songs and the example (this folder is on sys.path)

SR = 22050


def write_halves(src: Path, dst: Path, seconds: float | None) -> Path:
    """``src``'s stems cut to ``seconds`` into ``dst/whole`` (stereo) and ``dst/halves`` (``<stem>.L.wav`` ...)."""
    for p in sorted(src.glob("*.ogg")):
        x, sr = sf.read(str(p), dtype="float32", always_2d=True)
        x = x[: int(seconds * sr)] if seconds else x
        (dst / "whole").mkdir(parents=True, exist_ok=True)
        (dst / "halves").mkdir(exist_ok=True)
        sf.write(str(dst / "whole" / f"{p.stem}.wav"), x, sr, subtype="FLOAT")
        for side, k in (("L", 0), ("R", 1)):
            sf.write(str(dst / "halves" / f"{p.stem}.{side}.wav"), x[:, k], sr, subtype="FLOAT")
    return dst


class unpaired:
    """Within it, split-stereo halves are read as separate tracks, as before ``stereo_pairs``."""

    def __enter__(self):
        self.saved = stems_folder.stereo_pairs
        stems_folder.stereo_pairs = lambda files, infos: {}

    def __exit__(self, *exc):
        stems_folder.stereo_pairs = self.saved


def lufs(folder: Path) -> dict[str, float]:
    return {k: loudness(x, SR) for k, x in read_stems_folder(folder, SR, 2)[1].items()}


def verdict(folder: Path, engine, anchor: str) -> str:
    try:
        rep = advise(None, anchor, engine, stems_dir=folder)
    except Exception as e:   # e.g. no usable window in a short cut
        return f"({e})"
    return rep.verdict.line(span=False).split("; confidence")[0] if rep.verdict else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", action="store_true", help="also ask default-real, hearing the stems' sum")
    ap.add_argument("--seconds", type=float, default=None, help="cut each song to this length (default: whole)")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    engines = {"loudness": LoudnessEngine()}
    if args.model:
        engines["default-real"] = ModelEngine("default-real")
    print("| song | stem | halves paired (now): dB vs the stem | halves as two tracks (before): dB vs the stem |")
    print("|---|---|---|---|")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for song, src in songs().items():
            d = write_halves(src, Path(tmp) / song, args.seconds)
            truth = lufs(d / "whole")
            paired = lufs(d / "halves")
            with unpaired():
                two = lufs(d / "halves")
            for k in truth:
                print(f"| {song} | {k} | {paired[k] - truth[k]:+.2f} | {two[k] - truth[k]:+.2f} |")
            anchor = "drums" if "drums" in truth else "vocals"
            for name, engine in engines.items():
                said = [verdict(d / "whole", engine, anchor), verdict(d / "halves", engine, anchor)]
                with unpaired():
                    said.append(verdict(d / "halves", engine, anchor))
                rows.append((song, anchor, name, *said))
    print()
    print("| song | anchor | engine | the stems | halves paired (now) | halves as two tracks (before) |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
