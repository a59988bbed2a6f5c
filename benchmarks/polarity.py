"""A stem, or one microphone of it, that the mix holds in opposite polarity to its file: heard as the mix holds it?

For each song (the three real-dev songs and the bundled example, 44.1 kHz stereo) the mix is the stems' sum, given
as a float WAV, with a 1.5 s lead-in of silence, through MP3 (128 kb/s), and mastered to -14 and -9 LUFS
(``master_mix``).
Three kinds of folders are written beside it:

- *a stem turned over*: each stem in turn written in opposite polarity to the mix (a stem printed before a bus whose
  polarity switch is on); the reference is the folder as the mix holds it (the stems as they are);
- *a second microphone turned over*: the drums, then the bass (where the song has one), given as two tracks, the
  stem itself ("drums top.wav") and a second microphone of it written as recorded ("drums bottom.wav": the stem
  band-passed 80 Hz-5 kHz, 0.7 times as loud, 0.25 ms later, in opposite polarity), that the mix holds turned over, so
  that it adds (a snare's bottom microphone, a bass DI against its amp, exported without the plug-in that turns it);
  the reference is that stem as the mix holds it, one file (top + the second microphone turned over);
- *controls* (nothing to find): the stems as they are; the vocals missing from the folder (the mix has them); the
  stems with the next song's mix; the two microphones with the mix holding them as written (they cancel there too).

``advise`` (loudness engine, anchor drums) is asked about each folder with the mix before (no polarity check:
``polarity.inverted_parts`` finding nothing and ``align.MAX_FLIPPED`` 0) and now, and its verdict (stem and
direction, or balanced) and advised move (within 0.25 dB) compared with its advice on the reference folder with the
same mix. Printed per kind and mix: the cases, how many had the right part turned over (and how many any other; the
R² of the fits that turned one over), how many mixes were called a loose match, the largest gap between a stem's
level (``levels`` of the --json) and the reference's, the verdicts and moves that match the reference before / now,
and, for the mix as summed, how far (dB, worst case) ``--apply``'s render with no correction sits from the reference
folder's render before / now.

    python benchmarks/polarity.py
"""
from __future__ import annotations

import re
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import butter, sosfilt

import mixbuddy.predict.align as align
import mixbuddy.predict.tracks as tracks
from mixbuddy.data.render import master_mix
from mixbuddy.predict.apply import Correction, render_correction

from late_stems import through_mp3   # this folder is on sys.path
from master_stems import advised, scratch, song_stems

SR = 44100
MIXES = ("summed", "1.5 s lead-in", "through MP3", "mastered to -14 LUFS", "mastered to -9 LUFS")


def second_mic(x: np.ndarray) -> np.ndarray:
    """A second microphone of ``x`` as the mix holds it (turned so it adds): band-passed, 0.7 times, 0.25 ms later."""
    y = sosfilt(butter(2, (80.0, 5000.0), btype="bandpass", fs=SR, output="sos"), x, axis=0)
    lag = int(round(0.00025 * SR))
    return np.float32(0.7) * np.pad(y, ((lag, 0), (0, 0)))[: x.shape[0]].astype(np.float32)


def the_mix(total: np.ndarray, kind: str) -> np.ndarray:
    if kind == "1.5 s lead-in":
        return np.concatenate([np.zeros((int(1.5 * SR), 2), np.float32), total])
    if kind == "through MP3":
        return through_mp3(total)
    if kind.startswith("mastered to "):
        return master_mix(total, SR, float(kind.split()[2]))
    return total


def write(folder: Path, files: dict[str, np.ndarray]) -> Path:
    folder.mkdir()
    for k, y in files.items():
        sf.write(folder / f"{k}.wav", y, SR, subtype="FLOAT")
    return folder


def said(report) -> tuple[str, float]:
    if isinstance(report, Exception):
        return f"refused: {report}", 0.0
    f = report.verdict.finding
    return ("balanced", 0.0) if f.no_error else (f"{f.target} {f.direction}", float(f.gain_db or 0.0))


def unchecked(folder: Path, mix: Path) -> tuple:
    """``advised`` with no polarity check, as before."""
    find, most = tracks.inverted_parts, align.MAX_FLIPPED
    tracks.inverted_parts, align.MAX_FLIPPED = (lambda *a: []), 0
    try:
        return advised(folder, mix)
    finally:
        tracks.inverted_parts, align.MAX_FLIPPED = find, most


def rendered(folder: Path, report, out: Path) -> np.ndarray:
    """``--apply``'s render of ``folder`` as ``report`` heard it (turned over, panned), with no correction."""
    heard = {} if isinstance(report, Exception) else {"inverted": report.inverted, "panned": report.panned,
                                                      "pan_at": report.pan_at}
    render_correction(folder, Correction("drums", 0.0, "none"), out, **heard)
    return sf.read(out, dtype="float32")[0]


def levels_off(report, reference) -> float:
    """The largest gap (dB) between a stem's level against a typical balance in ``report`` and in ``reference``
    (``levels`` of the --json; inf when only one of them has it)."""
    if isinstance(report, Exception) or isinstance(reference, Exception):
        return 0.0 if type(report) is type(reference) else float("inf")
    a, b = report.to_dict().get("levels", {}), reference.to_dict().get("levels", {})
    return max((abs(a[k]["db"] - b[k]["db"]) if k in a and k in b else float("inf") for k in {*a, *b}), default=0.0)


def apart_db(x: np.ndarray, ref: np.ndarray) -> float:
    n = min(len(x), len(ref))
    return float(10.0 * np.log10(np.sum((x[:n] - ref[:n]) ** 2) / np.sum(ref[:n] ** 2) + 1e-12))


def cases(stems: dict[str, np.ndarray], other: dict[str, np.ndarray]):
    """(kind, what should be turned over, the folder's files, the reference folder's files, the mix's stems);
    ``other``: another song's stems."""
    total = [stems[k] for k in stems]
    yield "nothing turned over (control)", None, stems, stems, total
    yield "vocals missing from the folder (control)", None, {k: v for k, v in stems.items() if k != "vocals"}, {
        k: v for k, v in stems.items() if k != "vocals"}, total
    yield "another song's mix (control)", None, stems, stems, list(other.values())
    for name in stems:
        yield "a stem turned over", name, {**stems, name: -stems[name]}, stems, total
    for name in ("drums", "bass"):
        if name in stems:
            mic = second_mic(stems[name])
            rest = {k: v for k, v in stems.items() if k != name}
            files = {**rest, f"{name} top": stems[name], f"{name} bottom": -mic}
            yield ("a second microphone turned over", f"{name} bottom.wav", files, {**rest, name: stems[name] + mic},
                   [*rest.values(), stems[name] + mic])
            yield ("a second microphone as written (control)", None, files, {**rest, name: stems[name] - mic},
                   [*rest.values(), stems[name] - mic])


def main() -> None:
    import late_stems

    late_stems.SR = SR      # through_mp3 writes and reads at this rate
    rows: dict[tuple[str, str], dict] = defaultdict(lambda: defaultdict(int))
    apart: dict[tuple[str, str], list[float]] = defaultdict(list)
    off: dict[tuple[str, str, str], float] = defaultdict(float)
    r2s: dict[tuple[str, str], list[float]] = defaultdict(list)
    start = time.perf_counter()
    with scratch("polarity-") as work:
        songs = {}
        for song, _, stems in song_stems(SR):
            n = max(x.shape[0] for x in stems.values())
            songs[song] = {k: np.pad(x, ((0, n - x.shape[0]), (0, 0))) for k, x in stems.items()}
        names = list(songs)
        for song, stems in songs.items():
            other = songs[names[(names.index(song) + 1) % len(names)]]
            for i, (kind, target, files, ref_files, held) in enumerate(cases(stems, other)):
                folder, ref = write(work / f"{song}-{i}", files), write(work / f"{song}-{i}-ref", ref_files)
                total = np.sum(held, axis=0).astype(np.float32)
                for mix_kind in MIXES:
                    mix = work / "mix.wav"
                    sf.write(mix, the_mix(total, mix_kind), SR, subtype="FLOAT")
                    first = advised(ref, mix)[0]
                    reference = said(first)
                    old, old_msgs = unchecked(folder, mix)
                    report, msgs = advised(folder, mix)
                    before, now = said(old), said(report)
                    for when, got in (("before", old), ("now", report)):
                        off[kind, mix_kind, when] = max(off[kind, mix_kind, when], levels_off(got, first))
                    turned = {} if isinstance(report, Exception) else report.inverted
                    row = rows[kind, mix_kind]
                    row["cases"] += 1
                    row["right"] += target is not None and set(turned) == {target}
                    row["other"] += bool(set(turned) - {target})
                    r2s[kind, mix_kind] += [float(x) for m in msgs if "opposite polarity" in m
                                            for x in re.findall(r"to R² ([0-9.]+)\)", m)]
                    for when, got, m in (("before", before, old_msgs), ("now", now, msgs)):
                        row[f"{when} verdict"] += got[0] == reference[0]
                        row[f"{when} move"] += got[0] == reference[0] and abs(got[1] - reference[1]) <= 0.25
                        row[f"{when} loose"] += any("only loosely" in s for s in m)
                    if mix_kind == "summed":
                        want = rendered(ref, first, work / "ref.wav")
                        apart[kind, "before"].append(apart_db(rendered(folder, old, work / "a.wav"), want))
                        apart[kind, "now"].append(apart_db(rendered(folder, report, work / "a.wav"), want))
                    print(f"{song:13s} {kind:42s} {target or '-':18s} {mix_kind:21s} reference {reference[0]} "
                          f"{reference[1]:+.1f} | before {before[0]} {before[1]:+.1f} | now {now[0]} {now[1]:+.1f} | "
                          f"turned over {sorted(turned)}", flush=True)
    print("\n| the folder | the mix | cases | right part turned over (any other; the fits' R²) | loose match: "
          "before / now | stems' levels off (worst, dB): before / now | verdict as the mix holds it: before / now | "
          "advised move (±0.25 dB): before / now |")
    print("|---|---|---|---|---|---|---|---|")
    for (kind, mix_kind), r in rows.items():
        fit = r2s[kind, mix_kind]
        fit = f"; R² {min(fit):.2f}–{max(fit):.2f}" if fit else ""
        print(f"| {kind} | {mix_kind} | {r['cases']} | {r['right']} ({r['other']}{fit}) | {r['before loose']} / "
              f"{r['now loose']} | {off[kind, mix_kind, 'before']:.2f} / {off[kind, mix_kind, 'now']:.2f} | "
              f"{r['before verdict']} / {r['now verdict']} | {r['before move']} / {r['now move']} |")
    print("\n--apply's render with no correction against the reference folder's, the mix as summed (worst case, dB):")
    for kind in dict.fromkeys(k for k, _ in apart):
        print(f"  {kind}: before {max(apart[kind, 'before']):.1f}, now {max(apart[kind, 'now']):.1f}")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
