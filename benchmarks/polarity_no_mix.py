"""Two microphones of one source in opposite polarity, in a stems folder given without its mix: could the files
alone tell? (A diagnosis; no such check was adopted.)

A snare's bottom microphone, a kick's inside one, a bass DI against its amp: each is recorded in opposite polarity
to its partner and turned over by a switch or plug-in, which an export without plug-ins leaves out. Summed as
written into their stem the two cancel, so the stem reads quieter than a mix that turns one over holds it. With the
mix, ``advise`` hears that (``python benchmarks/polarity.py``); without it, only the files could show it. The
candidate measured here: two tracks of a stem whose mono 2 kHz copies (the ones the folder reader keeps for the
export checks, so below 1 kHz) correlate at ``OPPOSED_R`` or lower, with the stem's low band ``OPPOSED_DB`` louder
with one of them turned over, would be noted.

For each song (the three real-dev songs and the bundled example, 44.1 kHz stereo float WAV), folders of its stems
with the drums, then the bass (where the song has one), as two tracks: the stem itself ("drums top.wav") and a second
microphone of it ("drums bottom.wav": the stem 0.7 times as loud, 0.25, 1 or 3 ms later, band-passed 80 Hz-5 kHz as
in ``polarity.py`` or not), written in opposite polarity (a note would be due) or in the same (a control); and two
controls with no pair at all: the stems as they are, and each stem as three band tracks that sum to it (below
150 Hz, above 4 kHz and the rest, fourth-order Butterworth, as ``unheard_files.py`` writes them). Each folder is read
as ``advise`` reads it (``read_stems_folder``); printed per kind: the cases, how many the candidate would note, the
correlation of the two microphones (the most negative pair's, for the controls without one) and the lift (dB).

    python benchmarks/polarity_no_mix.py
"""
from __future__ import annotations

import time
from collections import defaultdict

import numpy as np
from scipy.signal import butter, sosfilt

from mixbuddy.predict.stems_input import read_stems_folder

from master_stems import scratch, song_stems   # this folder is on sys.path
from polarity import SR, write
from unheard_files import bands

OPPOSED_R = -0.5     # the candidate: two tracks of a stem this correlated below 1 kHz ...
OPPOSED_DB = 1.0     # ... and the stem's low band this much louder with one of them turned over


def mic(x: np.ndarray, lag_s: float, band: bool) -> np.ndarray:
    """A second microphone of ``x``, turned so it adds: 0.7 times, ``lag_s`` later, band-passed 80 Hz-5 kHz when
    ``band``."""
    y = sosfilt(butter(2, (80.0, 5000.0), btype="bandpass", fs=SR, output="sos"), x, axis=0) if band else x
    lag = int(round(lag_s * SR))
    return np.float32(0.7) * np.pad(y, ((lag, 0), (0, 0)))[: x.shape[0]].astype(np.float32)


def pairs(loader) -> list[tuple[str, str, float, float]]:
    """Every pair of tracks of one stem: (name, name, correlation of their 2 kHz copies, the most the stem's copy
    gains (dB) with one of them turned over)."""
    out = []
    for stem in loader.files:
        tracks = loader.tracks(stem)
        if len(tracks) < 2:
            continue
        copies = [sum(loader.glimpses[p] for p in t).astype(np.float64) for t in tracks]
        n = min(len(c) for c in copies)
        copies = [c[:n] for c in copies]
        whole = np.sum(copies, axis=0)
        energy = float(np.dot(whole, whole))
        for i in range(len(tracks)):
            for j in range(i + 1, len(tracks)):
                a, b = copies[i], copies[j]
                r = float(np.dot(a, b)) / np.sqrt(float(np.dot(a, a) * np.dot(b, b)) + 1e-30)
                lift = max(10.0 * np.log10(float(np.sum((whole - 2.0 * c) ** 2)) / energy) for c in (a, b))
                out.append((tracks[i][0].stem, tracks[j][0].stem, r, lift))
    return out


def cases(stems: dict[str, np.ndarray]):
    """(kind, the pair of microphones or None, the folder's files)."""
    yield "the stems as they are (control)", None, stems
    yield "each stem as three band tracks (control)", None, bands(stems, SR)
    for name in ("drums", "bass"):
        if name not in stems:
            continue
        rest = {k: v for k, v in stems.items() if k != name}
        for band in (True, False):
            for lag in (0.00025, 0.001, 0.003):
                m = mic(stems[name], lag, band)
                what = f"{'band-passed' if band else 'full band'}, {lag * 1000:g} ms later"
                pair = {f"{name} top", f"{name} bottom"}
                yield f"second microphone turned over, {what}", pair, {**rest, f"{name} top": stems[name],
                                                                        f"{name} bottom": -m}
                yield f"second microphone as its partner, {what} (control)", pair, {
                    **rest, f"{name} top": stems[name], f"{name} bottom": m}


def main() -> None:
    start = time.perf_counter()
    rows: dict[str, list] = defaultdict(list)
    with scratch("polarity-no-mix-") as work:
        n = 0
        for song, _, stems in song_stems(SR):
            for kind, pair, files in cases(stems):
                n += 1
                folder, _ = read_stems_folder(write(work / f"case{n}", files), SR, 2)
                got = pairs(folder.loader)
                noted = [g for g in got if g[2] <= OPPOSED_R and g[3] >= OPPOSED_DB]
                shown = min((g for g in got if pair is None or {g[0], g[1]} == pair), key=lambda g: g[2],
                            default=None)
                rows[kind].append((bool(noted), shown))
                print(f"{song} | {kind} | noted {[(a, b, round(r, 2), round(d, 1)) for a, b, r, d in noted]} | "
                      f"shown {shown and (shown[0], shown[1], round(shown[2], 2), round(shown[3], 1))}", flush=True)
    print("\n| folder (no mix) | cases | the candidate notes | correlation | lift (dB) |")
    print("|---|---|---|---|---|")
    for kind, got in rows.items():
        shown = [s for _, s in got if s is not None]
        r = f"{min(s[2] for s in shown):.2f} to {max(s[2] for s in shown):.2f}" if shown else "-"
        lift = f"{min(s[3] for s in shown):.1f} to {max(s[3] for s in shown):.1f}" if shown else "-"
        print(f"| {kind} | {len(got)} | {sum(g[0] for g in got)} | {r} | {lift} |")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
