"""Does ``advise`` find how a mix file given with its stems is shifted against them, and what does it cost?

For each song (the three real-dev songs and the bundled example by default) the stems' sum is made into mixes
the way they reach a producer: as bounced, 5 ms late (a plug-in's latency), with 0.25-8 s of silence or a
2 s click count-in in front, bounced from 0:00.5, 0:02 or (a song over 80 s) 0:40, a master-like copy (tanh, +15 dB into it)
or a mix with the vocals 20 dB up (each 1 s late), an MP3 round trip through ffmpeg (128 kb/s; its
decoder's own delay handling decides the offset), and the next song's sum. Each is matched against the
stems at the loudness engine's rate (22,050 Hz stereo) with :func:`mixbuddy.predict.align.best_match`, and
:func:`~mixbuddy.predict.align.decide` says what ``advise`` does: "line up", "keep" (as given) or "loose"
(a warning, used as given). Right = the offset found within 1 ms of the one made (an MP3: whatever it
is, reported), "loose" for another song. Then how well music that is not the stems' matches them by chance
(passages of different songs, and of one song), and the cost of a 4-minute song at the mix models' rate.

    python benchmarks/mix_offset.py [--songs DIR ...]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from mixbuddy.audio import read_audio, resample, write_audio
from mixbuddy.predict.align import best_match, decide

REPO = Path(__file__).resolve().parents[1]
SR = 22050


def shifted(x: np.ndarray, seconds: float, lead: np.ndarray | None = None) -> np.ndarray:
    """``x`` with ``seconds`` of ``lead`` (default silence) in front; negative: its start left out."""
    k = int(round(abs(seconds) * SR))
    if seconds < 0:
        return x[k:]
    front = np.zeros((k, x.shape[1]), np.float32) if lead is None else lead[:k]
    return np.concatenate([front, x])


def count_in(seconds: float) -> np.ndarray:
    """Clicks every 0.5 s (1 kHz, 30 ms), stereo."""
    out = np.zeros((int(round(seconds * SR)), 2), np.float32)
    t = np.arange(int(0.03 * SR)) / SR
    click = (0.5 * np.sin(2 * np.pi * 1000 * t) * np.exp(-t / 0.01)).astype(np.float32)
    for a in range(0, out.shape[0] - click.size, SR // 2):
        out[a:a + click.size] += click[:, None]
    return out


def mp3_round_trip(x: np.ndarray, tmp: Path) -> np.ndarray:
    wav, mp3 = tmp / "in.wav", tmp / "mix.mp3"
    write_audio(wav, x, SR)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-b:a", "128k", str(mp3)], check=True)
    return read_audio(mp3, sr=SR, channels=2)[0]


def song_sum(folder: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    stems = {p.stem: read_audio(p, sr=SR, channels=2)[0] for p in sorted(folder.glob("*.ogg"))}
    n = max(x.shape[0] for x in stems.values())
    stems = {k: np.pad(v, ((0, n - v.shape[0]), (0, 0))) for k, v in stems.items()}
    return np.sum(list(stems.values()), axis=0), stems


def cases(total: np.ndarray, stems: dict[str, np.ndarray], other: np.ndarray, tmp: Path):
    """(name, mix, offset made in s or None)."""
    yield "as bounced", total, 0.0
    yield "5 ms late", shifted(total, 0.005), 0.005
    for s in (0.25, 1.0, 3.0, 8.0):
        yield f"{s:g} s of silence first", shifted(total, s), s
    yield "2 s click count-in", shifted(total, 2.0, count_in(2.0)), 2.0
    for s in (0.5, 2.0, 40.0):
        if s > total.shape[0] / SR / 2:
            continue
        yield f"bounced from 0:{s:04.1f}".replace(".0", ""), shifted(total, -s), -s
    yield "master-like, 1 s late", shifted(np.tanh(total * 10 ** (15 / 20)).astype(np.float32) * 0.9, 1.0), 1.0
    if "vocals" in stems:
        yield "vocals +20 dB, 1 s late", shifted(total + stems["vocals"] * np.float32(9.0), 1.0), 1.0
    if shutil.which("ffmpeg"):
        yield "MP3 128 kb/s (ffmpeg)", mp3_round_trip(total, tmp), None
    yield "another song", other[: total.shape[0]], "loose"


def chance(songs: list) -> None:
    """How well music that is not the stems' matches them: passages (every 7 s against every 23 s) of two
    different songs, and two passages of one song (40 s apart or more), for 6, 10 and 36 s excerpts."""
    for secs in (6, 10, 36):
        n = secs * SR
        other, same = [], []
        for i, (name_a, a, _) in enumerate(songs):
            for j, (name_b, b, _) in enumerate(songs):
                if j < i or (i != j and name_a.split("_")[-1] == name_b.split("_")[-1]):
                    continue   # the example is an excerpt of eif_lithium: one song, not two
                for p in range(0, a.shape[0] - n, 7 * SR):
                    for q in range(0, b.shape[0] - n, 23 * SR):
                        if i != j:
                            other.append(best_match(a[p:p + n], b[q:q + n], SR).r)
                        elif abs(p - q) >= 40 * SR:
                            same.append(best_match(a[p:p + n], b[q:q + n], SR).r)
        print(f"{secs} s excerpts: two songs r median {np.median(other):.3f}, max {max(other):.3f} ({len(other)} pairs); "
              f"one song, passages >= 40 s apart: max {max(same):.3f} ({len(same)} pairs)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--songs", nargs="+", type=Path,
                    default=sorted((REPO.parent / "shared" / "data" / "real-dev").glob("*/"))
                    + [REPO / "examples" / "lithium" / "stems"])
    args = ap.parse_args()
    songs = [(p.name if p.name != "stems" else p.parent.name, *song_sum(p)) for p in args.songs]
    print("| song | mix | made (s) | found (s) | r found | r as given | advise | right | ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    right = total_cases = 0
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, total, stems) in enumerate(songs):
            other = songs[(i + 1) % len(songs)][1]
            if other.shape[0] < total.shape[0]:
                other = np.tile(other, (total.shape[0] // other.shape[0] + 1, 1))
            for case, mix, made in cases(total, stems, other, Path(tmp)):
                t0 = time.perf_counter()
                found = best_match(mix, total, SR)
                ms = 1000 * (time.perf_counter() - t0)
                times.append((total.shape[0] / SR, ms))
                action = decide(found)
                if made == "loose":
                    ok = action == "loose"
                elif made is None:
                    ok = None
                else:
                    ok = abs(found.lag_s - made) <= 0.001 and action == ("line up" if abs(made) >= 0.01 else "keep")
                right += bool(ok)
                total_cases += ok is not None
                made_s = "-" if made is None or made == "loose" else f"{made:+.3f}"
                print(f"| {name} | {case} | {made_s} | {found.lag_s:+.4f} | {found.r:.3f} | {found.r_as_given:.3f} "
                      f"| {action} | {'-' if ok is None else 'yes' if ok else 'NO'} | {ms:.0f} |")
    print(f"\nright: {right} of {total_cases}")
    for secs in sorted({s for s, _ in times}):
        ms = [m for s, m in times if s == secs]
        print(f"best_match on a {secs:.0f} s song at {SR} Hz stereo: median {np.median(ms):.0f} ms ({len(ms)} runs)")
    print()
    chance(songs)
    # a 4-minute song at the mix models' rate (16 kHz mono), as load_song hands it over
    x = resample(np.tile(songs[0][1], (2, 1))[: 240 * SR], SR, 16000)[:, :1]
    t0 = time.perf_counter()
    best_match(x, x, 16000)
    print(f"best_match on 240 s at 16000 Hz mono: {1000 * (time.perf_counter() - t0):.0f} ms")


if __name__ == "__main__":
    main()
