"""Time one ``mixbuddy advise`` command under the package of several commits, taken in turn for a few rounds.

Run-to-run spread on a 2-core machine is a second or two, so a change is timed against the code before it on the
same input, in alternation: each round runs every commit's ``mixbuddy/`` (``git checkout COMMIT -- mixbuddy/``; the
editable install then imports it) for every engine variant, each ``advise`` a new process under ``/usr/bin/time
-v``; the working tree's ``mixbuddy/`` is restored from HEAD at the end, so it must be clean to start with. Files a
later commit added stay in place under an earlier one (harmless unless the earlier code imports them).

    python benchmarks/big_session.py --write /tmp/ab
    python benchmarks/compare_commits.py --rounds 3 --commit 95294d3 --commit 5cf87e4 \\
        --engine loudness --engine default-stems --mix /tmp/ab/mix-panned.wav --stems /tmp/ab/mono --anchor drums

``--decode`` times, instead of ``advise``, ``read_audio`` on every audio file of ``--stems`` in turn (as the file is,
then at 44.1 kHz in stereo, as the shipped engines' reader asks), in a new process per commit and round: the seconds
spent decoding, imports left out.

    python benchmarks/compare_commits.py --decode --rounds 5 --commit 7e5f086 --commit e876d88 --stems /tmp/ab/mono
"""
from __future__ import annotations

import argparse
import shlex
import subprocess
import sys

from bench_advise import REPO, cold   # this folder is on sys.path

PACKAGE = "mixbuddy/"
DECODE = """import sys, time
from pathlib import Path
from mixbuddy.audio import AUDIO_EXTENSIONS, read_audio
files = sorted(p for p in Path(sys.argv[1]).iterdir() if p.suffix.lower() in AUDIO_EXTENSIONS)
t = time.perf_counter()
for p in files:
    read_audio(p)
    read_audio(p, sr=44100, channels=2)
print(time.perf_counter() - t, len(files))
"""


def checkout(commit: str) -> None:
    subprocess.run(["git", "checkout", "-q", commit, "--", PACKAGE], cwd=REPO, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--commit", action="append", required=True, help="a commit whose package to time (repeatable)")
    ap.add_argument("--engine", action="append", default=None,
                    help='"loudness", or a checkpoint for --checkpoint (repeatable; default: loudness)')
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--mix", help="the mix file advise gets")
    ap.add_argument("--stems", help="the stems folder advise gets")
    ap.add_argument("--anchor", default="drums")
    ap.add_argument("--decode", action="store_true", help="time read_audio on --stems' files instead of advise")
    args = ap.parse_args()
    if args.decode and not args.stems:
        ap.error("--decode needs --stems (the folder whose files to decode)")
    common = ([args.mix] if args.mix else []) + (["--stems", args.stems] if args.stems else []) + [
        "--anchor", args.anchor]
    engines = ["decode"] if args.decode else args.engine or ["loudness"]
    dirty = subprocess.run(["git", "status", "--porcelain", "--", PACKAGE], cwd=REPO, capture_output=True,
                           text=True, check=True).stdout
    if dirty.strip():
        sys.exit(f"{PACKAGE} has changes that the checkouts would overwrite; commit or stash them first:\n{dirty}")
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    try:
        for r in range(args.rounds):
            for commit in args.commit:
                checkout(commit)
                for e in engines:
                    if args.decode:
                        c = cold([sys.executable, "-c", DECODE, args.stems])
                        c["wall_s"] = float(c["stdout"].split()[0])      # the decoding alone
                    else:
                        c = cold([sys.executable, "-m", "mixbuddy", "advise", *common,
                                  *([] if e == "loudness" else ["--checkpoint", e])])
                    times.setdefault((commit, e), []).append((c["wall_s"], c["peak_rss_mb"] / 1024))
                    print(f"round {r + 1} {commit} {e}: {c['wall_s']:.2f} s, peak {c['peak_rss_mb'] / 1024:.2f} GB",
                          flush=True)
    finally:
        checkout("HEAD")
    what = f"read_audio on every file of {args.stems}, as it is and at 44.1 kHz stereo" if args.decode else \
        f"advise {shlex.join(common)}"
    print(f"\n{what} (peaks in GB of 2^30 bytes)")
    for (commit, e), runs in times.items():
        print(f"{commit} {e}: " + " / ".join(f"{s:.1f}" for s, _ in runs) + " s; peak "
              + " / ".join(f"{g:.2f}" for _, g in runs) + " GB")


if __name__ == "__main__":
    main()
