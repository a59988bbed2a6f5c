"""Does the advice from the stems change when they are exported quieter? (the activity gates of advise)

Each song folder of --songs gets known flaws -- each stem that can be a target pushed ±6 dB, and no flaw --
and every version is heard at bounce levels 0, -6, ... dB by an engine that hears the stems (the loudness
engine; ``--checkpoint default-stems`` for the stems model): with the fixed gates (-35 dBFS mix, -45 dBFS
stem, whatever the song's level), with the gates that move down for a song quieter than ``QUIET_LUFS``, and,
for a stems model, also with the song raised to ``QUIET_RAISE_TO_LUFS`` before the model hears it
(``ModelEngine.for_song``; both are what advise does). First each song's loudness (its mono mix) and the
versions' range; then per gain: the first song's loudness, the windows analysed, the windows whose finding
is the flaw (target and direction, or balanced), the song verdicts that are, and the versions left with no
usable window. All in memory. The raise's level was chosen
with ``--raise-to`` on new synthetic songs; run on the real songs, it is a diagnosis.

    python benchmarks/quiet_bounce.py --songs ../shared/data/real-dev [--checkpoint default-stems]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from mixbuddy.constants import TARGET_STEMS
from mixbuddy.errors import AudioFileError
from mixbuddy.predict.advise import WindowResult, summarise, with_gain
from mixbuddy.predict import engines
from mixbuddy.predict.engines import LoudnessEngine, ModelEngine
from mixbuddy.predict.windows import QUIET_LUFS, SongAudio, cut_windows, load_song


def right(finding, flaw: tuple[str, str] | None) -> bool:
    if flaw is None:
        return bool(finding.no_error)
    return not finding.no_error and (finding.target, finding.direction) == flaw


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--songs", type=Path, required=True, help="a folder of song folders (stems inside)")
    ap.add_argument("--anchor", default="drums")
    ap.add_argument("--push-db", type=float, default=6.0)
    ap.add_argument("--gains", type=float, nargs="+", default=[0, -6, -12, -18, -24])
    ap.add_argument("--checkpoint", default=None, help="a stems model instead of the loudness engine")
    ap.add_argument("--raise-to", type=float, default=None,
                    help="LUFS a stems model hears quiet stems raised to (default: engines.QUIET_RAISE_TO_LUFS)")
    a = ap.parse_args()
    if a.raise_to is not None:
        engines.QUIET_RAISE_TO_LUFS = a.raise_to
    engine = ModelEngine(a.checkpoint) if a.checkpoint else LoudnessEngine()
    songs = sorted(p for p in a.songs.iterdir() if p.is_dir())
    versions = []                                   # (song, flaw, stems)
    for song in songs:
        audio = load_song(None, song, engine.sample_rate, engine.channels)
        print(f"{song.name}: {audio.lufs:.1f} LUFS as it is (mono)")
        versions.append((song.name, None, audio.stems))
        for t in (s for s in TARGET_STEMS if s != a.anchor and s in audio.stems):
            for sign, direction in ((1, "decrease"), (-1, "increase")):     # pushed up -> turn it down
                pushed = dict(audio.stems)
                pushed[t] = audio.stems[t] * np.float32(10 ** (sign * a.push_db / 20))
                versions.append((song.name, (t, direction), pushed))
    lufs = [SongAudio(n, engine.sample_rate, np.sum(list(st.values()), axis=0), st).lufs for n, _, st in versions]
    print(f"{len(songs)} songs, {len(versions)} versions (each target ±{a.push_db:g} dB, and none; at 0 dB "
          f"{min(lufs):.1f}…{max(lufs):.1f} LUFS); engine {a.checkpoint or 'loudness'}, anchor {a.anchor}; "
          f"gates move below {QUIET_LUFS:g} LUFS")
    print("| gain dB | LUFS (first song) | gates | windows | windows right | verdicts right | no window |")
    print("|---|---|---|---|---|---|---|")
    for g in a.gains:
        scale = np.float32(10 ** (g / 20))
        modes = [("fixed gates", None, False), ("moving gates", QUIET_LUFS, False)]
        if callable(getattr(engine, "for_song", None)):       # a model: also raised as advise raises it
            modes.append(("moving gates + raised", QUIET_LUFS, True))
        for gates, quiet, raised in modes:
            n_win = n_right = n_verdict = n_none = 0
            first_lufs = None
            for name, flaw, stems in versions:
                st = {k: v * scale for k, v in stems.items()}
                audio = SongAudio(name, engine.sample_rate, np.sum(list(st.values()), axis=0), st)
                if first_lufs is None:
                    first_lufs = audio.lufs
                try:
                    windows, _ = cut_windows(audio, a.anchor, engine.clip_seconds, quiet_lufs=quiet)
                except AudioFileError:           # no usable window: no verdict
                    n_none += 1
                    continue
                if raised:
                    gain = engine.for_song(audio.mix, name, audio.lufs)[1]
                    windows = [with_gain(w, gain) for w in windows] if gain else windows
                advice = engine.analyse(windows)
                results = [WindowResult(w.start_s, w.end_s, x.finding, x.confidence, x.text)
                           for w, x in zip(windows, advice)]
                n_win += len(results)
                n_right += sum(right(r.finding, flaw) for r in results)
                _, verdict = summarise(results)
                n_verdict += verdict is not None and right(verdict.finding, flaw)
            print(f"| {g:+g} | {first_lufs:.1f} | {gates} | {n_win} | {n_right} ({100 * n_right / max(n_win, 1):.1f}%) "
                  f"| {n_verdict} of {len(versions)} | {n_none} |")


if __name__ == "__main__":
    main()
