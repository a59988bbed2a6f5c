"""A big session's "export all tracks": how much memory and time does ``advise`` take?

A producer's export of every track of a session is dozens of files, each the whole song long. This writes one from
the real-dev song Lithium: 5 minutes (the song repeated), 48 kHz stereo 32-bit float WAV, its drums as 16 tracks,
"other" as 12, the vocals as 6 and the bass as 2 (each stem cut into bands that sum to it: 36 files, 3.9 GB), and
the stems' sum as the mix. Then it runs ``mixbuddy advise`` (loudness engine, anchor drums) on the folder alone, with
the mix, and with the drums' group track among the tracks ("Drum Group.wav", the sum of the 16 drum tracks, as
Ableton Live's "all individual tracks" export writes it: advise finds it and leaves it out), and with the drum and
vocal tracks as mono files (each the mean of its channels) and a mix that holds them centred under a -3 dB pan law
(advise fits each channel of the mix to hear them so: :mod:`mixbuddy.predict.pan_law`), each in a child process
under ``/usr/bin/time -v``, and prints its wall time and peak memory. ``--checkpoint NAME`` gives each run that
model engine instead (``default-stems``: a model that hears one channel, so with the mix it also keeps the mix in
stereo to place the mono tracks).

    python benchmarks/big_session.py [--checkpoint NAME] [--keep DIR]
    python benchmarks/big_session.py --write DIR      # only write the folders and mixes (for compare_commits.py)
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from mixbuddy.audio import read_audio, write_audio

from late_stems import songs   # this folder is on sys.path

SR, SECONDS = 48000, 300
TRACKS = {"drums": 16, "other": 12, "vocals": 6, "bass": 2}


MONO = ("drums", "vocals")     # written as mono files too, for the session whose mix pans them
LAW = np.float32(10 ** (-3 / 20))


def write_session(folder: Path, group: Path, mono: Path) -> tuple[Path, Path]:
    """The tracks into ``folder``; into the folder ``group``, links to them plus the drums' group track; into
    ``mono``, the tracks of ``MONO`` as mono files and links to the others. Returns the paths of the mix and of the
    mix that pans those mono tracks centre under a -3 dB law (beside the folders)."""
    for f in (folder, group, mono):
        f.mkdir(parents=True, exist_ok=True)
    mix = np.zeros((SR * SECONDS, 2), np.float32)
    panned = np.zeros((SR * SECONDS, 2), np.float32)
    freqs = np.fft.rfftfreq(SR * SECONDS, 1 / SR)
    for stem, n in TRACKS.items():
        x = read_audio(songs()["eif_lithium"] / f"{stem}.ogg", sr=SR, channels=2)[0]
        x = np.tile(x, (SR * SECONDS // x.shape[0] + 1, 1))[: SR * SECONDS]
        spectrum = np.fft.rfft(x, axis=0)
        edges = np.geomspace(20.0, SR / 2, n + 1)
        edges[0], edges[-1] = 0.0, SR       # every bin in one band: the tracks sum to the stem
        for i in range(n):
            band = (freqs >= edges[i]) & (freqs < edges[i + 1])
            track = np.fft.irfft(spectrum * band[:, None], x.shape[0], axis=0).astype(np.float32)
            write_audio(folder / f"{stem} {i + 1:02d}.wav", track, SR)
            if stem in MONO:
                write_audio(mono / f"{stem} {i + 1:02d}.wav", track.mean(axis=1), SR)
                panned += LAW * track.mean(axis=1, keepdims=True)
            else:
                (mono / f"{stem} {i + 1:02d}.wav").symlink_to(folder / f"{stem} {i + 1:02d}.wav")
                panned += track
        if stem == "drums":
            write_audio(group / "Drum Group.wav", x, SR)
        mix += x
    for track in folder.iterdir():
        (group / track.name).symlink_to(track)
    write_audio(folder.parent / "mix.wav", mix, SR)
    write_audio(folder.parent / "mix-panned.wav", panned, SR)
    return folder.parent / "mix.wav", folder.parent / "mix-panned.wav"


def measured(args: list[str]) -> tuple[float, float, str, int]:
    """(wall seconds, peak resident GB, the advice's summary line, how many tracks or stems it heard as the mix pans
    them) of ``mixbuddy advise`` with ``args``."""
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "mixbuddy", "advise", *args, "--anchor", "drums"]
    run = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\d+):([\d.]+)", run.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr)
    summary = run.stdout.split("Summary:\n", 1)[1].splitlines()[0].strip()
    heard = len(re.findall(r"heard as the mix pans it|heard at the mix's level", run.stderr)) + sum(
        line.count(".wav (") for line in run.stderr.splitlines() if "too quiet below 1 kHz for the fit" in line)
    return int(wall[1]) * 60 + float(wall[2]), int(rss[1]) / 1024 ** 2, summary, heard


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keep", type=Path, help="write the session here and keep it (default: a temporary folder)")
    ap.add_argument("--checkpoint", help="advise with this model engine (default: the loudness engine)")
    ap.add_argument("--write", type=Path, help="only write the session here (DIR/session, DIR/mono, DIR/mix*.wav)")
    args = ap.parse_args()
    if args.write:
        print(*write_session(args.write / "session", args.write / "with-group", args.write / "mono"))
        return
    engine = ["--checkpoint", args.checkpoint] if args.checkpoint else []
    root = args.keep or Path(tempfile.mkdtemp(prefix="big-session-"))
    try:
        mix, panned = write_session(root / "session", root / "with-group", root / "mono")
        for label, cli in (("the tracks alone", ["--stems", str(root / "session")]),
                           ("the tracks and the mix", [str(mix), "--stems", str(root / "session")]),
                           ("the tracks and the drums' group track", ["--stems", str(root / "with-group")]),
                           ("22 of the tracks mono, and the mix that pans them",
                            [str(panned), "--stems", str(root / "mono")])):
            wall, gb, summary, heard = measured(cli + engine)
            said = f"; {heard} heard as panned" if heard else ""
            print(f"{label}: {wall:.1f} s, peak {gb:.2f} GB; {summary}{said}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
