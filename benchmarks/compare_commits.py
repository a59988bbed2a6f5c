"""Time one ``mixbuddy advise`` command under the package of several commits, taken in turn for a few rounds.

Run-to-run spread on a 2-core machine is a second or two, so a change is timed against the code before it on the
same input, in alternation: each round runs every commit's ``mixbuddy/`` (``git checkout COMMIT -- mixbuddy/``; the
editable install then imports it) for every engine variant, each ``advise`` a new process under ``/usr/bin/time
-v``; the working tree's ``mixbuddy/`` is restored from HEAD at the end, so it must be clean to start with. Files a
later commit added stay in place under an earlier one (harmless unless the earlier code imports them).

    python benchmarks/big_session.py --write /tmp/ab
    python benchmarks/compare_commits.py --rounds 3 --commit 95294d3 --commit 00078a5 \\
        --variant "" --variant "--checkpoint default-stems" -- /tmp/ab/mix-panned.wav --stems /tmp/ab/mono --anchor drums
"""
from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

from bench_advise import REPO, cold   # this folder is on sys.path

PACKAGE = "mixbuddy/"


def checkout(commit: str) -> None:
    subprocess.run(["git", "checkout", "-q", commit, "--", PACKAGE], cwd=REPO, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--commit", action="append", required=True, help="a commit whose package to time (repeatable)")
    ap.add_argument("--variant", action="append", default=None,
                    help='extra advise options, one set per variant (repeatable; "" for none)')
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("advise", nargs=argparse.REMAINDER, help="-- then the advise arguments")
    args = ap.parse_args()
    common = [a for a in args.advise if a != "--"]
    variants = args.variant if args.variant is not None else [""]
    dirty = subprocess.run(["git", "status", "--porcelain", "--", PACKAGE], cwd=REPO, capture_output=True,
                           text=True, check=True).stdout
    if dirty.strip():
        sys.exit(f"{PACKAGE} has changes that the checkouts would overwrite; commit or stash them first:\n{dirty}")
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    try:
        for r in range(args.rounds):
            for commit in args.commit:
                checkout(commit)
                for v in variants:
                    c = cold([sys.executable, "-m", "mixbuddy", "advise", *common, *shlex.split(v)])
                    times.setdefault((commit, v), []).append((c["wall_s"], c["peak_rss_mb"] / 1024))
                    print(f"round {r + 1} {commit} {v or '(as given)'}: {c['wall_s']:.2f} s, "
                          f"peak {c['peak_rss_mb'] / 1024:.2f} GB", flush=True)
    finally:
        checkout("HEAD")
    print(f"\nadvise {shlex.join(common)} (peaks in GB of 2^30 bytes)")
    for (commit, v), runs in times.items():
        print(f"{commit} {v or '(as given)'}: " + " / ".join(f"{s:.1f}" for s, _ in runs) + " s; peak "
              + " / ".join(f"{g:.2f}" for _, g in runs) + " GB")


if __name__ == "__main__":
    main()
