"""Quiet passages (a fade-out, a breakdown, a quiet intro) and a mix model that reads the mix's level.

A mix model reads a window's overall level as a cue (docs/BENCHMARKS.md, "Does the mix model read the
bounce level?"), so a passage much quieter than the rest of the song may be misread as a stem turned down.
Tried here (not adopted in ``advise``): hearing every window more than ``--below`` dB (3) under the song's
median window level raised to that median.

1. Synthetic (``--songs``, default the 20 test songs of ``work/synth/test`` plus the example mix): each
   song's mix as made, then with (a) a fade-out over its last 20 s (gain falling as a square to 0), (b) the
   window 0:20-0:30 12 dB down, (c) the first window 10 dB down. For the windows so changed, how often the
   verdict (stem and direction, or balanced) is the one the unchanged song gets there, untreated and
   raised.
2. Real (the three real-dev songs, 150 s each): each mix rebuilt from its stems as it is and with one stem
   (bass, other or vocals; the drums are the anchor) 8 dB down or up for the whole song; over the windows
   where that stem plays (all windows for the unchanged songs), how often the verdict names the flaw (or
   "balanced"), untreated and with the quiet windows raised.

    python benchmarks/quiet_passages.py [--checkpoint default-real] [--below 3]
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

from mixbuddy.audio import read_audio
from mixbuddy.predict.advise import with_gain
from mixbuddy.predict.engines import ModelEngine
from mixbuddy.predict.gates import ACTIVE_SHARE, STEM_SILENCE_DB, activity
from mixbuddy.predict.windows import SongAudio, cut_windows

REPO = Path(__file__).resolve().parents[1]


class Bench:
    def __init__(self, checkpoint: str, below: float):
        self.engine = ModelEngine(checkpoint)
        self.sr = self.engine.sample_rate
        self.below = below

    def windows(self, source: str, mix: np.ndarray) -> list:
        audio = SongAudio(source, self.sr, mix)
        ws, _ = cut_windows(audio, "drums", self.engine.clip_seconds)
        engine, gain = self.engine.for_song(audio.mix, source, audio.lufs)
        assert engine is self.engine, "a mastered-level mix: not what this benchmark is about"
        return [with_gain(w, gain) for w in ws] if gain else ws

    def level(self, w) -> float:
        x = w.mix[: int(round((w.end_s - w.start_s) * self.sr)), 0].astype(np.float64)
        return 10 * np.log10(np.mean(x ** 2) + 1e-12)

    def raised(self, ws: list) -> tuple[list, np.ndarray]:
        """The windows with the quiet ones raised to the median level, and how far each was below it."""
        under = np.median([self.level(w) for w in ws]) - np.array([self.level(w) for w in ws])
        return [with_gain(w, d) if d > self.below else w for w, d in zip(ws, under)], under

    def verdicts(self, ws: list) -> list[str]:
        return ["balanced" if a.finding.no_error else f"{a.finding.target} {a.finding.direction}"
                for a in self.engine.analyse(ws)]


def synthetic(b: Bench, songs: list[Path]) -> None:
    def envelope(kind: str, n: int) -> np.ndarray:
        g = np.ones(n, np.float32)
        if kind == "fade-out, last 20 s":
            k = int(20 * b.sr)
            g[-k:] = np.linspace(1, 0, k) ** 2
        elif kind == "0:20-0:30 12 dB down":
            g[int(20 * b.sr):int(30 * b.sr)] = 10 ** (-12 / 20)
        else:
            g[: int(10 * b.sr)] = 10 ** (-10 / 20)
        return g

    kinds = ("fade-out, last 20 s", "0:20-0:30 12 dB down", "first window 10 dB down")
    tally = {k: [0, 0, 0, []] for k in kinds}
    for path in songs:
        x = read_audio(path, sr=b.sr, channels=1)[0]
        base_ws = b.windows(str(path), x)
        base = dict(zip((w.start_s for w in base_ws), b.verdicts(base_ws)))
        for kind in kinds:
            g = envelope(kind, x.shape[0])
            ws = b.windows(str(path), x * g[:, None])
            up, under = b.raised(ws)
            changed = [i for i, w in enumerate(ws)
                       if np.min(g[int(w.start_s * b.sr):int(w.end_s * b.sr)]) < 1 and w.start_s in base]
            plain = b.verdicts([ws[i] for i in changed])
            lifted = b.verdicts([up[i] for i in changed])
            t = tally[kind]
            for i, p, r in zip(changed, plain, lifted):
                t[0] += 1
                t[1] += p == base[ws[i].start_s]
                t[2] += r == base[ws[i].start_s]
                t[3].append(under[i])
    print("| made | windows | dB under the median | same verdict untreated | same verdict raised |")
    print("|---|---|---|---|---|")
    for kind, (n, same, same_raised, under) in tally.items():
        print(f"| {kind} | {n} | {np.median(under):.1f} (median) | {same} | {same_raised} |")


def real(b: Bench, folders: list[Path]) -> None:
    rows = []
    for d in folders:
        stems = {p.stem: read_audio(p, sr=b.sr, channels=1)[0] for p in sorted(d.glob("*.ogg"))}
        n = max(x.shape[0] for x in stems.values())
        stems = {k: np.pad(v, ((0, n - v.shape[0]), (0, 0))) for k, v in stems.items()}
        for stem, gain in [(None, 0)] + [(s, g) for s in ("bass", "other", "vocals") if s in stems for g in (-8, 8)]:
            mix = sum(v * np.float32(10 ** (gain / 20) if k == stem else 1.0) for k, v in stems.items())
            ws = b.windows(str(d), mix.astype(np.float32))
            up, under = b.raised(ws)
            quiet = [i for i in range(len(ws)) if under[i] > b.below]
            plain = b.verdicts(ws)
            lifted = dict(zip(quiet, b.verdicts([up[i] for i in quiet])))
            truth = "balanced" if stem is None else f"{stem} {'increase' if gain < 0 else 'decrease'}"
            for i, w in enumerate(ws):
                if stem is not None:
                    rms, share = activity(stems[stem][int(w.start_s * b.sr):int(w.end_s * b.sr)], b.sr)
                    if rms < STEM_SILENCE_DB or share < ACTIVE_SHARE:
                        continue
                rows.append((under[i] > b.below, plain[i] == truth, lifted.get(i, plain[i]) == truth))
    for name, sel in (("every scored window", rows), ("the quiet ones", [r for r in rows if r[0]])):
        print(f"real songs, {name}: {len(sel)} windows, right untreated {sum(r[1] for r in sel)}, "
              f"raised {sum(r[2] for r in sel)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default="default-real")
    ap.add_argument("--below", type=float, default=3.0)
    ap.add_argument("--songs", nargs="+", type=Path,
                    default=sorted(REPO.glob("work/synth/test/*/mixture.flac")) + [REPO / "examples/lithium/mix.ogg"])
    args = ap.parse_args()
    logging.getLogger("mixbuddy").setLevel(logging.ERROR)
    b = Bench(args.checkpoint, args.below)
    synthetic(b, args.songs)
    real(b, sorted((REPO.parent / "shared" / "data" / "real-dev").glob("*/")))


if __name__ == "__main__":
    main()
