"""``mixbuddy predict`` with the shared prompt start read once per batch and once per row: same answers?

Predicts a dataset twice with one loaded model, ``alm.share_start`` off, then on (``mixbuddy.model.prefix``),
into temporary files, and compares them line by line (text, confidence, P(right)). Prints each run's time.

    mixbuddy data build --corpus-config configs/corpus/real-dev.yaml --config configs/data-real.yaml -o work/ds-real
    python benchmarks/predict_shared_start.py --checkpoint default-stems --dataset work/ds-real/test.jsonl
"""
from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path


def count_differences(before: list[dict], after: list[dict]) -> tuple[int, int]:
    """(answer texts, confidence / P(right) pairs) that differ between two predictions files' records."""
    texts = sum(a["text"] != b["text"] for a, b in zip(before, after))
    numbers = sum((a.get("confidence"), a.get("p_answer")) != (b.get("confidence"), b.get("p_answer"))
                  for a, b in zip(before, after))
    return texts, numbers


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--batch-size", type=int, default=16, help="as scripts/model_reports.sh (16)")
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    logging.disable(logging.INFO)
    from mixbuddy.model.checkpoint import checkpoint_id, load_checkpoint
    from mixbuddy.predict.predict import predict_dataset

    model = load_checkpoint(args.checkpoint)
    lines = {}
    with tempfile.TemporaryDirectory() as tmp:
        for share in (False, True):
            model.alm.share_start = share
            out = Path(tmp) / f"share-{int(share)}.jsonl"
            t0 = time.perf_counter()
            predict_dataset(model, args.dataset, out, batch_size=args.batch_size, limit=args.limit,
                            progress=False, model_id=checkpoint_id(args.checkpoint))
            lines[share] = out.read_text().splitlines()
            print(f"shared start {'read once' if share else 'per row'}: {len(lines[share])} records in "
                  f"{time.perf_counter() - t0:.1f} s", flush=True)
    before, after = ([json.loads(x) for x in lines[s]] for s in (False, True))
    texts, numbers = count_differences(before, after)
    same = sum(x == y for x, y in zip(lines[False], lines[True]))
    print(f"{args.checkpoint} on {args.dataset}: {same} of {len(before)} lines byte for byte the same; "
          f"{texts} answers and {numbers} confidence / P(right) pairs differ")


if __name__ == "__main__":
    main()
