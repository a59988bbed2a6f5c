"""Probe: how good is the aux head with each kind of level features (``aux.level_features``), before any
LLM training? Renders N seeded training recipes as the trainer does (augmented, epoch 0, unless
``--no-augment``) and every validation recipe, extracts the level features (cached as .npy under
work/feats/), trains the real ``AuxHead`` on them (``--norm``: with ``aux.level_norm``) for several
training-set sizes and pass counts, and prints, on the validation split (unseen songs), 13-class accuracy
and the headline numbers of the joint-optimal decision (joint stem+direction, no-error recall, magnitude
range), and the same at a few P(imbalance) thresholds and at the one ``mixbuddy calibrate``'s rule picks
on validation (applied to the other splits as it is). ``--test`` scores the test split too and ``--real``
the real CC0 songs (work/ds-real; diagnosis only: every choice is made on validation). ``--thin P``:
training recipes rendered with bystander stems thinned (``data.thin_stems``). ``--ensemble K``: K heads
(seeds S..S+K-1) whose class probabilities are averaged. ``--seeds S ...``: each run repeated with these
head seeds (initialisation and batch order), to see the seed-to-seed spread. ``--gbm LR``: gradient
boosting (as the mix-features baseline) on the same numbers instead of the head.
``--gain-spread D``: the training features of clips turned by a seeded gain within +-D dB (each level feature
moves by exactly g / db_scale or not at all, so this is exact in feature space); ``--real-gains D`` (with
``--real``): the real songs also scored each turned by one seeded gain within +-D dB, three draws.
``--eval-gains D``: validation (and ``--test``) also scored with every chunk turned by the level ``mixbuddy data
build --bounce-db D`` gives it (seed 0), in feature space as above: a proxy, since a silent stem moves too and
the renderer's peak ceiling, which scales some moved mixes back down, is left out (621 of the test split's
2,640 error mixes at D = 6; benchmarks/level_cue.py). ``--songs K ...``: a corpus-size learning curve instead: the head trained on all cached recipes of the
first K training songs (sorted ids) for each K (``--train-dataset``: another dataset's training split, e.g.
a grown corpus). ``--side mid|full|diff`` (mix mode): the mix rendered in stereo; the head reads the mid
signal's features (alone with ``mid``, the control) plus, with ``full``, every feature of the side signal
(L - R) / 2 as a second clip, or with ``diff``, the side-minus-mid difference of the mel-band mean levels
and energies (66 numbers appended to the mid's): does the stereo image tell the head more about the balance?

    python benchmarks/head_features.py --mode mix --features rich --train 79680 --sizes 6000 24000 79680
    python benchmarks/head_features.py --mode mix --features rich --train 79680 --songs 22 45 90 180 360
    python benchmarks/head_features.py --mode stems --features loudness --train 24000
    python benchmarks/head_features.py --mode stems --features loudness --train 24000 --thin 0.35 --real
    python benchmarks/head_features.py --mode mix --features full --norm --dropout 0.3 --train 79680 \
        --no-augment --epochs 1 2 3 5
    python benchmarks/head_features.py --mode stems --features loudness --train 24000 --thin 0.35 --gbm 0.05
    python benchmarks/head_features.py --mode mix --features full --norm --dropout 0.3 --train 24000 \
        --no-augment --epochs 2 3 --seeds 0 1 --side diff
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

from mixbuddy.data.build import draw_bounce
from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.evaluate.baselines.common import allowed_targets
from mixbuddy.model.audio_config import CLIP_NAMES
from mixbuddy.constants import TARGET_STEMS
from mixbuddy.model.heads import NUM_CLASSES, AuxHead, anchor_index, labels_from_recipe
from mixbuddy.model.levels import LevelFeatures
from mixbuddy.model.verdict import decide_batch, headline
from mixbuddy.predict.calibrate import choose, tradeoff
from mixbuddy.rng import derive_seed
from mixbuddy.train.dataset import RecipeDataset
from mixbuddy.train.level_cache import build_level_cache

SR, N = 16000, 160000
STEM_CLIPS = [c for c in CLIP_NAMES if c != "mix"]


class MidSide(RecipeDataset):
    """``--side``: the flawed mix rendered in stereo, as two clips: mid (L + R) / 2 and side (L - R) / 2."""

    def audio(self, i: int, epoch: int = 0) -> np.ndarray:
        out = self.renderer.render(self.recipes[i], augment=self.augment, seed=derive_seed(self.seed, "epoch", epoch),
                                   thin=self.thin)
        left, right = out.mix[:, 0], out.mix[:, 1]
        return np.stack([self._fit((0.5 * (left + right)).astype(np.float32)),
                         self._fit((0.5 * (left - right)).astype(np.float32))])


def side_view(x: np.ndarray, side: str | None) -> np.ndarray:
    """(N, 2, D) mid/side features -> what the head reads for ``--side`` (``full``: both clips as they are;
    ``mid``: the mid's alone; ``diff``: the mid's features + side-minus-mid mel-band means and energies, one clip)."""
    if side is None or side == "full":
        return x
    if side == "mid":                                            # the control: the same renders, mid only
        return x[:, :1]
    k = LevelFeatures(SR, 32, "bands").mel.out_channels          # 32 mel bands + the overall level
    d = x[:, 1] - x[:, 0]                                        # features start: k means, k spreads, k energies
    return np.concatenate([x[:, 0], d[:, :k], d[:, 2 * k:3 * k]], 1)[:, None]


def features(recs, split: str, mode: str, kind: str, augment: bool, cache: Path, workers: int,
             dataset: str = "work/ds-synth", thin: float = 0.0, ref: float | None = None,
             side: bool = False) -> np.ndarray:
    """Level features of every recipe, computed as stage 1's cache computes them (train.stage1_cache)."""
    tag = split                                                     # work/ds-synth: "train", "validation", "test"
    if dataset != "work/ds-synth":                                  # e.g. "real", "synth-760-train"
        tag = Path(dataset).name.removeprefix("ds-") + ("" if split == "test" else f"-{split}")
    noaug = "-noaug" if split == "train" and not augment else ""
    path = cache / (f"{tag}-{mode}-{kind}-{len(recs)}{noaug}{f'-thin{thin:g}' if thin else ''}"
                    f"{f'-ref{ref:g}' if ref is not None else ''}{'-midside' if side else ''}.npy")
    if path.exists():
        return np.load(path)
    ren = open_renderer(f"{dataset}/{split}.jsonl", SR, 2 if side else 1, "work/cache")
    clips = ["mix"] if mode == "mix" else STEM_CLIPS
    ds = (MidSide if side else RecipeDataset)(recs, ren, None, mode, clips, N, 0, augment=augment, seed=0, thin=thin)
    t0 = time.time()
    arr = build_level_cache(LevelFeatures(SR, 32, kind, ref), ds, 64, workers).levels.numpy()
    print(f"{split}: {len(recs)} records in {time.time() - t0:.0f} s", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, arr)
    return arr


def gain_mask(kind: str, ref: float | None = None) -> np.ndarray:
    """(D,) float: how far each level feature moves, in scaled units per dB, when the clip is turned up (a
    gain moves each of them by exactly g / db_scale or not at all: measured here on seeded noise)."""
    lf = LevelFeatures(SR, 32, kind, ref)
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((4, N)).astype(np.float32) * 0.05)
    lengths = torch.full((4,), N)
    with torch.no_grad():
        d = (lf(x * 10 ** (6 / 20), lengths) - lf(x, lengths)).numpy() / 6.0
    step = 1.0 / lf.cfg.db_scale
    moved = np.abs(d - step).max(0) < 0.01 * step
    if not np.all(moved | (np.abs(d).max(0) < 0.01 * step)):
        raise SystemExit("some level features are not linear in a gain: --gain-spread / --real-gains / --eval-gains "
                         "cannot shift them")
    return moved * step


def shifted(x: np.ndarray, mask: np.ndarray, gains_db: np.ndarray) -> np.ndarray:
    """Level features ``x`` (N, [C,] D) of clips turned by ``gains_db`` (N,) dB, exactly (see gain_mask)."""
    return (x + gains_db.reshape(-1, *[1] * (x.ndim - 1)) * mask).astype(np.float32)


def train_head(x, anchor, y, clips, hidden: int, epochs: int, seed: int = 0, dropout: float = 0.1,
               norm: bool = False) -> AuxHead:
    torch.manual_seed(seed)
    head = AuxHead(0, hidden, clips, True, dropout, x.shape[-1], level_norm=norm)
    if norm:
        head.fit_level_norm(torch.from_numpy(x))
    opt = torch.optim.AdamW(head.parameters(), lr=2e-3, weight_decay=1e-4)
    n, bs = len(y), 256
    steps = epochs * max(1, n // bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=steps, pct_start=0.05)
    X, A, Y = torch.from_numpy(x), torch.from_numpy(anchor), torch.from_numpy(y)
    g = torch.Generator().manual_seed(seed)
    head.train()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=g)
        for s in range(0, n - bs + 1, bs):
            b = perm[s:s + bs]
            loss = head(None, None, anchor=A[b], labels=Y[b], levels=X[b]).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return head.eval()


def _gbm_inputs(x: np.ndarray, anchor: np.ndarray) -> np.ndarray:
    return np.concatenate([x.reshape(len(x), -1), np.eye(len(TARGET_STEMS) + 1)[anchor]], 1)


def fit_gbm(x, anchor, y, lr: float, seed: int = 0):
    """``--gbm``: gradient boosting (the mix-features baseline's classifier) on the same numbers + anchor."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=300, learning_rate=lr, l2_regularization=1.0,
                                          random_state=seed).fit(_gbm_inputs(x, anchor), y)


def gbm_probs(clf, x, anchor) -> np.ndarray:
    """(N, 13) class probabilities (classes the classifier never saw get 0)."""
    out = np.zeros((len(x), NUM_CLASSES))
    out[:, clf.classes_] = clf.predict_proba(_gbm_inputs(x, anchor))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["mix", "stems"], default="mix")
    ap.add_argument("--features", default="rich")
    ap.add_argument("--train", type=int, default=16000)
    ap.add_argument("--sizes", type=int, nargs="*")
    ap.add_argument("--songs", type=int, nargs="*", help="corpus-size curve: train on the first K songs")
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--epochs", type=int, nargs="+", default=[10])
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--no-augment", action="store_true", help="training features without augmentation (data.augment: false)")
    ap.add_argument("--norm", action="store_true", help="standardise the features (aux.level_norm)")
    ap.add_argument("--test", action="store_true", help="also score the test split (diagnosis only: choose on validation)")
    ap.add_argument("--thin", type=float, default=0.0, help="training recipes with bystander stems thinned (data.thin_stems)")
    ap.add_argument("--real", action="store_true", help="also score the real CC0 songs (diagnosis only)")
    ap.add_argument("--level-ref", type=float, default=None,
                    help="every clip moved to this loudness (LUFS) before its statistics (aux.level_reference)")
    ap.add_argument("--ensemble", type=int, default=1, help="train this many heads (seeds S..S+K-1), average their probabilities")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0], help="repeat each run with these head seeds S (spread)")
    ap.add_argument("--gbm", type=float, default=None, metavar="LR",
                    help="gradient boosting with this learning rate instead of the head (is the head the limit?)")
    ap.add_argument("--train-dataset", default="work/ds-synth",
                    help="dataset folder whose train.jsonl the head learns from (validation: always work/ds-synth)")
    ap.add_argument("--side", choices=["mid", "full", "diff"], default=None,
                    help="mix mode: also read the stereo image (see the module docstring)")
    ap.add_argument("--gain-spread", type=float, default=None, metavar="D",
                    help="training features of clips turned by a seeded gain uniform within +-D dB (the bounce level "
                         "varies), applied exactly in feature space")
    ap.add_argument("--eval-gains", type=float, default=None, metavar="D",
                    help="also score validation (and --test) with every chunk turned by its `data build --bounce-db D` "
                         "level (a proxy: the renderer's peak ceiling, which turns some moved mixes back down, is left out)")
    ap.add_argument("--real-gains", type=float, default=None, metavar="D",
                    help="with --real: also score the real songs each turned by one seeded gain within +-D dB (3 draws)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    torch.set_num_threads(a.workers)
    tr = load_recipes(f"{a.train_dataset}/train.jsonl")
    va = load_recipes("work/ds-synth/validation.jsonl")
    tr = [tr[i] for i in np.sort(np.random.default_rng(0).permutation(len(tr))[:a.train])]
    cache = Path("work/feats")
    if a.side and a.mode != "mix":
        ap.error("--side needs --mode mix")
    if a.side and (a.gain_spread or a.real_gains or a.eval_gains):
        ap.error("--gain-spread / --real-gains / --eval-gains cannot shift the features of --side")

    def load(recs, split: str, augment: bool = False, dataset: str = "work/ds-synth", thin: float = 0.0):
        """The features the head reads for ``recs`` (``--side`` applied)."""
        return side_view(features(recs, split, a.mode, a.features, augment, cache, a.workers, dataset, thin=thin,
                                  ref=a.level_ref, side=a.side is not None), a.side)

    xa = load(tr, "train", not a.no_augment, a.train_dataset, a.thin)
    xb = load(va, "validation")
    splits = [("validation", va, xb)]
    if a.test:
        te = load_recipes("work/ds-synth/test.jsonl")
        splits.append(("test", te, load(te, "test")))
    mask = gain_mask(a.features, a.level_ref) if a.gain_spread or a.real_gains or a.eval_gains else None
    for split, recs, x in list(splits) if a.eval_gains else []:     # the levels of `data build --bounce-db D`
        g = np.array([draw_bounce(0, r.song_id, round(r.start_s * 1000), a.eval_gains) for r in recs])
        splits.append((f"{split}, chunks within +-{a.eval_gains:g} dB", recs, shifted(x, mask, g)))
    if a.gain_spread:
        xa = shifted(xa, mask, np.random.default_rng(1).uniform(-a.gain_spread, a.gain_spread, len(xa)))
    if a.real:
        re_ = load_recipes("work/ds-real/test.jsonl")
        xr = load(re_, "test", dataset="work/ds-real")
        splits.append(("real", re_, xr))
        songs = sorted({r.song_id for r in re_})
        for k in range(3 if a.real_gains else 0):      # one bounce level per song, three seeded draws
            g = dict(zip(songs, np.random.default_rng(100 + k).uniform(-a.real_gains, a.real_gains, len(songs))))
            splits.append((f"real, songs within +-{a.real_gains:g} dB (draw {k})", re_,
                           shifted(xr, mask, np.array([g[r.song_id] for r in re_]))))
    # --side full: the side clip borrows a stem's slot name (a name only selects the head's learned clip embedding)
    clips = ["mix", "vocals"] if a.side == "full" else ["mix"] if a.mode == "mix" else STEM_CLIPS
    ya = np.array([labels_from_recipe(r) for r in tr])
    aa = np.array([anchor_index(r.anchor) for r in tr])
    rank = {s: i for i, s in enumerate(sorted({r.song_id for r in tr}))}
    song_rank = np.array([rank[r.song_id] for r in tr])
    runs = ([(f"songs={k}", song_rank < k) for k in a.songs] if a.songs
            else [(f"n={n}", np.arange(len(tr)) < n) for n in a.sizes or [a.train]])
    for (name, keep), epochs, s0 in ((r, e, s) for r in runs for e in a.epochs for s in a.seeds):
        t0 = time.time()
        name = (f"{name} epochs={epochs}" + (f" ensemble={a.ensemble}" if a.ensemble > 1 else "")
                + (f" seed={s0}" if len(a.seeds) > 1 or s0 else ""))
        if a.gbm:
            name += f" gbm lr={a.gbm:g}"
            gbm = fit_gbm(xa[keep], aa[keep], ya[keep], a.gbm, s0)
        else:
            heads = [train_head(xa[keep], aa[keep], ya[keep], clips, a.hidden, epochs, seed, a.dropout, a.norm)
                     for seed in range(s0, s0 + a.ensemble)]
        for split, recs, x in splits:
            anchors = torch.tensor([anchor_index(r.anchor) for r in recs])
            if a.gbm:
                probs = gbm_probs(gbm, x, anchors.numpy())
            else:
                with torch.no_grad():        # an ensemble averages its heads' class probabilities
                    probs = np.mean([torch.softmax(h(None, None, anchor=anchors, levels=torch.from_numpy(x)).logits,
                                                   -1).numpy() for h in heads], axis=0)
            acc = np.mean(probs.argmax(1) == np.array([labels_from_recipe(r) for r in recs]))
            allowed = [allowed_targets(r) for r in recs]
            h = headline(recs, decide_batch(probs, allowed))
            print(f"{a.mode}/{a.features} {name} ({int(keep.sum())} recipes) on {split}: 13-class {100 * acc:.1f}%  joint "
                  f"{h['joint']:.1f}  stem {h['stem']:.1f}  direction {h['direction']:.1f}  no-error {h['no_error']:.1f}  "
                  f"magnitude {h['magnitude']:.1f}  ({time.time() - t0:.0f} s)",
                  flush=True)
            rows = tradeoff(recs, probs)
            if split == "validation":       # the operating point `mixbuddy calibrate` would choose
                chosen = choose(rows)["threshold"]
            for hh in rows:
                if hh["threshold"] in (0.6, 0.7, 0.8) or hh["threshold"] == chosen:
                    tag = "  <- calibrate's rule on validation" if hh["threshold"] == chosen else ""
                    print(f"   threshold {hh['threshold']}: joint {hh['joint']:.1f}  stem {hh['stem']:.1f}  direction "
                          f"{hh['direction']:.1f}  no-error {hh['no_error']:.1f}  magnitude {hh['magnitude']:.1f}{tag}")

if __name__ == "__main__":
    main()
