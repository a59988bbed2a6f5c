"""Verbs of the prediction stage:

* ``mixbuddy advise SONG --anchor drums [--stems DIR]``: advice for a whole song;
* ``mixbuddy advise-prior --dataset train.jsonl -o prior.json``: fit the loudness engine's prior;
* ``mixbuddy predict --checkpoint C --dataset test.jsonl -o preds.jsonl``: dataset predictions.
"""
from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

from ..argtypes import device_name, non_negative_int, number, positive_int, probability
from ..constants import GENERATE_BATCH, MIN_HOP_S, STEMS, TARGET_STEMS
from ..errors import ConfigError, MixbuddyError
from ..data.recipe import check_result_file
from ..io import check_not_an_input, check_output_file, dumps, write_json, write_text


_tolerance = number(0.0, 100.0, unit="accuracy points")
_positive_db = number(0.0, 24.0, low_open=True, unit="dB")


def engine_choice(engine: str | None, checkpoint: str | None, has_stems: bool,
                  prior: str | None = None) -> tuple[str, str | None]:
    """("loudness", None) or ("model", checkpoint): the loudness engine when stems come without a model,
    else ``default-stems`` with stems and ``default-real`` for a mix alone (``advise`` and the app).
    A ``prior`` (the loudness engine's) with a model is refused, as a checkpoint with the loudness engine."""
    kind = engine or ("loudness" if has_stems and not checkpoint else "model")
    if kind == "loudness":
        if checkpoint:
            raise ConfigError("--engine loudness does not use --checkpoint; drop one of them")
        return kind, None
    if prior:
        if engine is None and checkpoint is None:     # a mix alone: a model hears it, the prior needs the stems
            raise ConfigError("--prior is the loudness engine's balance prior, and the loudness engine reads the "
                              "stems: give them (--stems DIR), or drop --prior for a model's advice on the mix")
        why = "--checkpoint selects the model engine" if checkpoint and not engine else "--engine model"
        raise ConfigError(f"{why}, which does not use --prior (the loudness engine's balance prior); "
                          "drop one of them")
    return kind, checkpoint or ("default-stems" if has_stems else "default-real")


def make_engine(args: argparse.Namespace):
    """The engine the options ask for (see the ``advise`` help for the defaults)."""
    from .engines import LoudnessEngine, ModelEngine

    kind, checkpoint = engine_choice(args.engine, args.checkpoint, bool(args.stems), args.prior)
    if kind == "loudness":
        return LoudnessEngine(args.prior, threshold=args.threshold)
    return ModelEngine(checkpoint, device=args.device, batch_size=args.batch_size, threshold=args.threshold,
                       loud_fallback=loud_fallback(args.checkpoint, bool(args.stems)))


def loud_fallback(checkpoint: str | None, has_stems: bool) -> str | None:
    """The model for a mix louder than the default mix model learned from (``ModelEngine.for_song``) when the
    model was not chosen: ``default-master``, whose head learned on mastered mixes too (docs/BENCHMARKS.md,
    "Mastered bounces")."""
    return None if checkpoint or has_stems else "default-master"


def check_inputs(song: str | None, stems: str | None) -> None:
    """Fail on a missing or unreadable mix file or stems folder before a model spends seconds loading."""
    from ..audio import audio_info
    from ..errors import AudioFileError

    from .stem_pack import is_stem_pack, pack_members
    from .stems_input import is_stem_file, stem_file_info
    from .windows import require_length

    if song is not None:
        sr, frames, _ = audio_info(song)
        require_length(song, frames / sr)
    if stems is not None and is_stem_file(stems):
        song_info = stem_file_info(stems)
        require_length(stems, (song_info.num_frames or 0) / song_info.sample_rate)
    elif is_stem_pack(stems):
        pack_members(stems)
    elif stems is not None and Path(stems).is_file():
        raise AudioFileError(stems, "is one file, not a song's stems (give a folder of stem files, a .zip stem "
                                    "pack or a .stem.mp4)")
    elif stems is not None and not Path(stems).is_dir():
        raise AudioFileError(stems, "stems folder not found")


def check_outputs_are_not_inputs(args: argparse.Namespace, song: str | None) -> None:
    """-o and --apply must not write over what this command reads: the song, the stems (a file of their folder,
    their pack or .stem.mp4), a reference song's, the prior or the mapping file."""
    inputs = [("the song", song), ("the stems", args.stems), ("the prior", args.prior), ("the mapping", args.mapping),
              *(("a reference", r) for r in args.reference or [])]
    check_not_an_input("-o", args.output, inputs)
    check_not_an_input("--apply", args.apply, inputs)
    # new audio in a reference's folder would be one more stem of it the next time (the stems folder's own
    # case is check_apply_output's)
    check_not_an_input("--apply", args.apply, [("a reference", r) for r in args.reference or []], inside=True)


def run_advise(args: argparse.Namespace) -> int:
    from .advise import advise

    from .stem_pack import is_stem_pack
    from .stems_input import is_stem_file
    from .windows import check_absent

    song = args.song
    if song is None and args.stems is None:     # nothing to hear: a usage error (exit 2), as a missing --anchor is
        args.usage_error("give a mix file, a stems folder (--stems DIR), or both")
    if song is not None and (Path(song).is_dir() or is_stem_file(song) or is_stem_pack(song)) and args.stems is None:
        song, args.stems = None, song  # `mixbuddy advise STEMS_DIR`, `SONG.stem.mp4` or `PACK.zip`: the stems are the song
    if song is not None and is_stem_file(song):
        raise ConfigError(f"{song} is a .stem.mp4 file, a whole song with its own mix: give it alone, "
                          "without --stems")
    if song is not None and is_stem_pack(song):
        raise ConfigError(f"{song} is a .zip stem pack: give it as --stems (with the mix file as the song) or "
                          "alone, not together with --stems")
    check_outputs_are_not_inputs(args, song)
    mapping = hand_mapping(args)
    if args.output:
        check_output_file(args.output)
    if args.apply:
        from .apply import check_apply_output

        check_output_file(check_apply_output(args.apply, args.stems))
        if args.output and Path(args.output).resolve() == Path(args.apply).resolve():
            raise ConfigError(f"-o and --apply both name {args.output}: the advice and the audio need two files")
    engine_choice(args.engine, args.checkpoint, bool(args.stems), args.prior)  # conflicting options first
    check_absent(args.absent or (), args.anchor, bool(args.stems))
    check_inputs(song, args.stems)
    for ref in args.reference or []:
        try:
            check_inputs(None, ref)
        except MixbuddyError as e:                 # say which of the two stems folders it is
            raise ConfigError(f"--reference {e}") from None
    engine = make_engine(args)
    if args.reference:
        from .reference import use_reference

        use_reference(engine, args.reference, args.anchor)
    report = advise(song, args.anchor, engine, stems_dir=args.stems, hop_s=args.hop, mapping=mapping,
                    level_check_db=args.level_check, absent=args.absent or ())
    out, text = report.to_dict(), report.format_text()
    if args.apply:
        applied = apply_verdict(report, args.stems, args.apply, mapping)
        out["correction"] = applied.to_dict() if applied else None
        text += "\n" + (applied.line() if applied else f"Nothing applied ({args.apply} not written): the verdict "
                                                           "names no stem to move") + "\n"
    text = (dumps(out) + "\n") if args.json else text
    sys.stdout.write(text)
    if args.output:
        write_text(args.output, text)
    return 0


def hand_mapping(args: argparse.Namespace):
    """What sorts the stems folder's files: ``--mapping`` (a file or None), with the files ``--map`` gives their
    stems by hand (:class:`~mixbuddy.corpus.stem_names.Assigned`) when any; --map without a stems folder to sort is
    a mistake."""
    if not args.map:
        return args.mapping
    from ..corpus.stem_names import parse_assignments
    from .stems_input import is_stem_file

    if args.stems is None:
        raise ConfigError("--map gives the files of a stems folder their stems: give the folder (--stems DIR), or "
                          "drop --map")
    if is_stem_file(args.stems):
        raise ConfigError(f"--map: {args.stems} is a .stem.mp4 file, whose stems are named inside it (drop --map)")
    return parse_assignments(args.map, args.mapping)


def apply_verdict(report, stems: str, output: str, mapping):
    """``--apply``: render the verdict's correction (None when it names no stem). The stems are read a second
    time at their own rate; what that logs was already said while advising, so it is held back."""
    from .apply import correction_of, render_correction

    correction = correction_of(report)
    if correction is None:
        return None
    top = logging.getLogger("mixbuddy")
    level = top.level
    top.setLevel(logging.ERROR)
    try:
        return render_correction(stems, correction, output, mapping, report.placed, report.left_out, report.panned,
                                  report.inverted, report.pan_at)
    finally:
        top.setLevel(level)


def run_prior(args: argparse.Namespace) -> int:
    from .prior import fit_prior

    check_result_file("-o", args.output, [("the dataset", args.dataset)])
    command = "mixbuddy " + " ".join(shlex.quote(a) for a in getattr(args, "argv", sys.argv[1:]))
    prior = fit_prior(args.dataset, args.sr, args.channels, args.workers, command=command, notes=args.note,
                      two_track=args.two_track)
    write_json(args.output, prior)
    spread = ", ".join(f"{k} {v:.2f}" for k, v in prior["contrast_std_db"].items())
    print(f"{args.output}: balance prior from {prior['chunks']} chunks of {args.dataset} (spread dB: {spread})")
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from .predict import check_predict_inputs, predict_dataset, write_info

    from ..model.checkpoint import checkpoint_id, load_checkpoint

    # the output, the dataset, an output to resume (and whose it is) and the cache folder are checked before
    # the model loads
    for out in (args.output, f"{args.output}.json"):
        check_not_an_input("-o", out, [("the dataset", args.dataset)])
    model_id = checkpoint_id(args.checkpoint)
    check_predict_inputs(args.dataset, args.output, model_id, cache_dir=args.cache_dir, limit=args.limit,
                         batch_size=args.batch_size)
    model = load_checkpoint(args.checkpoint, device=args.device, merge_lora=True)
    info = predict_dataset(model, args.dataset, args.output, batch_size=args.batch_size, limit=args.limit,
                           cache_dir=args.cache_dir, progress=not args.no_progress, model_id=model_id)
    write_info(args.output, {**info, "checkpoint": str(args.checkpoint)})
    print(f"{args.output}: {info['records']} predictions ({info['predicted']} new, {info['reused']} reused)")
    return 0


def run_calibrate(args: argparse.Namespace) -> int:
    from .calibrate import calibrate

    if args.output:
        check_result_file("-o", args.output, [("the dataset", args.dataset)])
    res = calibrate(args.checkpoint, args.dataset, args.cache_dir, args.batch_size, args.tolerance,
                    progress=not args.no_progress)
    print(f"{res['records']} records of {args.dataset}: threshold, joint, no-error recall, magnitude (%)")
    for r in res["curve"]:
        mark = "  <- rule" if r["threshold"] == 0 else ("  <- chosen" if r is res["chosen"] else "")
        print(f"  {r['threshold']:.2f}  {r['joint']:5.1f}  {r['no_error']:5.1f}  {r['magnitude']:5.1f}{mark}")
    print(f"chosen threshold: {res['chosen']['threshold']:.2f} (highest within {args.tolerance} joint points of the best)")
    if args.output:
        write_json(args.output, res)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    c = subparsers.add_parser("calibrate", help="choose a model's verdict threshold on the validation split",
                              description="Scores the aux head's decision at every P(imbalance) threshold on a "
                                          "(validation) dataset and picks the highest threshold that keeps joint "
                                          "accuracy within --tolerance points of its best; write it into a "
                                          "checkpoint with `mixbuddy export --threshold T`.")
    c.add_argument("--checkpoint", required=True, help="trained model folder or shipped model name")
    c.add_argument("--dataset", required=True, help="validation JSONL (never the test split)")
    c.add_argument("--tolerance", type=_tolerance, default=0.5,
                   help="joint-accuracy points the threshold may cost (0 to 100)")
    c.add_argument("--batch-size", type=positive_int, default=32)
    c.add_argument("--cache-dir", default=None, help="decoded-stem cache folder (memory-mapped .npy)")
    c.add_argument("-o", "--output", default=None, help="write the whole curve as JSON")
    c.add_argument("--no-progress", action="store_true")
    c.set_defaults(func=run_calibrate)

    p = subparsers.add_parser(
        "advise", help="gain-balance advice for a whole song (mix file and/or stems folder)",
        description="Cuts the song into windows (10 s), asks an engine about each and summarises. Engines: "
                    "the loudness engine (Bayes decision on per-stem loudness; the default when --stems is "
                    "given, since it scores best on real songs) or a trained model (--checkpoint DIR or a shipped "
                    "name; the default for a mix alone is 'default-real', the mix model whose head was trained on "
                    "thinned stems, best on real songs; 'default' scores best on the synthetic test songs; "
                    "'default-blind' gives the same advice at any bounce level, less often right; "
                    "'default-master' learned on mastered mixes too; 'default-stems' hears the stems). A mix "
                    "louder than the mix model learned from (a mastered bounce) is warned about and heard by "
                    "'default-master' when no --checkpoint is given, else turned down to the loudest 1% of the "
                    "model's training mixes; one louder than 95% of them gets a note.")
    p.add_argument("song", nargs="?", default=None,
                   help="mix file: wav/flac/ogg/aiff/mp3/caf/w64/rf64, or m4a/aac/opus/wma/webm/wv/mka/mp4/mov "
                        "through ffmpeg; any rate or channel count; omit it with --stems to use the sum of the "
                        "stems; a folder, a "
                        ".stem.mp4 (NI Stems) file or a .zip stem pack here is read as --stems")
    p.add_argument("--anchor", required=True, choices=TARGET_STEMS, help="the stem whose level is right")
    p.add_argument("--stems", default=None,
                   help="folder of the song's stems or exported tracks, sorted by the words of their file names "
                        "(vox/bv -> vocals, kick/snare/hh -> drums, bass/sub/808 -> bass, the rest -> other), "
                        "or of their sub-folders (Drums/, Vocals/) when the names say nothing; a .zip stem pack "
                        "(read as the folder it unpacks to); or a .stem.mp4 file (its four stems and its own mix)")
    p.add_argument("--mapping", default=None, help="stem mapping file (YAML/JSON) for the stems folder")
    p.add_argument("--map", action="append", default=None, metavar="STEM=FILE",
                   help="give one file (its name, with or without the extension, or a pattern: 'Gtr*') its stem "
                        "by hand, before the names are read: for names that say nothing, --map 'drums=Audio 1' "
                        "--map 'bass=Audio 2' ...; STEM is bass, drums, other, vocals, instrumental (a two-track's "
                        "beat) or ignore (leave it out); repeatable; the other files are sorted as usual")
    p.add_argument("--absent", action="append", default=None, choices=STEMS, metavar="STEM",
                   help="a stem the song does not have, e.g. --absent vocals for an instrumental (repeatable; with "
                        "a mix alone): a mix model reads a missing stem as a very quiet one and would tell you to "
                        "raise it; told, it never names it")
    p.add_argument("--engine", choices=("model", "loudness"), default=None, help="force an engine")
    p.add_argument("--checkpoint", default=None,
                   help="trained model folder or shipped model name (default-real | default | default-blind | "
                        "default-master | default-stems)")
    p.add_argument("--prior", default=None, help="balance prior JSON of the loudness engine (default: packaged)")
    p.add_argument("--reference", action="append", default=None, metavar="STEMS",
                   help="a reference song's stems (folder, .zip or .stem.mp4): the engines that hear the stems "
                        "(loudness, default-stems) call 'balanced' what is balanced like it, instead of like the "
                        "training songs; repeat it for several songs (their mean balance)")
    p.add_argument("--threshold", type=probability, default=None,
                   help="declare an imbalance only when P(imbalance) >= T (default: the engine's own decision)")
    p.add_argument("--hop", type=number(MIN_HOP_S, unit="seconds"), default=None,
                   help=f"seconds between window starts, >= {MIN_HOP_S:g} (default: window length)")
    p.add_argument("--level-check", type=_positive_db, default=None, metavar="DB",
                   help="also analyse the song DB louder and DB quieter and flag windows whose verdict changes "
                        "(the mix models read the overall level; costs twice the analysis again)")
    p.add_argument("--json", action="store_true", help="print structured JSON instead of text")
    p.add_argument("-o", "--output", default=None, help="also write the output to this file (atomically)")
    p.add_argument("--apply", default=None, metavar="FILE",
                   help="also write the stems summed with the overall verdict's correction applied (wav/flac/ogg/"
                        "aiff), to hear the advice; needs the stems")
    p.add_argument("--device", type=device_name, default=None, help="model engine device (cpu, cuda, ...)")
    p.add_argument("--batch-size", type=positive_int, default=GENERATE_BATCH,
                   help=f"model engine windows per generate() call (default {GENERATE_BATCH})")
    p.set_defaults(func=run_advise, usage_error=p.error)

    q = subparsers.add_parser("advise-prior", help="fit the loudness engine's balance prior on a dataset split",
                              description="Measures the clean stems of every distinct chunk of a (training) "
                                          "dataset and stores a Gaussian balance prior as JSON.")
    q.add_argument("--dataset", required=True, help="dataset JSONL, e.g. work/ds-synth/train.jsonl")
    q.add_argument("-o", "--output", required=True, help="prior JSON to write")
    q.add_argument("--sr", type=positive_int, default=22050, help="analysis sample rate (Hz)")
    q.add_argument("--channels", type=int, default=2, choices=(1, 2))
    q.add_argument("--workers", type=non_negative_int, default=None,
                   help="worker processes (default: up to 4; 0 or 1: none, work in this process)")
    q.add_argument("--note", action="append", default=[], help="provenance note stored in the file (repeatable)")
    q.add_argument("--two-track", action="store_true",
                   help="fit over each chunk's instrumental (the other stems summed) and vocals: the prior advise "
                        "judges a two-track (a beat and its vocals) by")
    q.set_defaults(func=run_prior)

    r = subparsers.add_parser("predict", help="answer every record of a dataset with a trained model",
                              description="Writes {id, text, confidence, p_answer} JSON lines for `mixbuddy evaluate`; "
                                          "resumable (ids already in the output are skipped).")
    r.add_argument("--checkpoint", required=True, help="trained model folder or shipped model name")
    r.add_argument("--dataset", required=True, help="dataset JSONL (e.g. work/ds-synth/test.jsonl)")
    r.add_argument("-o", "--output", required=True, help="predictions JSONL (appended to when resuming)")
    r.add_argument("--batch-size", type=positive_int, default=GENERATE_BATCH,
                   help=f"records per generate() call (default {GENERATE_BATCH}); a crash loses at most one batch")
    r.add_argument("--limit", type=positive_int, default=None, help="answer only the first N records (N >= 1)")
    r.add_argument("--device", type=device_name, default=None)
    r.add_argument("--cache-dir", default=None, help="decoded-stem cache folder (memory-mapped .npy)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.set_defaults(func=run_predict)
