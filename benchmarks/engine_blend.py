"""Probe: the stems model's head blended with the loudness engine (log-linear pooling of their posteriors).

Both engines give a posterior over the same 13 answers ("balanced" and every stem/category pair): the stems
model's aux head (whose decided class the LLM states word for word) and the loudness engine's Bayes decision
under the packaged balance prior (what ``advise --stems`` uses). The blend is

    p_w  ∝  p_head ** w  *  p_loudness ** (1 - w)          (w = 1: the head alone; w = 0: the engine alone)

For every weight the threshold on P(imbalance) is chosen on the calibration split by ``mixbuddy calibrate``'s
rule (the highest within 0.5 joint points of the best); the weight with the best calibration joint accuracy
at its threshold is marked. Then every weight is scored at its own threshold on each ``--dataset``, next to
the two engines as they ship (the head at the checkpoint's threshold, the engine by its joint-optimal rule).
Scored from decided classes with :func:`mixbuddy.model.verdict.headline`. Chooses nothing by itself (the test
splits may be read); the rule it is judged by is written in docs/BENCHMARKS.md before it ran.

    python benchmarks/engine_blend.py --checkpoint default-stems --calibrate work/ds-synth/validation.jsonl \\
        --dataset work/ds-synth/test.jsonl work/ds-bounce/test.jsonl work/ds-real/test.jsonl

Posteriors are kept in ``--store`` (one .npz per dataset file), so a second run only re-scores. ``--balanced``
also prints what both engines as shipped say on each dataset's balanced records (answers counted by stem and
direction: on the real songs, what an unchanged mix is told).
"""
import argparse
import hashlib
import time
from pathlib import Path

import numpy as np

from mixbuddy.constants import STEMS
from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.evaluate.baselines.bayes import decide as bayes_decide
from mixbuddy.evaluate.baselines.common import allowed_targets, map_records
from mixbuddy.evaluate.baselines.loudness import _stem_loudness
from mixbuddy.model.heads import NUM_CLASSES, class_index, decode_class
from mixbuddy.model.verdict import decide_batch, headline
from mixbuddy.predict.calibrate import GRID, choose, head_probabilities, tradeoff
from mixbuddy.predict.prior import load_prior

FLOOR = 1e-9   # a class one engine rules out entirely keeps a trace, so the other can still outvote it


def loudness_posteriors(records, dataset: str, balance, meta: dict, cache_dir: str, workers: int) -> np.ndarray:
    """(N, 13) the loudness engine's posterior of every record (0 for answers it does not consider)."""
    renderer = open_renderer(dataset, int(meta.get("sample_rate", 22050)), int(meta.get("channels", 2)), cache_dir)
    rows = map_records(_stem_loudness, renderer, records, workers, desc="loudness")
    out = np.zeros((len(records), NUM_CLASSES))
    for i, (r, row) in enumerate(zip(records, rows)):
        for key, p in bayes_decide(balance, dict(zip(STEMS, row)), allowed_targets(r)).posterior.items():
            t, _, cat = key.partition(":")
            out[i, class_index(t or None, cat or "no_error")] += p
    return out


def blend(head: np.ndarray, loud: np.ndarray, w: float) -> np.ndarray:
    """Log-linear pooling of two (N, 13) posteriors, renormalised per row."""
    logp = w * np.log(np.maximum(head, FLOOR)) + (1.0 - w) * np.log(np.maximum(loud, FLOOR))
    p = np.exp(logp - logp.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def posteriors(model, ckpt: str, dataset: str, balance, meta: dict, a) -> tuple[list, np.ndarray, np.ndarray]:
    records = load_recipes(dataset)
    key = hashlib.sha1(f"{ckpt}|{Path(dataset).resolve()}|{a.prior}".encode()).hexdigest()[:12]
    store = Path(a.store) / f"{Path(dataset).parent.name}-{Path(dataset).stem}-{key}.npz"
    if store.is_file():
        z = np.load(store)
        return records, z["head"], z["loud"]
    t0 = time.perf_counter()
    renderer = open_renderer(dataset, model.sample_rate, 1, a.cache_dir)
    head = head_probabilities(model, records, renderer, a.batch_size)
    loud = loudness_posteriors(records, dataset, balance, meta, a.cache_dir, a.workers)
    store.parent.mkdir(parents=True, exist_ok=True)
    np.savez(store, head=head, loud=loud)
    print(f"{dataset}: posteriors of {len(records)} records in {time.perf_counter() - t0:.0f} s")
    return records, head, loud


def said_on_balanced(records, classes: np.ndarray) -> str:
    """What a system's decided classes say on the balanced records, most frequent first."""
    import collections

    said = collections.Counter()
    for r, c in zip(records, classes):
        if r.category == "no_error":
            t, cat = decode_class(int(c))
            said["balanced" if t is None else f"{t} too {'quiet' if 'quiet' in cat else 'loud'}"] += 1
    return f"{sum(said.values())} balanced: " + ", ".join(f"{k} {v}" for k, v in said.most_common())


def fmt(row: dict) -> str:
    return " | ".join(f"{row[k]:.2f}" for k in ("joint", "stem", "direction", "magnitude", "no_error"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default="default-stems")
    ap.add_argument("--calibrate", required=True, help="validation dataset: each weight's threshold and the weight")
    ap.add_argument("--dataset", nargs="+", required=True)
    ap.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0])
    ap.add_argument("--tolerance", type=float, default=0.5)
    ap.add_argument("--prior", default=None, help="balance prior JSON (default: the packaged one)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache-dir", default="work/cache")
    ap.add_argument("--store", default="work/blend")
    ap.add_argument("--balanced", action="store_true", help="also print what each engine says on balanced records")
    a = ap.parse_args()

    from mixbuddy.model.checkpoint import load_checkpoint

    balance, meta = load_prior(a.prior)
    model = load_checkpoint(a.checkpoint, device="cpu").eval()
    shipped = model.stack.threshold

    records, head, loud = posteriors(model, a.checkpoint, a.calibrate, balance, meta, a)
    chosen = {}
    print(f"\ncalibration on {a.calibrate} ({len(records)} records): weight | threshold | "
          "joint | stem | direction | magnitude | no-error")
    for w in a.weights:
        row = choose(tradeoff(records, blend(head, loud, w), GRID), a.tolerance)
        chosen[w] = row
        print(f"{w:.2f} | {row['threshold']:.2f} | {fmt(row)}")
    best = max(a.weights, key=lambda w: (chosen[w]["joint"], -w))
    print(f"best calibration joint: weight {best:.2f} at threshold {chosen[best]['threshold']:.2f}")

    for dataset in a.dataset:
        records, head, loud = posteriors(model, a.checkpoint, dataset, balance, meta, a)
        targets = [allowed_targets(r) for r in records]
        print(f"\n{dataset} ({len(records)} records): system | joint | stem | direction | magnitude | no-error")
        head_said, loud_said = decide_batch(head, targets, shipped), decide_batch(loud, targets)
        print(f"head alone at its shipped threshold {shipped} | {fmt(headline(records, head_said))}")
        print(f"loudness engine, joint-optimal rule | {fmt(headline(records, loud_said))}")
        if a.balanced:
            print(f"  head alone, said on {said_on_balanced(records, head_said)}")
            print(f"  loudness engine, said on {said_on_balanced(records, loud_said)}")
        for w in a.weights:
            th = chosen[w]["threshold"]
            row = headline(records, decide_batch(blend(head, loud, w), targets, th if th > 0 else None))
            print(f"blend w={w:.2f} at {th:.2f}{'  <- best on calibration' if w == best else ''} | {fmt(row)}")


if __name__ == "__main__":
    main()
