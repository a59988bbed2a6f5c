"""Probe: could the mix model state an exact gain ("about 8.5 dB") instead of a range? A small MLP
regresses the signed gain of the pushed stem from the mix's ``full`` level statistics (standardised) plus
the true target and anchor (one-hot), trained on the flawed training recipes of the shipped ``default-real``
recipe (24,000 sampled, thinned bystanders p = 0.15, not augmented) and scored on every flawed validation
recipe: MAE, MAE once clamped into the true range (what an answer that already names the right range could
add), sign and range agreement; against the midpoint of the true range (4.5 or 9 dB), the best a
range-only answer can do. Diagnosis on validation only.

    python benchmarks/gain_probe.py
"""
import time
from pathlib import Path

import numpy as np
import torch

from head_features import features
from mixbuddy.constants import TARGET_STEMS
from mixbuddy.data.recipe import load_recipes


def inputs(recs, x, mu=None, sd=None):
    keep = [i for i, r in enumerate(recs) if r.target is not None and r.gain_db]
    onehot = np.zeros((len(keep), 6), np.float32)
    for j, i in enumerate(keep):
        onehot[j, TARGET_STEMS.index(recs[i].target)] = onehot[j, 3 + TARGET_STEMS.index(recs[i].anchor)] = 1
    f = x[keep].reshape(len(keep), -1).astype(np.float32)
    mu, sd = (f.mean(0), f.std(0) + 1e-3) if mu is None else (mu, sd)
    g = np.array([recs[i].gain_db for i in keep], np.float32)
    return torch.from_numpy(np.concatenate([(f - mu) / sd, onehot], 1)), g, mu, sd


def main() -> None:
    torch.set_num_threads(2)
    tr = load_recipes("work/ds-synth/train.jsonl")
    va = load_recipes("work/ds-synth/validation.jsonl")
    tr = [tr[i] for i in np.sort(np.random.default_rng(0).permutation(len(tr))[:24000])]
    cache = Path("work/feats")
    xa, ga, mu, sd = inputs(tr, features(tr, "train", "mix", "full", False, cache, 2, thin=0.15))
    xb, gb, _, _ = inputs(va, features(va, "validation", "mix", "full", False, cache, 2), mu, sd)
    lo, hi = np.where(np.abs(gb) < 6, 3.0, 6.0), np.where(np.abs(gb) < 6, 6.0, 12.0)
    print(f"{len(ga)} flawed training / {len(gb)} validation recipes; midpoint of the true range: MAE "
          f"{np.mean(np.abs(np.sign(gb) * (lo + hi) / 2 - gb)):.2f} dB")
    for hidden, epochs, wd in [(256, 10, 1e-4), (256, 30, 1e-3), (512, 20, 1e-3)]:
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(xa.shape[1], hidden), torch.nn.GELU(), torch.nn.Dropout(0.2),
                                  torch.nn.Linear(hidden, hidden), torch.nn.GELU(), torch.nn.Linear(hidden, 1))
        opt = torch.optim.AdamW(net.parameters(), 1e-3, weight_decay=wd)
        n, bs, target = len(ga), 256, torch.from_numpy(ga)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, 1e-3, total_steps=epochs * (n // bs))
        t0 = time.time()
        for _ in range(epochs):
            net.train()
            perm = torch.randperm(n)
            for s in range(0, n - bs + 1, bs):
                b = perm[s:s + bs]
                loss = torch.nn.functional.huber_loss(net(xa[b])[:, 0], target[b], delta=2.0)
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
        with torch.no_grad():
            p = net.eval()(xb)[:, 0].numpy()
        clamped = np.sign(gb) * np.clip(np.abs(p), lo, hi)
        print(f"hidden {hidden}, {epochs} passes, weight decay {wd:g}: MAE {np.mean(np.abs(p - gb)):.2f} dB, "
              f"clamped into the true range {np.mean(np.abs(clamped - gb)):.2f} dB, sign {100 * np.mean(np.sign(p) == np.sign(gb)):.1f}%, "
              f"range {100 * np.mean((np.abs(p) >= 6) == (np.abs(gb) >= 6)):.1f}% ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
