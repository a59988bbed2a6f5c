"""Diagnostic: how good is a checkpoint's audio side alone? Decodes the aux head's argmax (no LLM) on a
dataset split and prints joint stem+direction accuracy, 13-class accuracy and no-error recall, next to
which the generated-text scores of `mixbuddy evaluate` show what the LLM stage adds or loses.

    python benchmarks/head_probe.py --checkpoint default --dataset work/ds-synth/test-sub.jsonl
"""
import argparse

import numpy as np
import torch

from mixbuddy.data.recipe import load_recipes
from mixbuddy.model.checkpoint import load_checkpoint
from mixbuddy.model.heads import decode_class, labels_from_recipe
from mixbuddy.data.render import open_renderer
from mixbuddy.predict.predict import model_inputs


def stem_dir(c: int) -> tuple[str, bool] | None:
    """What joint accuracy compares: (target stem, too quiet?) of an aux class; None = no error."""
    t, cat = decode_class(int(c))
    return None if t is None else (t, cat in ("quiet", "very_quiet"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--cache-dir", default="work/cache")
    a = ap.parse_args()
    model = load_checkpoint(a.checkpoint, device="cpu")
    recs = load_recipes(a.dataset)
    ren = open_renderer(a.dataset, model.sample_rate, 1, a.cache_dir)
    pred, true = [], []
    with torch.no_grad():
        for i in range(0, len(recs), a.batch_size):
            b = recs[i:i + a.batch_size]
            batch = model.prepare(model_inputs(ren, b, model.input_mode), recipes=b, for_generation=True)
            out = model._audio(batch, with_labels=False)
            pred += out.aux.logits.argmax(-1).tolist()
            true += [labels_from_recipe(r) for r in b]

    pred, true = np.array(pred), np.array(true)
    joint = np.mean([stem_dir(p) == stem_dir(t) for p, t in zip(pred, true)])
    ne = true == 0
    print(f"{a.checkpoint} on {a.dataset} ({len(recs)} records), aux head argmax: joint {100 * joint:.1f}%, "
          f"13-class {100 * np.mean(pred == true):.1f}%, no-error recall {100 * np.mean(pred[ne] == 0):.1f}%")


if __name__ == "__main__":
    main()
