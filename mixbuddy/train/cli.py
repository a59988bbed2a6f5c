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


def run_export(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from ..errors import ConfigError
    from ..model.checkpoint import load_checkpoint, save_checkpoint

    src = Path(args.checkpoint)
    model = load_checkpoint(src, device="cpu")
    if args.threshold is not None:
        if model.cfg.audio.aux.verdict_mode != "hard":
            raise ConfigError(f"{src}: --threshold sets the hard verdict's threshold; this model's verdict is "
                              f"{model.cfg.audio.aux.verdict_mode!r}")
        model.cfg.audio.aux.verdict_threshold = float(args.threshold)
    meta_path = src / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    extra = {"exported_from": str(src), "source_meta": meta.get("extra", {}), "notes": list(args.note or [])}
    out = save_checkpoint(model, args.output, extra, dtype=args.dtype, base=args.base,
                          replaces=args.replaces or ["stack.aux_head"])
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"{out}: {size / 1e6:.1f} MB ({args.dtype or 'as trained'})")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    e = subparsers.add_parser("export", help="re-save a trained checkpoint for shipping (e.g. in float16)",
                              description="Loads a checkpoint and writes its trained parts again, optionally cast "
                                          "to a smaller dtype; provenance goes to meta.json.")
    e.add_argument("--checkpoint", required=True, help="checkpoint folder (e.g. runs/default/best)")
    e.add_argument("-o", "--output", required=True, help="folder to write (replaced atomically)")
    e.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default=None)
    e.add_argument("--note", action="append", help="provenance note stored in meta.json (repeatable)")
    e.add_argument("--base", default=None,
                   help="write a derived checkpoint: only the parameters under --replaces, the rest read from this "
                        "checkpoint (a shipped model's name, or a folder relative to the output) when loading")
    e.add_argument("--replaces", action="append", metavar="PREFIX",
                   help="with --base: parameter-name prefix stored (repeatable; default stack.aux_head)")
    e.add_argument("--threshold", type=float, default=None,
                   help="store this P(imbalance) threshold for the hard verdict (see `mixbuddy calibrate`)")
    e.set_defaults(func=run_export)

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
