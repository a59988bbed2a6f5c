"""A project's name before every track's name: are the files still sorted to the right stems?

FL Studio ("<project>_<mixer track>"), Cubase ("<project> - <channel>") and Reaper ("$project-$track") can write
the project's name before each track's. A title with a word of the stem vocabulary ("Oh Darling": "oh" is an
overhead microphone; "Bass Odyssey", "Final Mix") sent every file to that stem, or skipped them all as the mix. This
sorts a DAW export of eight tracks (Kick, Snare, OH L, Lead Vox, BV 1, Bass DI, Keys, Gtr; plus "Mix.wav" beside
them) under each of 30 titles (20 with such a word, 10 without) and three separators, and counts the folders sorted
as the tracks' names alone sort them: by the whole names (before) and by ``assign_files`` (now, which reads the rest
of each name when the shared start holds such a word and the rest names two stems or more). Controls: eight folders
whose files share the start only because they are one stem's ("Vocals_Lead", "Drums - Kick", ...) must keep it.
Only file names are read (the files are empty).

    python benchmarks/project_names.py
"""
from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from mixbuddy.corpus.stem_names import default_mapping
from mixbuddy.corpus.stems_folder import assign_files

TRACKS = ["Kick", "Snare", "OH L", "Lead Vox", "BV 1", "Bass DI", "Keys", "Gtr"]
WITH_WORD = ["Oh Darling", "Ride On", "Sub Zero", "Crash Landing", "Tom's Diner", "Kit Kat", "Snap Back", "The Voice",
             "808 Dreams", "Bass Odyssey", "Drum Circle", "Choir Boy", "Rap God", "Final Mix", "Master Plan",
             "Reference Point", "Click Bait", "Echo Park", "Kick It", "Harmony Hall"]
WITHOUT = ["Blue Monday", "Golden Hour", "Midnight City", "Paper Planes", "Song 2", "Untitled 7", "Summer Rain",
           "Night Drive", "Home", "Lights"]
SEPARATORS = ["_", " - ", "-"]
ONE_STEM = {"Vocals_": ["Lead", "BV", "Adlib", "Double"], "Drums - ": ["Kick", "Snare", "Hats", "Room"],
            "Vox ": ["Lead", "Harmony 1", "Harmony 2"], "Bass ": ["DI", "Amp", "Synth"],
            "Kit_": ["Kick", "Snare", "OH"], "BV ": ["1", "2", "3"], "808 ": ["Main", "Tail"], "Perc-": ["Shaker", "Conga"]}


def sorted_by_whole_names(names: list[str]) -> dict[str, list[str]]:
    mapping, out = default_mapping(), {}
    for n in names:
        stem = mapping.stem_of(n)
        if stem is None:
            stem = "other"
        if stem:
            out.setdefault(stem, []).append(n)
    return {k: sorted(v) for k, v in out.items()}


def sorted_now(folder: Path) -> dict[str, list[str]]:
    try:
        return {k: sorted(p.name for p in v) for k, v in assign_files(folder, default_mapping()).items()}
    except Exception as e:                    # every file skipped as the mix: no stem at all
        return {"error": [type(e).__name__]}


def run(root: Path) -> None:
    want = sorted_by_whole_names([f"{t}.wav" for t in TRACKS])
    rows = {"with a stem word": [0, 0, 0], "without": [0, 0, 0]}
    wrong_before = []
    for kind, titles in (("with a stem word", WITH_WORD), ("without", WITHOUT)):
        for title in titles:
            for sep in SEPARATORS:
                folder = root / f"{title}{sep}".replace("/", "")
                folder.mkdir()
                names = [f"{title}{sep}{t}.wav" for t in TRACKS]
                for n in names + ["Mix.wav"]:
                    (folder / n).touch()
                strip = {f"{title}{sep}{t}.wav": f"{t}.wav" for t in TRACKS}
                before = {k: sorted(strip[n] for n in v) for k, v in sorted_by_whole_names(names).items()}
                now = {k: sorted(strip.get(n, n) for n in v) for k, v in sorted_now(folder).items()}
                rows[kind][0] += 1
                rows[kind][1] += before == want
                rows[kind][2] += now == want
                if before != want and sep == "_":
                    wrong_before.append(f"{title}: {', '.join(f'{k} {len(v)}' for k, v in sorted(before.items()))}")
    for kind, (n, before, now) in rows.items():
        print(f"titles {kind}: {n} folders; sorted right by the whole names {before}, now {now}")
    print("before, by the whole names (with '_'):", "; ".join(wrong_before))
    kept = 0
    for start, rest in ONE_STEM.items():
        folder = root / f"one-{start.strip(' _-')}"
        folder.mkdir()
        for r in rest:
            (folder / f"{start}{r}.wav").touch()
        names = [f"{start}{r}.wav" for r in rest]
        kept += sorted_now(folder) == sorted_by_whole_names(names)
    print(f"one stem's files sharing their start: sorted by their whole names in {kept} of {len(ONE_STEM)}")


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    root = Path(tempfile.mkdtemp(prefix="project-names-"))
    try:
        run(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)



if __name__ == "__main__":
    main()
