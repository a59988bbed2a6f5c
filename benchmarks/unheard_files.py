"""Files in a stems folder that the mix does not hold (an unused take, a muted track): does ``advise`` leave them out,
and only them?

For the three real-dev songs (their first 2 minutes) and the bundled example (22.05 kHz stereo), each stem is written as three tracks (below
150 Hz, 150 Hz to 4 kHz, above: a folder of 10 to 12 files, as an "export all tracks" gives), and the mix is their sum
as bounced, through MP3 (128 kb/s, ffmpeg) or mastered (``master_mix`` to -14 and -9 LUFS), and for the first two
cases also 0.1 ms and 1.45 ms late (a plug-in's latency left in the bounce) and mastered with a 1.2345 s lead-in (not
a whole number of the line-up's 0.5 ms steps). Cases, each stem in turn:

- *unused take*: one more file of the stem that the mix does not hold: the stem itself 30 s later (the same part
  played elsewhere in the song; wrapped round), at its own level or 10 dB down;
- *microphones*: the stem's mid track with two more that the mix does hold: a copy low-passed at 3 kHz, 3 dB down,
  and one 4 ms later, 3 dB down (two microphones of one source: under a limiting master they trade weight);
- *pre-fader*: the stem's mid track 4 dB down in the mix (bounced and MP3 only: the level note needs a plain bounce);
- *region export*: the stem's mid track written from its first note (50 ms above -50 dBFS) to its end, or, when it
  plays from the start, from a point 10-50% into the song (seeded): shorter, its music too early; the mix holds it
  where it belongs, so the mix does not hold it where it is, but it must not be left out: kept, with a warning
  naming it.

:func:`mixbuddy.predict.windows.load_song` reads the folder and the mix as ``advise`` does. Printed per case and kind
of mix: how many left out the file they should (and nothing else), left out a file the mix holds, and, for
pre-fader, named the track in the level note; then ``advise`` (loudness engine, anchor drums) on the example with an
unused vocal take beside its stems, against the stems alone, and the cost of the check on a 4-minute song.

    python benchmarks/unheard_files.py
"""
from __future__ import annotations

import logging
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy.signal import butter, sosfilt

from mixbuddy.audio import write_audio
from mixbuddy.data.render import master_mix
from mixbuddy.predict.advise import advise
from mixbuddy.predict.engines import LoudnessEngine
from mixbuddy.predict.windows import load_song

from late_stems import REPO, SR, load, notes, songs, through_mp3   # this folder is on sys.path



def later(x: np.ndarray, seconds: float) -> np.ndarray:
    """``x`` delayed by ``seconds`` (a fraction of a sample too: a phase ramp), its length grown to hold it."""
    extra = int(np.ceil(seconds * SR)) + 1
    n = x.shape[0] + extra + 64
    ramp = np.exp(-2j * np.pi * np.fft.rfftfreq(n) * seconds * SR)[:, None]
    return np.fft.irfft(np.fft.rfft(x, n, axis=0) * ramp, n, axis=0)[: x.shape[0] + extra].astype(np.float32)


MIXES = {"as bounced": lambda x: x, "MP3 128 kb/s": through_mp3,
         "mastered to -14 LUFS": lambda x: master_mix(x, SR, -14.0),
         "mastered to -9 LUFS": lambda x: master_mix(x, SR, -9.0),
         # a mix that does not start with the stems to the sample: a plug-in's latency left in the bounce (under the
         # 10 ms the line-up moves), and a count-in that is no whole number of 0.5 ms steps
         "as bounced, 0.1 ms late": lambda x: later(x, 1e-4),
         "as bounced, 1.45 ms late (64 samples at 44.1 kHz)": lambda x: later(x, 64 / 44100),
         "mastered to -9 LUFS, 1.2345 s lead-in": lambda x: master_mix(later(x, 1.2345), SR, -9.0)}
SHIFTED = ("late", "lead-in")


class Said(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def bands(stems: dict[str, np.ndarray], sr: int = SR) -> dict[str, np.ndarray]:
    """Each stem (at ``sr``) as three tracks by band, named after it ("vocals low.wav"); they sum to the stem."""
    out = {}
    for k, x in stems.items():
        lo = sosfilt(butter(4, 150, fs=sr, output="sos"), x, axis=0).astype(np.float32)
        hi = sosfilt(butter(4, 4000, fs=sr, btype="high", output="sos"), x, axis=0).astype(np.float32)
        out[f"{k} low"], out[f"{k} mid"], out[f"{k} high"] = lo, x - lo - hi, hi
    return out


def tracks_held(files: dict[str, np.ndarray], name: str, stem: str, extra: str | float | None) -> np.ndarray:
    """A track as the mix holds it: a region export where it belongs (``extra`` seconds in), the others as written."""
    x = files[name]
    if name != f"{stem} mid" or not isinstance(extra, float):
        return x
    n = max(v.shape[0] for v in files.values())
    k = int(round(extra * SR))
    return np.pad(x, ((k, n - k - x.shape[0]), (0, 0)))


def cases(stems: dict[str, np.ndarray]):
    """(case, the stem, the folder's files, the mix's tracks with their gains, the file to leave out or None; for a
    region export, the seconds its file must move)."""
    tracks = bands(stems)
    held = {k: 1.0 for k in tracks}
    for k, x in stems.items():
        take = np.roll(x, 30 * SR, axis=0)
        yield "unused take, its own level", k, {**tracks, f"{k} take 2": take}, held, f"{k} take 2"
        yield "unused take, 10 dB down", k, {**tracks, f"{k} take 2": take * np.float32(10 ** -0.5)}, held, f"{k} take 2"
        mid = tracks[f"{k} mid"]
        low_mic = (sosfilt(butter(4, 3000, fs=SR, output="sos"), mid, axis=0) * 10 ** (-3 / 20)).astype(np.float32)
        room = (np.roll(mid, int(0.004 * SR), axis=0) * 10 ** (-3 / 20)).astype(np.float32)
        mics = {**tracks, f"{k} mic 2": low_mic, f"{k} room": room}
        yield "microphones", k, mics, {m: 1.0 for m in mics}, None
        yield "pre-fader", k, tracks, {**held, f"{k} mid": 10 ** (-4 / 20)}, None
        first = notes(mid)[0]
        if first < SR // 2:
            first = int(np.random.default_rng(len(k) + mid.shape[0]).uniform(0.1, 0.5) * mid.shape[0])
        yield "region export", k, {**tracks, f"{k} mid": mid[first:]}, held, first / SR


def run(song: str, stems: dict[str, np.ndarray], rows: dict, work: Path) -> None:
    for case, stem, files, gains, extra in cases(stems):
        folder = work / "stems"
        for p in folder.glob("*"):
            p.unlink()
        folder.mkdir(exist_ok=True)
        for name, x in files.items():
            write_audio(folder / f"{name}.wav", x, SR)
        total = np.sum([tracks_held(files, k, stem, extra) * np.float32(g) for k, g in gains.items()],
                       axis=0).astype(np.float32)
        for kind, make in MIXES.items():
            if case == "pre-fader" and kind.startswith("mastered") or any(w in kind for w in SHIFTED) and case not in (
                    "unused take, its own level", "microphones"):
                continue
            write_audio(work / "mix.wav", make(total), SR)
            said = Said()
            logging.getLogger("mixbuddy").addHandler(said)
            try:
                audio = load_song(work / "mix.wav", folder, SR, 2)
            finally:
                logging.getLogger("mixbuddy").removeHandler(said)
            row = rows[(case, kind)]
            row["n"] += 1
            left = set(audio.left_out)
            if case == "region export":    # "right": kept and named as maybe a region export
                row["right"] += not left and any(f"{stem} mid.wav" in m and "first region" in m for m in said.messages)
                row["wrong"] += bool(left)
                continue
            want = {f"{extra}.wav"} if extra else set()
            row["right"] += bool(want) and left == want
            row["wrong"] += bool(left - want)
            # the level note's own list (before "(the mix is their weighted sum ...; every gain: ...)")
            row["noted"] += any("other levels" in m and f"{stem} mid.wav" in m.split("(the mix")[0]
                                for m in said.messages)


def end_to_end(work: Path) -> None:
    """The example with an unused vocal take (the vocals 30 s later, wrapped) beside its stems."""
    ex = REPO / "examples" / "lithium"
    folder = work / "take"
    folder.mkdir()
    stems = load(ex / "stems")
    for k, x in stems.items():
        write_audio(folder / f"{k}.wav", x, SR)
    for label, extra in (("stems alone", None), ("with an unused take", np.roll(stems["vocals"], 30 * SR, axis=0))):
        if extra is not None:
            write_audio(folder / "vocals take 2.wav", extra, SR)
        for mix in (ex / "mix.ogg", None):
            rep = advise(mix, "drums", LoudnessEngine(), stems_dir=folder)
            v = rep.verdict
            levels = ", ".join(f"{w.start_s:.0f}-{w.end_s:.0f} s vocals {w.levels['vocals'][0]:+.1f}"
                               for w in rep.windows if w.levels and "vocals" in w.levels)
            print(f"{label}, {'mix given' if mix else 'no mix'}: {v.line() if v else 'none'} | {levels}"
                  f" | left out {rep.left_out}")


def cost(work: Path) -> None:
    """check_tracks on a 4-minute song (the example tiled) as 4 stem files and as 12 band tracks, best of 3."""
    from mixbuddy.predict import windows

    stems = load(REPO / "examples" / "lithium" / "stems")
    n = 240 * SR
    stems = {k: np.tile(x, (n // x.shape[0] + 1, 1))[:n] for k, x in stems.items()}
    write_audio(work / "long.wav", np.sum(list(stems.values()), axis=0), SR)
    real = windows.check_tracks
    for label, files in (("4 stem files", stems), ("12 tracks", bands(stems))):
        folder = work / label
        folder.mkdir()
        for name, x in files.items():
            write_audio(folder / f"{name}.wav", x, SR)
        seen = []
        windows.check_tracks = lambda *a: seen.append(a) or real(*a)
        try:
            t = time.perf_counter()
            load_song(work / "long.wav", folder, SR, 2)
            whole = time.perf_counter() - t
        finally:
            windows.check_tracks = real
        times = []
        for _ in range(3):
            t = time.perf_counter()
            real(*seen[0])
            times.append(time.perf_counter() - t)
        print(f"4-minute song, {label}: check_tracks {min(times) * 1e3:.0f} ms (best of 3); load_song {whole:.2f} s")


def main() -> None:
    rows: dict = defaultdict(lambda: {"n": 0, "right": 0, "wrong": 0, "noted": 0})
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        for song, folder in songs().items():
            run(song, {k: x[: 120 * SR] for k, x in load(folder).items()}, rows, work)
        print("| case | mix | cases | the file left out (only it) | a file the mix holds left out "
              "| the track named in the level note |")
        print("|---|---|---|---|---|---|")
        for (case, kind), r in rows.items():
            print(f"| {case} | {kind} | {r['n']} | {r['right']} | {r['wrong']} | {r['noted']} |")
        end_to_end(work)
        cost(work)


if __name__ == "__main__":
    main()
