"""``mixbuddy evaluate``: score predictions against a dataset and write a report.

Baselines (``mixbuddy baseline ...``) live in :mod:`mixbuddy.evaluate.baselines`; when that package
provides a ``cli`` module with ``register(subparsers)`` it is registered here too.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path


def run_evaluate(args: argparse.Namespace) -> int:
    from .run import evaluate_files

    res = evaluate_files(args.predictions, args.dataset, args.output, name=args.name, seed=args.seed,
                         n_boot=args.bootstrap, allow_missing=args.allow_missing, similarity=args.similarity)
    h, ci, c = res["headline"], res["ci95"], res["counts"]

    def pct(k: str) -> str:
        v, (lo, hi) = h.get(k), ci.get(k, [None, None])
        if v is None:
            return "—"
        return f"{100 * v:.2f}%" + (f" [{100 * lo:.2f}, {100 * hi:.2f}]" if lo is not None else "")

    print(f"{res['meta']['name']}: {res['n']} samples, {res['n_songs']} songs "
          f"(unanswered {c['unanswered']}, unparseable {c['unparseable']})")
    print(f"  joint {pct('joint_accuracy')}  stem {pct('stem_accuracy')}  direction {pct('direction_accuracy')}")
    print(f"  magnitude {pct('magnitude_accuracy')}  no-error {pct('no_error_accuracy')}")
    t1 = res["table1"]
    f1 = lambda k: "—" if t1[k]["f1"] is None else f"{100 * t1[k]['f1']:.2f}"  # noqa: E731
    print(f"  F1: detection {f1('error_detection')}  stem {f1('stem_identification')}  "
          f"direction {f1('direction_prediction')}")
    if h.get("mean_abs_db_error") is not None:
        print(f"  mean |dB error| {h['mean_abs_db_error']:.2f} dB over {c['with_gain']} stated gains")
    if res.get("similarity") and res["similarity"]["mean"] is not None:
        print(f"  similarity {res['similarity']['mean']:.4f}")
    print(f"  report: {res['paths']['report']}")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..io import check_not_an_input, check_output_file
    from .compare import compare_files, render_markdown

    if args.names is not None and len(args.names) != 2:
        raise ConfigError(f"--names wants two names (A then B), got {len(args.names)}")
    if args.output:
        for suffix in (".json", ".md"):
            out = Path(args.output).with_suffix(suffix)
            check_not_an_input("-o", out, [("A", args.a), ("B", args.b), ("the dataset", args.dataset)])
            check_output_file(out)
    res = compare_files(args.dataset, args.a, args.b, args.output, tuple(args.names) if args.names else None,
                        n_boot=args.bootstrap, seed=args.seed)
    sys.stdout.write(render_markdown(res))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..argtypes import non_negative_int

    p = subparsers.add_parser("evaluate", help="score predictions against a dataset (Tables I-IV, CIs, figures)",
                              description="Score predictions (JSONL {id, text} or {id, finding}) against a dataset.")
    p.add_argument("--predictions", required=True, help="predictions JSONL: {id, text} [finding] [confidence]")
    p.add_argument("--dataset", required=True, help="dataset JSONL (recipes) the predictions answer")
    p.add_argument("-o", "--output", required=True, help="report folder (report.md, metrics.json, PNGs)")
    p.add_argument("--name", default=None, help="model/baseline name shown in the report (default: file stem)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="bootstrap seed (>= 0)")
    p.add_argument("--bootstrap", type=non_negative_int, default=1000, help="song-bootstrap resamples (0 = no CIs)")
    p.add_argument("--allow-missing", action="store_true",
                   help="score dataset ids without a prediction as unanswered (wrong) instead of failing")
    p.add_argument("--similarity", action="store_true",
                   help="also report MiniLM semantic similarity to the reference answers (optional extra)")
    p.set_defaults(func=run_evaluate)
    c = subparsers.add_parser("compare", help="is A better than B on the same records? (paired song bootstrap)",
                              description="Scores two prediction files against one dataset and gives every headline "
                                          "number for A, for B and as A - B with a paired song-bootstrap CI.")
    c.add_argument("a", help="predictions JSONL of system A")
    c.add_argument("b", help="predictions JSONL of system B")
    c.add_argument("--dataset", required=True, help="dataset JSONL both answer")
    c.add_argument("--names", nargs="+", default=None, metavar="NAME", help="two names, A then B (default: file stems)")
    c.add_argument("-o", "--output", default=None, help="also write OUTPUT.json and OUTPUT.md")
    c.add_argument("--seed", type=non_negative_int, default=0, help="bootstrap seed (>= 0)")
    c.add_argument("--bootstrap", type=non_negative_int, default=2000, help="paired song-bootstrap resamples (0 = none)")
    c.set_defaults(func=run_compare)
    try:  # the baseline verbs, once that package has a CLI
        mod = importlib.import_module("mixbuddy.evaluate.baselines.cli")
    except ModuleNotFoundError as e:
        if e.name not in ("mixbuddy.evaluate.baselines.cli", "mixbuddy.evaluate.baselines"):
            raise
    else:
        mod.register(subparsers)
