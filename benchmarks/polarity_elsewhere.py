"""Does the polarity check turn anything over in the other benchmarks' folders, where nothing is turned over?

The benchmarks below give ``advise`` stems folders with their mixes, plain, lossy and mastered (band tracks, unused
takes, region exports, microphones of one source, tracks exported pre-fader, mono files under a pan law, mono tracks
the mix pans among a stem's stereo ones, two-track exports, stems and band tracks through the master's limiter), and
none of them writes a file or stem in opposite polarity to the mix. Each is run in a child process with
``mixbuddy.predict.tracks.inverted_parts`` counted: how many fits it judged (a stems folder with its mix, of two parts
or more) and which parts it took as turned over, with the fit's R². Every one found is a false case. The benchmarks'
own output is not shown (their tables are in docs/BENCHMARKS.md).

    python benchmarks/polarity_elsewhere.py [NAME ...]
"""
from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# those that give advise a mix with stems
BENCHES = ("unheard_files", "pan_law", "two_track_mix", "master_stems", "pan_law_tracks")


def child(name: str, out: Path) -> None:
    """Run benchmark ``name`` with the polarity check counted; write the count to ``out`` (JSON)."""
    import mixbuddy.predict.tracks as tracks

    found: list[dict] = []
    calls = 0
    judge = tracks.inverted_parts

    def counted(parts, monos, weights, rel, r2, *rest):
        nonlocal calls
        calls += 1
        got = judge(parts, monos, weights, rel, r2, *rest)
        if got:
            found.append({"parts": got, "r2": round(float(r2), 3)})
        return got

    tracks.inverted_parts = counted
    sys.path.insert(0, str(HERE))
    sys.argv = [str(HERE / f"{name}.py")]
    with open(os.devnull, "w") as quiet:
        stdout, sys.stdout = sys.stdout, quiet
        try:
            runpy.run_path(str(HERE / f"{name}.py"), run_name="__main__")
        finally:
            sys.stdout = stdout
    out.write_text(json.dumps({"fits": calls, "found": found}))


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]))
        return
    names = sys.argv[1:] or list(BENCHES)
    print("| benchmark | fits judged | parts turned over (the fit's R²) | seconds |")
    print("|---|---|---|---|")
    total = 0
    for name in names:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="polarity-elsewhere-") as tmp:
            out = Path(tmp) / "count.json"
            subprocess.run([sys.executable, __file__, "--child", name, str(out)], check=True,
                           stderr=subprocess.DEVNULL)
            got = json.loads(out.read_text())
        total += len(got["found"])
        said = "; ".join(f"{', '.join(f['parts'])} ({f['r2']:.3f})" for f in got["found"]) or "none"
        print(f"| {name} | {got['fits']} | {said} | {time.perf_counter() - start:.0f} |", flush=True)
    print(f"\nparts turned over in all: {total}")


if __name__ == "__main__":
    main()
