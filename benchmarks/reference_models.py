"""Can the stems *model* use a reference song too? Its head learned the synthetic songs' balance; a reference
song's balance can be handed to it by turning each stem of the song by the difference between the typical
balance it learned (the loudness engine's prior, fitted on the same training songs) and the reference's,
so that a mix balanced like the reference reaches it balanced like the training songs. The gains sum to
zero over the stems, so the overall level hardly moves; the advised correction is unchanged by the shift.

Scored from the head's decided classes at the model's shipped threshold (what the LLM states word for word;
``benchmarks/operating_point.py`` reproduces the reports from them exactly), on every record of the real
songs, with the same references as ``benchmarks/reference_balance.py`` (prior = no shift).

    python benchmarks/reference_models.py --checkpoint default-stems --dataset work/ds-real/test.jsonl \
        --songs ../shared/data/real-dev --cache-dir work/cache
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from reference_balance import album_references, reference_balance

from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.model.checkpoint import load_checkpoint
from mixbuddy.predict.calibrate import head_probabilities, tradeoff
from mixbuddy.predict.engines import LoudnessEngine
from mixbuddy.predict.reference import shift_gains


class Shifted:
    """A renderer whose stems come out turned by ``gains[(song, anchor)][stem]`` dB."""

    def __init__(self, base, gains):
        self.base, self.gains = base, gains

    def render(self, r, return_stems=False, **kw):
        out = self.base.render(r, return_stems=return_stems, **kw)
        for s, g in self.gains.get((r.song_id, r.anchor), {}).items():
            if out.stems is not None and s in out.stems:
                out.stems[s] = out.stems[s] * np.float32(10 ** (g / 20))
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", default="default-stems")
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--songs", required=True)
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--batch-size", type=int, default=32)
    a = ap.parse_args()
    model = load_checkpoint(a.checkpoint, device="cpu").eval()
    records = load_recipes(a.dataset)
    base = open_renderer(a.dataset, model.sample_rate, 1, a.cache_dir)
    engine = LoudnessEngine()
    songs = sorted({r.song_id for r in records})
    ways = album_references(songs)
    th = model.stack.threshold
    print(f"{a.checkpoint} on {a.dataset}: {len(records)} records, threshold {th}")
    print("reference | joint | stem | direction | magnitude | no-error")
    cache: dict = {}
    for way, ref_of in ways.items():
        gains = {}
        for s in songs:
            for anchor in sorted({r.anchor for r in records if r.song_id == s}):
                levels = reference_balance(engine, [Path(a.songs) / f for f in ref_of(s)], anchor, cache)
                if levels is not None:
                    gains[(s, anchor)] = shift_gains(engine.balance, levels)
        probs = head_probabilities(model, records, Shifted(base, gains), a.batch_size)
        (row,) = tradeoff(records, probs, [th or 0.0])
        print(f"{way} | {row['joint']:.2f} | {row['stem']:.2f} | {row['direction']:.2f} | {row['magnitude']:.2f} | "
              f"{row['no_error']:.2f}")


if __name__ == "__main__":
    main()
