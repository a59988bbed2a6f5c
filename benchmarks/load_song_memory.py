"""How long does ``load_song`` take, and how much memory does it hold at its peak, for one mix and stems folder?

Decodes the mix and the stems as ``advise`` reads them for an engine (``--rate``, ``--channels``; the defaults are the
shipped models': 16 kHz, one channel), with every check of the stems against the mix, in this process: prints the
seconds, the peak of the memory Python's allocators traced (numpy's arrays among it) and the process's peak RSS (the
imports included). Run it under two commits' ``mixbuddy/`` to compare them.

    python benchmarks/load_song_memory.py /tmp/bench_advise_song/mix.wav /tmp/bench_advise_song/stems
"""
from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

from mixbuddy.predict.windows import load_song


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mix")
    ap.add_argument("stems")
    ap.add_argument("--rate", type=int, default=16000)
    ap.add_argument("--channels", type=int, default=1)
    args = ap.parse_args()
    tracemalloc.start()
    start = time.perf_counter()
    load_song(args.mix, args.stems, args.rate, args.channels)
    _, peak = tracemalloc.get_traced_memory()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{time.perf_counter() - start:.2f} s, traced peak {peak / 2**20:.0f} MiB, peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
