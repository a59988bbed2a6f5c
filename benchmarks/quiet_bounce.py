"""Does the advice from the stems change when they are exported quieter or louder? (the activity gates of advise)

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

``--guess stems`` tries another raise (session 25, not adopted): the median over the stems of how far each sits
from its typical level (``--stem-typical``: the training songs' medians, by raise_estimate.py), applied to
songs under ``QUIET_LUFS`` as advise's, or with ``--deadband D`` to every song whose guess is D dB or more either
way (a hot export turned down too). ``--raised-only`` prints the raised row only.

    python benchmarks/quiet_bounce.py --songs ../shared/data/real-dev [--checkpoint default-stems]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from mixbuddy.constants import TARGET_STEMS
from mixbuddy.errors import AudioFileError
from mixbuddy.evaluate.baselines.loudness import loudness
from mixbuddy.predict.advise import WindowResult, summarise, with_gain
from mixbuddy.predict import engines
from mixbuddy.predict.engines import MAX_QUIET_SHIFT_DB, QUIET_LUFS, LoudnessEngine, ModelEngine
from mixbuddy.predict.gates import GATE_LUFS
from mixbuddy.predict.windows import SongAudio, cut_windows, load_song
from raise_estimate import median_guess


def right(finding, flaw: tuple[str, str] | None) -> bool:
    if flaw is None:
        return bool(finding.no_error)
    return not finding.no_error and (finding.target, finding.direction) == flaw


def stems_guess(audio: SongAudio, typical: dict[str, float], deadband: float | None) -> float:
    """dB to raise the song by: the median of ``typical`` minus each stem's loudness (mono), for a song under
    QUIET_LUFS, or (``deadband``) for any song whose guess is that far off either way; within +-30 dB."""
    if deadband is None and not audio.lufs < QUIET_LUFS:
        return 0.0
    guess = median_guess({s: loudness(x.mean(axis=1), audio.sample_rate) for s, x in audio.stems.items()}, typical)
    if not np.isfinite(guess) or deadband is not None and abs(guess) < deadband:
        return 0.0
    return float(np.clip(guess, -MAX_QUIET_SHIFT_DB if deadband is not None else 0.0, MAX_QUIET_SHIFT_DB))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--songs", type=Path, required=True, help="a folder of song folders (stems inside)")
    ap.add_argument("--anchor", default="drums")
    ap.add_argument("--push-db", type=float, default=6.0)
    ap.add_argument("--gains", type=float, nargs="+", default=[0, -6, -12, -18, -24])
    ap.add_argument("--checkpoint", default=None, help="a stems model instead of the loudness engine")
    ap.add_argument("--raise-to", type=float, default=None,
                    help="LUFS a stems model hears quiet stems raised to (default: engines.QUIET_RAISE_TO_LUFS)")
    ap.add_argument("--guess", choices=("advise", "stems"), default="advise",
                    help="a stems model's raise: advise's (the mix to --raise-to), or the stems' median guess")
    ap.add_argument("--stem-typical", nargs=4, default=["bass:-24.0", "drums:-29.0", "other:-25.9", "vocals:-25.1"],
                    metavar="STEM:LUFS", help="--guess stems: each stem's typical loudness (mono, model rate)")
    ap.add_argument("--deadband", type=float, default=None, help="--guess stems: move any song whose guess is >= D dB")
    ap.add_argument("--relative", type=float, nargs="*", default=[], metavar="LUFS",
                    help="also gates that move both ways, every song's windows counted as at LUFS")
    ap.add_argument("--raised-only", action="store_true", help="a model: the raised row only")
    a = ap.parse_args()
    typical = {k: float(v) for k, v in (t.split(":") for t in a.stem_typical)}
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
          f"advise's gates count every song as at {GATE_LUFS:g} LUFS; raise: {a.guess}"
          + (f", deadband {a.deadband:g} dB" if a.deadband is not None else ""))
    print("| gain dB | LUFS (first song) | gates | windows | windows right | verdicts right | no window |")
    print("|---|---|---|---|---|---|---|")
    for g in a.gains:
        scale = np.float32(10 ** (g / 20))
        modes = [] if a.raised_only else [("fixed gates", None, None, False), ("down only", QUIET_LUFS, None, False),
                                          ("advise's gates", GATE_LUFS, GATE_LUFS, False)]
        modes += [(f"as at {r:g}", r, r, False) for r in a.relative]
        if callable(getattr(engine, "for_song", None)):       # a model: also raised as advise raises it
            modes.append(("advise's gates + raised", GATE_LUFS, GATE_LUFS, True))
        for gates, quiet, loud, raised in modes:
            n_win = n_right = n_verdict = n_none = 0
            first_lufs = None
            for name, flaw, stems in versions:
                st = {k: v * scale for k, v in stems.items()}
                audio = SongAudio(name, engine.sample_rate, np.sum(list(st.values()), axis=0), st)
                if first_lufs is None:
                    first_lufs = audio.lufs
                try:
                    windows, _ = cut_windows(audio, a.anchor, engine.clip_seconds, quiet_lufs=quiet,
                                              loud_lufs=loud)
                except AudioFileError:           # no usable window: no verdict
                    n_none += 1
                    continue
                if raised:
                    gain = (engine.for_song(audio.mix, name, audio.lufs)[1] if a.guess == "advise"
                            else stems_guess(audio, typical, a.deadband))
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
