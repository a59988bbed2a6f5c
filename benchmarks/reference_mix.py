"""Can a *mix* model use a reference song? Its head standardises the mix's level statistics with their mean
over the training mixes (``aux_head.level_mean``). With a reference, that mean is moved by how the
reference's clean mixes differ from balanced training mixes, so the song's statistics are read relative
to the reference's style: level_mean + (mean over the reference's clean windows − mean over balanced
training windows).

Head decisions at the model's shipped threshold on every record of the real songs (what the LLM states
word for word), with the same references as ``benchmarks/reference_balance.py``; the reference's clean
windows are its no-error records (the chunks as the artist mixed them), the balanced training windows the
no-error records of ``--train`` (the first ``--train-records`` of them).

    python benchmarks/reference_mix.py --checkpoint default-real --dataset work/ds-real/test.jsonl \
        --train work/ds-synth/train.jsonl --cache-dir work/cache
"""
from __future__ import annotations

import argparse

import torch

from reference_balance import album_references

from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.model.checkpoint import load_checkpoint
from mixbuddy.predict.calibrate import head_probabilities, tradeoff


def mean_levels(model, records, renderer, batch_size: int) -> torch.Tensor:
    """Mean (over records) of the level statistics the aux head receives."""
    seen: list[torch.Tensor] = []
    head = model.stack.aux_head
    hook = head.register_forward_hook(lambda m, args, kw, out: seen.append(kw["levels"].detach().float()),
                                      with_kwargs=True)
    try:
        head_probabilities(model, records, renderer, batch_size)
    finally:
        hook.remove()
    lv = torch.cat(seen)
    return lv.reshape(lv.shape[0], -1, head.level_dim).mean(0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", default="default-real")
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--train-records", type=int, default=600)
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--batch-size", type=int, default=32)
    a = ap.parse_args()
    model = load_checkpoint(a.checkpoint, device="cpu").eval()
    head = model.stack.aux_head
    records = load_recipes(a.dataset)
    renderer = open_renderer(a.dataset, model.sample_rate, 1, a.cache_dir)
    train = [r for r in load_recipes(a.train) if r.category == "no_error"][: a.train_records]
    balanced = mean_levels(model, train, open_renderer(a.train, model.sample_rate, 1, a.cache_dir), a.batch_size)
    songs = sorted({r.song_id for r in records})
    clean = {s: mean_levels(model, [r for r in records if r.song_id == s and r.category == "no_error"], renderer,
                            a.batch_size) for s in songs}
    base = head.level_mean.clone()
    th = model.stack.threshold
    ways = album_references(songs)
    print(f"{a.checkpoint} on {a.dataset}: {len(records)} records, threshold {th}; {len(train)} balanced training records")
    print("reference | joint | stem | direction | magnitude | no-error")
    for way, ref_of in ways.items():
        parts = []
        for s in songs:
            ref = ref_of(s)
            head.level_mean.copy_(base if ref is None else base + clean[ref] - balanced)
            recs = [r for r in records if r.song_id == s]
            parts.append((recs, head_probabilities(model, recs, renderer, a.batch_size)))
        head.level_mean.copy_(base)
        order = [r for recs, _ in parts for r in recs]
        probs = torch.cat([torch.as_tensor(p) for _, p in parts]).numpy()
        (row,) = tradeoff(order, probs, [th or 0.0])
        print(f"{way} | {row['joint']:.2f} | {row['stem']:.2f} | {row['direction']:.2f} | {row['magnitude']:.2f} | "
              f"{row['no_error']:.2f}")


if __name__ == "__main__":
    main()
