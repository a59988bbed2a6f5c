"""Diagnostic: a model's head decisions at several P(imbalance) thresholds on any split, next to its shipped
operating point. The baselines (``mix-features``, ``loudness-stems``) decide by the joint-optimal rule with no
threshold; the shipped models add a threshold chosen on validation (``mixbuddy calibrate``), which turns weak
findings into "balanced". This shows what each threshold gives on the same records, so that a model and a
baseline can be compared at the same decision rule. Nothing is chosen here (the test split may be read;
``mixbuddy calibrate`` refuses it because it chooses).

Scored from the head's decided classes (what the LLM states: with ``aux.verdict_mode: hard`` it verbalises
the decided class), with :func:`mixbuddy.model.verdict.headline`, not from generated text.

    python benchmarks/operating_point.py --checkpoint default-stems --dataset work/ds-synth/test.jsonl \
        --thresholds 0 0.5 0.55 0.6 0.62 0.65

Several checkpoints and datasets may be given (``--dataset work/ds-{synth,fresh}/test.jsonl``): every
checkpoint is scored on every dataset, one table each, the model loaded once.
"""
import argparse
import time

from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.model.checkpoint import load_checkpoint
from mixbuddy.predict.calibrate import head_probabilities, tradeoff


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, nargs="+")
    ap.add_argument("--dataset", required=True, nargs="+")
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.0, 0.5, 0.6, 0.7])
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--cache-dir", default="work/cache")
    a = ap.parse_args()
    for ckpt in a.checkpoint:
        t0 = time.perf_counter()
        model = load_checkpoint(ckpt, device="cpu").eval()
        for dataset in a.dataset:
            records = load_recipes(dataset)
            renderer = open_renderer(dataset, model.sample_rate, 1, a.cache_dir)
            probs = head_probabilities(model, records, renderer, a.batch_size)
            shipped = model.stack.threshold
            print(f"{ckpt} on {dataset}: {len(records)} records; shipped threshold {shipped}")
            print("threshold | joint | stem | direction | magnitude | no-error")
            for row in tradeoff(records, probs, sorted(set(a.thresholds))):
                mark = "  <- shipped" if shipped is not None and abs(row["threshold"] - shipped) < 1e-9 else ""
                print(f"{row['threshold']:.2f} | {row['joint']:.2f} | {row['stem']:.2f} | {row['direction']:.2f} | "
                      f"{row['magnitude']:.2f} | {row['no_error']:.2f}{mark}")
            print(f"{time.perf_counter() - t0:.0f} s")
            t0 = time.perf_counter()

if __name__ == "__main__":
    main()
