"""``mixbuddy corpus <verb>``: multitrack corpora. Verbs: ``synth`` (build the offline synthetic corpus).

To add a verb: write ``_add_<verb>(verbs)`` that creates its parser and sets ``func``, and call it from
``register``. Heavy imports happen inside the verb functions only.
"""
from __future__ import annotations

import argparse


def add_corpus_group(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """Create the ``corpus`` command and return its sub-command collection (to add verbs to)."""
    p = subparsers.add_parser("corpus", help="multitrack corpora (synthetic corpus, ...)",
                              description="Build and inspect multitrack corpora.")
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
    return p.add_subparsers(dest="corpus_verb", metavar="<verb>")


def register(subparsers: argparse._SubParsersAction) -> None:
    verbs = add_corpus_group(subparsers)
    _add_synth(verbs)
    from .list_cli import add_list_verb

    add_list_verb(verbs)


def _add_synth(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "synth", help="build the offline synthetic multitrack corpus (MUSDB18-HQ layout)",
        description="Compose and render songs stem by stem (bass, drums, other, vocals + mixture) with a "
                    "General-MIDI soundfont; same config and seed give byte-identical files.")
    p.add_argument("-o", "--out", required=True, help="output folder (created; train/ and test/ inside)")
    p.add_argument("--config", help="YAML file of SynthConfig fields (default: the built-in SynthConfig "
                                    "defaults, 100 songs; configs/synth.yaml is the shipped 400-song corpus)")
    p.add_argument("--songs", type=int, help="number of songs (overrides the config)")
    p.add_argument("--seconds", type=float, help="song duration in seconds (overrides the config)")
    p.add_argument("--seed", type=int, help="global seed (overrides the config)")
    p.add_argument("--workers", type=int, help="worker processes (default: CPU count; output does not depend on it)")
    p.add_argument("--overwrite", action="store_true", help="rebuild a folder made with a different config")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run_synth)


def _run_synth(args: argparse.Namespace) -> int:
    from ..config import from_dict, load_yaml, to_dict
    from ..errors import ConfigError
    from .synth import SynthConfig

    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {args.workers}")
    overrides = {k: v for k, v in (("songs", args.songs), ("seconds", args.seconds), ("seed", args.seed))
                 if v is not None}
    if args.config:
        data, where = load_yaml(args.config), str(args.config)
    else:
        data, where = to_dict(SynthConfig()), "built-in synth config"
    if overrides:
        # the combination is checked as a whole: e.g. test_songs in the file vs --songs on the command line
        where += " with " + " ".join(f"--{k} {v}" for k, v in overrides.items())
    cfg = from_dict(SynthConfig, {**data, **overrides}, where)
    from .synth import synthesize_corpus

    dirs = synthesize_corpus(cfg, args.out, workers=args.workers, overwrite=args.overwrite,
                             progress=not args.no_progress)
    n_test = sum(1 for d in dirs if d.parent.name == "test")
    print(f"wrote {len(dirs)} songs ({len(dirs) - n_test} train, {n_test} test) to {args.out}")
    return 0
