"""A bounce of the whole song left in a stems folder: does ``advise`` tell it from the stems?

A file whose name names no stem goes to "other"; a "My Song final.wav" beside the stems used to be summed
into "other" without a word. ``mix_files`` (``mixbuddy/corpus/export_checks.py``) leaves out an "other" file
correlated with the sum of the other files (r >= 0.5) and with the drums, bass and vocals files (>= 0.3).

For the three real-dev songs and the example: every stem file against the rest (as if it were a
candidate), then an extra file holding the stems' plain sum or a mastered copy of it
(``data.render.master_mix`` at -14, -10 and -7 LUFS), and the "other" stem as two files of one instrument
("Keys DI", its mono downmix, and "Keys Room", the same low-passed at 3 kHz and 3 dB down: two microphones
of one instrument at their closest; they must stay). Last, ``advise`` (loudness engine, anchor drums) on
the example's stems with its mix added as "Lithium final v3.wav", against the stems alone. Then group tracks exported with their tracks (``bus_files``; see :func:`buses`).

    python benchmarks/mix_in_stems.py
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np
from scipy.signal import butter, sosfilt

from mixbuddy.audio import read_audio, resample, to_channels, write_audio
from mixbuddy.corpus.export_checks import GLIMPSE_RATE, _corr, bus_files, mix_files
from mixbuddy.data.render import master_mix
from mixbuddy.predict.advise import advise
from mixbuddy.predict.engines import LoudnessEngine

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "lithium"


def glimpse(x: np.ndarray, sr: int) -> np.ndarray:
    return resample(to_channels(x, 1), sr, GLIMPSE_RATE)[:, 0].astype(np.float64)


def scores(glimpses: dict[str, np.ndarray], name: str, others_group: set[str]) -> tuple[float, float]:
    """(r with the sum of the other files, r with the files outside "other") of file ``name``."""
    n = max(g.shape[0] for g in glimpses.values())
    x = {k: np.pad(g, (0, n - g.shape[0])) for k, g in glimpses.items()}
    rest = np.sum([v for k, v in x.items() if k != name], axis=0)
    outside = np.sum([v for k, v in x.items() if k not in others_group and k != name], axis=0)
    return _corr(x[name], rest), _corr(x[name], outside)


def buses(songs: list[Path]) -> None:
    """Group tracks: each stem split into three tracks by band (below 150 Hz, to 4 kHz, above) beside the
    stem itself as their group track, plain or through a compressor; and, with no group track, the stem,
    a low-passed copy 3 dB down (a second microphone) and the next song's same stem."""
    import pedalboard as pb

    comp = pb.Pedalboard([pb.Compressor(threshold_db=-24, ratio=4, attack_ms=5, release_ms=80), pb.Gain(4)])
    tally = {"group track": [0, 0], "compressed group track": [0, 0], "two microphones and a track": [0, 0]}
    for i, folder in enumerate(songs):
        nxt = songs[(i + 1) % len(songs)]
        for path in sorted(folder.glob("*.ogg")):
            x, sr = read_audio(path)
            low = sosfilt(butter(4, 150, fs=sr, output="sos"), x, axis=0)
            high = sosfilt(butter(4, 4000, "high", fs=sr, output="sos"), x, axis=0)
            tracks = {"low": low, "mid": x - low - high, "high": high}
            for label, group in (("group track", x), ("compressed group track", comp(x.T, sr).T)):
                g = {Path(k): glimpse(v.astype(np.float32), sr) for k, v in {**tracks, "group": group}.items()}
                found = [p.name for p, _ in bus_files(g, {"stem": list(g)})]
                tally[label][0] += found == ["group"]
                tally[label][1] += 1
            other = nxt / path.name
            if other.is_file():
                y = read_audio(other, sr=sr)[0]
                twin = sosfilt(butter(2, 3000, fs=sr, output="sos"), x, axis=0) * 0.7
                g = {Path("DI"): glimpse(x, sr), Path("Room"): glimpse(twin.astype(np.float32), sr),
                     Path("Other take"): glimpse(y, sr)}
                tally["two microphones and a track"][0] += not bus_files(g, {"stem": list(g)})
                tally["two microphones and a track"][1] += 1
    for label, (right, n) in tally.items():
        print(f"{label}: right in {right} of {n} stems (" + ("group track found" if "group" in label else
                                                            "nothing found") + ")")


def main() -> None:
    logging.getLogger("mixbuddy").setLevel(logging.ERROR)
    songs = sorted((REPO.parent / "shared" / "data" / "real-dev").glob("*/")) + [EXAMPLE / "stems"]
    print("| song | file | r with the rest | r with drums/bass/vocals | left out |")
    print("|---|---|---|---|---|")
    for folder in songs:
        name = folder.name if folder.name != "stems" else "example"
        stems = {p.stem: read_audio(p) for p in sorted(folder.glob("*.ogg"))}
        sr = next(iter(stems.values()))[1]
        g = {k: glimpse(x, sr) for k, (x, _) in stems.items()}
        worst = max((abs(scores(g, k, {"other"})[0]), k) for k in g)
        print(f"| {name} | each stem (largest) | {worst[0]:.3f} ({worst[1]}) | | |")
        n = max(x.shape[0] for x, _ in stems.values())
        total = np.sum([np.pad(x, ((0, n - x.shape[0]), (0, 0))) for x, _ in stems.values()], axis=0)
        for label, mix in [("plain sum", total)] + [(f"mastered {t} LUFS", master_mix(total, sr, t)) for t in (-14, -10, -7)]:
            h = {**g, "MIX": glimpse(mix, sr)}
            r, r_out = scores(h, "MIX", {"other", "MIX"})
            found = [p for p, _ in mix_files({Path(k): v for k, v in h.items()}, [Path("other"), Path("MIX")])]
            print(f"| {name} | {label} | {r:.3f} | {r_out:.3f} | {', '.join(p.name for p in found) or 'none'} |")
        if "other" in stems:
            x = to_channels(stems["other"][0], 1)
            room = sosfilt(butter(2, 3000, fs=sr, output="sos"), x[:, 0])[:, None] * 0.7
            h = {k: v for k, v in g.items() if k != "other"}
            h.update({"Keys DI": glimpse(x, sr), "Keys Room": glimpse(room.astype(np.float32), sr)})
            r, r_out = scores(h, "Keys DI", {"Keys DI", "Keys Room"})
            twin = _corr(h["Keys DI"], h["Keys Room"])
            found = [p for p, _ in mix_files({Path(k): v for k, v in h.items()}, [Path("Keys DI"), Path("Keys Room")])]
            print(f"| {name} | Keys DI beside Keys Room (r {twin:.2f} with it) | {r:.3f} | {r_out:.3f} "
                  f"| {', '.join(p.name for p in found) or 'none'} |")
    buses(songs)
    engine = LoudnessEngine()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "song"
        for p in sorted((EXAMPLE / "stems").glob("*.ogg")):
            x, sr = read_audio(p)
            write_audio(folder / f"{p.stem}.wav", x, sr)
        x, sr = read_audio(EXAMPLE / "mix.ogg")
        write_audio(folder / "Lithium final v3.wav", x, sr)
        for label, stems_dir in (("stems alone", EXAMPLE / "stems"), ("stems + Lithium final v3.wav", folder)):
            rep = advise(None, "drums", engine, stems_dir=stems_dir)
            levels = [ln for ln in rep.format_text().splitlines() if ln.startswith("Levels against")]
            print(f"\n{label}: {rep.verdict.line(span=False)}\n  {levels[0] if levels else ''}")
            print("  notes: " + (" | ".join(n for n in rep.notes if "whole song" in n) or "none"))


if __name__ == "__main__":
    main()
