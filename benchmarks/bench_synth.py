"""Benchmark the synthetic corpus build: songs/s, seconds of audio per second, peak memory, disk.

    python benchmarks/bench_synth.py --songs 100 --seconds 60 --workers 2

Builds into a fresh temporary folder (removed afterwards unless --keep) and prints one JSON line.
Peak RSS is reported for the parent process and for the largest worker process (each worker holds
one song at a time, so total memory ~ parent + workers x worker peak). CPU seconds per song are
reported too: wall-clock figures are only meaningful on an otherwise idle machine.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--songs", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=None, help="default: os.cpu_count()")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="build here instead of a temp folder (must not exist)")
    ap.add_argument("--keep", action="store_true", help="keep the built corpus")
    args = ap.parse_args()

    from mixbuddy.corpus.synth import SynthConfig, synthesize_corpus

    cfg = SynthConfig(songs=args.songs, seconds=args.seconds, seed=args.seed)
    root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bench_synth_")) / "corpus"
    if root.exists():
        sys.exit(f"{root} exists; give a new folder")
    workers = args.workers or os.cpu_count() or 1
    t0 = time.perf_counter()
    dirs = synthesize_corpus(cfg, root, workers=workers, progress=sys.stderr.isatty())
    wall = time.perf_counter() - t0
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in usage)
    disk = sum(f.stat().st_size for d in dirs for f in d.iterdir())
    to_mib = 1 / 1024  # ru_maxrss is KiB on Linux
    result = {
        "songs": len(dirs), "seconds_per_song": args.seconds, "workers": workers, "cpus": os.cpu_count(),
        "wall_s": round(wall, 2), "songs_per_s": round(len(dirs) / wall, 3),
        "audio_s_per_s": round(len(dirs) * args.seconds / wall, 1),
        # CPU time is robust to other load on the machine; songs/s on W idle cores ~ W / cpu_s_per_song
        "cpu_s_per_song": round(cpu / len(dirs), 2),
        "load_avg_1min_at_end": round(os.getloadavg()[0], 2),
        "peak_rss_parent_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * to_mib, 1),
        "peak_rss_worker_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * to_mib, 1),
        "disk_mib_per_song": round(disk / len(dirs) / 2**20, 2),
        "format": f"{cfg.format} {cfg.bit_depth}-bit {cfg.sample_rate} Hz {cfg.channels} ch",
        "python": platform.python_version(), "machine": platform.machine(),
    }
    print(json.dumps(result))
    if not args.keep and not args.out:
        shutil.rmtree(root.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
