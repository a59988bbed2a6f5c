"""A second copy of a stem file in the folder: what it did to the advice, and is it left out, and only it?

A file downloaded twice ("vocals (1).ogg"), or copied in a file manager ("Kick copy.wav"), sits beside its original
and was summed with it: its stem read 6 dB up. For each song (the three real-dev songs and the bundled example, as
given: 44.1 kHz Ogg files) and each stem:

- *a copy*: the stem's file copied byte for byte as "<stem> (1).ogg" (named as a copy: left out) and as "<stem>
  2.ogg" (a duplicated track's name: kept, and asked about); ``advise`` (loudness engine, anchor drums) on the
  folder, against the stems alone, and against the folder as it was read before (the stem summed with its copy:
  the stem's file replaced by twice its audio);
- controls that must not be taken for a copy: the stem beside a low-passed copy of itself 3 dB down (a second
  microphone), a copy 4 ms later (a room microphone), a copy 0.5 dB down (a duplicate track turned down: the mix
  plays it), and the stem 30 s later (another take).

Then the 400 songs of the synthetic corpus (``mixbuddy corpus synth -o work/synth --config configs/synth.yaml``
first): how many copies ``copy_files`` finds in them. Last, its cost on 36 files at one peak.

    python benchmarks/copied_files.py [--synth work/synth]
"""
from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from scipy.signal import butter, sosfilt

from mixbuddy.audio import read_audio, write_audio
from mixbuddy.corpus.export_checks import copy_files
from mixbuddy.predict.advise import advise
from mixbuddy.predict.engines import LoudnessEngine
from mixbuddy.predict.stems_input import stems_song

from late_stems import songs   # this folder is on sys.path
from master_stems import advised, finding, synth_args, timed

SR = 44100


def controls(x: np.ndarray) -> dict[str, np.ndarray]:
    low = sosfilt(butter(4, 3000, fs=SR, output="sos"), x, axis=0) * 10 ** (-3 / 20)
    return {"second microphone (low-passed, -3 dB)": low, "room microphone (4 ms later)": np.roll(x, int(0.004 * SR), 0),
            "duplicate track 0.5 dB down": x * 10 ** (-0.5 / 20), "another take (30 s later)": np.roll(x, 30 * SR, 0)}


def copied(folder: Path, work: Path, stem: str, name: str) -> tuple[str, bool, bool]:
    """(advice, the copy named as expected, anything else named) for ``stem``'s file copied as ``name``."""
    now_dir = work / "now"
    shutil.copytree(folder, now_dir)
    shutil.copyfile(folder / f"{stem}.ogg", now_dir / name)
    report, messages = advised(now_dir)
    now = finding(report)
    shutil.rmtree(now_dir)
    copies = [m.split(": ", 1)[1] for m in messages if "holds the same audio" in m]
    right = any(m.startswith(f"{name} holds the same audio as {stem}.ogg") for m in copies)
    return now, right, len(copies) > int(right)


def before(folder: Path, work: Path, stem: str) -> str:
    """The advice as the folder with a copy was read before: the stem summed with its copy (twice its audio)."""
    before_dir = work / "before"
    shutil.copytree(folder, before_dir)
    (before_dir / f"{stem}.ogg").unlink()
    write_audio(before_dir / f"{stem}.wav", 2 * read_audio(folder / f"{stem}.ogg")[0], SR)
    out = finding(advise(None, "drums", LoudnessEngine(), stems_dir=before_dir))
    shutil.rmtree(before_dir)
    return out


def control_copies(stems: dict[str, np.ndarray], work: Path) -> Counter:
    """How many of each control ``copy_files`` takes for a copy (reading the folder as advise does)."""
    taken: Counter = Counter()
    for stem, x in stems.items():
        for name, y in controls(x).items():
            folder = work / "control"
            folder.mkdir()
            for k, z in stems.items():
                write_audio(folder / f"{k}.wav", z, SR)
            write_audio(folder / f"{stem} 2.wav", y, SR)
            song = stems_song(folder)
            song.loader.glimpse = True
            song.stems()
            taken[name] += len(copy_files(song.loader.glimpses, song.loader.peaks))
            shutil.rmtree(folder)
    return taken


def cost() -> None:
    """``copy_files`` on 36 files of 5 minutes (2 kHz glimpses) at one peak, by energy: different (the usual
    folder) and all the same (the worst case: every pair correlated); best of 3."""
    rng = np.random.default_rng(0)
    glimpses = {Path(f"track {i:02d}.wav"): rng.standard_normal(600_000).astype(np.float32) for i in range(36)}
    peaks = dict.fromkeys(glimpses, 1.0)
    levelled = {p: g * np.float32(1.0 + i) / np.linalg.norm(g) for i, (p, g) in enumerate(glimpses.items())}
    same = {p: g / np.linalg.norm(g) for p, g in glimpses.items()}
    for label, g in (("one peak, energies apart", levelled), ("one peak, one energy", same)):
        best = min(timed(lambda: copy_files(g, peaks)) for _ in range(3))
        print(f"copy_files, 36 files of 5 minutes, {label}: {best:.2f} s")


def main() -> None:
    args = synth_args(__doc__)
    right = wrong = n = asked = twice = 0
    taken: Counter = Counter()
    for song, folder in songs().items():
        plain = finding(advise(None, "drums", LoudnessEngine(), stems_dir=folder))
        print(f"\n{song}: the stems alone: {plain}")
        stems = {p.stem: read_audio(p)[0] for p in sorted(folder.glob("*.ogg"))}
        with tempfile.TemporaryDirectory() as d:
            for stem in stems:
                now, ok, other = copied(folder, Path(d), stem, f"{stem} (1).ogg")
                kept, named, other2 = copied(folder, Path(d), stem, f"{stem} 2.ogg")
                was = before(folder, Path(d), stem)
                n, right, wrong, asked = n + 1, right + (ok and now == plain), wrong + other + other2, asked + named
                twice += kept == was
                print(f"  {stem} copied as '{stem} (1).ogg': {now} (left out: {ok}); as '{stem} 2.ogg': {kept} "
                      f"(kept, asked: {named}); as read before: {was}")
            taken += control_copies(stems, Path(d))
    print(f"\n'(1)' copies left out with the advice of the stems alone: {right} of {n}; '2' copies kept and asked "
          f"about: {asked} of {n} (their advice that of the folder as read before: {twice}); another file taken for "
          f"a copy: {wrong}")
    print(f"controls taken for a copy (of {n} each): {dict(taken) or 'none'}")
    if args.synth.is_dir():
        found = songs_with = total = 0
        for folder in sorted(p.parent for p in args.synth.rglob("meta.json")):
            song = stems_song(folder)
            song.loader.glimpse = True
            song.stems()
            copies = copy_files(song.loader.glimpses, song.loader.peaks)
            total, found, songs_with = total + 1, found + len(copies), songs_with + bool(copies)
        print(f"synthetic corpus {args.synth}: {total} songs, copies found {found} (in {songs_with} songs)")
    cost()


if __name__ == "__main__":
    main()
