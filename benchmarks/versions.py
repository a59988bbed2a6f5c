"""A track exported again into the same folder ("Vocals.wav" beside "Vocals v2.wav").

A producer fixes a part and exports it again next to the first export: both went to their stem and were summed, so
the part counted twice. ``advise`` now leaves out the older files of a track when the names differ only in version
marks (v2, version 3, final, latest, fixed, updated, old) and the newest holds the same part (2 kHz glimpses
correlated 0.5 or more: ``older_versions``). For each song (the three real-dev songs and the bundled example,
44.1 kHz) three re-exports are written, each changed a little (a high shelf 3 dB down above 5 kHz and 1 dB up):
"Vocals" + "Vocals v2", "Vocals_old" + "Vocals", and the bass (the "other" stem where a song has none) as "Bass" +
"Bass final"; ``advise`` (loudness engine, anchor drums) is asked about the folder as named (now), with the two
files under names without version marks ("A"/"B": summed, as before), and with the newest file alone (what the
song plays). Controls that must keep both files: a lead vocal split by verse, "Lead Vox V1" + "Lead Vox V2" (the
first and the second half of the vocals: names that look like versions, parts that never sound together).

    python benchmarks/versions.py
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from pedalboard import Gain, HighShelfFilter, Pedalboard


from dry_wet import SR, compared, control, glimpse_r, tally
from master_stems import advised, finding, scratch, song_stems


def asked(folder: Path) -> tuple[str, bool]:
    """(verdict, whether an older version was left out)."""
    report, messages = advised(folder)
    return finding(report), any("versions of one track" in m for m in messages)


def main() -> None:
    fix = Pedalboard([HighShelfFilter(cutoff_frequency_hz=5000, gain_db=-3.0), Gain(gain_db=1.0)])
    counts: dict[str, int] = {}
    with scratch("versions-") as work:
        for song, src, stems in song_stems(SR):
            low = "bass" if "bass" in stems else "other"
            print(f"\n{song}:")
            for stem, old_name, new_name in (("vocals", "Vocals", "Vocals v2"), ("vocals", "Vocals_old", "Vocals"),
                                             (low, low.capitalize(), f"{low.capitalize()} final")):
                old = stems[stem]
                new = fix(old.T.astype(np.float32), SR).T
                truth, now, left, before = compared(work, stems, stem, {new_name: new}, {old_name: old, new_name: new},
                                                    {f"{stem} A": old, f"{stem} B": new}, asked, counts)
                print(f"  {old_name} + {new_name}: newest alone {truth:22s} now {now:22s} "
                      f"({'older left out' if left else 'both kept'})  before {before}")
            half = stems["vocals"].shape[0] // 2
            v1, v2 = stems["vocals"].copy(), stems["vocals"].copy()
            v1[half:], v2[:half] = 0.0, 0.0
            left = control(work, stems, {"Lead Vox V1": v1, "Lead Vox V2": v2}, asked, counts)
            print(f"  control, Lead Vox V1 + V2 (verse 1, verse 2; r {glimpse_r(v1, v2):+.3f}): "
                  f"{'a file left out (wrong)' if left else 'both kept'}")
        print("\n" + tally(counts, "re-exports", "the newest file alone", "older file left out"))


if __name__ == "__main__":
    main()
