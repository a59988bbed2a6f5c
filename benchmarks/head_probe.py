"""Diagnostic: how good is a checkpoint's audio side alone? The aux head's decision (the verdict a model
with ``verdict_mode: hard`` states; no LLM is run) on a dataset split: joint stem+direction accuracy,
no-error recall and magnitude at the checkpoint's own threshold and at the joint-optimal rule. Next to
the generated-text scores of `mixbuddy evaluate` it shows what the LLM stage adds or loses.
(Diagnosis only: thresholds are chosen on validation with `mixbuddy calibrate`, never here.)

    python benchmarks/head_probe.py --checkpoint default --dataset work/ds-synth/test-sub.jsonl
"""
import argparse

from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.model.checkpoint import load_checkpoint
from mixbuddy.predict.calibrate import head_probabilities, tradeoff


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--cache-dir", default="work/cache")
    a = ap.parse_args()
    model = load_checkpoint(a.checkpoint, device="cpu")
    recs = load_recipes(a.dataset)
    probs = head_probabilities(model, recs, open_renderer(a.dataset, model.sample_rate, 1, a.cache_dir), a.batch_size)
    th = model.stack.threshold or 0.0
    for row in tradeoff(recs, probs, sorted({0.0, th})):
        name = "joint-optimal rule" if row["threshold"] == 0 else f"threshold {row['threshold']:.2f}"
        print(f"{a.checkpoint} on {a.dataset} ({len(recs)} records), aux head, {name}: joint {row['joint']:.1f}%, "
              f"no-error recall {row['no_error']:.1f}%, magnitude {row['magnitude']:.1f}%")


if __name__ == "__main__":
    main()
