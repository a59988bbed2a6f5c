"""How far is a dataset's balance from the synthetic one? For every distinct 10 s chunk of each dataset,
the BS.1770 loudness (pyloudnorm, 22.05 kHz stereo) of each *clean* stem relative to the mean of the
chunk's stems; printed: the mean and spread of that relative loudness per stem.

    python benchmarks/balance_gap.py work/ds-synth/validation.jsonl work/ds-real/test.jsonl
"""
import sys

import numpy as np

from mixbuddy.constants import STEMS
from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.evaluate.baselines.loudness import loudness


def relative_loudness(path: str, cache_dir: str = "work/cache") -> np.ndarray:
    """(chunks, stems) loudness of each clean stem minus the chunk's mean over its stems (NaN = absent)."""
    chunks: dict = {}
    for r in load_recipes(path):
        chunks.setdefault((r.song_id, r.start_s), r)
    ren = open_renderer(path, 22050, 2, cache_dir)
    rows = []
    for key in sorted(chunks):
        w = ren.window(chunks[key])
        rows.append([loudness(w[s], 22050) if s in w else np.nan for s in STEMS])
    L = np.array(rows)
    return L - np.nanmean(L, axis=1, keepdims=True)


if __name__ == "__main__":
    for path in sys.argv[1:]:
        rel = relative_loudness(path)
        cells = ", ".join(f"{s} {np.nanmean(rel[:, i]):+.1f} ± {np.nanstd(rel[:, i]):.1f}" for i, s in enumerate(STEMS))
        print(f"{path} ({len(rel)} chunks): {cells} dB")
