"""Stems exported from their first region: does ``advise`` (a mix file given with the stems) put them back?

A DAW's "export region" (or a consolidated clip) writes a track from its first note, not from the song's start:
the file is shorter and its music sits too early. For each song (the three real-dev songs and the bundled
example, 22.05 kHz stereo) and each stem, this makes region exports, the stem cut from its first note (the
first 50 ms frame above -50 dBFS; not when that is the song's start) and from ``--cuts`` random points (seeded)
to its last note, and asks
:func:`mixbuddy.predict.align.late_placement` where each belongs against the mix, as ``load_song`` does. The mix
is the stems' sum, the same mastered (``master_mix`` to -9 LUFS), through MP3 (128 kb/s, ffmpeg), or with a
1.5 s lead-in (the placement is relative to the other stems, so the lead-in must not move a stem). Controls:
every stem as given, and trimmed after its last note (a file that ends early but starts with the song): none
may be moved. Last, per song and mix, every stem written from its first note at once: all must end up where the mix
has them, up to one shift for all (which the line-up with the mix then takes out).

    python benchmarks/late_stems.py [--cuts 4] [--seed 0] [--rows]

Then the cost, on a 4-minute song (the example's stems tiled, mix = their sum): ``place_stems`` with every file
running to the end (nothing to check) and with all four ending 1 s early (each checked), best of three.

Printed per mix: region exports placed to within 20 ms of where they belong, placed wrongly, left where they are
with a warning (no distinct best place: a loop-based song repeats its parts), left silently; controls moved.
"""
from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import soundfile as sf

from mixbuddy.audio import read_audio
from mixbuddy.data.render import master_mix
from mixbuddy.predict.align import late_placement, place_stems, placement_action

REPO = Path(__file__).resolve().parents[1]
SR = 22050
FRAME = int(0.05 * SR)


def songs() -> dict[str, Path]:
    real = REPO.parent / "shared" / "data" / "real-dev"
    out = {d.name: d for d in sorted(real.iterdir()) if d.is_dir()} if real.is_dir() else {}
    out["example"] = REPO / "examples" / "lithium" / "stems"
    return out


def load(folder: Path) -> dict[str, np.ndarray]:
    stems = {p.stem: read_audio(p, sr=SR, channels=2)[0] for p in sorted(folder.glob("*.ogg"))}
    n = max(x.shape[0] for x in stems.values())
    return {k: np.pad(x, ((0, n - x.shape[0]), (0, 0))) for k, x in stems.items()}


def through_mp3(x: np.ndarray) -> np.ndarray:
    with tempfile.TemporaryDirectory() as d:
        sf.write(f"{d}/a.wav", x, SR)
        subprocess.run(["ffmpeg", "-loglevel", "error", "-i", f"{d}/a.wav", "-b:a", "128k", f"{d}/b.mp3"], check=True)
        subprocess.run(["ffmpeg", "-loglevel", "error", "-i", f"{d}/b.mp3", f"{d}/c.wav"], check=True)
        y = read_audio(f"{d}/c.wav", sr=SR, channels=2)[0]
    return y[: x.shape[0]] if y.shape[0] >= x.shape[0] else np.pad(y, ((0, x.shape[0] - y.shape[0]), (0, 0)))


def notes(x: np.ndarray) -> tuple[int, int]:
    """First and last sample of the 50 ms frames above -50 dBFS (the stem's first and last note)."""
    m = x.mean(axis=1)
    loud = [i for i in range(0, len(m) - FRAME, FRAME) if np.mean(m[i:i + FRAME] ** 2) > 1e-5]
    return loud[0], loud[-1] + FRAME


def as_file(stems: dict[str, np.ndarray], name: str, y: np.ndarray) -> dict[str, np.ndarray]:
    """``stems`` with ``name`` replaced by ``y`` zero-padded to the song's length, as ``load_song`` reads it."""
    n = next(iter(stems.values())).shape[0]
    return {**stems, name: np.pad(y, ((0, n - y.shape[0]), (0, 0)))}


def cost(seconds: float = 240.0) -> None:
    stems = load(REPO / "examples" / "lithium" / "stems")
    n = int(seconds * SR)
    stems = {k: np.tile(x, (n // x.shape[0] + 1, 1))[:n] for k, x in stems.items()}
    mix = np.sum(np.stack(list(stems.values())), axis=0)
    early = {k: np.pad(x[: n - SR], ((0, SR), (0, 0))) for k, x in stems.items()}
    for label, case in (("every file to the end", stems), ("four files ending 1 s early", early)):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            place_stems("mix", "stems", mix, case, SR)
            times.append(time.perf_counter() - t)
        print(f"place_stems, {seconds:.0f} s song, {label}: {1000 * min(times):.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cuts", type=int, default=4, help="random region starts per stem, besides its first note")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rows", action="store_true", help="print every case")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    lead = int(1.5 * SR)
    totals: dict[str, Counter] = {}
    for song, folder in songs().items():
        stems = load(folder)
        total = np.sum(np.stack(list(stems.values())), axis=0)
        mixes = {"sum": total, "mastered": master_mix(total, SR, -9.0), "mp3": through_mp3(total),
                 "lead-in 1.5 s": np.concatenate([np.zeros((lead, 2), np.float32), total])}
        plan = []
        for name, x in stems.items():
            on, off = notes(x)
            starts = [on] + [int(c) for c in rng.integers(on, max(on + 1, off - 12 * SR), args.cuts)]
            starts = [a for a in starts if a >= 0.01 * SR]    # a stem whose first note opens the song: not late
            plan.append((name, x, on, off, starts))
        for kind, mix in mixes.items():
            c = totals.setdefault(kind, Counter())
            every = dict(stems)                 # every stem from its first note at once: placed relative to
            for name, x, on, off, starts in plan:    # the files that still start with the song, or to each other
                every = as_file(every, name, x[on:])
            _, placed = place_stems("mix", "stems", mix, every, SR)
            shifts = [on / SR - placed.get(name, 0.0) for name, x, on, off, starts in plan]
            c["songs, every stem at once"] += 1
            c["all where the mix has them"] += max(shifts) - min(shifts) <= 0.02
            if args.rows:
                print(f"{song:13s} {kind:13s} every stem from its first note: placed {placed}, left over "
                      f"{[round(x, 3) for x in shifts]}")
            for name, x, on, off, starts in plan:
                for label, y in (("as given", x), ("ends early", x[:off])):
                    p = late_placement(mix, as_file(stems, name, y), name, SR)
                    moved = placement_action(p) == "place"
                    c["controls"] += 1
                    c["controls moved"] += moved
                    if args.rows:
                        print(f"{song:13s} {kind:13s} {name:6s} {label:10s} {'MOVED' if moved else 'kept'}")
                for a in starts:
                    p = late_placement(mix, as_file(stems, name, x[a:off]), name, SR)
                    action = placement_action(p)
                    belongs = a / SR
                    if action == "place":
                        outcome = "placed right" if abs(p.lag_s - belongs) <= 0.02 else "placed WRONG"
                    else:
                        outcome = "left, warned" if action == "unsure" else "left silently"
                    c["region exports"] += 1
                    c[outcome] += 1
                    if args.rows:
                        found = f"{p.lag_s:9.4f} s r {p.r:.3f} given {p.r_as_given:.3f} elsewhere {p.runner_up:.3f}" \
                            if p else "-"
                        print(f"{song:13s} {kind:13s} {name:6s} from {belongs:9.4f} s: {found}  {outcome}")
    cols = ["region exports", "placed right", "placed WRONG", "left, warned", "left silently", "controls",
            "controls moved", "songs, every stem at once", "all where the mix has them"]
    print("| mix | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for kind, c in totals.items():
        print(f"| {kind} | " + " | ".join(str(c[k]) for k in cols) + " |")
    cost()


if __name__ == "__main__":
    main()
