"""Benchmark: ``mixbuddy advise`` on a 4-minute song (the bundled example's stems tiled to length).

* cold: one ``mixbuddy advise ... --json`` process under ``/usr/bin/time -v`` (imports, prior or
  checkpoint loading, decoding and analysis included): wall time, per 10 s window, peak RSS;
* warm: the engine built once in this process, ``advise()`` repeated: wall time per call and per
  window, split into decoding+windowing and engine analysis.

    python benchmarks/bench_advise.py [--seconds 240] [--repeat 3] [--checkpoint DIR_OR_NAME ...] [--with-mix] [--keep DIR]
        [--rate HZ]

``--checkpoint`` (repeatable) also times the model engine, e.g. ``--checkpoint default --checkpoint
default-stems`` for the shipped models (a stems-mode model gets the stems folder, a mix-mode one the mix).
``--with-mix`` gives a stems-mode model the mix file too (the checks of the stems against the mix run,
and a one-channel model keeps the mix in stereo to place mono tracks); without it, the stems alone. ``--rate
192000`` writes the song at that rate as 32-bit float (a high-resolution session's bounce and stems).
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "lithium"


def make_song(folder: Path, seconds: float, rate: int | None = None) -> tuple[Path, Path]:
    """``folder/stems/<stem>.wav`` (the example's stems tiled to ``seconds``) and ``folder/mix.wav``: 16-bit at the
    example's 44.1 kHz, or resampled to ``rate`` and written as 32-bit float (a high-resolution session)."""
    import soxr

    stems_dir = folder / "stems"
    stems_dir.mkdir(parents=True, exist_ok=True)
    mix = None
    for path in sorted((EXAMPLE / "stems").glob("*.ogg")):
        x, sr = sf.read(str(path), dtype="float32", always_2d=True)
        n = int(seconds * sr)
        y = np.tile(x, (n // x.shape[0] + 1, 1))[:n]
        if rate:
            y = soxr.resample(y, sr, rate).astype(np.float32)
        sf.write(str(stems_dir / f"{path.stem}.wav"), y, rate or sr, subtype="FLOAT" if rate else "PCM_16")
        mix = y.copy() if mix is None else mix + y
    sf.write(str(folder / "mix.wav"), mix, rate or sr, subtype="FLOAT" if rate else "PCM_16")
    return folder / "mix.wav", stems_dir


def cold(cmd: list[str]) -> dict:
    """Run ``cmd`` under /usr/bin/time -v; wall seconds and peak RSS (MB)."""
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, cwd=REPO)
    if p.returncode != 0:
        sys.exit(f"command failed ({p.returncode}):\n{p.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    wall = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    return {"wall_s": wall, "peak_rss_mb": rss / 1024, "stdout": p.stdout}


def warm(engine, mix: Path, stems: Path | None, repeat: int) -> dict:
    from mixbuddy.predict.advise import advise
    from mixbuddy.predict.windows import cut_windows, load_song

    advise(mix, "drums", engine, stems_dir=stems)  # warm-up (page cache, filter design, ...)
    t_total, t_load = [], []
    n = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        rep = advise(mix, "drums", engine, stems_dir=stems)
        t_total.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        audio = load_song(mix, stems, engine.sample_rate, engine.channels)
        windows, _ = cut_windows(audio, "drums", engine.clip_seconds)
        t_load.append(time.perf_counter() - t0)
        n = len(rep.windows)
    total, load = float(np.median(t_total)), float(np.median(t_load))
    return {"windows": n, "total_s": total, "per_window_ms": 1000 * total / n,
            "load_s": load, "analyse_per_window_ms": 1000 * (total - load) / n, "verdict": rep.verdict.line(span=False)}


def report(name: str, c: dict, w: dict) -> None:
    print(f"[{name}] cold (new process): {c['wall_s']:.2f} s for {w['windows']} windows = "
          f"{1000 * c['wall_s'] / w['windows']:.0f} ms/window, peak RSS {c['peak_rss_mb']:.0f} MB")
    print(f"[{name}] warm (in process): {w['total_s']:.3f} s per song = {w['per_window_ms']:.1f} ms/window "
          f"(decode+resample+cut {w['load_s']:.3f} s; engine {w['analyse_per_window_ms']:.1f} ms/window)")
    print(f"[{name}] verdict: {w['verdict']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=240.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--checkpoint", action="append", default=[], help="also time the model engine (repeatable)")
    ap.add_argument("--skip-loudness", action="store_true", help="do not time the loudness engine")
    ap.add_argument("--with-mix", action="store_true", help="give a stems-mode model the mix file too")
    ap.add_argument("--keep", default=None, help="write the song here and keep it")
    ap.add_argument("--rate", type=int, default=None,
                    help="write the song at this rate as 32-bit float WAV (default: 44.1 kHz, 16-bit)")
    args = ap.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_advise_"))
    try:
        run(args, folder)
    finally:
        if not args.keep:   # the 4-minute song is ~100 MB of WAV files
            shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, folder: Path) -> None:
    mix, stems = make_song(folder, args.seconds, args.rate)
    kind = f"{args.rate / 1000:g} kHz 32-bit float" if args.rate else "44.1 kHz 16-bit"
    print(f"song: {args.seconds:.0f} s, {kind} stereo WAV mix + 4 stems in {folder}")
    exe = [sys.executable, "-m", "mixbuddy"]

    from mixbuddy.predict.engines import LoudnessEngine

    if not args.skip_loudness:
        c = cold([*exe, "advise", str(mix), "--stems", str(stems), "--anchor", "drums", "--engine", "loudness", "--json"])
        report("loudness", c, warm(LoudnessEngine(), mix, stems, args.repeat))
    for ckpt in args.checkpoint:
        from mixbuddy.predict.engines import ModelEngine

        engine = ModelEngine(ckpt)
        given_mix = mix if args.with_mix or not engine.needs_stems else None
        given_stems = stems if engine.needs_stems else None
        song = ([str(given_mix)] if given_mix else []) + (["--stems", str(given_stems)] if given_stems else [])
        c = cold([*exe, "advise", *song, "--anchor", "drums", "--checkpoint", ckpt, "--json"])
        name = f"model {ckpt}" + (" + mix" if given_mix and given_stems else "")
        report(name, c, warm(engine, given_mix, given_stems, args.repeat))


if __name__ == "__main__":
    main()
