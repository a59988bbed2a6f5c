"""How far is a dataset's balance from the synthetic one? For every distinct 10 s chunk of each dataset,
the BS.1770 loudness (pyloudnorm, 22.05 kHz stereo) of each *clean* stem relative to the mean of the
chunk's stems; printed: the mean and spread of that relative loudness per stem (silent stems left out),
and the share of chunks in which each stem is silent or below -50 LUFS (absent or sitting out).

    python benchmarks/balance_gap.py work/ds-synth/validation.jsonl work/ds-real/test.jsonl

An argument that is not a ``.jsonl`` dataset is read as one song's stems (a folder or a ``.stem.mp4`` file, as
``advise --stems`` reads them), cut into 10 s chunks (a last chunk of 5 s or more counts), e.g. the MUSDB18
clip inside the stempeg wheel: ``python benchmarks/balance_gap.py "$(.venv/bin/python -c 'import stempeg, pathlib;
print(next(pathlib.Path(stempeg.__file__).parent.glob("data/*.stem.mp4")))')"``.
"""
import sys

import numpy as np

from mixbuddy.constants import STEMS
from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.evaluate.baselines.loudness import loudness


def chunk_loudness(path: str, cache_dir: str = "work/cache") -> np.ndarray:
    """(chunks, stems) loudness (LUFS) of each clean stem of every distinct chunk (NaN = absent or silent)."""
    chunks: dict = {}
    for r in load_recipes(path):
        chunks.setdefault((r.song_id, r.start_s), r)
    ren = open_renderer(path, 22050, 2, cache_dir)
    rows = []
    for key in sorted(chunks):
        w = ren.window(chunks[key])
        rows.append([loudness(w[s], 22050) if s in w else np.nan for s in STEMS])
    return np.array(rows)


def song_loudness(stems: str, chunk_s: float = 10.0, min_s: float = 5.0) -> np.ndarray:
    """(chunks, stems) loudness of one song's stems (a folder or a .stem.mp4), 10 s chunks (NaN = absent)."""
    from mixbuddy.predict.windows import load_song

    song = load_song(None, stems, 22050, 2)
    n, step = song.mix.shape[0], int(chunk_s * 22050)
    starts = [a for a in range(0, n, step) if n - a >= min_s * 22050]
    return np.array([[loudness(song.stems[s][a:a + step], 22050) if s in song.stems else np.nan for s in STEMS]
                     for a in starts])


if __name__ == "__main__":
    for path in sys.argv[1:]:
        L = chunk_loudness(path) if path.endswith(".jsonl") else song_loudness(path)
        quiet = ~(L >= -50.0)                                   # NaN (silent / absent) or below -50 LUFS
        L[quiet] = np.nan
        rel = L - np.nanmean(L, axis=1, keepdims=True)
        cells = ", ".join(f"{s} {np.nanmean(rel[:, i]):+.1f} ± {np.nanstd(rel[:, i]):.1f}" for i, s in enumerate(STEMS))
        print(f"{path} ({len(rel)} chunks): {cells} dB")
        print("  silent or below -50 LUFS: " + ", ".join(f"{s} {100 * quiet[:, i].mean():.0f}%" for i, s in enumerate(STEMS)))
