"""Region exports stamped as Broadcast WAV, given without a mix: are they heard where the song has them?

A track exported from its first note is shorter than the song and, read from the song's start, its music sits too
early; with the mix, ``advise`` finds where it belongs (``benchmarks/late_stems.py``), without one nothing can. A
DAW that writes Broadcast WAV stamps each file with where it starts in the session (the ``bext`` time reference),
and the folder reader places files by it (:mod:`mixbuddy.corpus.bwf`). For each song (the three real-dev songs and
the bundled example, 22.05 kHz stereo, 24-bit WAV, the session starting at 01:00:00) this runs ``advise --stems
FOLDER --anchor drums --json`` (loudness engine, no mix) on: every stem from the song's start, stamped alike
(control: must equal the same files unstamped); each stem in turn written from its first note (the first 50 ms
frame above -50 dBFS, when that is 1 s or more in), stamped, and the same unstamped (as before); every such stem at
once, stamped, then converted by ffmpeg (which carries the stamp into a ``time_reference`` tag) to FLAC, to MP3
(320 kb/s) and to Ogg Vorbis (q5), the WAVs gone, and to FLAC at 44.1 kHz (the tag still counting 22.05 kHz
samples: the limit), the same with the WAVs' coding history naming 22.05 kHz (a ``coding_history`` tag, which the
stamp is then counted at), and the same without it beside the stamped WAVs (a pack's WAV/ and FLAC/ folders: the
FLAC files, read as the stems for their higher rate, counted as their twins), each against the advice on the
stamped WAVs and beside the whole stems so converted (what the codec alone changes); the same stamped in an iXML
chunk only (no ``bext``: SPEED's TIMESTAMP fields), counted at the file's 22.05 kHz and at 48 kHz (its
TIMESTAMP_SAMPLE_RATE: a recording converted with its iXML kept); and one stamp written by
another tool (0, midnight), which must leave the stamps unused. Printed per
case: whether the advice (every window's verdict and the summary) is that of the whole stems, and the largest
difference of the stems' levels against a typical balance (dB; ``levels`` in the JSON); where the advice
differs, in how many of the windows (a window's finding, or why it was skipped) and whether the summary's findings
differ (the stems, directions, dB and times; not the confidences).

    python benchmarks/bwf_stamps.py [--big DIR/mono --big-mix DIR/mix-panned.wav]

Then the cost: :func:`mixbuddy.corpus.bwf.folder_starts` on a folder of 4 stamped files, on them converted to FLAC
(read by their tags: the first call in the process imports mutagen), on them stamped in iXML and on 36 unstamped ones
(``--big DIR``: the ``mono`` folder ``benchmarks/big_session.py --write DIR`` writes), first call and again (the
headers then in the page cache); with ``--big-mix`` (its ``mix-panned.wav``), how often one ``advise`` on it calls
``folder_starts`` and the time that takes.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from late_stems import SR, load, notes, songs   # this folder is on sys.path
from mixbuddy.cli import main
from mixbuddy.corpus.bwf import folder_starts, time_reference, write_ixml_stamp, write_time_reference

START = 3600 * SR          # 01:00:00 in samples


def write(folder: Path, stems: dict[str, np.ndarray], cuts: dict[str, int], stamp: bool = True,
          stamps: dict[str, int] | None = None, ixml: int | None = None) -> Path:
    """The stems as 24-bit WAV, each in ``cuts`` written from that sample on, stamped where it starts (or as
    ``stamps`` says; none with ``stamp`` False); with ``ixml``, in an iXML chunk only, counted at that rate."""
    folder.mkdir(parents=True)
    for k, x in stems.items():
        c = cuts.get(k, 0)
        sf.write(folder / f"{k}.wav", x[c:], SR, subtype="PCM_24")
        if stamp and ixml:
            write_ixml_stamp(folder / f"{k}.wav", round((START + c) * ixml / SR), ixml)
        elif stamp:
            write_time_reference(folder / f"{k}.wav", (stamps or {}).get(k, START + c))
    return folder


UP = (".flac", ["-ar", "44100"])
CONVERSIONS = {"FLAC": (".flac", []), "MP3 320 kb/s": (".mp3", ["-b:a", "320k"]),
               "Ogg Vorbis q5": (".ogg", ["-c:a", "libvorbis", "-q:a", "5"]), "FLAC at 44.1 kHz": UP,
               "FLAC at 44.1 kHz, coding history F=22050": UP, "FLAC at 44.1 kHz beside the WAVs": UP}
HISTORY = f"A=PCM,F={SR},W=24,M=stereo,T=DAW\r\n"     # as a DAW writing a coding history puts it


def converted(folder: Path, out: Path, conversion: str) -> Path:
    """Every WAV file of ``folder`` converted by ffmpeg as ``conversion`` says into ``out`` (its tags carried, as
    ffmpeg does by default); "coding history": the stamped WAVs' copies given ``HISTORY`` first; "beside the WAVs":
    into ``out``/FLAC, the WAVs copied into ``out``/WAV."""
    ext, args = CONVERSIONS[conversion]
    out.mkdir(parents=True)
    into = out
    if "beside" in conversion:
        into = out / "FLAC"
        into.mkdir()
        (out / "WAV").mkdir()
    for wav in sorted(folder.glob("*.wav")):
        source = wav
        if "beside" in conversion:
            source = out / "WAV" / wav.name
            source.write_bytes(wav.read_bytes())
        stamp = time_reference(wav) if "history" in conversion else None
        if stamp is not None:
            source = out / f"{wav.stem}.history.wav"
            source.write_bytes(wav.read_bytes())
            write_time_reference(source, stamp, HISTORY)
        subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(source), *args, str(into / (wav.stem + ext))],
                       check=True)
        if stamp is not None:
            source.unlink()
    return out


def advise(folder: Path) -> dict:
    out = folder.with_suffix(".json")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(["advise", "--stems", str(folder), "--anchor", "drums", "--json", "-o", str(out)])
    return json.loads(out.read_text())


def windows(rep: dict) -> dict:
    """Each window's verdict (its finding, or why it was skipped, without the measure: "anchor stem 'drums'
    inactive"), by its start."""
    return {**{w["start_s"]: w["finding"] for w in rep["windows"]},
            **{w["start_s"]: w["reason"].split(":")[0] for w in rep["skipped"]}}


def summary(rep: dict) -> list:
    return [(s["start_s"], s["end_s"], s["finding"]) for s in rep["summary"]]


def against(rep: dict, whole: dict) -> str:
    """Whether ``rep`` gives the advice of ``whole``: every window's verdict and the summary's findings."""
    a, b = windows(rep), windows(whole)
    if a == b and summary(rep) == summary(whole):
        same = "same advice"
    else:
        wins = sum(a.get(t) != v for t, v in b.items())
        same = (f"OTHER ADVICE ({wins} of {len(b)} windows, summary "
                f"{'the same' if summary(rep) == summary(whole) else 'other'})")
    d = max(abs(rep["levels"].get(k, {}).get("db", np.nan) - v["db"]) for k, v in whole["levels"].items())
    return f"{same}, levels within {d:.2f} dB"


def stamped_note(rep: dict) -> str:
    """The note saying where the stamps placed the files, or that they were not used."""
    return next((n for n in rep["notes"] if "time stamps" in n and "counted at another rate" not in n), "")


def calls(big: Path, mix: Path | None) -> None:
    """How often one ``advise`` on ``big`` (with ``mix``) reads the folder's stamps, and the time it takes."""
    import mixbuddy.corpus.stems_folder as stems_folder

    real, seen = stems_folder.folder_starts, []

    def timed(*a, **k):
        t = time.perf_counter()
        out = real(*a, **k)
        seen.append(time.perf_counter() - t)
        return out

    stems_folder.folder_starts = timed
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            main(["advise", *([str(mix)] if mix else []), "--stems", str(big), "--anchor", "drums"])
    finally:
        stems_folder.folder_starts = real
    print(f"advise on {big}{f' with {mix}' if mix else ''}: folder_starts called {len(seen)} times, "
          f"{1e3 * sum(seen):.1f} ms in all")


def cost(big: Path | None) -> None:
    with tempfile.TemporaryDirectory() as d:
        example, cut = load(songs()["example"]), {"bass": 18 * SR}
        four = write(Path(d) / "four", example, cut)
        flac = converted(four, Path(d) / "four-flac", "FLAC")
        ixml = write(Path(d) / "four-ixml", example, cut, ixml=SR)
        for what, folder in (("4 stamped files", four), ("4 tagged FLAC files", flac),
                             ("4 files stamped in iXML", ixml), ("36 unstamped files", big)):
            if folder is None or not folder.is_dir():
                continue
            t0 = time.perf_counter()
            folder_starts(folder, [])
            t1 = time.perf_counter()
            folder_starts(folder, [])
            t2 = time.perf_counter()
            print(f"folder_starts, {what}: {1e3 * (t1 - t0):.1f} ms, again {1e3 * (t2 - t1):.1f} ms")
        first = subprocess.run([sys.executable, "-c", "import sys, time; from mixbuddy.corpus.bwf import time_reference; "
                                "t = time.perf_counter(); time_reference(sys.argv[1]); "
                                "print(f'{1e3 * (time.perf_counter() - t):.1f}')", str(next(flac.iterdir()))],
                               check=True, capture_output=True, text=True).stdout.strip()
        print(f"the first tag read in a process (mutagen imported): {first} ms")


def run() -> None:
    for name, folder in songs().items():
        stems = load(folder)
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            whole = advise(write(root / "whole", stems, {}))
            plain = advise(write(root / "plain", stems, {}, stamp=False))
            alike = against(plain, whole).startswith("same advice, levels within 0.00")
            print(f"\n{name}: the whole stems, stamped alike: {'as unstamped' if alike else 'NOT AS UNSTAMPED'}")
            firsts = {k: notes(x)[0] for k, x in stems.items()}
            late = {k: f for k, f in firsts.items() if f >= SR}
            if not late:
                continue
            for k, f in late.items():
                cut = {k: f}
                a = advise(write(root / f"{k}-stamped", stems, cut))
                b = advise(write(root / f"{k}-plain", stems, cut, stamp=False))
                print(f"  {k} from its first note ({f / SR:.2f} s): stamped {against(a, whole)}"
                      f"{'' if stamped_note(a) else ' (NOT PLACED)'}; unstamped {against(b, whole)}")
            if len(late) > 1:
                a = advise(write(root / "all-stamped", stems, late))
                b = advise(write(root / "all-plain", stems, late, stamp=False))
                print(f"  {', '.join(late)} from their first notes at once: stamped {against(a, whole)}; "
                      f"unstamped {against(b, whole)}")
            for rate in (SR, 48000):                       # a: the advice on every late stem stamped (bext)
                c = advise(write(root / f"ixml-{rate}", stems, late, ixml=rate))
                said = any("counted at another rate" in n for n in c["notes"])
                print(f"  the same stamped in an iXML chunk only, TIMESTAMP_SAMPLE_RATE {rate}: {against(c, whole)}"
                      f"{'' if stamped_note(c) else ' (NOT PLACED)'}{' (recount said)' if said else ''}; "
                      f"against the stamped WAVs: {against(c, a)}")
            for conversion in CONVERSIONS:
                out = converted(root / ("all-stamped" if len(late) > 1 else f"{k}-stamped"),
                                root / f"as {conversion}".replace("/", " "), conversion)
                c = advise(out)
                w = advise(converted(root / "whole", root / f"whole as {conversion}".replace("/", " "), conversion))
                print(f"  the same stamped, converted to {conversion}: {against(c, whole)}"
                      f"{'' if stamped_note(c) else ' (NOT PLACED)'}; against the stamped WAVs: "
                      f"{against(c, a)}; the whole stems so converted: {against(w, whole)}")
            k, f = next(iter(late.items()))
            c = advise(write(root / "other-tool", stems, late, stamps={k: 0}))
            used = "not used" if "not one session" in stamped_note(c) else "USED"
            print(f"  {k}'s stamp written as 0 by another tool: {used}, {against(c, whole)}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", type=Path, help="a folder of many files to time folder_starts on")
    ap.add_argument("--big-mix", type=Path, help="its mix: also count folder_starts' calls in one advise")
    args = ap.parse_args()
    run()
    print()
    cost(args.big)
    if args.big and args.big_mix:
        calls(args.big, args.big_mix)
