"""Corpus-size learning curve of the stage-1 aux head (``aux.source: levels``): how does the head's
validation accuracy grow with the number of *training songs*, all else fixed?

Level features (:class:`mixbuddy.model.audio.BandLevels`, exactly what the head reads in training, with the
training augmentation) are computed once for a seeded share of the training records of every song and for
600 seeded validation records; then the head is trained from scratch on the first k songs for each k, with
the same number of optimiser steps (so that only the data changes), and scored on the validation records.

    python benchmarks/corpus_curve.py --mode mix   --songs 22 45 90 180 360
    python benchmarks/corpus_curve.py --mode stems --songs 22 45 90 180 360 --features overall
"""
import argparse
import time

import numpy as np
import torch

from mixbuddy.constants import STEMS
from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.model.audio import BandLevels
from mixbuddy.model.heads import AuxHead, anchor_index, labels_from_recipe
from head_probe import stem_dir  # noqa: E402  (same folder: run as python benchmarks/corpus_curve.py)
from level_probe import SR, level_rows  # noqa: E402


def features(recs, renderer, levels: BandLevels, mode: str, augment: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    anchors = np.array([anchor_index(r.anchor) for r in recs])
    return level_rows(recs, renderer, levels, mode, augment), anchors, np.array([labels_from_recipe(r) for r in recs])


def train_head(x, a, y, clips, steps: int, seed: int = 0) -> AuxHead:
    torch.manual_seed(seed)
    head = AuxHead(0, 256, clips, True, 0.1, x.shape[-1])
    opt = torch.optim.AdamW(head.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 1e-3, total_steps=steps, pct_start=0.03)
    g = np.random.default_rng(seed)
    xt, at, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(a), torch.tensor(y)
    for _ in range(steps):
        i = torch.from_numpy(g.integers(0, len(xt), 32))
        loss = head(None, None, at[i], yt[i], xt[i]).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return head.eval()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="work/ds-synth")
    ap.add_argument("--cache-dir", default="work/cache")
    ap.add_argument("--mode", choices=("mix", "stems"), default="mix")
    ap.add_argument("--features", choices=("bands", "overall"), default="bands")
    ap.add_argument("--songs", type=int, nargs="+", default=[22, 45, 90, 180, 360])
    ap.add_argument("--per-song", type=int, default=60, help="training records per song (seeded)")
    ap.add_argument("--steps", type=int, default=2000)
    a = ap.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    train = load_recipes(f"{a.dataset}/train.jsonl")
    songs = sorted({r.song_id for r in train})
    order = [songs[i] for i in rng.permutation(len(songs))]
    by_song: dict[str, list] = {}
    for r in train:
        by_song.setdefault(r.song_id, []).append(r)
    need = order[: max(a.songs)]
    recs = [r for s in need for r in [by_song[s][i] for i in sorted(rng.permutation(len(by_song[s]))[: a.per_song])]]
    val = load_recipes(f"{a.dataset}/validation.jsonl")
    val = [val[i] for i in rng.permutation(len(val))[:600]]
    renderer = open_renderer(f"{a.dataset}/train.jsonl", SR, 1, a.cache_dir)
    levels = BandLevels(SR, 32, overall_only=a.features == "overall")
    t0 = time.time()
    xa, aa, ya = features(recs, renderer, levels, a.mode, augment=True)
    xb, ab, yb = features(val, renderer, levels, a.mode, augment=False)
    print(f"features of {len(recs)} + {len(val)} records: {time.time() - t0:.0f} s", flush=True)
    song_of = np.array([r.song_id for r in recs])
    clips = list(STEMS) if a.mode == "stems" else ["mix"]
    print("| training songs | records | val 13-class | val joint | val no-error recall |\n|---|---|---|---|---|")
    for k in a.songs:
        keep = np.isin(song_of, order[:k])
        head = train_head(xa[keep], aa[keep], ya[keep], clips, a.steps)
        with torch.no_grad():
            pred = head(None, None, torch.tensor(ab), None, torch.tensor(xb, dtype=torch.float32)).logits.argmax(-1).numpy()
        joint = np.mean([stem_dir(p) == stem_dir(t) for p, t in zip(pred, yb)])
        print(f"| {k} | {int(keep.sum())} | {100 * np.mean(pred == yb):.1f}% | {100 * joint:.1f}% | "
              f"{100 * np.mean(pred[yb == 0] == 0):.1f}% |", flush=True)


if __name__ == "__main__":
    main()
