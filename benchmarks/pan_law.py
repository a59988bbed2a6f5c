"""Mono files among stereo ones, given with the mix: is each stem judged at the level the mix holds it?

A mono file is read at its level in both channels; a DAW whose pan law turns a centred mono track down holds it that
much lower in its mix. For each song (the three real-dev songs and the bundled example, 44.1 kHz) and each of its
stems in turn, that stem is written as a mono file (the mean of its channels) beside the other stems as stereo files,
and a mix is bounced with the mono track centred under a pan law: -3 dB (Pro Tools, Cubase, Studio One), -2.5 dB
(Pro Tools before 8.1), -6 dB, 0 dB (Logic's "-3 dB compensated", Reaper: nothing to correct), -3 dB through MP3
(128 kb/s), -3 dB with the track also 2 dB up before the pan (a gap of -1 dB, no pan law's: only noted), and -3 and
0 dB with the mix mastered to -22 LUFS (``master_mix``: a touch of limiting).
``advise`` (loudness engine, anchor drums) is asked about the mix with the folder before (``PAN_LAWS`` empty: the
stem heard at its file's level, the gap only noted) and now (``mixbuddy.predict.pan_law``), and the answer is compared
with its advice on the stems as the mix holds them (that stem written as a stereo file at its level in the mix, given
with the same mix). Printed per mix: the cases, how many had the stem turned and by how much, and for before and now
how many verdicts (stem and direction, or balanced) and advised moves (within 0.25 dB) match that reference.

    python benchmarks/pan_law.py
"""
from __future__ import annotations

import time
from collections import defaultdict

import numpy as np
import soundfile as sf

import mixbuddy.predict.pan_law as pan_law
from mixbuddy.data.render import master_mix

from late_stems import through_mp3   # this folder is on sys.path
from master_stems import advised, scratch, song_stems

SR = 44100
MIXES = (("-3 dB pan law", -3.0, False), ("-2.5 dB pan law", -2.5, False), ("-6 dB pan law", -6.0, False),
         ("0 dB at the centre", 0.0, False), ("-3 dB pan law, mix through MP3", -3.0, True),
         ("-3 dB pan law, the track 2 dB up", -1.0, False), ("-3 dB pan law, mix mastered to -22 LUFS", -3.0, -22.0),
         ("0 dB at the centre, mix mastered to -22 LUFS", 0.0, -22.0))


def said(report) -> tuple[str, float]:
    if isinstance(report, Exception):
        return f"refused: {report}", 0.0
    f = report.verdict.finding
    return ("balanced", 0.0) if f.no_error else (f"{f.target} {f.direction}", float(f.gain_db or 0.0))


def padded_stems():
    """(name, its stems at ``SR``, zero-padded to one length) of the three real-dev songs and the bundled example."""
    for song, _, stems in song_stems(SR):
        n = max(x.shape[0] for x in stems.values())
        yield song, {k: np.pad(x, ((0, n - x.shape[0]), (0, 0))) for k, x in stems.items()}


def main() -> None:
    import late_stems

    late_stems.SR = SR      # through_mp3 writes and reads at this rate
    rows: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    turned: dict[str, list[float]] = defaultdict(list)
    start = time.perf_counter()
    with scratch("pan-law-") as work:
        for song, stems in padded_stems():
            for name, x in stems.items():
                mono = x.mean(axis=1)
                folder, held = work / f"{song}-{name}", work / f"{song}-{name}-held"
                folder.mkdir()
                held.mkdir()
                for k, y in stems.items():
                    if k != name:
                        for f in (folder, held):
                            sf.write(f / f"{k}.wav", y, SR, subtype="FLOAT")
                sf.write(folder / f"{name}.wav", mono, SR, subtype="FLOAT")
                rest = np.sum([y for k, y in stems.items() if k != name], axis=0)
                for kind, law_db, how in MIXES:
                    track = np.float32(10 ** (law_db / 20)) * np.repeat(mono[:, None], 2, axis=1)
                    mix = (rest + track).astype(np.float32)
                    mix_file = work / "mix.wav"
                    if how is True:         # through MP3
                        mix = through_mp3(mix)
                    elif how:               # a master's loudness (LUFS): a touch of limiting
                        mix = master_mix(mix, SR, float(how))
                    sf.write(mix_file, mix, SR, subtype="FLOAT")
                    sf.write(held / f"{name}.wav", track, SR, subtype="FLOAT")
                    reference = said(advised(held, mix_file)[0])
                    laws = pan_law.PAN_LAWS
                    pan_law.PAN_LAWS = ()
                    try:
                        before = said(advised(folder, mix_file)[0])
                    finally:
                        pan_law.PAN_LAWS = laws
                    report = advised(folder, mix_file)[0]
                    now = said(report)
                    row = rows[kind]
                    row["cases"] += 1
                    panned = {} if isinstance(report, Exception) else report.panned
                    if panned:
                        row["turned"] += 1
                        turned[kind].append(panned[name])
                    for when, got in (("before", before), ("now", now)):
                        row[f"{when} verdict"] += got[0] == reference[0]
                        row[f"{when} move"] += got[0] == reference[0] and abs(got[1] - reference[1]) <= 0.25
                    print(f"{song:15s} {name:7s} {kind:34s} reference {reference[0]} {reference[1]:+.1f} | before "
                          f"{before[0]} {before[1]:+.1f} | now {now[0]} {now[1]:+.1f} | turned {panned}", flush=True)
    print("\n| the mix | cases | stem turned (by) | verdict as the mix holds it: before / now | advised move "
          "(±0.25 dB): before / now |")
    print("|---|---|---|---|---|")
    for kind, _, _ in MIXES:
        r, by = rows[kind], turned[kind]
        span = f" ({min(by):+.2f} to {max(by):+.2f} dB)" if by else ""
        print(f"| {kind} | {r['cases']} | {r['turned']}{span} | {r['before verdict']} / {r['now verdict']} | "
              f"{r['before move']} / {r['now move']} |")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
