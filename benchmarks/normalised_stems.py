"""Stems normalised on export: how far apart real stems peak, and what normalising does to the advice.

1. The sample peak of every stem file of the real-dev songs, the example and (``--corpus``) each song of a
   corpus folder (``<root>/<split>/<song>/`` or ``<root>/<song>/``, the mixture left out): the spread
   between a song's loudest and quietest peak, which ``warn_normalised`` flags below ``NORMALISED_SPREAD_DB`` (0.25 dB).
2. The example's stems each normalised to -0.1 dBFS, written as 24-bit WAV and, through ffmpeg, as Ogg
   Vorbis (q5) and MP3 (192 kb/s): their spread, whether ``advise`` flags them, and the loudness engine's
   overall verdict on them (anchor drums) against the example's own ("vocals too quiet", the flaw made).

    python benchmarks/normalised_stems.py [--corpus work/synth]
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from mixbuddy.audio import AUDIO_EXTENSIONS, read_audio, write_audio
from mixbuddy.corpus.peak_checks import NORMALISED_SPREAD_DB
from mixbuddy.predict.advise import advise
from mixbuddy.predict.engines import LoudnessEngine

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "lithium" / "stems"


def peaks_db(folder: Path) -> dict[str, float]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_EXTENSIONS
                   and not p.stem.lower().startswith(("mix", "mixture")))
    return {p.name: 20 * np.log10(np.abs(read_audio(p)[0]).max()) for p in files}


def spread(peaks: dict[str, float]) -> float:
    return max(peaks.values()) - min(peaks.values())


def verdict(folder: Path, engine: LoudnessEngine) -> tuple[str, bool]:
    rep = advise(None, "drums", engine, stems_dir=folder)
    return rep.verdict.line(span=False), any("normalised on export" in n for n in rep.notes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, help="also every song folder of this corpus")
    args = ap.parse_args()
    logging.getLogger("mixbuddy").setLevel(logging.ERROR)
    songs = sorted((REPO.parent / "shared" / "data" / "real-dev").glob("*/")) + [EXAMPLE]
    for folder in songs:
        p = peaks_db(folder)
        print(f"{os.path.relpath(folder, REPO)}: spread {spread(p):.2f} dB ("
              + ", ".join(f"{k} {v:.2f}" for k, v in p.items()) + ")")
    if args.corpus:
        folders = sorted({f.parent for f in args.corpus.rglob("*") if f.suffix.lower() in AUDIO_EXTENSIONS})
        spreads = np.array([spread(peaks_db(f)) for f in folders])
        print(f"{args.corpus}: {len(spreads)} songs, spread min {spreads.min():.2f} dB, 1st percentile "
              f"{np.percentile(spreads, 1):.2f}, median {np.median(spreads):.2f}; under {NORMALISED_SPREAD_DB} dB: "
              f"{(spreads < NORMALISED_SPREAD_DB).sum()}")
    engine = LoudnessEngine()
    print(f"\nexample as made: {verdict(EXAMPLE, engine)[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "wav"
        for path in sorted(EXAMPLE.glob("*.ogg")):
            x, sr = read_audio(path)
            write_audio(wav / f"{path.stem}.wav", x * np.float32(10 ** (-0.1 / 20) / np.abs(x).max()), sr,
                        subtype="PCM_24")
        sets = {"normalised, WAV": wav}
        if shutil.which("ffmpeg"):
            for ext, opts in (("ogg", ["-c:a", "libvorbis", "-q:a", "5"]), ("mp3", ["-b:a", "192k"])):
                out = Path(tmp) / ext
                out.mkdir()
                for f in sorted(wav.glob("*.wav")):
                    subprocess.run(["ffmpeg", "-v", "error", "-i", str(f), *opts, str(out / f"{f.stem}.{ext}")],
                                   check=True)
                sets[f"normalised, {ext.upper()}"] = out
        for name, folder in sets.items():
            line, flagged = verdict(folder, engine)
            print(f"{name}: spread {spread(peaks_db(folder)):.2f} dB, flagged {flagged}: {line}")


if __name__ == "__main__":
    main()
