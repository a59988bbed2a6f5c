"""A mix that clips: what ``advise`` notes (``input_checks.note_clipping``) on real mixes, mastered and clipped
copies of the bundled example, in lossless and lossy formats, and what the check costs.

1. Real mixes: the example's mix (Ogg Vorbis), the real-dev songs' stems summed at their own rate and written
   as 24-bit WAV (a bounce of them), and the MUSDB18 clip inside the stempeg wheel (its mix, AAC): peak, overs.
2. The example's mix mastered (``data.render.master_mix``: gain into pedalboard's Limiter, twice) to each
   loudness target, as 24-bit WAV; then the example's mix brought to a peak of 0, +3, +6 and +12 dBFS and clipped
   at full scale, written as 16- and 24-bit WAV, 24-bit FLAC, float WAV, Ogg Vorbis, MP3 and 16-bit WAV with TPDF
   dither (seeded), and unclipped as a float WAV: what ``load_song`` (as ``advise`` reads a mix) notes about it, and each copy's peak as decoded.
3. Stems: the real-dev songs' stem folders and the example's (Ogg Vorbis) as ``advise --stems`` reads them, and
   the example's stems as 24-bit WAV with the drums brought to a peak of +6 dBFS and clipped: what is noted.
4. The search's time (``audio.overs``) on a 4-minute 44.1 kHz stereo mix (the example repeated), clean and
   clipped, measuring the peak first or given it (as advise and the folder reader give the peak decoding found):
   best of 5.

    python benchmarks/clipped_mix.py
"""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from mixbuddy.audio import overs, read_audio
from mixbuddy.data.render import master_mix
from mixbuddy.predict.stems_input import read_stem_file, read_stems_folder
from mixbuddy.predict.windows import load_song

from master_stems import timed   # this folder is on sys.path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "lithium" / "mix.ogg"
FORMATS = (("wav", "PCM_16"), ("wav", "PCM_24"), ("flac", "PCM_24"), ("wav", "FLOAT"), ("ogg", "VORBIS"),
           ("mp3", "MPEG_LAYER_III"))


class Notes(logging.Handler):
    """The messages of mixbuddy.predict.input_checks, as advise's report keeps them."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def said(path: Path, notes: Notes, stems: bool = False) -> str:
    """What advise notes about clipping when it reads ``path`` as a mix (``stems``: as a stems folder, for the
    loudness engine at 44.1 kHz stereo), the first clause of each note."""
    notes.messages.clear()
    if stems:
        read_stems_folder(path, 44100, 2)
    else:
        load_song(path, None, 16000, 1)
    found = [m.split(": ", 1)[1].split(": what")[0].split("; turn")[0].split(". A track")[0] for m in notes.messages
             if "clips" in m or "files clip" in m or "above full scale" in m]
    return " | ".join(found) or "nothing"


def peak_db(x: np.ndarray) -> float:
    return 20.0 * np.log10(float(np.abs(x).max()))


def main() -> None:
    notes = Notes()
    log = logging.getLogger("mixbuddy.predict.input_checks")
    log.addHandler(notes)
    log.setLevel(logging.INFO)
    logging.getLogger("mixbuddy").setLevel(logging.INFO)
    x, sr = read_audio(EXAMPLE)
    print(f"{EXAMPLE.relative_to(REPO)}: peak {peak_db(x):+.2f} dBFS, overs {overs(x, sr)}; advise notes: "
          f"{said(EXAMPLE, notes)}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for song in sorted((REPO.parent / "shared" / "data" / "real-dev").glob("*/")):
            parts = [read_audio(p)[0] for p in sorted(song.glob("*.ogg"))]
            rate = read_audio(next(song.glob("*.ogg")))[1]
            n = min(len(p) for p in parts)
            mix = np.sum([p[:n] for p in parts], axis=0)
            path = out / f"{song.name}.wav"
            sf.write(path, mix, rate, subtype="PCM_24")
            print(f"{song.name} (stems summed, 24-bit WAV): peak {peak_db(mix):+.2f} dBFS; advise notes: "
                  f"{said(path, notes)}")
        import stempeg
        clip = Path(stempeg.__file__).parent / "data" / "The Easton Ellises - Falcon 69.stem.mp4"
        mix, _ = read_stem_file(clip, 44100, 2, with_mix=True)
        print(f"{clip.name} (its mix, AAC): peak {peak_db(mix):+.2f} dBFS, overs {overs(mix, 44100)}")
        for target in (-14.0, -10.0, -8.0, -6.0):
            path = out / "mastered.wav"
            y = master_mix(x, sr, target)
            sf.write(path, y, sr, subtype="PCM_24")
            print(f"mastered, target {target:g} LUFS (24-bit WAV, peak {peak_db(y):+.2f} dBFS): {said(path, notes)}")
        unit = x / np.abs(x).max()
        rng = np.random.default_rng(0)
        for db in (0.0, 3.0, 6.0, 12.0):
            hot = unit * np.float32(10.0 ** (db / 20.0))
            for ext, subtype in FORMATS:
                path = out / f"hot.{ext}"
                sf.write(path, np.clip(hot, -1.0, 1.0), sr, subtype=subtype)
                decoded = peak_db(read_audio(path)[0])
                print(f"peak +{db:g} dB, clipped, {ext} {subtype} (decoded peak {decoded:+.2f} dBFS): "
                      f"{said(path, notes)}")
            path = out / "hot-dithered.wav"       # 16 bits with TPDF dither of +-1 LSB, clamped to the codes
            lsb = 2.0 ** 15
            tpdf = rng.random(hot.shape) - rng.random(hot.shape)
            sf.write(path, np.clip(np.round(np.clip(hot, -1.0, 1.0) * lsb + tpdf), -lsb, lsb - 1).astype(np.int16), sr)
            print(f"peak +{db:g} dB, clipped, 16-bit WAV with TPDF dither: {said(path, notes)}")
            path = out / "hot-float.wav"
            sf.write(path, hot, sr, subtype="FLOAT")
            print(f"peak +{db:g} dB, unclipped float WAV: {said(path, notes)}")
        stem_folders = [*sorted((REPO.parent / "shared" / "data" / "real-dev").glob("*/")), EXAMPLE.parent / "stems"]
        for folder in stem_folders:
            print(f"{os.path.relpath(folder, REPO)} (stems, Ogg Vorbis): {said(folder, notes, stems=True)}")
        folder = out / "stems"
        folder.mkdir()
        for p in sorted((EXAMPLE.parent / "stems").glob("*.ogg")):
            y, rate = read_audio(p)
            if p.stem == "drums":
                y = np.clip(np.float32(2.0) * (y / np.abs(y).max()), -1.0, 1.0)
            sf.write(folder / f"{p.stem}.wav", y, rate, subtype="PCM_24")
        print(f"the example's stems, 24-bit WAV, the drums clipped at +6 dB: {said(folder, notes, stems=True)}")
    log.removeHandler(notes)
    logging.getLogger("mixbuddy").setLevel(logging.ERROR)
    song = np.tile(x, (int(np.ceil(240 * sr / len(x))), 1))[: 240 * sr]
    for name, y in (("clean", song), ("clipped at +6 dB", np.clip(song / np.abs(song).max() * 2.0, -1.0, 1.0))):
        peak = float(np.abs(y).max())
        for how, given in (("its peak measured", None), ("its peak from decoding", peak)):
            best = min(timed(lambda: overs(y, sr, given)) for _ in range(5))
            print(f"overs, 4 minutes stereo at {sr} Hz, {name}, {how}: {1000 * best:.1f} ms")

if __name__ == "__main__":
    main()
