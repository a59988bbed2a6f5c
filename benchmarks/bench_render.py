"""Benchmark: rendering throughput of 10 s flawed mixes from decoded stems, and peak memory.

Uses the corpus written by ``bench_build.py`` (generated here if absent), builds the enumeration
recipes of its test split, fills the decoded-stem cache (``.npy`` per stem, memory-mapped; decode
time reported apart), then renders recipes in a seeded random order — the access pattern of a
shuffled training epoch — in 1 process and in ``--procs`` processes sharing the cache (as
DataLoader workers would). Reports clips/s with and without augmentation and the peak RSS.

    python benchmarks/bench_render.py --songs 100 --seconds 180 --clips 3000 --workdir /tmp/mixbuddy-bench
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from multiprocessing import get_context
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import write_corpus  # noqa: E402

_R = None


def _init(renderer) -> None:
    global _R
    _R = renderer


def _render_many(args: tuple[list, bool]) -> tuple[int, float, float]:
    """Render recipes; returns (count, wall seconds, CPU seconds of this process)."""
    recipes, augment = args
    t0, c0 = time.perf_counter(), time.process_time()
    acc = 0.0
    for i, r in enumerate(recipes):
        acc += float(_R.render(r, augment=augment, seed=i).mix[0, 0])
    return len(recipes), time.perf_counter() - t0, time.process_time() - c0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--songs", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--clips", type=int, default=3000)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--sr", type=int, default=24000)
    ap.add_argument("--channels", type=int, default=1)
    ap.add_argument("--workdir", default="/tmp/mixbuddy-bench")
    args = ap.parse_args(argv)

    from mixbuddy.corpus.config import CorpusConfig
    from mixbuddy.corpus.load import load_corpus
    from mixbuddy.data.build import build_records
    from mixbuddy.data.config import DataConfig
    from mixbuddy.data.render import Renderer

    work = Path(args.workdir)
    root = write_corpus(work / f"corpus_{args.songs}x{int(args.seconds)}", args.songs, args.seconds)
    songs = load_corpus(CorpusConfig(kind="musdb_hq", root=str(root), name="bench"))
    test = [s for s in songs if s.split == "test"]
    recs = build_records(test, DataConfig(workers=2), "bench")[0]["test"]
    order = np.random.default_rng(0).permutation(len(recs))[: args.clips]
    sample = [recs[i] for i in order]
    print(f"load average before: {open('/proc/loadavg').read().split()[0]} on {os.cpu_count()} cores")
    print(f"{len(recs)} test recipes from {len(test)} songs; rendering {len(sample)} in shuffled order "
          f"at {args.sr} Hz x {args.channels} ch")

    rd = Renderer(songs, sample_rate=args.sr, channels=args.channels, cache_dir=work / "stem_cache", corpus="bench",
                  max_songs=256)
    t0 = time.perf_counter()
    rd.warm(sorted({r.song_id for r in sample}))
    warm_s = time.perf_counter() - t0
    cache_mb = sum(p.stat().st_size for p in (work / "stem_cache").rglob("*.npy")) / 1e6
    print(f"stem cache ready in {warm_s:.1f} s ({cache_mb:.0f} MB of .npy; 0 s when already cached)")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {}
    _init(rd)
    n, dt, cpu = _render_many((sample, False))  # first touch of the memory-mapped pages in this process
    out["cold_1proc"] = n / dt
    print(f"1 process, first pass (page faults on the mapped cache): {n / dt:.0f} clips/s")
    for augment in (False, True):
        _init(rd)
        n, dt, cpu = _render_many((sample, augment))
        out[f"1proc_aug{int(augment)}"] = n / dt
        out[f"per_cpu_s_aug{int(augment)}"] = n / cpu
        print(f"1 process, augment={augment}: {n / dt:.0f} clips/s wall, {n / cpu:.0f} clips per CPU-second "
              f"(x2 cores = {2 * n / cpu:.0f}/s on an idle 2-core machine)")
    rss_main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ctx = get_context("fork")
    for augment in (False, True):
        parts = [sample[i::args.procs] for i in range(args.procs)]
        with ctx.Pool(args.procs, initializer=_init, initargs=(Renderer(songs, args.sr, args.channels,
                                                                         work / "stem_cache", "bench", 256),)) as pool:
            t0 = time.perf_counter()
            res = pool.map(_render_many, [(p, augment) for p in parts])
            wall = time.perf_counter() - t0
        n = sum(r[0] for r in res)
        out[f"{args.procs}proc_aug{int(augment)}"] = n / wall
        print(f"{args.procs} processes, augment={augment}: {n / wall:.0f} clips/s (wall, incl. pool start)")
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if line.startswith("Rss"))
    print("main process now: " + ", ".join(f"{k} {int(v.split()[0]) / 1024:.0f} MB" for k, v in status.items()))
    print(f"peak RSS: main {rss_main:.0f} MB (before rendering {rss_before:.0f} MB), largest worker {kids:.0f} MB "
          "(memory-mapped cache pages are shared, file-backed and counted in RSS)")
    print(json.dumps({k: round(v, 1) for k, v in out.items()} | {"rss_main_mb": round(rss_main),
                                                                  "rss_worker_mb": round(kids)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
