"""``mixbuddy train --config configs/X.yaml``: train a model and write its run directory."""
from __future__ import annotations

import argparse


def run_train(args: argparse.Namespace) -> int:
    from .config import load_train_config

    overrides = list(args.set or [])
    if args.output:
        overrides.append(f"train.output_dir={args.output}")
    if args.no_progress:
        overrides.append("train.progress=false")
    cfg = load_train_config(args.config, overrides)
    if args.check:
        print(f"{args.config}: valid ({cfg.model.input_mode} mode, encoder {cfg.model.audio.encoder.kind}, "
              f"output {cfg.train.output_dir})")
        return 0
    from .trainer import run_training

    res = run_training(cfg, resume=args.resume)
    if res.best is not None:
        print(f"best {res.best['metric']} {res.best['value']:.4f} at step {res.best['step']} -> {res.run_dir / 'best'}")
    print(f"final checkpoint: {res.run_dir / 'checkpoint'}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train the audio-language model (two stages, validation selection)",
                              description="Train a model as a YAML TrainConfig says (see configs/default.yaml). "
                                          "Multi-process: torchrun --nproc_per_node N -m mixbuddy train ...")
    p.add_argument("--config", required=True, help="training YAML (model, data, optim, train sections)")
    p.add_argument("-o", "--output", default=None, help="run directory (overrides train.output_dir)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a config value, e.g. --set optim.max_steps=100 (repeatable; YAML values)")
    p.add_argument("--resume", action="store_true", help="continue from <run>/resume if present")
    p.add_argument("--check", action="store_true", help="only validate the config and exit")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run_train)
