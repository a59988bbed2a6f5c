"""Stereo mixes whose channels are not a stereo mix: how far real mixes are from the rules, and the advice.

1. For the mixes of the real-dev songs (their stems summed), the 20 synthetic test songs
   (``work/synth/test/*/mixture.flac``) and the example: the correlation of left and right and how far the
   quieter channel sits below the louder one, against ``mend_channels``' rules (a channel 40 dB down is
   dead; a correlation of -0.5 or less is opposed polarity), and whether it changes any of them.
2. The example mix made wrong three ways (right channel silent; right channel polarity-inverted; the mono
   downmix on both sides, the reference), then ``advise`` with ``--checkpoint`` (default-real) on each.

    python benchmarks/mix_channels.py [--checkpoint default-real]
"""
from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import numpy as np

from mixbuddy.audio import read_audio, write_audio
from mixbuddy.predict.advise import advise
from mixbuddy.predict.channels import mend_channels
from mixbuddy.predict.engines import ModelEngine
from mixbuddy.predict.wording import describe

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "lithium" / "mix.ogg"


def stats(x: np.ndarray) -> tuple[float, float]:
    """(correlation of left and right, dB the quieter channel sits below the louder)."""
    left, right = x[:, 0].astype(np.float64), x[:, 1].astype(np.float64)
    pl, pr = float(np.dot(left, left)), float(np.dot(right, right))
    return float(np.dot(left, right) / np.sqrt(pl * pr)), 10 * np.log10(max(pl, pr) / min(pl, pr))


def mixes() -> list[tuple[str, np.ndarray]]:
    out = []
    for d in sorted((REPO.parent / "shared" / "data" / "real-dev").glob("*/")):
        stems = [read_audio(p, channels=2)[0] for p in sorted(d.glob("*.ogg"))]
        n = max(s.shape[0] for s in stems)
        out.append((d.name, np.sum([np.pad(s, ((0, n - s.shape[0]), (0, 0))) for s in stems], axis=0)))
    out += [(p.parent.name, read_audio(p, channels=2)[0]) for p in sorted(REPO.glob("work/synth/test/*/mixture.flac"))]
    return out + [("example", read_audio(EXAMPLE, channels=2)[0])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default="default-real")
    args = ap.parse_args()
    logging.getLogger("mixbuddy").setLevel(logging.ERROR)
    rows = [(name, *stats(x), mend_channels(x, name) is not x) for name, x in mixes()]
    r = np.array([row[1] for row in rows])
    gap = np.array([row[2] for row in rows])
    print(f"{len(rows)} mixes: left/right correlation {r.min():.2f} to {r.max():.2f} (median {np.median(r):.2f}); "
          f"quieter channel {gap.min():.2f} to {gap.max():.2f} dB below the louder; changed: "
          f"{[row[0] for row in rows if row[3]] or 'none'}")
    for name, corr, db, _ in rows[:3] + rows[-1:]:
        print(f"  {name}: correlation {corr:.2f}, {db:.2f} dB")
    engine = ModelEngine(args.checkpoint)
    x, sr = read_audio(EXAMPLE)
    mono = x.mean(axis=1, keepdims=True)
    made = {"the mono downmix on both sides": np.repeat(mono, 2, axis=1),
            "right channel silent": np.stack([x[:, 0], np.zeros_like(x[:, 0])], axis=1),
            "right channel polarity-inverted": np.concatenate([mono, -mono], axis=1)}
    with tempfile.TemporaryDirectory() as tmp:
        for label, y in made.items():
            path = write_audio(Path(tmp) / "mix.wav", y.astype(np.float32), sr)
            rep = advise(path, "drums", engine)
            print(f"\n{label}: " + " | ".join(f"{describe(w.finding)} ({w.confidence:.2f})" for w in rep.windows))


if __name__ == "__main__":
    main()
