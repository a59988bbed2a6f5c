"""Stems exported through the master bus's limiter: what it does to the advice, and does ``advise`` say so?

A DAW's stem export with the master's effects left on sends each stem through the master chain on its own: the
gain that brings the whole mix to its loudness, then the limiter. The loud stems (drums, most often) hit the
limiter and are pulled down; the quiet ones pass. For each song (the three real-dev songs and the bundled example,
44.1 kHz stereo, as given) the stems are written as 24-bit WAV files:

- *as exported*: the stems themselves; *8 dB hotter, 32-bit float*: a hot session's float export (no limiter);
- *through the master*: each stem times the gain that brings the stems' sum to -14 or -9 LUFS, into pedalboard's
  ``Limiter`` (JUCE: its output never passes 0 dBFS), as ``mixbuddy.data.render.master_mix`` masters a mix; also
  with a -1 dB trim after it (a -1 dBFS ceiling), as 16-bit files, as every track through it (each stem as three
  tracks by band: a folder of 9 to 12 files), and as Ogg Vorbis files (lossy: the codec moves the peaks).

Printed per export: which songs got the limiter warning (``mixbuddy.corpus.peak_checks.warn_limited``) or the
normalising one, and the advice of ``advise`` (loudness engine, anchor drums) on the stems alone and, for the
master exports, with the mix mastered by the same chain given too. Then the 400 songs of the synthetic corpus
(``mixbuddy corpus synth -o work/synth --config configs/synth.yaml`` first): how many get either warning, and how
many of their files are flat-topped on their own (sustained soundfont notes can be) and how far under the song's top
peak the second of two such files sits. Last, the cost of the loader's pass that measures it.

    python benchmarks/master_stems.py [--synth work/synth]
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterator

import numpy as np
import pedalboard as pb

from mixbuddy.audio import read_audio, write_audio
from mixbuddy.corpus.peak_checks import FLAT_SHARE, peak_stats, warn_limited, warn_normalised
from mixbuddy.data.render import MASTER_CEILING_DB
from mixbuddy.errors import MixbuddyError
from mixbuddy.evaluate.baselines.loudness import loudness
from mixbuddy.predict.advise import advise
from mixbuddy.predict.engines import LoudnessEngine
from mixbuddy.predict.stems_input import stems_song

from late_stems import songs   # this folder is on sys.path
from unheard_files import Said, bands

SR = 44100


def limited(x: np.ndarray, gain: float, trim_db: float = 0.0) -> np.ndarray:
    """``x`` times ``gain`` through the master's limiter (``master_mix``'s), then ``trim_db``."""
    lim = pb.Pedalboard([pb.Limiter(threshold_db=MASTER_CEILING_DB, release_ms=100.0)])
    y = lim(np.ascontiguousarray((x * np.float32(gain)).T), SR).T
    return np.ascontiguousarray(y * np.float32(10 ** (trim_db / 20)), dtype=np.float32)


def exports(stems: dict[str, np.ndarray]):
    """(name, the files to write, their subtype, the mastered mix or None)."""
    total = np.sum(list(stems.values()), axis=0)
    yield "as exported", stems, "PCM_24", None
    yield "8 dB hotter, 32-bit float", {k: x * np.float32(10 ** 0.4) for k, x in stems.items()}, "FLOAT", None
    for lufs, trim, subtype, split, label in ((-14.0, 0.0, "PCM_24", False, ""), (-9.0, 0.0, "PCM_24", False, ""),
                                              (-14.0, -1.0, "PCM_24", False, ", -1 dBFS ceiling"),
                                              (-9.0, 0.0, "PCM_16", False, ", 16-bit"),
                                              (-14.0, 0.0, "PCM_24", True, ", every track (3 per stem)"),
                                              (-14.0, 0.0, "OGG", False, ", Ogg Vorbis")):
        gain = 10 ** ((lufs - loudness(total.mean(axis=1), SR)) / 20)
        files = bands(stems, SR) if split else stems
        yield (f"through the master to {lufs:g} LUFS{label}", {k: limited(x, gain, trim) for k, x in files.items()},
               subtype, limited(total, gain, trim))


def finding(report) -> str:
    f = report.to_dict()["verdict"]["finding"]
    return "balanced" if f["no_error"] else f"{f['target']} {f['direction']} {f['gain_db']:.1f} dB"


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A temporary folder, removed afterwards, for a benchmark that asks ``advise`` (only errors logged)."""
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger().handlers[0].setLevel(logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def song_stems(sr: int = 44100) -> Iterator[tuple[str, Path, dict[str, np.ndarray]]]:
    """(name, folder, its stems at ``sr`` in stereo) of the three real-dev songs and the bundled example."""
    for song, src in songs().items():
        yield song, src, {p.stem: read_audio(p, sr=sr, channels=2)[0] for p in sorted(src.glob("*.ogg"))}


def advised(folder: Path, mix: Path | None = None) -> tuple:
    """(the loudness engine's advice on the stems ``folder``, anchor drums, or the MixbuddyError it raised; the
    warnings ``advise`` logged)."""
    said = Said()
    logging.getLogger("mixbuddy").addHandler(said)
    try:
        return advise(mix, "drums", LoudnessEngine(), stems_dir=folder), said.messages
    except MixbuddyError as e:
        return e, said.messages
    finally:
        logging.getLogger("mixbuddy").removeHandler(said)


def run(song: str, stems: dict[str, np.ndarray], rows: dict, work: Path) -> None:
    for name, files, subtype, mix in exports(stems):
        folder = work / name.replace(" ", "_").replace(",", "")
        folder.mkdir()
        ext = "ogg" if subtype == "OGG" else "wav"
        for k, x in files.items():
            write_audio(folder / f"{k}.{ext}", x, SR, subtype="VORBIS" if subtype == "OGG" else subtype)
        said = Said()
        logging.getLogger("mixbuddy").addHandler(said)
        try:
            alone = finding(advise(None, "drums", LoudnessEngine(), stems_dir=folder))
            both = None
            if mix is not None:
                write_audio(work / "mix.wav", mix, SR, subtype="PCM_24")
                both = finding(advise(work / "mix.wav", "drums", LoudnessEngine(), stems_dir=folder))
        finally:
            logging.getLogger("mixbuddy").removeHandler(said)
        row = rows[name]
        row["limiter"] += [song] if any("master bus's limiter" in m for m in said.messages) else []
        row["normalised"] += [song] if any("normalised on export" in m for m in said.messages) else []
        row["advice"].append(f"{song}: {alone}" + (f" / with the mix: {both}" if both else ""))


def synth(root: Path) -> None:
    """Over a synthetic corpus's stems folders: songs, limiter and normalising warnings, files flat-topped on their
    own (by stem), and in songs with two or more, how far under the song's top peak the second sits."""
    n = lim = norm = 0
    flat_files: Counter = Counter()
    gaps: list[float] = []
    quiet = logging.getLogger("mixbuddy.corpus.peak_checks")
    level = quiet.level
    quiet.setLevel(logging.ERROR)            # counted from the return values, not printed 400 times
    try:
        for folder in sorted(p.parent for p in root.rglob("meta.json")):
            song = stems_song(folder)
            song.stems()
            peaks, flat = song.loader.peaks, song.loader.flat
            n += 1
            said = warn_limited(folder, peaks, flat)
            lim += bool(said)
            norm += (not said) and warn_normalised(folder, peaks)
            tops = [p for p, v in flat.items() if v >= FLAT_SHARE]
            flat_files.update(p.stem for p in tops)
            if len(tops) >= 2:
                gaps.append(sorted(20 * np.log10(max(peaks.values()) / peaks[p]) for p in tops)[1])
    finally:
        quiet.setLevel(level)
    print(f"\nsynthetic corpus {root}: {n} songs, limiter warning {lim}, normalising warning {norm}; files flat-topped "
          f"on their own: {sum(flat_files.values())} ({dict(flat_files)}); {len(gaps)} songs with two or more, the "
          f"second {min(gaps, default=np.nan):.2f} to {max(gaps, default=np.nan):.2f} dB under the top peak")


def cost(seconds: float = 240.0) -> None:
    """The loader's pass over a decoded file (its peak, and now its flat share) on a 4-minute stereo stem at
    44.1 kHz, against the peak alone as before; best of 3."""
    x = np.tile(read_audio(songs()["example"] / "drums.ogg", channels=2)[0], (int(seconds // 36) + 1, 1))
    x = x[: int(seconds * SR)]
    for name, f in (("peak alone (before)", lambda: float(np.max(np.abs(x)))), ("peak_stats", lambda: peak_stats(x))):
        best = min(timed(f) for _ in range(3))
        print(f"{name}: {best * 1000:.1f} ms per {seconds:.0f} s stereo stem")


def timed(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def synth_args(doc: str) -> argparse.Namespace:
    """The command line of a benchmark that also reads the synthetic corpus (``--synth``), with only errors
    printed (advise lowers mixbuddy's loggers to INFO while it runs)."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--synth", type=Path, default=Path("work/synth"), help="a synthetic corpus (skipped if absent)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger().handlers[0].setLevel(logging.ERROR)
    return args


def main() -> None:
    args = synth_args(__doc__)
    rows: dict = defaultdict(lambda: {"limiter": [], "normalised": [], "advice": []})
    for song, folder in songs().items():
        stems = {p.stem: read_audio(p, channels=2)[0] for p in sorted(folder.glob("*.ogg"))}
        with tempfile.TemporaryDirectory() as d:
            run(song, stems, rows, Path(d))
    for name, row in rows.items():
        print(f"\n{name}: limiter warning {len(row['limiter'])}/4 {row['limiter']}, "
              f"normalising warning {len(row['normalised'])}/4 {row['normalised']}")
        for line in row["advice"]:
            print(f"  {line}")
    if args.synth.is_dir():
        synth(args.synth)
    cost()


if __name__ == "__main__":
    main()
