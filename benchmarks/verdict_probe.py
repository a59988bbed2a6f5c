"""Diagnostic: does the LLM read the verdict tokens? For N seeded records, generate once as usual and
once with the verdict tokens replaced by those of another, randomly drawn class (a one-hot verdict; the
audio tokens are left as they are), then parse both answers.

Printed: how often the normal answer agrees with the verdict the head decides (stem + direction, or "no
change"; with a soft verdict, the same joint-optimal decision from its probabilities), and how often the forced answer follows the forced class. A model that ignores the verdict
scores near chance on the second line.

    python benchmarks/verdict_probe.py --checkpoint default --dataset work/ds-synth/test-sub.jsonl --n 48
"""
import argparse

import numpy as np
import torch

from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.evaluate.parse import parse_advice
from mixbuddy.model.checkpoint import load_checkpoint
from mixbuddy.model.heads import NUM_CLASSES
from mixbuddy.predict.predict import model_inputs
from mixbuddy.model.verdict import allowed_from_anchor, decide, stem_dir


def said(text: str):
    f = parse_advice(text).primary
    return None if f.no_error else (f.target, f.direction == "increase")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--n", type=int, default=48)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--cache-dir", default="work/cache")
    a = ap.parse_args()
    model = load_checkpoint(a.checkpoint, device="cpu").eval()
    if model.stack.verdict is None:
        raise SystemExit(f"{a.checkpoint}: this model has no verdict tokens")
    rng = np.random.default_rng(0)
    recs = load_recipes(a.dataset)
    recs = [recs[i] for i in sorted(rng.permutation(len(recs))[: a.n])]
    ren = open_renderer(a.dataset, model.sample_rate, 1, a.cache_dir)
    L = model.stack.verdict.shape[1]
    agree = follow = 0
    with torch.no_grad():
        for s in range(0, len(recs), a.batch_size):
            b = recs[s:s + a.batch_size]
            batch = model.prepare(model_inputs(ren, b, model.input_mode), recipes=b, for_generation=True)
            audio = model._audio(batch, with_labels=False)
            args = (batch["input_ids"], batch["attention_mask"])
            normal = model.alm.generate(*args, model.clip_embeds(audio.tokens, audio.mask), batch["audio_positions"], 64)
            forced_cls = rng.integers(0, NUM_CLASSES, len(b))
            tokens = audio.tokens.clone()
            v = model.stack.verdict[torch.from_numpy(forced_cls)].to(tokens.dtype)          # (B, L, H)
            if tokens.dim() == 4:
                tokens[:, :, :L] = v[:, None]
            else:
                tokens[:, :L] = v
            forced = model.alm.generate(*args, model.clip_embeds(tokens, audio.mask), batch["audio_positions"], 64)
            head = decide(audio.aux.probs, allowed_from_anchor(batch["anchor"]), model.stack.threshold).tolist()
            agree += sum(said(t) == stem_dir(h) for t, h in zip(normal, head))
            follow += sum(said(t) == stem_dir(int(c)) for t, c in zip(forced, forced_cls))
    n = len(recs)
    print(f"{a.checkpoint} on {n} records of {a.dataset}:")
    print(f"  normal answers agreeing with the head's decided verdict (stem+direction / no change): {100 * agree / n:.1f}%")
    print(f"  answers following a forced one-hot verdict of a random class:             {100 * follow / n:.1f}%")


if __name__ == "__main__":
    main()
