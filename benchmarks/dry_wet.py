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

import shutil
from pathlib import Path

import numpy as np
from pedalboard import Pedalboard, Reverb

from mixbuddy.audio import resample, to_channels, write_audio
from mixbuddy.corpus.export_checks import GLIMPSE_RATE, _corr

from master_stems import advised, finding, scratch, song_stems

SR = 44100
WET_LEVELS = (0.2, 0.35, 0.5)


def asked(folder: Path) -> tuple[str, bool]:
    """(verdict, whether a dry file was left out)."""
    report, messages = advised(folder)
    return finding(report), any("dry and with its effects" in m for m in messages)


def folder_of(work: Path, name: str, stems: dict[str, np.ndarray], files: dict[str, np.ndarray],
              without: str = "vocals") -> Path:
    """``work/name`` holding ``stems`` but ``without`` as "<stem>.wav", and ``files`` ({name: audio}) in its place."""
    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for k, x in stems.items():
        if k != without:
            write_audio(folder / f"{k}.wav", x, SR)
    for n, x in files.items():
        write_audio(folder / f"{n}.wav", x, SR)
    return folder


def compared(work: Path, stems: dict, without: str, alone: dict, named: dict, plain: dict, asked, counts: dict
             ) -> tuple:
    """(verdict with ``alone`` in place of the stem ``without``, with ``named`` (the check's names), whether the check
    fired there, with ``plain`` (the same audio under names it does not read: the old path)); ``asked(folder)`` ->
    (verdict, fired). ``counts`` adds the case: cases, now and before (= the ``alone`` verdict), fired."""
    truth, _ = asked(folder_of(work, "truth", stems, alone, without))
    now, fired = asked(folder_of(work, "now", stems, named, without))
    before, _ = asked(folder_of(work, "before", stems, plain, without))
    for key, add in (("cases", True), ("now", now == truth), ("before", before == truth), ("fired", fired)):
        counts[key] = counts.get(key, 0) + add
    return truth, now, fired, before


def control(work: Path, stems: dict, files: dict, asked, counts: dict) -> bool:
    """Whether the check fired on ``files`` in place of the vocals, a control where it must not; ``counts`` adds it
    (controls, kept)."""
    _, fired = asked(folder_of(work, "control", stems, files))
    counts["controls"] = counts.get("controls", 0) + 1
    counts["kept"] = counts.get("kept", 0) + (not fired)
    return fired


def tally(counts: dict, cases: str, alone: str, fired: str) -> str:
    """The closing line of a benchmark that counted with :func:`compared` and :func:`control`."""
    return (f"{counts['cases']} {cases}: advice as from {alone} now {counts['now']}, before {counts['before']}; "
            f"{fired} {counts['fired']}; controls: both kept in {counts['kept']} of {counts['controls']}")


def glimpse_r(a: np.ndarray, b: np.ndarray) -> float:
    """The correlation of two signals' mono 2 kHz glimpses, as the folder reader measures files."""
    g = {k: resample(to_channels(x, 1), SR, GLIMPSE_RATE)[:, 0] for k, x in (("a", a), ("b", b))}
    return _corr(g["a"], g["b"])


def main() -> None:
    counts: dict[str, int] = {}
    with scratch("dry-wet-") as work:
        for song, src, stems in song_stems(SR):
            dry = stems["vocals"]
            print(f"\n{song}:")
            for level in WET_LEVELS:
                board = Pedalboard([Reverb(room_size=0.6, dry_level=0.5, wet_level=level)])  # JUCE: dry x2
                wet = board(dry.T.astype(np.float32), SR).T
                truth, now, left, before = compared(work, stems, "vocals", {"vocals": wet},
                                                    {"Vocals Dry": dry, "Vocals Wet": wet},
                                                    {"Vocals A": dry, "Vocals B": wet}, asked, counts)
                print(f"  reverb wet {level} (r {glimpse_r(dry, wet):.3f}): wet alone {truth:22s} now {now:22s} "
                      f"({'dry left out' if left else 'kept'})  before {before}")
            prints = {"reverb alone": Pedalboard([Reverb(room_size=0.6, dry_level=0.0, wet_level=0.5)])(
                          dry.T.astype(np.float32), SR).T,
                      "another part": stems.get("other", stems["drums"])}
            for what, wet in prints.items():
                left = control(work, stems, {"Vocals Dry": dry, "Vocals Wet": wet}, asked, counts)
                print(f"  control, 'Vocals Wet' = {what} (r {glimpse_r(dry, wet):+.3f}): "
                      f"{'dry left out (wrong)' if left else 'both kept'}")
        print("\n" + tally(counts, "dry + wet pairs", "the wet vocals alone", "dry file left out"))


if __name__ == "__main__":
    main()
