"""A part given dry and with its effects ("Vox Dry.wav" + "Vox Wet.wav"), as remix packs give vocals.

Both files were sorted into the vocals and summed: the part counted twice (about 6 dB up). ``advise`` now leaves
out the dry file when the two names differ only in dry/wet (or unprocessed/processed) and the wet file holds the dry
one (2 kHz glimpses correlated 0.5 or more: ``dry_wet_pairs``; a reverb print alone correlates near 0). For each song (the three real-dev songs and the
bundled example, 44.1 kHz) the vocals are written as "Vocals Dry" (the stem) and "Vocals Wet" (the stem through
pedalboard's Reverb, room 0.6, dry level 0.5 (unity: JUCE doubles it), wet level 0.2, 0.35 or 0.5), and ``advise`` (loudness engine, anchor
drums) is asked about the folder as named (now), with the two under names that do not pair ("Vocals A" /
"Vocals B": summed, as before) and with the wet vocals alone (what the song plays). Controls that must keep both
files: "Vocals Wet" holding the reverb alone (an effects print the song plays beside the dry part), and the dry /
wet names on two different parts (the vocals and the "other" stem's audio, both named as vocals).

    python benchmarks/dry_wet.py
"""
from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np
from pedalboard import Pedalboard, Reverb

from mixbuddy.audio import read_audio, write_audio

from late_stems import songs   # this folder is on sys.path
from master_stems import advised, finding

SR = 44100
WET_LEVELS = (0.2, 0.35, 0.5)


def asked(folder: Path) -> tuple[str, bool]:
    """(verdict, whether a dry file was left out)."""
    report, messages = advised(folder)
    return finding(report), any("dry and with its effects" in m for m in messages)


def folder_of(work: Path, name: str, stems: dict[str, np.ndarray], files: dict[str, np.ndarray]) -> Path:
    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for k, x in stems.items():
        if k != "vocals":
            write_audio(folder / f"{k}.wav", x, SR)
    for n, x in files.items():
        write_audio(folder / f"{n}.wav", x, SR)
    return folder


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger().handlers[0].setLevel(logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="dry-wet-"))
    counts = {"now = wet alone": 0, "before = wet alone": 0, "dry left out": 0, "controls kept": 0}
    cases = controls = 0
    try:
        for song, src in songs().items():
            stems = {p.stem: read_audio(p, sr=SR, channels=2)[0] for p in sorted(src.glob("*.ogg"))}
            dry = stems["vocals"]
            print(f"\n{song}:")
            for level in WET_LEVELS:
                board = Pedalboard([Reverb(room_size=0.6, dry_level=0.5, wet_level=level)])  # JUCE: dry x2
                wet = board(dry.T.astype(np.float32), SR).T
                truth, _ = asked(folder_of(work, "truth", stems, {"vocals": wet}))
                now, left = asked(folder_of(work, "now", stems, {"Vocals Dry": dry, "Vocals Wet": wet}))
                before, _ = asked(folder_of(work, "before", stems, {"Vocals A": dry, "Vocals B": wet}))
                cases += 1
                counts["now = wet alone"] += now == truth
                counts["before = wet alone"] += before == truth
                counts["dry left out"] += left
                print(f"  reverb wet {level}: wet alone {truth:22s} now {now:22s} ({'dry left out' if left else 'kept'})"
                      f"  before {before}")
            prints = {"reverb alone": Pedalboard([Reverb(room_size=0.6, dry_level=0.0, wet_level=0.5)])(
                          dry.T.astype(np.float32), SR).T,
                      "another part": stems.get("other", stems["drums"])}
            for what, wet in prints.items():
                _, left = asked(folder_of(work, "control", stems, {"Vocals Dry": dry, "Vocals Wet": wet}))
                controls += 1
                counts["controls kept"] += not left
                print(f"  control, 'Vocals Wet' = {what}: {'dry left out (wrong)' if left else 'both kept'}")
        print(f"\n{cases} dry + wet pairs: " + ", ".join(f"{k} {v}" for k, v in counts.items() if k != "controls kept")
              + f"; controls: both kept in {counts['controls kept']} of {controls}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
