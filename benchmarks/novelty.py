"""Diagnostic: could a mix model tell when a window is unlike its training mixes, and would that predict
its mistakes? The novelty of a window is the RMS over features of its level statistics standardised by the
head's own ``level_norm`` mean and spread (fitted on the training mixes). Per dataset: the spread of the
novelty, and the head's joint accuracy / no-error recall (its decision at its threshold) in novelty bands.
With ``--signals``: the novelty of test signals (noise, a sine, the example's solo stems, the example mix
at other levels). (Diagnosis only; nothing here chooses a shipped setting.)

    python benchmarks/novelty.py --checkpoint default-real --signals \
        --datasets work/ds-synth/validation.jsonl work/ds-synth/test.jsonl work/ds-real/test.jsonl
"""
import argparse
from pathlib import Path

import numpy as np
import torch
from scipy.signal import lfilter

from mixbuddy.audio import read_audio
from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.model.checkpoint import load_checkpoint
from mixbuddy.model.heads import anchor_index
from mixbuddy.predict.calibrate import tradeoff
from mixbuddy.predict.predict import model_inputs

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "lithium"


def levels(model, waves: np.ndarray) -> torch.Tensor:
    """(B, level_dim) level statistics of the (T,) mono waves in ``waves`` (B, T)."""
    w = torch.as_tensor(waves, dtype=torch.float32)
    with torch.no_grad():
        return model.stack.level_stats(w, torch.full((w.shape[0],), w.shape[1])).reshape(w.shape[0], -1)


def novelty(model, lv: torch.Tensor) -> np.ndarray:
    """RMS over features of the level statistics ``lv`` standardised by the head's training statistics."""
    head = model.stack.aux_head
    z = (lv - head.level_mean.float()[0]) / head.level_std.float()[0]
    return z.pow(2).mean(1).sqrt().numpy()


def head_probs(model, lv: torch.Tensor, recs) -> np.ndarray:
    """The aux head's class probabilities from the same statistics (no second rendering)."""
    anchor = torch.tensor([anchor_index(r.anchor) for r in recs])
    with torch.no_grad():
        return model.stack.aux_only(None, anchor=anchor, levels=lv).probs.numpy()


def test_signals(sr: int, seconds: float = 10.0) -> dict[str, np.ndarray]:
    n, rng = int(seconds * sr), np.random.default_rng(0)
    fit = lambda x: np.pad(x[:n], (0, max(0, n - len(x))))  # noqa: E731
    pink = lfilter([0.049922035, -0.095993537, 0.050612699, -0.004408786],
                   [1, -2.494956002, 2.017265875, -0.522189400], rng.standard_normal(n))
    out = {"white noise": 0.1 * rng.standard_normal(n), "pink noise": 0.3 * pink,
           "sine 440 Hz": 0.3 * np.sin(2 * np.pi * 440 * np.arange(n) / sr)}
    for f in sorted((EXAMPLE / "stems").iterdir()):
        out[f"example solo {f.stem}"] = fit(read_audio(f, sr, 1)[0][:, 0])
    mix = fit(read_audio(EXAMPLE / "mix.ogg", sr, 1)[0][:, 0])
    for g in (0, -20, -10, 10):
        out[f"example mix {g:+d} dB"] = np.clip(mix * 10 ** (g / 20), -1, 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default="default-real")
    ap.add_argument("--datasets", nargs="*", default=[])
    ap.add_argument("--max-records", type=int, default=1200, help="every k-th record above this many")
    ap.add_argument("--signals", action="store_true")
    ap.add_argument("--cache-dir", default="work/cache")
    a = ap.parse_args()
    model = load_checkpoint(a.checkpoint, device="cpu").eval()
    if not getattr(model.stack.aux_head, "level_norm", False):
        raise SystemExit(f"{a.checkpoint}: its head has no level_norm statistics to measure novelty against")
    sr, th = model.sample_rate, model.stack.threshold
    for ds in a.datasets:
        recs = load_recipes(ds)
        recs = recs[::-(-len(recs) // a.max_records)]
        ren = open_renderer(ds, sr, 1, a.cache_dir)
        lv = torch.cat([levels(model, np.stack(model_inputs(ren, recs[s:s + 32], "mix")))
                        for s in range(0, len(recs), 32)])
        nov, probs = novelty(model, lv), head_probs(model, lv, recs)
        q = np.percentile(nov, [50, 95, 99])
        print(f"{ds} ({len(recs)} records): novelty median {q[0]:.2f}, 95th {q[1]:.2f}, 99th {q[2]:.2f}, "
              f"max {nov.max():.2f}")
        edges = np.quantile(nov, [0, 0.25, 0.5, 0.75, 0.9, 1])
        for lo, hi in zip(edges[:-1], edges[1:]):
            sel = np.flatnonzero((nov >= lo) & (nov <= hi))
            row = tradeoff([recs[i] for i in sel], probs[sel], [th or 0.0])[0]
            print(f"  novelty {lo:5.2f}-{hi:5.2f} ({len(sel):4d}): joint {row['joint']:5.1f}%, "
                  f"no-error recall {row['no_error']:5.1f}%")
    if a.signals:
        sig = test_signals(sr)
        for name, v in zip(sig, novelty(model, levels(model, np.stack(list(sig.values())).astype(np.float32)))):
            print(f"{name:24s} novelty {v:5.2f}")


if __name__ == "__main__":
    main()
