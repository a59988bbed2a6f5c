"""Mono tracks among a stem's stereo ones, given with the mix: is each heard as loud, and where, the mix pans it?

A mono file is read at its level in both channels; a DAW pans a mono track by its pan law, at the centre 2.5 to 6 dB
down in each channel and, panned hard, at its fader's level in one channel alone. For each song (the three real-dev
songs and the bundled example, 44.1 kHz) and each of its stems in turn, that stem is written as two tracks: its
centre (the mean of its channels) below 500 Hz, a 4th-order Butterworth low-pass run both ways, as a mono file (a
kick, a bass DI, a lead's body: ``<stem> low.wav``) and the rest as a stereo file (``<stem>.wav``; the two sum to
the stem), beside the other stems as stereo files. A mix is bounced with the mono track at a pan law's place: -3 dB
(constant power) at the centre, hard left, and halfway right; -2.5 and -6 dB at the centre; -3 dB at the centre
through MP3 (128 kb/s) and mastered to -22 LUFS (``master_mix``); and with nothing a pan law would hear otherwise:
Logic's "-3 dB compensated" law hard left (+3 dB in one channel: as loud as the file read in both), 0 dB at the
centre, and -1 dB at the centre (a -3 dB law with the fader 2 dB up: no pan law's gap).
``advise`` (loudness engine, anchor drums) is asked about the mix with that folder before (``PAN_LAWS`` empty: the
track heard at its file's level, as every version before this one did for a stem of stereo and mono tracks) and
now (``mixbuddy.predict.pan_law``), and the answers are compared with its advice on the folder as the mix holds it
(the mono track written as a stereo file at its levels in the mix, given with the same mix). Printed per mix: the
cases, how many had the track heard otherwise and at what level and place, the largest gap between a stem's level
(``levels`` of the --json) and the reference's, the verdicts (stem and direction, or balanced) and advised moves
(within 0.25 dB) that match the reference before / now, for the unmastered mixes the worst gap between
``--apply``'s render with no correction and that of the reference folder (dB under it), and the seconds ``advise``
took, now and for the reference folder (no mono file there, so no fit per channel).

    python benchmarks/pan_law_tracks.py
"""
from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import butter, sosfiltfilt

import mixbuddy.predict.pan_law as law
from mixbuddy.data.render import master_mix

from late_stems import through_mp3   # this folder is on sys.path
from master_stems import advised, scratch
from pan_law import padded_stems
from polarity import apart_db, levels_off, rendered, said, write

SR = 44100
HALF = np.cos(3 * np.pi / 8), np.sin(3 * np.pi / 8)
MIXES = (("-3 dB law, centre", (10 ** (-3 / 20),) * 2, None), ("-3 dB law, hard left", (1.0, 0.0), None),
         ("-3 dB law, halfway right", HALF, None), ("-2.5 dB law, centre", (10 ** (-2.5 / 20),) * 2, None),
         ("-6 dB law, centre", (10 ** (-6 / 20),) * 2, None),
         ("-3 dB law, centre, mix through MP3", (10 ** (-3 / 20),) * 2, "mp3"),
         ("-3 dB law, centre, mix mastered to -22 LUFS", (10 ** (-3 / 20),) * 2, -22.0),
         ("Logic's compensated law, hard left", (np.sqrt(2.0), 0.0), None), ("0 dB at the centre", (1.0, 1.0), None),
         ("-3 dB law, centre, fader 2 dB up", (10 ** (-1 / 20),) * 2, None))


def split(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the stem's centre below 500 Hz, mono; the rest, stereo)."""
    low = sosfiltfilt(butter(4, 500, fs=SR, output="sos"), x.mean(axis=1)).astype(np.float32)
    return low, (x - low[:, None]).astype(np.float32)


def panned(gains: tuple[float, float], x: np.ndarray) -> np.ndarray:
    return np.stack([np.float32(gains[0]) * x, np.float32(gains[1]) * x], axis=1)


def split_cases(work: Path, mixes: tuple):
    """(song, stem, the entry of ``mixes``, the folder with that stem split, the mix that pans its mono track as the
    entry's gains say, the folder as that mix holds it: the mono track a stereo file at those gains), for each song
    and stem in turn (folders written under ``work``)."""
    for song, stems in padded_stems():
        for name, x in stems.items():
            low, rest = split(x)
            others = {k: y for k, y in stems.items() if k != name}
            folder = write(work / f"{song}-{name}", {**others, name: rest, f"{name} low": low})
            for i, entry in enumerate(mixes):
                mix = (np.sum(list(others.values()), axis=0) + rest + panned(entry[1], low)).astype(np.float32)
                held = write(work / f"{song}-{name}-held-{i}", {**others, name: rest,
                                                                f"{name} low": panned(entry[1], low)})
                yield song, name, entry, folder, mix, held


def timed(folder, mix_file) -> tuple:
    start = time.perf_counter()
    report = advised(folder, mix_file)[0]
    return report, time.perf_counter() - start


def main() -> None:
    import late_stems

    late_stems.SR = SR      # through_mp3 writes and reads at this rate
    rows: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    heard: dict[str, list[tuple[float, float]]] = defaultdict(list)
    start = time.perf_counter()
    with scratch("pan-law-tracks-") as work:
        for song, name, (kind, _, how), folder, mix, held in split_cases(work, MIXES):
            if how == "mp3":
                mix = through_mp3(mix)
            elif how:               # a master's loudness (LUFS): a touch of limiting
                mix = master_mix(mix, SR, float(how))
            mix_file = work / "mix.wav"
            sf.write(mix_file, mix, SR, subtype="FLOAT")
            reference, ref_s = timed(held, mix_file)
            laws = law.PAN_LAWS
            law.PAN_LAWS = ()
            try:
                before = advised(folder, mix_file)[0]
            finally:
                law.PAN_LAWS = laws
            report, now_s = timed(folder, mix_file)
            row = rows[kind]
            row["cases"] += 1
            row["now s"] += now_s
            row["reference s"] += ref_s
            got = {} if isinstance(report, Exception) else report.panned
            if got:
                row["heard"] += 1
                heard[kind] += [(v, report.pan_at.get(k, 0.0)) for k, v in got.items()]
            for when, r in (("before", before), ("now", report)):
                row[f"{when} off"] = max(row[f"{when} off"], levels_off(r, reference))
                a, b = said(r), said(reference)
                row[f"{when} verdict"] += a[0] == b[0]
                row[f"{when} move"] += a[0] == b[0] and abs(a[1] - b[1]) <= 0.25
            if how is None and not isinstance(report, Exception):
                fixed = rendered(folder, report, work / "fixed.wav")
                row["render"] = max(row.get("render", -999.0),
                                    apart_db(fixed, rendered(held, reference, work / "held.wav")))
            print(f"{song:15s} {name:7s} {kind:44s} reference {said(reference)[0]} {said(reference)[1]:+.1f}"
                  f" | before {said(before)[0]} {said(before)[1]:+.1f} | now {said(report)[0]} "
                  f"{said(report)[1]:+.1f} | heard {got} {getattr(report, 'pan_at', {})}", flush=True)
    print("\n| the mix | cases | track heard otherwise (dB; place) | stems' levels off (worst, dB): before / now | "
          "verdict as the mix holds it: before / now | advised move (±0.25 dB): before / now | --apply's render "
          "against the reference's (worst, dB) | advise, s: now / reference |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, _, _ in MIXES:
        r, by = rows[kind], heard[kind]
        span = (f" ({min(v for v, _ in by):+.2f} to {max(v for v, _ in by):+.2f}; "
                f"{min(p for _, p in by):+.2f} to {max(p for _, p in by):+.2f})") if by else ""
        render = f"{r['render']:.0f}" if "render" in r else "–"
        print(f"| {kind} | {r['cases']:.0f} | {r['heard']:.0f}{span} | {r['before off']:.2f} / {r['now off']:.2f} | "
              f"{r['before verdict']:.0f} / {r['now verdict']:.0f} | {r['before move']:.0f} / {r['now move']:.0f} | "
              f"{render} | {r['now s'] / r['cases']:.1f} / {r['reference s'] / r['cases']:.1f} |")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
