"""A local web page for ``advise`` (``mixbuddy app``; needs the ``app`` extra: gradio).

Drop a mix and/or its stems, pick the anchor (the stem whose level is right) and an engine, and read the
same advice ``mixbuddy advise`` prints, with its JSON. Everything runs on this machine: the page is served
on 127.0.0.1 and nothing is uploaded anywhere. :class:`AdviceService` does the work and is usable (and
tested) without gradio; :func:`build_app` only lays out the page around it.
"""
from __future__ import annotations

import atexit
import gc
import logging
import os
import shutil
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any, Sequence

from ..constants import GENERATE_BATCH, STEMS, TARGET_STEMS
from ..errors import MixbuddyError
from ..model.checkpoint import SHIPPED
from ..predict.cli import check_inputs, engine_choice, loud_fallback
from ..predict.wording import ABSENT_LABEL, substitute
from .cli import KEEP_MODELS

log = logging.getLogger(__name__)

AUTO, LOUDNESS = "auto", "loudness"
KEEP_FIXES = 8      # renders of the fix kept for the page's players (a full song's is tens of MB)
HAND_LABEL = "Stems by hand"     # advise --map: a line per file, STEM=FILE
# command-line wording in advise's messages, as the page says it
PAGE_WORDS = (("give the stems folder with --stems DIR", "add the song's stem files in the Stems box"),
              ("--reference needs", "a reference needs"), ("(the default with --stems)", "(auto, given stem files)"),
              ("(--checkpoint default-stems)", "(the engine default-stems)"),
              ("(drop --absent)", f"(tick none of '{ABSENT_LABEL}')"), ("--absent ", f"'{ABSENT_LABEL}': "),
              ("make it the anchor: --anchor ", "choose it as the Anchor: "), (" or --anchor ", " or "),
              (", or say which file is which: --map 'drums=Audio 1' --map 'bass=Audio 2' ..., or a mapping file with "
               "--mapping)", f", or say which file is which in the box '{HAND_LABEL}')"),
              ("with --map, e.g. --map ", f"in the box '{HAND_LABEL}', e.g. "), (" or --map ", " or "),
              ("--map ", "the line "),
              ("(drop --map)", f"(empty the box '{HAND_LABEL}')"), ("--checkpoint ", "the engine "),
              # advise's notes on a stems folder, as the page's Stems box has it
              ("move it out of the folder", "take it out of the Stems box"), ("give the stems alone",
               "give the stems alone, with the Mix box empty"), ("out of the folder", "out of the Stems box"),
              ("missing from the folder", "missing from the Stems box"))
LEVEL_CHECK_DB = 5.0
ENGINES = (AUTO, *SHIPPED, LOUDNESS)
ENGINE_HELP = ("auto: the loudness engine when stems are given, else the model default-real (default-master for "
               "a mix louder than default-real learned from, e.g. a mastered bounce); "
               + "; ".join(f"{k}: {v}" for k, v in SHIPPED.items())
               + "; loudness: BS.1770 loudness of every stem (needs the stems)")


class AdviceService:
    """Runs ``advise`` for the page; the ``keep_models`` models used last stay loaded, so a request waits for
    a model to load only when it was not among them (auto's pair, default-real and default-master, fits)."""

    def __init__(self, device: str | None = None, batch_size: int = GENERATE_BATCH, keep_models: int = KEEP_MODELS):
        if keep_models < 1:
            raise MixbuddyError(f"keep_models must be at least 1 (got {keep_models})")
        self.device, self.batch_size, self.keep_models = device, batch_size, keep_models
        # checkpoint -> (model, calibrated threshold), least recently used first
        self._models: OrderedDict[str, tuple[Any, float | None]] = OrderedDict()
        self._fixes: Path | None = None  # where the renders of the fix go (made on the first one)

    def engine(self, choice: str, has_stems: bool, threshold: float | None):
        from ..predict.engines import LoudnessEngine, ModelEngine

        if choice not in ENGINES:
            raise MixbuddyError(f"unknown engine {choice!r}; choose one of {', '.join(ENGINES)}")
        kind, checkpoint = engine_choice(LOUDNESS if choice == LOUDNESS else None,
                                         None if choice in (AUTO, LOUDNESS) else choice, has_stems)
        if kind == LOUDNESS:
            return LoudnessEngine(threshold=threshold)
        load = lambda name: self._model(name, threshold)  # noqa: E731  (loaded on first use: a loud mix skips it)
        return ModelEngine(checkpoint, batch_size=self.batch_size, threshold=threshold,
                           loud_fallback=loud_fallback(None if choice in (AUTO, LOUDNESS) else choice, has_stems),
                           loader=load)

    def _model(self, checkpoint: str, threshold: float | None) -> Any:
        """A checkpoint's model, loaded unless it is among the last ``keep_models`` used (the one used longest
        ago is let go first, before the new one loads); every request sets its threshold (an earlier request's
        slider value must not stick to the model)."""
        if checkpoint in self._models:
            self._models.move_to_end(checkpoint)
        else:
            from ..model.checkpoint import load_checkpoint

            while len(self._models) >= self.keep_models:
                dropped = next(iter(self._models))
                del self._models[dropped]      # no reference left, so the collection below frees it
                log.info("letting go of model %s (the page keeps the %d used last)", dropped, self.keep_models)
                gc.collect()
            model = load_checkpoint(checkpoint, device=self.device)
            self._models[checkpoint] = (model, model.stack.threshold)
        model, calibrated = self._models[checkpoint]
        model.stack.threshold = calibrated if threshold is None else threshold
        return model

    def advise(self, mix: str | None, stems: Sequence[str] | None, anchor: str, choice: str = AUTO,
               threshold: float | None = None, level_check_db: float | None = None,
               reference: Sequence[str] | None = None, absent: Sequence[str] | None = None,
               by_hand: str | None = None) -> tuple[str, dict]:
        """(advice text, advice JSON) for a mix file and/or stem files (any names advise's stems folder
        accepts: sorted by the words of their names, e.g. 'Lead Vox', 'Kick', '808'; the rest is 'other');
        ``reference``: a reference song's stem files (or whole songs, one .stem.mp4 or .zip each), whose
        balance the engines that hear the stems then call typical (:func:`mixbuddy.predict.reference.use_reference`);
        ``absent``: stems a mix alone does not have (``advise --absent``); ``by_hand``: stem files given their stem
        by hand, a ``STEM=FILE`` line each (``advise --map``).
        A mistake is a MixbuddyError in the page's words: the upload box and the file's own name, not a
        temporary path or a command-line option."""
        places: dict[str, str] = {}
        try:
            return self._advise(mix, stems, anchor, choice, threshold, level_check_db, reference, places,
                                absent or (), by_hand)
        except MixbuddyError as e:
            raise MixbuddyError(page_words(str(e), places)) from None

    def _advise(self, mix, stems, anchor, choice, threshold, level_check_db, reference,
                places: dict[str, str], absent: Sequence[str] = (), by_hand: str | None = None) -> tuple[str, dict]:
        from ..corpus.stem_names import parse_assignments
        from ..predict.advise import advise
        from ..predict.stem_pack import is_stem_pack
        from ..predict.stems_input import is_stem_file
        from ..predict.windows import check_absent

        stems = [s for s in (stems or []) if s]
        refs = [s for s in (reference or []) if s]
        if mix and (is_stem_file(mix) or is_stem_pack(mix)):     # a whole song's stems dropped in the Mix box
            if stems:
                raise MixbuddyError(f"{Path(mix).name} holds a whole song's stems: put it in the Stems box, alone")
            mix, stems = None, [mix]
        places.update({str(f): f"stem {Path(f).name}" for f in stems})
        places.update({str(f): f"reference stem {Path(f).name}" for f in refs})
        if mix:
            places[str(mix)] = f"Mix {Path(mix).name}"
        if not mix and not stems:
            raise MixbuddyError("give a mix file, stem files, or both")
        if anchor not in TARGET_STEMS:
            raise MixbuddyError(f"the anchor must be one of {', '.join(TARGET_STEMS)}, got {anchor!r}")
        for f in stems:
            if not Path(f).is_file():
                raise MixbuddyError(f"{f}: stem file not found")
        check_inputs(mix or None, None)      # a bad mix file is reported before a model spends seconds loading
        check_absent(absent, anchor, bool(stems))
        lines = [line.strip() for line in (by_hand or "").splitlines() if line.strip()]
        if lines and not stems:
            raise MixbuddyError(f"'{HAND_LABEL}' gives stem files their stems: add the files in the Stems box, or "
                                "empty that box")
        mapping = parse_assignments(lines) if lines else None
        engine = self.engine(choice, bool(stems), threshold)
        if refs:
            from ..predict.reference import use_reference

            with tempfile.TemporaryDirectory(prefix="mixbuddy-reference-") as ref_tmp:
                places.update({ref_tmp + os.sep: "reference stem ", ref_tmp: "the reference stems"})
                use_reference(engine, _reference_sources(refs, Path(ref_tmp)), anchor)
            engine.reference["song"] = "reference " + ", ".join(sorted(Path(f).name for f in refs))
            for song in engine.reference.get("songs", []):       # several whole songs: each by its file's name
                song["song"] = Path(song["song"]).name
        with tempfile.TemporaryDirectory(prefix="mixbuddy-stems-") as tmp:
            places.update({tmp + os.sep: "stem ", tmp: "the stems"})
            stems_dir = _stems_source(stems, Path(tmp)) if stems else None
            if mapping is not None and is_stem_file(stems_dir):
                raise MixbuddyError(f"{Path(stems_dir).name} is a .stem.mp4 file, whose stems are named inside it: "
                                    f"empty the box '{HAND_LABEL}'")
            report = advise(mix or None, anchor, engine, stems_dir=stems_dir, level_check_db=level_check_db or None,
                            absent=absent, mapping=mapping)
            applied = self._render_fix(report, stems_dir, mapping) if stems_dir is not None else None
        # the files' own names, not the upload folder's temporary paths
        report.song = Path(mix).name if mix else "stems " + ", ".join(sorted(Path(f).name for f in stems))
        names = {str(f): Path(f).name for f in [*stems, *([mix] if mix else [])]}   # a lone .stem.mp4 / .zip too
        names.update({tmp: "stems", Path(tmp).name: "stems"})
        report.notes = [page_words(n, names) for n in report.notes]
        text = report.format_text(page=True)   # the page has no stderr: what advise logged goes under the advice
        data = report.to_dict()
        if stems:
            data["correction"] = applied.to_dict() if applied else None
            if applied:
                text += "\n" + applied.line().replace(applied.output, "the player below") + "\n"
        if report.notes:
            text += "\nNotes:\n" + "".join(f"  {n}\n" for n in report.notes)
        return text, data

    def _render_fix(self, report, stems_dir: Path, mapping=None):
        """The stems summed with the verdict's correction (FLAC, for the page's player); None if balanced."""
        from ..predict.apply import correction_of, render_correction

        correction = correction_of(report)
        if correction is None:
            return None
        if self._fixes is None:
            self._fixes = Path(tempfile.mkdtemp(prefix="mixbuddy-fix-"))
            atexit.register(shutil.rmtree, self._fixes, True)     # the renders go when the server stops
        older = sorted(self._fixes.glob("fixed-*.flac"), key=lambda p: p.stat().st_mtime_ns)
        for old in older[:max(0, len(older) - KEEP_FIXES + 1)]:   # and only the last few are kept meanwhile
            old.unlink(missing_ok=True)
        fd, out = tempfile.mkstemp(prefix="fixed-", suffix=".flac", dir=self._fixes)
        os.close(fd)
        return render_correction(stems_dir, correction, out, mapping, placed=report.placed, left_out=report.left_out,
                                 panned=report.panned, inverted=report.inverted, pan_at=report.pan_at)


def page_words(message: str, places: dict[str, str]) -> str:
    """An error ``message`` with each temporary path replaced by what the page calls it and command-line options
    by the page's boxes and menus."""
    message = substitute(message, places)
    for cli, page in PAGE_WORDS:
        message = message.replace(cli, page)
    return message


def _reference_sources(files: Sequence[str], folder: Path) -> list[Path]:
    """The reference songs in the uploaded files: one song's stem files, or one or more whole songs (each a
    ``.stem.mp4`` or ``.zip`` stem pack: their mean balance, as ``advise --reference`` given once per song)."""
    from ..predict.stem_pack import is_stem_pack
    from ..predict.stems_input import is_stem_file

    whole = [f for f in files if is_stem_file(f) or is_stem_pack(f)]
    if whole and len(whole) < len(files):
        raise MixbuddyError("the reference is one song's stem files, or whole songs (.stem.mp4 or .zip stem "
                            "packs, one file per song), not both")
    return [Path(f) for f in whole] if whole else [_stems_folder(files, folder)]


def _stems_source(files: Sequence[str], folder: Path) -> Path:
    """What advise reads for the uploaded stems: a lone ``.stem.mp4`` or ``.zip`` stem pack as it is, else a
    folder of the files."""
    from ..predict.stem_pack import is_stem_pack
    from ..predict.stems_input import is_stem_file

    for kind, test in ((".stem.mp4", is_stem_file), (".zip", is_stem_pack)):
        if any(test(f) for f in files):
            if len(files) > 1:
                raise MixbuddyError(f"a {kind} file holds a whole song's stems: upload it alone")
            return Path(files[0])
    return _stems_folder(files, folder)


def _stems_folder(files: Sequence[str], folder: Path) -> Path:
    """The uploaded stem files under their own names in one folder (what advise reads)."""
    for f in files:
        src = Path(f)
        dst = folder / src.name
        if dst.exists():
            raise MixbuddyError(f"two stem files are named {src.name!r}; rename one")
        try:
            os.symlink(src.resolve(), dst)
        except OSError:
            shutil.copyfile(src, dst)
    return folder


def handle(service: AdviceService, mix, stems, anchor, choice, use_threshold, threshold, level_check, reference=None,
           absent=None, by_hand=None):
    """The page's button: the form's values → (text, JSON, the fix to listen to or None); a MixbuddyError
    becomes the page's error box."""
    import gradio as gr

    try:
        text, data = service.advise(mix, stems, anchor, choice, float(threshold) if use_threshold else None,
                                    LEVEL_CHECK_DB if level_check else None, reference, absent, by_hand)
    except MixbuddyError as e:          # one line in the server's log, as the command line gives; no traceback
        log.warning("request refused: %s", e)
        raise gr.Error(str(e), print_exception=False) from None
    fix = (data.get("correction") or {}).get("output")
    if fix:       # the player gets the file; the JSON names it, not a temporary path on this machine
        data["correction"]["output"] = Path(fix).name
    return text, data, fix


def build_app(service: AdviceService | None = None):
    """The gradio page (``gradio.Blocks``) around ``service``."""
    try:
        import gradio as gr
    except ModuleNotFoundError:
        raise MixbuddyError("the app needs gradio: pip install -e '.[app]' (or run scripts/setup.sh)") from None
    service = service or AdviceService()

    def run(*inputs):
        return handle(service, *inputs)

    with gr.Blocks(title="mixbuddy") as app:
        gr.Markdown("# mixbuddy\nGain-balance advice for a mix or its stems. Runs on this machine; "
                    "nothing leaves it.")
        with gr.Row():
            with gr.Column():
                mix = gr.Audio(label="Mix (any format advise reads)", type="filepath", sources=["upload"])
                stems = gr.File(label="Stems (named as exported: Lead Vox, Kick, Snare, Bass DI, Keys, ...; or one .stem.mp4 or .zip stem pack)", file_count="multiple",
                                type="filepath")
                by_hand = gr.Textbox(label=HAND_LABEL, lines=2, placeholder="drums=Audio 1\nbass=Audio 2",
                                     info="optional, for stem files whose names say nothing: a line per file, "
                                          "STEM=FILE (bass, drums, other, vocals, instrumental for a two-track's "
                                          "beat, or ignore); the other files are sorted by their names")
                reference = gr.File(label="Reference song's stems (optional: 'balanced' then means balanced like "
                                          "this song; loudness engine or default-stems). Several songs: one "
                                          ".stem.mp4 or .zip per song", file_count="multiple", type="filepath")
                anchor = gr.Dropdown(list(TARGET_STEMS), value="drums", label="Anchor: the stem whose level is right")
                absent = gr.CheckboxGroup(list(STEMS), label=ABSENT_LABEL,
                                          info="with a mix alone, e.g. vocals for an instrumental: a model would read a "
                                               "missing stem as a very quiet one and tell you to raise it")
                choice = gr.Dropdown(list(ENGINES), value=AUTO, label="Engine", info=ENGINE_HELP)
                use_threshold = gr.Checkbox(False, label="Override the verdict threshold")
                threshold = gr.Slider(0.0, 1.0, value=0.6, step=0.01, label="P(imbalance) threshold",
                                      info="used only when the box above is ticked; otherwise each engine's own "
                                           "(chosen on validation: 0.60 for default-real, 0.66 for default, "
                                           "0.62 for default-stems)")
                level_check = gr.Checkbox(False, label=f"Level check: also listen {LEVEL_CHECK_DB:g} dB louder and quieter")
                go = gr.Button("Advise", variant="primary")
            with gr.Column():
                text = gr.Textbox(label="Advice", lines=16)
                fix = gr.Audio(label="The fix applied: the stems summed with the advised correction",
                               type="filepath", interactive=False)
                data = gr.JSON(label="JSON")
        go.click(run, [mix, stems, anchor, choice, use_threshold, threshold, level_check, reference, absent, by_hand],
                 [text, data, fix])
    return app


def serve(host: str = "127.0.0.1", port: int = 7860, device: str | None = None,
          keep_models: int = KEEP_MODELS) -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    app = build_app(AdviceService(device=device, keep_models=keep_models))
    log.info("mixbuddy app on http://%s:%d (Ctrl-C to stop)", host, port)
    try:
        app.launch(server_name=host, server_port=port, share=False, inbrowser=False)
    except OSError as e:                       # port in use, an address not on this machine, ...
        raise MixbuddyError(f"cannot serve on {host}:{port} ({e}); choose another --port or --host") from None
