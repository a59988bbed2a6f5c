"""``mixbuddy data build|render|stats``: the flawed-mix dataset verbs."""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from ..argtypes import channel_count, non_negative_int, number, positive_int  # noqa: F401  (used by other verbs too)
from ..errors import ConfigError, DataError
from .recipe import MAX_BOUNCE_DB

log = logging.getLogger(__name__)


def _corpus_config(args: argparse.Namespace, fallback: dict | None = None,
                   fallback_where: str = "dataset.json:corpus_config"):
    """CorpusConfig from --corpus-config (top level or a ``corpus:`` section), flags, or a fallback dict."""
    from ..config import from_dict, load_yaml
    from ..corpus.config import CorpusConfig

    data: dict = {}
    if getattr(args, "corpus_config", None):
        raw = load_yaml(args.corpus_config)
        data = raw["corpus"] if isinstance(raw.get("corpus"), dict) else raw
        where = str(args.corpus_config) + (":corpus" if data is not raw else "")
    elif fallback:
        data, where = dict(fallback), fallback_where
    else:
        where = "command line"
    flags = {key: getattr(args, key) for key in ("kind", "root", "val_songs") if getattr(args, key, None) is not None}
    cfg = from_dict(CorpusConfig, data, where)  # unknown keys (typos) are reported before anything else
    if flags:
        cfg = from_dict(CorpusConfig, {**data, **flags},
                        where + " with " + " ".join(f"--{k.replace('_', '-')}" for k in flags))
    if not cfg.root:
        if where != "command line":
            raise ConfigError(f"{where}: no corpus 'root' given (set root: DIR there, or pass --root DIR)")
        raise ConfigError("no corpus given: pass --corpus-config C.yaml or --root DIR [--kind musdb_hq]")
    return cfg


def run_build(args: argparse.Namespace) -> int:
    from ..config import from_dict, load_config
    from ..corpus.load import load_corpus
    from ..io import check_not_an_input, check_output_dir
    from .build import build_dataset
    from .config import DataConfig
    from .stats import dataset_stats, format_stats

    check_output_dir(args.output)
    cfg = load_config(DataConfig, args.config) if args.config else DataConfig()
    overrides = {k: getattr(args, k) for k in ("seed", "workers", "passes", "bounce_db") if getattr(args, k) is not None}
    if overrides:
        from ..config import to_dict
        cfg = from_dict(DataConfig, {**to_dict(cfg), **overrides}, "command line")
    ccfg = _corpus_config(args)
    # a dataset folder inside the corpus would be read as one more song (or track) by every later load
    check_not_an_input("-o", args.output, [("the corpus", ccfg.root)], inside=True)
    songs = load_corpus(ccfg)
    manifest = build_dataset(songs, cfg, args.output, corpus_cfg=ccfg, progress=not args.no_progress,
                             overwrite=args.overwrite)
    total = sum(v["records"] for v in manifest["splits"].values())
    per_split = ", ".join(f"{k}: {v['records']}" for k, v in manifest["splits"].items())
    print(f"wrote {total} recipes to {args.output} ({per_split})")
    if not args.quiet:
        print(format_stats(dataset_stats(args.output)))
    return 0


def run_render(args: argparse.Namespace) -> int:
    from ..audio import write_audio
    from ..io import check_not_an_input, check_output_dir, check_output_file
    from .recipe import find_recipe
    from .render import RENDER_EXTENSIONS, Renderer, read_manifest, require_corpus_root

    if args.record_id is None and args.index is None:
        raise DataError("give a record id or --index N")
    if args.record_id is not None and args.index is not None:
        raise DataError(f"give a record id ({args.record_id!r}) or --index {args.index}, not both")
    out_path = Path(args.output)
    if out_path.suffix.lower() not in RENDER_EXTENSIONS:
        raise DataError(f"-o {args.output}: unsupported audio file extension {out_path.suffix or '(none)'!r}; "
                        f"use one of {', '.join(RENDER_EXTENSIONS)}")
    check_output_file(out_path)  # every output is checked before any audio is decoded or written
    if args.stems_dir:
        check_output_dir(args.stems_dir, "--stems-dir")
    if args.cache_dir:
        check_output_dir(args.cache_dir, "--cache-dir", writable=False)
    recipe = find_recipe(args.dataset, args.record_id, args.index)
    stem_paths: dict[str, Path] = {}
    if args.stems_dir:
        stem_paths = {name: Path(args.stems_dir) / f"{name}.wav" for name in recipe.stems}
        for path in stem_paths.values():
            if path.resolve() == out_path.resolve():
                raise DataError(f"-o {args.output} is also where --stems-dir writes stem {path.stem!r}; "
                                "choose another output name or stems folder")
            check_output_file(path)
    manifest_path = Path(args.dataset).parent / "dataset.json"
    manifest = read_manifest(args.dataset)
    fallback = manifest.get("corpus_config") if manifest else None
    if not fallback and not args.corpus_config and not args.root:
        raise DataError(f"{manifest_path}: {'not found' if manifest is None else 'has no corpus_config'}, so the "
                        "corpus to render from is unknown; pass --corpus-config C.yaml or --root DIR [--kind ...]")
    ccfg = _corpus_config(args, fallback, f"{manifest_path}:corpus_config")
    if not args.corpus_config and not args.root:          # the corpus is the one dataset.json records
        require_corpus_root(ccfg.root, manifest_path, ", give --root DIR")
    for opt, path in [("-o", out_path), *(("--stems-dir", p) for p in stem_paths.values())]:
        check_not_an_input(opt, path, [("the dataset", args.dataset), ("the corpus", ccfg.root)], inside=True)
    from ..corpus.load import load_corpus

    songs = load_corpus(ccfg)
    sr = args.sr
    if sr is None:
        sr = next((s.sample_rate for s in songs if s.id == recipe.song_id), 44100)
    renderer = Renderer(songs, sample_rate=sr, channels=args.channels, cache_dir=args.cache_dir,
                        corpus=recipe.corpus)
    out = renderer.render(recipe, augment=args.augment, seed=args.seed, return_stems=bool(args.stems_dir))
    if args.stems_dir:
        from ..io import ensure_dir

        ensure_dir(args.stems_dir)
        for name, x in (out.stems or {}).items():
            write_audio(stem_paths.get(name, Path(args.stems_dir) / f"{name}.wav"), x, out.sample_rate)
    write_audio(out_path, out.mix, out.sample_rate)
    print(f"{args.output}: {recipe.id} ({recipe.category}, {recipe.target} {recipe.gain_db:+.2f} dB, "
          f"anchor {recipe.anchor}; peak scale {out.info['peak_scale_db']:+.2f} dB)")
    print(f"instruction: {recipe.instruction}\nresponse: {recipe.response}")
    return 0


def run_stats(args: argparse.Namespace) -> int:
    from .stats import dataset_stats, format_stats

    stats = dataset_stats(args.dataset_dir)
    print(json.dumps(stats, indent=2, sort_keys=True) if args.json else format_stats(stats))
    return 0


def _add_corpus_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus-config", help="corpus YAML (CorpusConfig fields, top level or under 'corpus:')")
    from ..corpus.config import CORPUS_KINDS

    p.add_argument("--kind", choices=CORPUS_KINDS, help="corpus kind (musdb_hq | stem_mp4 | stems_folder); "
                                                        "overrides the config")
    p.add_argument("--root", help="corpus folder; overrides the config")
    p.add_argument("--val-songs", dest="val_songs", type=non_negative_int, help="train songs moved to validation")


def register(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("data", help="build, render and inspect flawed-mix datasets")
    sub = data.add_subparsers(dest="data_command", metavar="<verb>")
    data.set_defaults(func=lambda a: (data.print_help(), 2)[1])

    b = sub.add_parser("build", help="write <split>.jsonl recipes + dataset.json from a corpus")
    _add_corpus_flags(b)
    b.add_argument("--config", help="data config YAML (default: the built-in defaults, which differ from the "
                   "shipped recipe configs/data.yaml in one setting: passes 4 instead of 40 draws per training chunk)")
    b.add_argument("-o", "--output", required=True, help="output folder")
    b.add_argument("--seed", type=int, help="override the config seed")
    b.add_argument("--passes", type=positive_int, help="override sample-mode passes per chunk")
    b.add_argument("--workers", type=positive_int, help="processes for decoding/gating songs")
    b.add_argument("--bounce-db", dest="bounce_db", type=number(0.0, MAX_BOUNCE_DB, unit="dB"),
                   help="hear every chunk at one seeded level within ±D dB (an evaluation set without the "
                        "level cue; default: the config's, 0 = the paper's protocol)")
    b.add_argument("--overwrite", action="store_true",
                   help="replace a dataset in the output folder that was built otherwise (another corpus or config)")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.add_argument("-q", "--quiet", action="store_true", help="do not print the stats table")
    b.set_defaults(func=run_build)

    r = sub.add_parser("render", help="render one recipe's flawed mix to a float WAV")
    r.add_argument("record_id", nargs="?", help="record id (or use --index)")
    r.add_argument("--dataset", required=True, help="a <split>.jsonl file")
    r.add_argument("--index", type=non_negative_int, help="0-based record index instead of an id")
    r.add_argument("-o", "--output", required=True, help="output .wav (float32, never clipped) or .flac/.ogg/.aiff")
    r.add_argument("--stems-dir", help="also write the (gained) stems here")
    r.add_argument("--sr", type=positive_int, help="sample rate in Hz (default: the song's native rate)")
    r.add_argument("--channels", type=channel_count, default=2, help="channels: 1 or 2 (default 2)")
    r.add_argument("--cache-dir", help="decoded-stem cache folder")
    r.add_argument("--augment", action="store_true", help="apply training augmentation")
    r.add_argument("--seed", type=int, default=0, help="augmentation seed")
    _add_corpus_flags(r)
    r.set_defaults(func=run_render)

    s = sub.add_parser("stats", help="counts and gain histogram of a built dataset")
    s.add_argument("dataset_dir", help="folder written by `mixbuddy data build`")
    s.add_argument("--json", action="store_true", help="print JSON instead of tables")
    s.set_defaults(func=run_stats)
