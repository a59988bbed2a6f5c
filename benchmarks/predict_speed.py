"""``mixbuddy predict``'s speed by batch size, and with the LoRA weights merged into the LLM: faster? same answers?

For each checkpoint, the model is loaded once (and, with ``--merged-lora``, a second copy whose LoRA adapter is
merged into the LLM's weights, ``peft``'s ``merge_and_unload``, timed). After a warm-up, the first ``--limit``
records of the dataset are predicted under each setting in turn, for ``--rounds`` rounds, into temporary files:
each ``--batch`` size, then the merged copy at the largest batch. Prints every setting's median time and records
per second, and how many of its lines differ from the first setting's (answer texts; confidence / P(right)).

    mixbuddy data build --corpus-config configs/corpus/real-dev.yaml --config configs/data-real.yaml -o work/ds-real
    python benchmarks/predict_speed.py --checkpoint default-real --checkpoint default-stems \\
        --dataset work/ds-real/test.jsonl --merged-lora
"""
from __future__ import annotations

import argparse
import copy
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path

from predict_shared_start import count_differences   # this folder is on sys.path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", action="append", required=True, help="model to time (repeatable)")
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--batch", type=int, action="append", help="records per generate() call (default: 8, 16, 32)")
    ap.add_argument("--merged-lora", action="store_true", help="also time a copy with the LoRA weights merged")
    ap.add_argument("--limit", type=int, default=96, help="records per setting")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    logging.disable(logging.INFO)
    from mixbuddy.model.checkpoint import load_checkpoint
    from mixbuddy.predict.predict import predict_dataset

    batches = args.batch or [8, 16, 32]
    for ckpt in args.checkpoint:
        model = load_checkpoint(ckpt)
        settings = [(f"batch {b}", model, b) for b in batches]
        if args.merged_lora:
            merged = copy.deepcopy(model)
            t0 = time.perf_counter()
            merged.alm.llm = merged.alm.llm.merge_and_unload()
            print(f"{ckpt}: LoRA merged into the LLM in {time.perf_counter() - t0:.2f} s", flush=True)
            settings.append((f"batch {max(batches)}, LoRA merged", merged, max(batches)))
        times: dict[str, list[float]] = {name: [] for name, _, _ in settings}
        lines: dict[str, list[str]] = {}
        with tempfile.TemporaryDirectory() as tmp:
            for m in {id(m): m for _, m, _ in settings}.values():   # warm-up: first calls, caches
                predict_dataset(m, args.dataset, Path(tmp) / "warm.jsonl", batch_size=max(batches),
                                limit=max(batches), progress=False, model_id=ckpt)
                (Path(tmp) / "warm.jsonl").unlink()
            for rnd in range(args.rounds):
                for i, (name, m, b) in enumerate(settings):
                    out = Path(tmp) / f"round{rnd}-setting{i}.jsonl"
                    t0 = time.perf_counter()
                    predict_dataset(m, args.dataset, out, batch_size=b, limit=args.limit, progress=False,
                                    model_id=ckpt)
                    times[name].append(time.perf_counter() - t0)
                    lines.setdefault(name, out.read_text().splitlines())
        first = [json.loads(x) for x in lines[settings[0][0]]]
        for name, _, _ in settings:
            rows = [json.loads(x) for x in lines[name]]
            texts, numbers = count_differences(first, rows)
            t = statistics.median(times[name])
            print(f"{ckpt}, {name}: {len(rows)} records, median {t:.1f} s ({len(rows) / t:.2f} records/s; "
                  f"rounds {', '.join(f'{x:.1f}' for x in times[name])}); against {settings[0][0]}: {texts} "
                  f"answers and {numbers} confidence / P(right) pairs differ", flush=True)


if __name__ == "__main__":
    main()
