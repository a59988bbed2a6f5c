"""A two-track given with its mix: is a part exported from its first region placed, and a part at another level noted?

Before, a mix file given with a two-track (a beat and its vocals) was not read: the vocals exported from their first
region ("Vocals.wav" starting where they start, not at the song's start) were judged against the wrong part of the
beat. Now the mix is read as with a song's stems (``mixbuddy.predict.windows.with_mix``). For each song (the three
real-dev songs and the bundled example, 44.1 kHz) the drums, bass and other are summed into "Beat.wav" and the vocals
written as "Vocals.wav" from the song's start; then the song's vocals made to enter at 8, 16 or 24 s (silent before)
and written from there (a region export), and the mix (their sum) as a WAV or through MP3 (128 kb/s). ``advise``
(loudness engine, anchor drums) is asked about the folder with the mix (now), and without it (as before, when the
mix was not read), and the answers compared with its advice on the same two-track written from the song's start. Printed per case: how many, the vocals placed where they belong (within 1 ms), verdicts and advised
moves (within 0.25 dB) matching that reference before / now, and the level check's notes. Then the vocals as a
normalised a cappella (+6 dB), which the level check should name; the vocals as a mono file with a mix that pans them
centre under a -3 dB pan law, asked with ``PAN_LAWS`` empty (before) and as shipped (now: the two-track's files go
through the same checks as a stems folder's), against the vocals written as the mix holds them; and, without a mix, a beat store's delivery: the
beat as "Beat (Untagged).wav" and as "Beat (Tagged).mp3" (320 kb/s, a voice tag every 10 s) beside the vocals, asked
with the format-twin check on (now: a two-track's files get the folder's export checks) and off (before: both
summed), against the folder without the MP3.

    python benchmarks/two_track_mix.py
"""
from __future__ import annotations

import time
from collections import defaultdict

import numpy as np
import soundfile as sf

import mixbuddy.predict.pan_law as pan_law

from format_twins import encoded, twin_check   # this folder is on sys.path
from late_stems import through_mp3
from master_stems import advised, scratch, song_stems
from pan_law import said

SR = 44100
CUTS = (0.0, 8.0, 16.0, 24.0)


def main() -> None:
    import late_stems

    late_stems.SR = SR
    rows: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    start = time.perf_counter()
    with scratch("two-track-mix-") as work:
        for song, _, stems in song_stems(SR):
            n = max(x.shape[0] for x in stems.values())
            stems = {k: np.pad(x, ((0, n - x.shape[0]), (0, 0))) for k, x in stems.items()}
            beat = np.sum([x for k, x in stems.items() if k != "vocals"], axis=0)
            vocals = stems["vocals"]
            for mp3 in (False, True):
                for cut in CUTS:
                    kind = ("vocals from the song's start" if cut == 0 else "vocals from their first region") + (
                        ", mix through MP3" if mp3 else "")
                    late = vocals.copy()
                    late[: int(cut * SR)] = 0.0           # the song's vocals enter at the cut
                    mix = (beat + late).astype(np.float32)
                    mix_file = work / "mix.wav"
                    sf.write(mix_file, through_mp3(mix) if mp3 else mix, SR, subtype="FLOAT")
                    full, folder = work / f"{song}-{cut:g}-{mp3}-full", work / f"{song}-{cut:g}-{mp3}"
                    for f, v in ((full, late), (folder, vocals[int(cut * SR):])):
                        f.mkdir()
                        sf.write(f / "Beat.wav", beat, SR, subtype="FLOAT")
                        sf.write(f / "Vocals.wav", v, SR, subtype="FLOAT")
                    reference = said(advised(full, mix_file)[0])
                    before = said(advised(folder)[0])
                    report, warned = advised(folder, mix_file)
                    now = said(report)
                    row = rows[kind]
                    row["cases"] += 1
                    placed = {} if isinstance(report, Exception) else report.placed
                    row["placed right"] += (abs(placed.get("vocals", 0.0) - cut) <= 1e-3 and
                                            set(placed) <= {"vocals"})
                    row["noted"] += any("at other levels than their files" in w for w in warned)
                    for when, got in (("before", before), ("now", now)):
                        row[f"{when} verdict"] += got[0] == reference[0]
                        row[f"{when} move"] += got[0] == reference[0] and abs(got[1] - reference[1]) <= 0.25
                    print(f"{song:13s} cut {cut:4.1f} s mp3 {mp3!s:5s} reference {reference[0]} {reference[1]:+.1f} | "
                          f"before {before[0]} {before[1]:+.1f} | now {now[0]} {now[1]:+.1f} | placed {placed}",
                          flush=True)
            mono, held = work / f"{song}-mono", work / f"{song}-held"   # the vocals a mono file, the mix at -3 dB
            centred = np.float32(np.sqrt(0.5)) * np.repeat(vocals.mean(axis=1, keepdims=True), 2, axis=1)
            for f, v in ((mono, vocals.mean(axis=1)), (held, centred)):
                f.mkdir()
                sf.write(f / "Beat.wav", beat, SR, subtype="FLOAT")
                sf.write(f / "Vocals.wav", v, SR, subtype="FLOAT")
            sf.write(work / "mix.wav", (beat + centred).astype(np.float32), SR, subtype="FLOAT")
            reference = said(advised(held, work / "mix.wav")[0])
            laws = pan_law.PAN_LAWS
            pan_law.PAN_LAWS = ()
            try:
                before = said(advised(mono, work / "mix.wav")[0])
            finally:
                pan_law.PAN_LAWS = laws
            report = advised(mono, work / "mix.wav")[0]
            now = said(report)
            row = rows["the vocals a mono file, the mix with a -3 dB pan law"]
            row["cases"] += 1
            row["noted"] += set(report.panned) == {"vocals"} and abs(report.panned["vocals"] + 3.0) <= 0.1
            for when, got in (("before", before), ("now", now)):
                row[f"{when} verdict"] += got[0] == reference[0]
                row[f"{when} move"] += got[0] == reference[0] and abs(got[1] - reference[1]) <= 0.25
            print(f"{song:13s} mono vocals, -3 dB pan law: reference {reference[0]} {reference[1]:+.1f} | before "
                  f"{before[0]} {before[1]:+.1f} | now {now[0]} {now[1]:+.1f} | panned {report.panned}", flush=True)
            store, plain = work / f"{song}-store", work / f"{song}-plain"     # a beat store's WAV and tagged MP3
            for f in (store, plain):
                f.mkdir()
                sf.write(f / "Beat (Untagged).wav", beat, SR, subtype="PCM_24")
                sf.write(f / "Vocals.wav", vocals, SR, subtype="PCM_24")
            tagged = beat.copy()
            for s in range(0, beat.shape[0] - 2 * SR, 10 * SR):     # a voice tag every 10 s
                tagged[s: s + 2 * SR] += vocals[14 * SR: 16 * SR]
            sf.write(work / "tagged.wav", tagged, SR, subtype="FLOAT")
            encoded(work / "tagged.wav", store / "Beat (Tagged)", "mp3 320k")
            reference = said(advised(plain)[0])
            with twin_check(False):
                before = said(advised(store)[0])
            report, warned = advised(store)
            now = said(report)
            row = rows["the beat also as a tagged MP3 (320 kb/s), no mix"]
            row["cases"] += 1
            row["noted"] += any("Beat (Tagged).mp3 is Beat (Untagged).wav in another format" in w for w in warned)
            for when, got in (("before", before), ("now", now)):
                row[f"{when} verdict"] += got[0] == reference[0]
                row[f"{when} move"] += got[0] == reference[0] and abs(got[1] - reference[1]) <= 0.25
            print(f"{song:13s} beat as WAV + tagged MP3: reference {reference[0]} {reference[1]:+.1f} | before "
                  f"{before[0]} {before[1]:+.1f} | now {now[0]} {now[1]:+.1f}", flush=True)
            loud = work / f"{song}-normalised"
            loud.mkdir()
            sf.write(loud / "Beat.wav", beat, SR, subtype="FLOAT")
            sf.write(loud / "Vocals.wav", vocals * np.float32(2.0), SR, subtype="FLOAT")
            sf.write(work / "mix.wav", (beat + vocals).astype(np.float32), SR, subtype="FLOAT")
            warned = advised(loud, work / "mix.wav")[1]
            row = rows["the a cappella 6 dB up (normalised), mix as bounced"]
            row["cases"] += 1
            row["noted"] += any("at other levels than their files" in w and "vocals -3.0 dB" in w for w in warned)
    print("\n| the two-track | cases | vocals placed right | verdict as from the song's start: before / now | "
          "advised move (±0.25 dB): before / now | noted at other levels |")
    print("|---|---|---|---|---|---|")
    for kind, r in rows.items():
        if "normalised" in kind:          # only the note is asked of it
            print(f"| {kind} | {r['cases']} | — | — | — | {r['noted']} |")
            continue
        if "pan law" in kind:             # nothing to place: "noted" is the vocals heard 3 dB down
            print(f"| {kind} | {r['cases']} | — | {r['before verdict']} / {r['now verdict']} | "
                  f"{r['before move']} / {r['now move']} | heard at the mix's level: {r['noted']} |")
            continue
        if "MP3 (320" in kind:            # nothing to place: "noted" is the MP3 left out as the WAV's twin
            print(f"| {kind} | {r['cases']} | — | {r['before verdict']} / {r['now verdict']} | "
                  f"{r['before move']} / {r['now move']} | MP3 left out: {r['noted']} |")
            continue
        print(f"| {kind} | {r['cases']} | {r['placed right']} | {r['before verdict']} / {r['now verdict']} | "
              f"{r['before move']} / {r['now move']} | {r['noted']} |")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
