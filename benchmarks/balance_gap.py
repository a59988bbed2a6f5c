"""How far is a dataset's balance from the synthetic one? For every distinct 10 s chunk of each dataset,
the BS.1770 loudness (pyloudnorm, 22.05 kHz stereo) of each *clean* stem relative to the mean of the
chunk's stems; printed: the mean and spread of that relative loudness per stem (silent stems left out),
and the share of chunks in which each stem is silent or below -50 LUFS (absent or sitting out).

    python benchmarks/balance_gap.py work/ds-synth/validation.jsonl work/ds-real/test.jsonl
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


if __name__ == "__main__":
    for path in sys.argv[1:]:
        L = chunk_loudness(path)
        quiet = ~(L >= -50.0)                                   # NaN (silent / absent) or below -50 LUFS
        L[quiet] = np.nan
        rel = L - np.nanmean(L, axis=1, keepdims=True)
        cells = ", ".join(f"{s} {np.nanmean(rel[:, i]):+.1f} ± {np.nanstd(rel[:, i]):.1f}" for i, s in enumerate(STEMS))
        print(f"{path} ({len(rel)} chunks): {cells} dB")
        print("  silent or below -50 LUFS: " + ", ".join(f"{s} {100 * quiet[:, i].mean():.0f}%" for i, s in enumerate(STEMS)))
