"""One track given in two formats: "vocals.mp3" beside "vocals.wav", or a pack's WAV/ and MP3/ folders.

The stems folder reader summed every file of a stem, so a track given twice counted twice. ``advise`` now leaves out
the worse copy when two files of a stem have one name but for their format (extension, format marks, format-named
folders) and hold the same audio (glimpses correlated 0.9 or more at the best lag within 0.1 s, energies within
1 dB: ``mixbuddy.corpus.format_twins``). For each song (the three real-dev songs and the bundled example, 44.1 kHz),
its stems are written as 24-bit WAV files and:

- *a twin beside one stem*: each stem in turn also as MP3 (320 kb/s, 128 kb/s, and 192 kb/s without the gapless
  header, which decodes 25 ms late), AAC in .m4a (256 kb/s), Ogg Vorbis (q5) or FLAC, under the stem's name;
- *a twin named as a copy*: each stem in turn also as "<stem> (1).mp3" (320 kb/s: a second download) and as
  "Copy of <stem>.m4a" (AAC 256 kb/s: a file manager's copy, converted);
- *a pack in two formats*: every stem in ``WAV/`` and ``MP3/`` (320 kb/s), in "Stems (WAV 24-bit)/" and
  "Stems (MP3 320kbps)/", and side by side as "Drums_24bit.wav" + "Drums_320kbps.mp3";
- *controls*, where both files must be kept: "vocals.mp3", "vocals (1).mp3" or "vocals (1).flac" holding another
  song's vocals, or these vocals 3 dB down (an older export at another level), beside "vocals.wav"; and takes under two names ("Vocals 1.wav" + "Vocals
  2.mp3", the first and second half of the vocals).

``advise`` (loudness engine, anchor drums) is asked about each folder now and with the twin check switched off (the
old path: every file summed), and compared with the advice of the WAV stems alone. Also printed: how each codec's
copies (with MP3 VBR 2, Ogg q3 and Opus 96 kb/s besides) compare with their WAV files in glimpse correlation, lag,
energy and peak, what the limits were chosen from. Last, the cost of the check on a
session of 36 four-minute tracks given in two formats.

    python benchmarks/format_twins.py
"""
from __future__ import annotations

import subprocess
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import numpy as np

import mixbuddy.corpus.format_twins as ft
from mixbuddy.audio import read_audio, resample, to_channels, write_audio

from master_stems import advised, finding, scratch, song_stems   # this folder is on sys.path

SR = 44100
CODECS = {"mp3 320k": (".mp3", ["-b:a", "320k"]), "mp3 128k": (".mp3", ["-b:a", "128k"]),
          "mp3 192k, no gapless header": (".mp3", ["-b:a", "192k", "-write_xing", "0"]),
          "aac 256k": (".m4a", ["-c:a", "aac", "-b:a", "256k"]), "ogg q5": (".ogg", ["-c:a", "libvorbis", "-q:a", "5"]),
          "flac 16-bit": (".flac", ["-sample_fmt", "s16"])}
MEASURED = {"mp3 V2": (".mp3", ["-q:a", "2"]), "ogg q3": (".ogg", ["-c:a", "libvorbis", "-q:a", "3"]),
            "opus 96k": (".opus", ["-c:a", "libopus", "-b:a", "96k"])}     # only measured, below


def encoded(wav: Path, out: Path, codec: str) -> Path:
    """``wav`` encoded by ffmpeg as ``codec`` into ``out`` (its suffix added)."""
    ext, args = {**CODECS, **MEASURED}[codec]
    out = out.with_name(out.name + ext)
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(wav), *args, str(out)], check=True)
    return out


@contextmanager
def twin_check(on: bool):
    """The twin check as shipped (``on``) or switched off (no file is a twin: the old path)."""
    real = ft.format_twins
    if not on:
        ft.format_twins = lambda *a, **k: []
    try:
        yield
    finally:
        ft.format_twins = real


def asked(folder: Path, on: bool = True) -> tuple[str, int, int]:
    """(verdict, files left out as another format, twins by name kept as not the same audio)."""
    with twin_check(on):
        report, messages = advised(folder)
    said = [m for m in messages if "in another format" in m]
    left = sum(int(m.split(" files are")[0].rsplit(": ", 1)[-1]) if " files are tracks" in m else 1 for m in said)
    return finding(report), left, sum("have one name in two formats" in m for m in messages)


def wavs(folder: Path, stems: dict[str, np.ndarray], name=lambda k: k) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {k: write_audio(folder / f"{name(k)}.wav", x, SR, "PCM_24") for k, x in stems.items()}


def case(counts: Counter, label: str, folder: Path, truth: str, files: int, control: bool = False,
         kind: str = "") -> None:
    """Ask about ``folder`` now and the old way; count and print (``files``: how many should be left out; ``kind``:
    counted apart too, as "<kind> <count>")."""
    now, left, kept = asked(folder)
    before, _, _ = asked(folder, on=False)
    for pre in ("", f"{kind} ") if kind else ("",):
        key = "controls" if control else "cases"
        counts[pre + key] += 1
        if control:
            counts[pre + "kept"] += left == 0
            counts[pre + "named"] += kept > 0
        else:
            counts[pre + "now"] += now == truth and left == files
            counts[pre + "before"] += before == truth
    print(f"  {label:48s} now {now:20s} ({left} left out, {kept} named)  before {before}")


def glimpse_of(path: Path) -> tuple[np.ndarray, float]:
    """(a file's mono glimpse as the folder reader takes it, its sample peak)."""
    a, sr = read_audio(path)
    return resample(to_channels(a, 1), sr, ft.GLIMPSE_RATE)[:, 0], float(np.abs(a).max())


def codec_gaps(work: Path, wav: dict[str, Path], gaps: dict) -> None:
    """Each codec's copy of each stem against its WAV: correlation at lag 0 and at the best lag within 0.1 s (and
    that lag), energy and peak gaps in dB; the worst of each kept in ``gaps`` per codec."""
    own = {stem: glimpse_of(p)[0] for stem, p in wav.items()}
    pairs = [ft.best_lag(own[a], own[b], round(ft.FORMAT_LAG_S * ft.GLIMPSE_RATE))[0] for a in own for b in own if a < b]
    gaps["distinct"] = max(gaps.get("distinct", -1.0), *pairs)
    for stem, p in wav.items():
        g0, p0 = glimpse_of(p)
        for codec in {**CODECS, **MEASURED}:
            g, peak = glimpse_of(encoded(p, work / "gap", codec))
            r0 = ft.best_lag(g0, g, 0)[0]
            r, lag = ft.best_lag(g0, g, round(ft.FORMAT_LAG_S * ft.GLIMPSE_RATE))
            e = [float(np.dot(x.astype(np.float64), x)) for x in (g, g0)]
            row = gaps.setdefault(codec, [1.0, 1.0, 0, 0.0, 0.0])
            row[0], row[1] = min(row[0], r0), min(row[1], r)
            row[2] = max(row[2], abs(lag), key=abs)
            row[3] = max(row[3], abs(10 * np.log10(e[0] / e[1])))
            row[4] = max(row[4], abs(20 * np.log10(peak / p0)))


def cost(tracks: int = 36, seconds: float = 240.0) -> None:
    """Time of ``format_twins`` on a session's glimpses given in two formats (random noise: the same work)."""
    rng = np.random.default_rng(0)
    n = round(seconds * ft.GLIMPSE_RATE)
    glimpses, files = {}, []
    for i in range(tracks):
        g = rng.standard_normal(n).astype(np.float32)
        for ext, noise in ((".wav", 0.0), (".mp3", 0.01)):
            p = Path(f"/session/Track {i}{ext}")
            glimpses[p] = g + np.float32(noise) * rng.standard_normal(n).astype(np.float32)
            files.append(p)
    t = time.perf_counter()
    found = ft.format_twins(glimpses, {"other": files}, "/session", {p: SR for p in files}, {p: 2 for p in files})
    print(f"\ncost: format_twins on {tracks} tracks of {seconds:.0f} s in two formats: "
          f"{time.perf_counter() - t:.2f} s, {sum(t.same for t in found)} twins found")


def main() -> None:
    counts: Counter = Counter()
    gaps: dict[str, list] = {}
    with scratch("format-twins-") as work:
        other_vocals = None
        for song, src, stems in song_stems(SR):
            print(f"\n{song}:")
            base = wavs(work / song / "wav", stems)
            codec_gaps(work / song, base, gaps)
            truth, _, _ = asked(work / song / "wav")
            folder = work / song / "beside"
            wavs(folder, stems)
            for stem in stems:
                for codec in CODECS:
                    twin = encoded(base[stem], folder / stem, codec)
                    case(counts, f"{stem}.wav + {stem} as {codec}", folder, truth, 1)
                    twin.unlink()
            for stem in stems:       # named as a copy: a second download, a file manager's copy converted
                for name, codec in ((f"{stem} (1)", "mp3 320k"), (f"Copy of {stem}", "aac 256k")):
                    twin = encoded(base[stem], folder / name, codec)
                    case(counts, f"{stem}.wav + {twin.name}", folder, truth, 1, kind="copy")
                    twin.unlink()
            for label, a, b, name in (("WAV/ + MP3/", "WAV", "MP3", None),
                                      ("Stems (WAV 24-bit)/ + Stems (MP3 320kbps)/", "Stems (WAV 24-bit)",
                                       "Stems (MP3 320kbps)", None),
                                      ("Drums_24bit.wav + Drums_320kbps.mp3, ...", "", "", "flat")):
                folder = work / song / label.split()[0].strip("/")
                first = wavs(folder / a, stems, (lambda k: f"{k.capitalize()}_24bit") if name else (lambda k: k))
                for k, p in first.items():
                    encoded(p, folder / b / (f"{k.capitalize()}_320kbps" if name else k), "mp3 320k")
                case(counts, label, folder, truth, len(stems))
            vocals = stems["vocals"]
            alien = other_vocals if other_vocals is not None else stems["other"]
            alien = np.pad(alien, ((0, max(0, vocals.shape[0] - alien.shape[0])), (0, 0)))[: vocals.shape[0]]
            for label, audio in (("another song's vocals", alien),
                                 ("these vocals 3 dB down", vocals * np.float32(10 ** (-3 / 20)))):
                for name, codec in (("vocals", "mp3 320k"), ("vocals (1)", "mp3 320k"), ("vocals (1)", "flac 16-bit")):
                    folder = work / song / "control"
                    wavs(folder, stems)
                    tmp = write_audio(work / song / "alien.wav", audio, SR, "PCM_24")
                    twin = encoded(tmp, folder / name, codec)
                    case(counts, f"{twin.name}: {label}", folder, truth, 0, control=True,
                         kind="copy" if "(1)" in name else "")
                    for p in folder.iterdir():
                        p.unlink()
                for p in folder.iterdir():
                    p.unlink()
            half = vocals.shape[0] // 2
            folder = work / song / "takes"
            wavs(folder, {k: x for k, x in stems.items() if k != "vocals"})
            v1, v2 = vocals.copy(), vocals.copy()
            v1[half:], v2[:half] = 0.0, 0.0
            write_audio(folder / "Vocals 1.wav", v1, SR, "PCM_24")
            encoded(write_audio(work / song / "v2.wav", v2, SR, "PCM_24"), folder / "Vocals 2", "mp3 320k")
            case(counts, "Vocals 1.wav + Vocals 2.mp3 (two takes)", folder, truth, 0, control=True)
            other_vocals = vocals
    print("\neach codec's copy of the 15 stems against their WAV files (the worst of them): r at lag 0, r at the best "
          "lag within 0.1 s (the largest such lag), energy gap, peak gap")
    print(f"  two different stems of a song: best r {gaps.pop('distinct'):.4f}")
    for codec, (r0, r, lag, e, peak) in gaps.items():
        print(f"  {codec:28s} r {r0:.4f}  best {r:.4f} (lag up to {lag / ft.GLIMPSE_RATE * 1000:.0f} ms)  "
              f"energy {e:.2f} dB  peak {peak:.2f} dB")
    for pre, what in (("", "folders with twins"), ("copy ", "of them with a twin named as a copy")):
        print(f"\n{counts[pre + 'cases']} {what}: advice of the WAV stems alone (and every twin left out) now "
              f"{counts[pre + 'now']}, before {counts[pre + 'before']}; controls: both kept in {counts[pre + 'kept']} "
              f"of {counts[pre + 'controls']}, named as twins of other audio in {counts[pre + 'named']}")
    cost()


if __name__ == "__main__":
    main()
