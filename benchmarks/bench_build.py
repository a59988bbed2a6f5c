"""Benchmark: build time and manifest size of the enumeration protocol vs one WAV per record.

Generates a MUSDB18-HQ layout corpus of ``--songs`` songs × ``--seconds`` s (24 kHz stereo FLAC,
like ``mixbuddy corpus synth``). To keep generation cheap, ``--unique`` distinct songs are
synthesised (tones with note changes and envelopes, vocals silent for 20 s so some windows are
gated out) and the remaining songs are hard links to them: every song is still decoded and gated
on its own during the build. Then every split is built in enumerate mode (30 records per kept
window) with 1 and 2 worker processes, and the JSONL size is compared with the reference
implementation's one WAV per record (~720 KB each: 10 s, 24 kHz, mono, 24-bit).

    python benchmarks/bench_build.py --songs 100 --seconds 180 --workdir /tmp/mixbuddy-bench
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

REF_WAV_BYTES = 720_000


def synth_song(seconds: float, sr: int, seed: int) -> dict[str, np.ndarray]:
    """Four stereo stems of tones (compressible by FLAC, active, distinct per seed)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n, dtype=np.float64) / sr
    out = {}
    for k, (stem, base, step) in enumerate((("bass", 55.0, 0.5), ("drums", 80.0, 0.25),
                                             ("other", 220.0, 1.0), ("vocals", 330.0, 0.5))):
        notes = base * 2 ** (rng.choice([0, 2, 3, 5, 7, 10], size=int(seconds / step) + 2) / 12)
        f = notes[(t / step).astype(int)]
        env = 0.6 + 0.4 * np.exp(-((t % step) / (0.3 * step)))
        x = 0.12 * np.sin(2 * np.pi * np.cumsum(f) / sr) * env * 10 ** (rng.uniform(-4, 2) / 20)
        if stem == "vocals":
            a = int(rng.uniform(0, max(1.0, seconds - 25)) * sr)
            x[a:a + 20 * sr] = 0.0  # a 20 s instrumental passage: ~2 windows rejected
        out[stem] = np.repeat(x.astype(np.float32)[:, None], 2, axis=1)
    return out


def write_corpus(root: Path, songs: int, seconds: float, sr: int = 24000, unique: int = 8, seed: int = 0) -> Path:
    """MUSDB layout: half train, half test; songs beyond ``unique`` are hard links."""
    if (root / ".complete").is_file():
        return root
    shutil.rmtree(root, ignore_errors=True)
    sources: list[Path] = []
    for i in range(songs):
        split = "train" if i % 2 == 0 else "test"
        d = root / split / f"song_{i:03d}"
        d.mkdir(parents=True)
        if i < unique:
            for stem, x in synth_song(seconds, sr, seed * 1000 + i).items():
                sf.write(str(d / f"{stem}.flac"), x, sr, subtype="PCM_16")
            sources.append(d)
        else:
            for f in sources[i % unique].iterdir():
                os.link(f, d / f.name)
    (root / ".complete").write_text("ok")
    return root


def _cpu() -> float:
    """CPU seconds (user + system) of this process and its finished children."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def dir_bytes(path: Path, pattern: str = "*") -> int:
    return sum(p.stat().st_size for p in path.glob(pattern) if p.is_file())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--songs", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--unique", type=int, default=8)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--workdir", default="/tmp/mixbuddy-bench")
    args = ap.parse_args(argv)

    from mixbuddy.corpus.config import CorpusConfig
    from mixbuddy.corpus.load import load_corpus
    from mixbuddy.data.build import build_dataset
    from mixbuddy.data.config import DataConfig

    work = Path(args.workdir)
    print(f"load average before: {open('/proc/loadavg').read().split()[0]} on {os.cpu_count()} cores")
    t0 = time.perf_counter()
    root = write_corpus(work / f"corpus_{args.songs}x{int(args.seconds)}", args.songs, args.seconds, unique=args.unique)
    gen_s = time.perf_counter() - t0
    ccfg = CorpusConfig(kind="musdb_hq", root=str(root), name="bench")
    print(f"corpus: {args.songs} songs x {args.seconds:.0f} s at {root} "
          f"(generated/reused in {gen_s:.1f} s; {dir_bytes(root, '*/*/*.flac') / 1e6:.0f} MB of FLAC links)")
    results = []
    for w in args.workers:
        cfg = DataConfig(modes={"train": "enumerate", "test": "enumerate"}, workers=w)
        out = work / f"dataset_w{w}"
        shutil.rmtree(out, ignore_errors=True)
        t0, c0 = time.perf_counter(), _cpu()
        manifest = build_dataset(load_corpus(ccfg), cfg, out, corpus_cfg=ccfg, progress=False)
        dt, cpu = time.perf_counter() - t0, _cpu() - c0
        n = sum(s["records"] for s in manifest["splits"].values())
        kept = sum(s["gating"].get("chunks_kept", 0) for s in manifest["splits"].values())
        chunks = sum(s["gating"].get("chunks", 0) for s in manifest["splits"].values())
        size = dir_bytes(out, "*.jsonl")
        results.append({"workers": w, "build_s": round(dt, 2), "cpu_s": round(cpu, 2), "records": n, "chunks": chunks, "chunks_kept": kept,
                        "jsonl_bytes": size, "bytes_per_record": round(size / max(n, 1), 1),
                        "wav_equivalent_bytes": n * REF_WAV_BYTES,
                        "ratio": round(n * REF_WAV_BYTES / max(size, 1), 1)})
        print(f"workers={w}: {n} records from {kept}/{chunks} windows in {dt:.1f} s wall, {cpu:.1f} CPU-s "
              f"({n / dt:.0f} records/s, {args.songs * args.seconds / dt:.0f} s of audio/s); "
              f"JSONL {size / 1e6:.1f} MB ({size / max(n, 1):.0f} B/record) vs WAV-per-record "
              f"{n * REF_WAV_BYTES / 1e9:.1f} GB ({n * REF_WAV_BYTES / max(size, 1):.0f}x smaller)")
    a, b = (work / f"dataset_w{w}" for w in (args.workers[0], args.workers[-1]))
    same = all((a / f).read_bytes() == (b / f).read_bytes() for f in ("train.jsonl", "test.jsonl"))
    print(f"JSONL byte-identical across worker counts: {same}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: main {rss:.0f} MB, largest worker {kids:.0f} MB")
    print(json.dumps({"results": results, "identical": same, "peak_rss_mb": round(rss), "worker_rss_mb": round(kids)}))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
