"""A mix file given with stems that do not hold its balance (stems exported pre-fader, or a mix bounced at another
balance): does ``advise`` notice, and does it stay quiet when they do hold it?

For the three real-dev songs and the bundled example (22.05 kHz stereo), mixes are made from the stems' sum: as
bounced, through MP3 (128 kb/s, ffmpeg), soft-clipped (tanh), mastered (``master_mix`` to -26, -22, -18, -14 and
-9 LUFS: from a touch of limiting to a lot), and with one stem at a time turned up or down by 1, 2 or 4 dB in the
mix (also through MP3 at 4 dB), or read as a mono file (both channels at its level) that the mix pans centre with
a -3 dB pan law. :func:`mixbuddy.predict.align.stem_gains` reads each stem's gain in the mix by least
squares; a stem ``GAIN_NOTE_DB`` or more from the median gain is noted when the fit explains at least
``GAIN_FIT_R2`` of the mix (R²). Printed per kind of mix: the cases, the R² range, the largest gain read against
the median, how many were noted, and whether the stem noted was the one changed; then the cost on a 4-minute song
(the example tiled), best of three.

    python benchmarks/stem_gains.py
"""
from __future__ import annotations

import time
from collections import defaultdict

import numpy as np

from mixbuddy.data.render import master_mix
from mixbuddy.predict.align import GAIN_FIT_R2, GAIN_NOTE_DB, stem_gains

from late_stems import REPO, SR, load, songs, through_mp3   # this folder is on sys.path


def cases(stems: dict[str, np.ndarray]):
    """(kind, the stem changed, the mix, the stems as read when they are not ``stems``)."""
    total = np.sum(np.stack(list(stems.values())), axis=0)
    yield "as bounced", None, total, None
    yield "MP3 128 kb/s", None, through_mp3(total), None
    yield "soft-clipped (tanh)", None, (np.tanh(2 * total) / 2).astype(np.float32), None
    for lufs in (-26.0, -22.0, -18.0, -14.0, -9.0):
        yield f"mastered to {lufs:.0f} LUFS", None, master_mix(total, SR, lufs), None
    for db in (1.0, 2.0, 4.0):
        for name, x in stems.items():
            for sign in (1, -1):
                mix = total + np.float32(10 ** (sign * db / 20) - 1) * x
                yield f"one stem {db:.0f} dB up or down", name, mix, None
                if db == 4.0:
                    yield "one stem 4 dB up or down, MP3", name, through_mp3(mix), None
    for name, x in stems.items():      # a mono track, read into both channels, that the mix pans centre (-3 dB law)
        mono = x.mean(axis=1, keepdims=True)
        mix = total - x + np.float32(np.sqrt(0.5)) * np.repeat(mono, 2, axis=1)
        yield "one stem a mono file the mix pans centre (-3 dB law)", name, mix, {**stems, name: np.repeat(mono, 2, 1)}


def main() -> None:
    rows: dict[str, dict] = defaultdict(lambda: {"n": 0, "r2": [], "dev": [], "noted": 0, "right": 0})
    for song, folder in songs().items():
        stems = load(folder)
        for kind, changed, mix, read in cases(stems):
            gains, r2 = stem_gains(mix, stems if read is None else read, SR)
            mid = float(np.median(list(gains.values())))
            off = {k: v - mid for k, v in gains.items()}
            worst = max(off, key=lambda k: abs(off[k]))
            row = rows[kind]
            row["n"] += 1
            row["r2"].append(r2)
            row["dev"].append(abs(off[worst]))
            if r2 >= GAIN_FIT_R2 and abs(off[worst]) >= GAIN_NOTE_DB:
                row["noted"] += 1
                row["right"] += worst == changed
    print(f"| mix | cases | R² | largest gain against the median (dB) | noted (R² ≥ {GAIN_FIT_R2}, ≥ {GAIN_NOTE_DB} dB) "
          "| the changed stem named |")
    print("|---|---|---|---|---|---|")
    for kind, r in rows.items():
        print(f"| {kind} | {r['n']} | {min(r['r2']):.3f}–{max(r['r2']):.3f} | {min(r['dev']):.2f}–{max(r['dev']):.2f} "
              f"| {r['noted']} | {r['right']} |")
    stems = load(REPO / "examples" / "lithium" / "stems")
    n = 240 * SR
    stems = {k: np.tile(x, (n // x.shape[0] + 1, 1))[:n] for k, x in stems.items()}
    mix = np.sum(np.stack(list(stems.values())), axis=0)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        stem_gains(mix, stems, SR)
        times.append(time.perf_counter() - t)
    print(f"\nstem_gains on a 240 s song (four stems, 22.05 kHz stereo): {1000 * min(times):.0f} ms")


if __name__ == "__main__":
    main()
