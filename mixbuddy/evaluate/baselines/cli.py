"""``mixbuddy baseline NAME --dataset test.jsonl -o preds.jsonl``: predictions in the models' format
({id, text, confidence}), scored later by ``mixbuddy evaluate`` through the same parser."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ...errors import DataError
from ...io import write_json, write_jsonl

BASELINES = ("random", "majority", "oracle-stems", "loudness-stems", "mix-features")
log = logging.getLogger(__name__)


def run_baseline(args: argparse.Namespace) -> int:
    from ...data.recipe import check_result_file, load_recipes
    from ...io import check_output_dir
    from .common import open_renderer

    # every output is checked before any record is read or audio decoded
    for out in (args.output, f"{args.output}.json"):
        check_result_file("-o", out, [("the dataset", args.dataset), ("the training split", args.train)])
    if args.cache_dir:
        check_output_dir(args.cache_dir, "--cache-dir", writable=False)
    for opt, path in (("--dataset", args.dataset), ("--train", args.train)):
        if path and Path(path).is_dir():
            raise DataError(f"{opt} {path}: is a folder; give a <split>.jsonl file of the dataset")
    records = load_recipes(args.dataset)
    if not records:
        raise DataError(f"{args.dataset}: no records")
    needs_train = args.name in ("majority", "loudness-stems", "mix-features")
    train: list = []
    train_path = None
    train_source = None
    if needs_train:
        train_path = Path(args.train or Path(args.dataset).parent / "train.jsonl")
        if args.train is None and not train_path.exists():
            raise DataError(f"{args.name} is fitted on a training split and {train_path} (the default, beside "
                            "--dataset) does not exist: give one with --train (e.g. the synthetic "
                            "work/ds-synth/train.jsonl for a test-only dataset such as the real songs)")
        train = load_recipes(train_path)
        if args.max_train is not None and len(train) > args.max_train:    # seeded subset, file order kept
            import numpy as np

            keep = np.sort(np.random.default_rng(args.seed).permutation(len(train))[: args.max_train])
            train = [train[i] for i in keep]
            train_source = f"{train_path} (--max-train {args.max_train} of its records)"
        if not train:
            raise DataError(f"{train_path}: the training split is empty; {args.name} learns from it")
        overlap = {r.song_id for r in train} & {r.song_id for r in records}
        if overlap:
            raise DataError(f"{train_path} and {args.dataset} share songs {sorted(overlap)[:5]}: "
                            "a baseline must not be fitted on the songs it is scored on")
    extra = {}
    if args.name == "random":
        from .simple import predict_random
        preds = predict_random(records, args.seed)
    elif args.name == "majority":
        from .simple import predict_majority
        preds = predict_majority(records, train, args.seed)
    else:
        renderer = open_renderer(args.dataset, args.sr, args.channels, args.cache_dir)
        # the training split may come from another corpus (e.g. synthetic train → real test)
        train_renderer = (open_renderer(train_path, args.sr, args.channels, args.cache_dir)
                          if needs_train and train_path.parent != Path(args.dataset).parent else renderer)
        if args.name == "oracle-stems":
            from .simple import predict_oracle
            preds = predict_oracle(records, renderer, args.workers)
        elif args.name == "loudness-stems":
            from .loudness import predict_loudness
            preds, balance = predict_loudness(records, train, renderer, train_renderer, args.seed, args.workers,
                                              train_source=train_source or str(train_path))
            extra = {"balance_prior": balance.to_dict(), "contrast_std_db": balance.contrast_std()}
        else:
            from .mixfeat import predict_mix_features
            preds = predict_mix_features(records, train, renderer, train_renderer, args.seed, args.workers)
    n = write_jsonl(args.output, preds)
    info = {"baseline": args.name, "dataset": str(args.dataset), "records": n, "seed": args.seed,
            "sample_rate": args.sr, "channels": args.channels, **extra}
    if needs_train:
        info["train"] = str(train_path)
        info["train_records"] = len(train)
    write_json(str(args.output) + ".json", info)
    print(f"{args.output}: {n} predictions from baseline {args.name}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    from ...argtypes import channel_count, non_negative_int, positive_int

    p = subparsers.add_parser("baseline", help="run a reference baseline and write predictions JSONL",
                              description="Baselines write advice text in the dataset's style, so "
                                          "`mixbuddy evaluate` scores them with the same parser as a model.")
    p.add_argument("name", choices=BASELINES)
    p.add_argument("--dataset", required=True, help="dataset JSONL to answer (e.g. work/ds/test.jsonl)")
    p.add_argument("-o", "--output", required=True, help="predictions JSONL to write")
    p.add_argument("--train", default=None, help="training split for fitted baselines (default: train.jsonl beside --dataset)")
    p.add_argument("--max-train", type=positive_int, default=None,
                   help="fit on a seeded subset of this many training records (default: all)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed (>= 0)")
    p.add_argument("--sr", type=positive_int, default=22050, help="analysis sample rate in Hz")
    p.add_argument("--channels", type=channel_count, default=2, help="1 or 2 (default 2)")
    p.add_argument("--workers", type=non_negative_int, default=None,
                   help="worker processes (default: up to 4; 0 or 1 = in this process)")
    p.add_argument("--cache-dir", default=None, help="decoded-stem cache folder (memory-mapped .npy)")
    p.set_defaults(func=run_baseline)
