"""``mixbuddy train --config configs/X.yaml``: train a model and write its run directory."""
from __future__ import annotations

import argparse

from ..argtypes import probability


def run_train(args: argparse.Namespace) -> int:
    from .config import check_run_inputs, load_train_config

    overrides = list(args.set or [])
    if args.output:
        overrides.append(f"train.output_dir={args.output}")
    if args.no_progress:
        overrides.append("train.progress=false")
    cfg = load_train_config(args.config, overrides)
    if args.check:                             # a run checks the same when it starts (Run), before building
        check_run_inputs(cfg, args.resume, args.overwrite)
        print(f"{args.config}: valid ({cfg.model.input_mode} mode, encoder {cfg.model.audio.encoder.kind}, "
              f"dataset {cfg.data.dataset}, output {cfg.train.output_dir})")
        return 0
    from .trainer import run_training

    res = run_training(cfg, resume=args.resume, overwrite=args.overwrite)
    if res.best is not None:
        print(f"best {res.best['metric']} {res.best['value']:.4f} at step {res.best['step']} -> {res.run_dir / 'best'}")
    print(f"final checkpoint: {res.run_dir / 'checkpoint'}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import ConfigError
    from ..model.checkpoint import (META_FILE, check_checkpoint_files, check_checkpoint_output, checkpoint_config,
                                    derived_base_dir, is_checkpoint_dir, load_checkpoint, read_checkpoint_json,
                                    save_checkpoint)
    from ..model.model_card import parse_report_args, write_model_card

    reports = parse_report_args(args.report or [])
    if args.card_only:                         # documentation only: no model is loaded, no weight is rewritten
        if args.output is not None or args.dtype or args.base or args.replaces or args.threshold is not None or args.note:
            raise ConfigError("--card-only rewrites the model card (README.md) of --checkpoint in place; it takes "
                              "only --report (drop -o, --dtype, --base, --replaces, --threshold and --note)")
        src, _ = checkpoint_config(args.checkpoint)
        print(write_model_card(src, Path(args.checkpoint).name, reports))
        return 0
    if args.output is None:
        raise ConfigError("export needs -o/--output (the folder to write), unless --card-only")
    # everything that can be checked is checked before the model is loaded (seconds) and before anything is written
    if args.replaces and args.base is None:
        raise ConfigError("--replaces only applies to a derived checkpoint: give --base too (the checkpoint the "
                          "other parameters are read from)")
    replaces = args.replaces or ["stack.aux_head"]
    out = check_checkpoint_output(args.output)
    src, cfg = checkpoint_config(args.checkpoint)
    if is_checkpoint_dir(out) and out.resolve() != src.resolve():
        try:
            _, old = checkpoint_config(out)
        except ConfigError:                    # a damaged checkpoint: replacing it is what export is for
            old = None
        if old is not None and old.input_mode != cfg.input_mode:
            raise ConfigError(f"-o {out}: holds a model that hears the {old.input_mode}, and {args.checkpoint} "
                              f"hears the {cfg.input_mode}; export it to another folder (or remove {out} first)")
    if args.threshold is not None and cfg.audio.aux.verdict_mode != "hard":
        raise ConfigError(f"{src}: --threshold sets the hard verdict's threshold; this model's verdict is "
                          f"{cfg.audio.aux.verdict_mode!r}")
    if args.base is not None:
        derived_base_dir(out, args.base, replaces, what="--base")
    check_checkpoint_files(src, cfg)
    meta = read_checkpoint_json(src / META_FILE) if (src / META_FILE).is_file() else {}
    if not isinstance(meta, dict):
        raise ConfigError(f"{src / META_FILE}: damaged checkpoint file (expected a JSON object, got "
                          f"{type(meta).__name__})")
    model = load_checkpoint(src, device="cpu")
    if args.threshold is not None:
        model.cfg.audio.aux.verdict_threshold = float(args.threshold)
    extra = {"exported_from": str(Path(args.checkpoint)), "source_meta": meta.get("extra", {}),
             "notes": list(args.note or [])}
    out = save_checkpoint(model, out, extra, dtype=args.dtype, base=args.base, replaces=replaces, reports=reports)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"{out}: {size / 1e6:.1f} MB ({args.dtype or 'as trained'})")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    e = subparsers.add_parser("export", help="re-save a trained checkpoint for shipping (e.g. in float16)",
                              description="Loads a checkpoint and writes its trained parts again, optionally cast "
                                          "to a smaller dtype; provenance goes to meta.json, a model card to "
                                          "README.md.")
    e.add_argument("--checkpoint", required=True, help="checkpoint folder (e.g. runs/default/best)")
    e.add_argument("-o", "--output", default=None,
                   help="folder to write: a new one, or an existing checkpoint folder (replaced atomically)")
    e.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default=None)
    e.add_argument("--note", action="append", help="provenance note stored in meta.json (repeatable)")
    e.add_argument("--base", default=None,
                   help="write a derived checkpoint: only the parameters under --replaces, the rest read from this "
                        "checkpoint (a shipped model's name, or a folder relative to the output) when loading")
    e.add_argument("--replaces", action="append", metavar="PREFIX",
                   help="with --base: parameter-name prefix stored (repeatable; default stack.aux_head)")
    e.add_argument("--threshold", type=probability, default=None,
                   help="store this P(imbalance) threshold for the hard verdict (see `mixbuddy calibrate`)")
    e.add_argument("--report", action="append", metavar="LABEL=DIR",
                   help="put this `mixbuddy evaluate` report's headline numbers in the model card (README.md), "
                        "e.g. 'synth test=reports/models/synth-test/default' (repeatable)")
    e.add_argument("--card-only", action="store_true",
                   help="only rewrite --checkpoint's model card (README.md) in place, e.g. with --report once the "
                        "model is evaluated; no weight is loaded or written, and the model's id does not change")
    e.set_defaults(func=run_export)

    p = subparsers.add_parser("train", help="train the audio-language model (two stages, validation selection)",
                              description="Train a model as a YAML TrainConfig says (see configs/default.yaml). "
                                          "Multi-process: torchrun --nproc_per_node N -m mixbuddy train ...")
    p.add_argument("--config", required=True, help="training YAML (model, data, optim, train sections)")
    p.add_argument("-o", "--output", default=None, help="run directory (overrides train.output_dir)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a config value, e.g. --set optim.max_steps=100 (repeatable; YAML values)")
    again = p.add_mutually_exclusive_group()        # what to do with a run folder that holds a run already
    again.add_argument("--resume", action="store_true", help="continue from <run>/resume if present")
    again.add_argument("--overwrite", action="store_true",
                       help="start over in a run folder that holds a run already (its checkpoints are replaced)")
    p.add_argument("--check", action="store_true",
                   help="only validate the config, the dataset folder, train.init_from and the output folder, and exit")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run_train)
