"""DC offsets in stems: how far real and synthetic stems sit from zero, and what an offset does to the advice.

1. The DC offset (``gates.dc_offset``: the median over 50 ms frames of each frame's mean, the larger channel's)
   of every stem file of the real-dev songs, the example and (``--corpus``) each song of a corpus folder
   (``<root>/<split>/<song>/`` or ``<root>/<song>/``, the mixture left out): the largest per song, and how
   many files reach ``DC_NOTE`` (where ``advise`` notes it), by stem.
2. The example's stems with ``--offset`` (0.01, -40 dBFS) added to the bass and "other" (float WAV), against
   the example's own: the loudness engine's windows (anchor drums) and the levels behind its verdict.
   ``advise`` takes such an offset out when it reads the stems (and the gates take each 50 ms frame's mean
   out), so the two should read alike; before session 30 a stem silent but for the offset counted as playing.

    python benchmarks/dc_offsets.py [--corpus work/synth] [--offset 0.01]
"""
from __future__ import annotations

import argparse
import logging
import os
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from mixbuddy.audio import AUDIO_EXTENSIONS, read_audio, write_audio
from mixbuddy.predict.advise import advise
from mixbuddy.predict.engines import LoudnessEngine
from mixbuddy.predict.gates import dc_offset
from mixbuddy.predict.input_checks import DC_NOTE

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "lithium" / "stems"


def offsets(folder: Path) -> dict[str, float]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_EXTENSIONS
                   and not p.stem.lower().startswith(("mix", "mixture")))
    out = {}
    for p in files:
        x, sr = read_audio(p)
        out[p.name] = dc_offset(x, sr)
    return out


def windows(folder: Path, engine: LoudnessEngine) -> list[str]:
    rep = advise(None, "drums", engine, stems_dir=folder)
    lines = [f"{w.start_s:g}-{w.end_s:g} s: {w.text}" + (" [" + ", ".join(
        f"{k} {v[0]:+.1f}" for k, v in sorted(w.levels.items())) + "]" if w.levels else "") for w in rep.windows]
    return lines + [f"verdict: {rep.verdict.line(span=False)}"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, help="also every song folder of this corpus")
    ap.add_argument("--offset", type=float, default=0.01, help="the offset added to the example's bass and other")
    args = ap.parse_args()
    logging.getLogger("mixbuddy").setLevel(logging.ERROR)
    for folder in sorted((REPO.parent / "shared" / "data" / "real-dev").glob("*/")) + [EXAMPLE]:
        dc = offsets(folder)
        name, top = max(dc.items(), key=lambda kv: kv[1])
        print(f"{os.path.relpath(folder, REPO)}: largest {top:.1e} ({name})")
    if args.corpus:
        folders = sorted({f.parent for f in args.corpus.rglob("*") if f.suffix.lower() in AUDIO_EXTENSIONS})
        every = [(f.name, k, v) for f in folders for k, v in offsets(f).items()]
        noted = Counter(Path(k).stem for _, k, v in every if v >= DC_NOTE)
        values = np.array([v for *_, v in every])
        print(f"{args.corpus}: {len(folders)} songs, {len(every)} stem files; DC offset median {np.median(values):.1e}, "
              f"99th percentile {np.percentile(values, 99):.1e}, largest {values.max():.1e}; "
              f"{sum(noted.values())} files at {DC_NOTE:g} or more: {dict(sorted(noted.items())) or 'none'}")
    engine = LoudnessEngine()
    with tempfile.TemporaryDirectory() as tmp:
        for p in sorted(EXAMPLE.glob("*.ogg")):
            x, sr = read_audio(p)
            if p.stem in ("bass", "other"):
                x = x + np.float32(args.offset)
            write_audio(Path(tmp) / f"{p.stem}.wav", x, sr, subtype="FLOAT")
        print(f"the example's bass and other offset by {args.offset:g}: DC offset read "
              + ", ".join(f"{k} {v:.4f}" for k, v in offsets(Path(tmp)).items()))
        for what, folder in (("as made", EXAMPLE), ("offset", Path(tmp))):
            print(f"{what}:\n  " + "\n  ".join(windows(folder, engine)))


if __name__ == "__main__":
    main()
