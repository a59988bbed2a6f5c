"""Advice engines: what turns one analysis window into advice.

An engine states the audio it wants (``sample_rate``, ``channels``, ``clip_seconds``, ``input_mode``
and whether it ``needs_stems``) and answers a list of :class:`WindowInput` with one
:class:`WindowAdvice` each (text, parsed :class:`~mixbuddy.findings.Finding`, confidence = the
probability that the window holds an imbalance, or None when the engine gives none).

* :class:`ModelEngine` wraps a trained checkpoint (``mixbuddy.model.checkpoint.load_checkpoint``) and
  its batched greedy ``generate``; its text is read by the advice parser.
* :class:`LoudnessEngine` needs the stems: it measures each stem's BS.1770 loudness and takes the Bayes
  decision of :mod:`mixbuddy.evaluate.baselines.bayes` under a balance prior (a JSON file, see
  :func:`~mixbuddy.predict.prior.fit_prior`); the packaged default prior was fitted on the bundled synthetic training split.

``threshold`` (both engines): declare an imbalance only when the confidence is >= threshold. The
loudness engine applies it inside the Bayes decision (a window may also *become* an imbalance when
its confidence clears a low threshold). A model with a hard verdict (``aux.verdict_mode: hard``) applies
it the same way before the LLM reads the verdict; otherwise the model engine can only demote an
imbalance below the threshold to "balanced" (its text names no stem to promote).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence, runtime_checkable

import numpy as np

from ..argtypes import require_whole
from ..constants import CATEGORY_BY_NAME, GENERATE_BATCH, TWO_TRACK
from ..data import templates as T
from ..errors import ConfigError, MixbuddyError
from ..findings import Finding, answer_probability, target_stems
from .prior import DEFAULT_PRIOR, load_prior

log = logging.getLogger(__name__)

NO_ERROR_TEXT_ID = "no_error/0"
LOUD_Z = 2.326  # a normal distribution's 99th percentile, in standard deviations: where "louder than trained" starts
# the loudness the guard measures and prints: BS.1770 of the mono downmix the mix models hear, which reads 3 dB
# (a centred sound) to 6 dB (uncorrelated channels) below a stereo loudness meter
MONO = " (its mono downmix, as the model hears it; a stereo loudness meter reads 3 dB or more higher)"
NEAR_Z = 1.645  # its 95th: above it a note only (docs/BENCHMARKS.md, "Lightly mastered mixes and the guard's threshold")
QUIET_LUFS = -24.0        # the training mixes' 1st percentile, -23.9 (docs/BENCHMARKS.md, level_shift.py), mono
MAX_QUIET_SHIFT_DB = 30.0  # quiet stems are raised, and the gates move (predict/gates.py), by at most this much
QUIET_RAISE_TO_LUFS = -19.3  # a stems model hears stems quieter than QUIET_LUFS raised to this, the training
                             # mixes' median (docs/BENCHMARKS.md, "Quiet exports": better than their 1st percentile)


@dataclass
class WindowInput:
    """One analysis window at the engine's rate/channels.

    mix:    float32 (samples, channels), zero-padded to the engine's clip length.
    stems:  per-stem float32 (samples, channels) when the stems are known, else None.
    active: stems whose level in this window passes the dataset's activity gate (the loudness engine
            ignores the others; they cannot be a target).
    names:  with a mix alone, the stems the song is said to hold (``advise --absent``); None: every stem.
    """

    start_s: float
    end_s: float
    mix: np.ndarray
    anchor: str
    instruction: str
    stems: dict[str, np.ndarray] | None = None
    active: tuple[str, ...] = ()
    names: tuple[str, ...] | None = None


@dataclass(frozen=True)
class WindowAdvice:
    """An engine's answer for one window."""

    text: str
    finding: Finding
    confidence: float | None
    p_answer: float | None = None  # how likely this answer is right (findings.answer_probability)
    levels: dict[str, tuple[float, float]] | None = None  # stem -> (dB vs a typical balance, spread); loudness engine


@runtime_checkable
class AdviceEngine(Protocol):
    """What :func:`mixbuddy.predict.advise.advise` needs from an engine."""

    name: str
    sample_rate: int
    channels: int
    input_mode: str  # "mix" | "stems"
    clip_seconds: float
    needs_stems: bool

    def analyse(self, windows: Sequence[WindowInput]) -> list[WindowAdvice]: ...


def no_error_advice(confidence: float | None, p_answer: float | None = None) -> WindowAdvice:
    return WindowAdvice(T.RESPONSE_TEMPLATES["no_error"][NO_ERROR_TEXT_ID], Finding(no_error=True), confidence,
                        p_answer)


def _rounded(p: float | None) -> float | None:
    return None if p is None else round(float(p), 6)


# ---- the loudness engine --------------------------------------------------------------------------
class LoudnessEngine:
    """Per-window Bayes decision from per-stem loudness (needs the stems)."""

    input_mode = "stems"
    needs_stems = True
    name = "loudness"

    def __init__(self, prior: str | Path | None = None, threshold: float | None = None,
                 clip_seconds: float = 10.0, two_track_prior: str | Path | None = None):
        self.balance, self.prior_meta = load_prior(prior)
        self.prior_path = str(prior or DEFAULT_PRIOR)
        if tuple(self.balance.stems) == TWO_TRACK:
            raise ConfigError(f"{self.prior_path}: a two-track prior (the instrumental and the vocals), not a "
                              "four-stem one: advise judges a two-track by the packaged two-track prior by itself")
        self.two_track_prior = two_track_prior      # a two-track's (predict.two_track; None: the packaged one)
        self.sample_rate = int(self.prior_meta["sample_rate"])
        self.channels = int(self.prior_meta["channels"])
        self.clip_seconds = float(clip_seconds)
        self.threshold = threshold
        self.reference: dict | None = None  # set by predict.reference.use_reference: the balance judged against

    def describe(self) -> dict:
        d = {"name": self.name, "prior": self.prior_path, "threshold": self.threshold,
             "sample_rate": self.sample_rate, "channels": self.channels}
        return {**d, "reference": self.reference} if self.reference else d

    def level(self, x: np.ndarray) -> float:
        """A playing stem's level as the prior measures it: BS.1770 loudness (LUFS)."""
        from ..evaluate.baselines.loudness import loudness

        return loudness(x, self.sample_rate)

    def targets(self, anchor: str) -> tuple[str, ...]:
        """The stems a window's advice may name: every target stem but the anchor."""
        return target_stems(anchor)

    def analyse(self, windows: Sequence[WindowInput]) -> list[WindowAdvice]:
        from ..evaluate.baselines.bayes import decide

        out = []
        for w in windows:
            if w.stems is None:
                raise MixbuddyError("the loudness engine needs the stems of the song (--stems DIR)")
            lufs = {s: self.level(x) if s in w.active else float("nan") for s, x in w.stems.items()}
            d = decide(self.balance, lufs, self.targets(w.anchor), self.threshold)
            advice = advice_from_decision(d.no_error, d.target, d.category, d.gain_db, d.p_error, w.anchor,
                                          d.posterior)
            out.append(replace(advice, levels=self.balance.deviations(lufs, w.anchor)))
        return out


def advice_from_decision(no_error: bool, target: str | None, category: str, gain_db: float | None,
                         p_error: float, anchor: str, posterior: dict[str, float] | None = None) -> WindowAdvice:
    """Template text (first template of the category, exact correction appended) + its Finding (and, with
    the decision's ``posterior``, how likely it is right)."""
    conf = round(float(p_error), 6)
    targets = target_stems(anchor)
    if no_error or target is None:
        return no_error_advice(conf, _rounded(answer_probability(posterior, Finding(no_error=True), targets)))
    cat = CATEGORY_BY_NAME[category]
    exact = gain_db is not None
    text = T.render_response(category, target, anchor, f"{category}/0", gain_db=gain_db, exact_gain=exact)
    corr = None
    if exact:
        corr = T.exact_correction(gain_db) * (1.0 if cat.direction == "increase" else -1.0)
    finding = Finding(False, target, cat.direction, cat.magnitude, corr)
    return WindowAdvice(text, finding, conf, _rounded(answer_probability(posterior, finding, targets)))


# ---- the model engine -----------------------------------------------------------------------------
class ModelEngine:
    """A trained mixbuddy checkpoint: batched greedy generation, text parsed into a Finding.

    ``model`` may be passed instead of ``checkpoint`` (any object with ``sample_rate``,
    ``cfg.input_mode``, ``cfg.clip_seconds`` and ``generate(...)``), e.g. an already loaded model.
    A checkpoint is read when the engine is made (its config: rate, input mode, clip length) but its model
    is loaded on the first :meth:`analyse`, so a song that cannot be analysed (silent, too short, no stem
    to advise on) is refused before seconds go into loading the LLM. An encoder whose rate only its
    feature extractor knows (``hf.sample_rate: null``) is loaded at once.
    """

    channels = 1
    name = "model"

    def __init__(self, checkpoint: str | Path | None = None, model: Any = None, device: str | None = None,
                 batch_size: int = GENERATE_BATCH, threshold: float | None = None, max_new_tokens: int | None = None,
                 loud_fallback: str | None = None, loader: Callable[[str], Any] | None = None):
        self.checkpoint = str(checkpoint) if checkpoint is not None else None
        self.device = device
        self.batch_size = require_whole(batch_size, "batch size")
        self.threshold = threshold
        self.max_new_tokens = max_new_tokens
        self.loud_fallback = loud_fallback   # the checkpoint that hears a mix louder than this one learned from
        self.loader = loader                 # checkpoint -> loaded model (the app keeps its models); None: load it
        self.stem_gains_db: dict[str, float] | None = None  # stems mode: turned by these first (predict.reference)
        self.reference: dict | None = None
        self.loudness_note: dict | None = None  # what for_song did about a loud mix (in the report's engine)
        self.quiet_note: dict | None = None     # ... and about quiet stems, for a stems model
        self._model: Any = None
        if model is not None:
            self._use(model)
        elif checkpoint is None:
            raise ConfigError("ModelEngine needs a checkpoint folder or a model")
        else:
            from ..model.checkpoint import checkpoint_config

            _, cfg = checkpoint_config(checkpoint)
            enc = cfg.audio.encoder
            rate = enc.mel.sample_rate if enc.kind == "mel" else enc.hf.sample_rate
            if rate is None:
                self._use(self._load())
            else:
                self._describe_model(int(rate), cfg.input_mode, cfg.clip_seconds)

    def _describe_model(self, sample_rate: int, input_mode: str, clip_seconds: float) -> None:
        self.sample_rate, self.input_mode, self.clip_seconds = int(sample_rate), str(input_mode), float(clip_seconds)
        self.needs_stems = self.input_mode == "stems"

    def _load(self) -> Any:
        if self.loader is not None:
            return self.loader(self.checkpoint)
        from ..model.checkpoint import load_checkpoint  # heavy import: only when a model is used

        return load_checkpoint(self.checkpoint, device=self.device)

    def _use(self, model: Any) -> None:
        if self._model is None and hasattr(self, "sample_rate") and int(model.sample_rate) != self.sample_rate:
            raise MixbuddyError(f"{self.checkpoint}: the model runs at {model.sample_rate} Hz, its config says "
                                f"{self.sample_rate} Hz")
        self._model = model
        self._describe_model(model.sample_rate, model.cfg.input_mode, model.cfg.clip_seconds)
        if self.threshold is not None and hasattr(model, "stack"):
            model.stack.threshold = self.threshold   # a hard verdict applies it before the LLM reads it

    @property
    def model(self) -> Any:
        """The model, loaded on first use."""
        if self._model is None:
            self._use(self._load())
        return self._model

    def describe(self) -> dict:
        d = {"name": self.name, "checkpoint": self.checkpoint, "threshold": self.threshold,
             "input_mode": self.input_mode, "sample_rate": self.sample_rate}
        if self.loudness_note:
            d["loud_mix"] = self.loudness_note
        if self.quiet_note:
            d["quiet_stems"] = self.quiet_note
        return {**d, "reference": self.reference} if self.reference else d

    def for_song(self, mix: np.ndarray, source: str, lufs: float | None = None) -> tuple["ModelEngine", float]:
        """(the engine to hear this song, a gain in dB for its mix): a mix model reads a mix's overall level,
        and a bounce louder than 99% of the mixes it learned from (a mastered one, typically) is misread
        as a pushed stem (docs/BENCHMARKS.md, "Mastered bounces"). Such a mix goes to ``loud_fallback``
        (a model trained on mastered mixes too) when there is one, else it is heard turned down to that 99th
        percentile.
        Either is logged; a mix louder than 95% of them (a lightly mastered one may sit there) gets a note only.
        A stems model hears stems quieter than the training mixes' 1st percentile raised to their median
        (:meth:`_quiet_stems`). Other songs and level-blind models: (self, 0.0). A model not loaded yet
        stays so: the training loudness is read off its checkpoint's files. ``lufs``: the mono BS.1770 loudness
        of what the model hears when the caller has it (``SongAudio.lufs`` for a mix model, ``stems_lufs`` for a
        stems model: the stems' own, whatever mix file came with them), else measured here from ``mix``."""
        from ..evaluate.baselines.loudness import loudness
        from ..model.levels import trained_mix_loudness

        def measured() -> float:
            return lufs if lufs is not None else loudness(mix.mean(axis=1), self.sample_rate)

        if self.input_mode == "stems":
            return self, self._quiet_stems(measured(), source)
        if self.input_mode != "mix":
            return self, 0.0
        if self._model is None:       # read off the checkpoint's files: a loud mix goes elsewhere before the LLM loads
            from ..model.checkpoint import checkpoint_mix_loudness

            trained = checkpoint_mix_loudness(self.checkpoint)
        else:
            trained = trained_mix_loudness(self._model)
        if trained is None:
            return self, 0.0
        top = trained[0] + LOUD_Z * trained[1]
        lufs = measured()
        if not lufs > top:
            if lufs > trained[0] + NEAR_Z * trained[1]:    # a lightly mastered bounce may sit here: say so only
                log.info("%s: %.1f LUFS%s, louder than 95%% of the mixes %s learned from; if this bounce is mastered "
                         "or limited, the level may be read as a pushed stem: give the stems%s", source, lufs, MONO,
                         self.checkpoint or "this model",
                         f", or try --checkpoint {self.loud_fallback}" if self.loud_fallback else "")
            return self, 0.0
        what = (f"{source}: {lufs:.1f} LUFS{MONO}, louder than 99% of the mixes {self.checkpoint or 'this model'} "
                f"learned from (above {top:.1f} LUFS), as a mastered bounce is; a model that hears the mix's level "
                "reads that as a pushed stem")
        if self.loud_fallback:
            log.warning("%s: %s, trained for such mixes, advises instead (give the stems, or an unmastered bounce, "
                        "for better advice)", what, self.loud_fallback)
            other = ModelEngine(self.loud_fallback, model=self.loader(self.loud_fallback) if self.loader else None,
                                device=self.device, batch_size=self.batch_size,
                                threshold=self.threshold, max_new_tokens=self.max_new_tokens, loader=self.loader)
            other.loudness_note = {"lufs": round(lufs, 2), "trained_p99_lufs": round(top, 2),
                                   "instead_of": self.checkpoint}
            return other, 0.0
        gain = top - lufs
        log.warning("%s: it is heard %.1f dB quieter, at %.1f LUFS (still a guess: give the stems, or an unmastered "
                    "bounce)", what, -gain, top)
        self.loudness_note = {"lufs": round(lufs, 2), "trained_p99_lufs": round(top, 2), "gain_db": round(gain, 2)}
        return self, gain

    def _quiet_stems(self, lufs: float, source: str) -> float:
        """A stems model reads each stem's level against the others and against the levels it learned from;
        stems exported quieter (``lufs``: their sum's) than the training mixes' 1st percentile are heard raised
        to their median (dB returned)."""
        self.quiet_note = None
        if not np.isfinite(lufs) or lufs >= QUIET_LUFS:
            return 0.0
        gain = min(QUIET_RAISE_TO_LUFS - lufs, MAX_QUIET_SHIFT_DB)
        log.info("%s: the stems sum to %.1f LUFS (mono), quieter than 99%% of the mixes %s learned from: they are "
                 "heard %.1f dB louder, at %.1f LUFS (those mixes' median; the model reads absolute levels, the "
                 "loudness engine does not)", source, lufs, self.checkpoint or "this model", gain, lufs + gain)
        self.quiet_note = {"lufs": round(lufs, 2), "trained_p1_lufs": QUIET_LUFS, "gain_db": round(gain, 2),
                           "heard_at_lufs": round(lufs + gain, 2)}
        return gain

    def analyse(self, windows: Sequence[WindowInput]) -> list[WindowAdvice]:
        out: list[WindowAdvice] = []
        for i in range(0, len(windows), self.batch_size):
            batch = windows[i:i + self.batch_size]
            waves = [model_input(w, self.input_mode, self.sample_rate) for w in batch]
            if self.stem_gains_db and self.input_mode == "stems":
                g = {s: np.float32(10.0 ** (v / 20.0)) for s, v in self.stem_gains_db.items()}
                waves = [{s: x * g.get(s, np.float32(1.0)) for s, x in wave.items()} for wave in waves]
            stems = [w.names if w.stems is None else tuple(w.stems) for w in batch]   # what the instruction names
            results = self.model.generate(waves, [w.instruction for w in batch], [w.anchor for w in batch],
                                          max_new_tokens=self.max_new_tokens, stems=stems)
            out.extend(self._advice(r, w.anchor, s) for r, w, s in zip(results, batch, stems))
        return out

    def _advice(self, result: Any, anchor: str, stems: Sequence[str] | None = None) -> WindowAdvice:
        from ..evaluate.parse import parse_advice

        conf = _rounded(getattr(result, "p_error", None))
        probs = getattr(result, "aux_probs", None)
        targets = target_stems(anchor, stems)
        finding = parse_advice(result.text).primary
        if self.threshold is not None and conf is not None and conf < self.threshold and not finding.no_error:
            return no_error_advice(conf, _rounded(answer_probability(probs, Finding(no_error=True), targets)))
        return WindowAdvice(result.text, finding, conf, _rounded(answer_probability(probs, finding, targets)))


def model_input(w: WindowInput, input_mode: str, sample_rate: int) -> np.ndarray | dict[str, np.ndarray]:
    """Mono float32 1-D audio (mix mode) or a stem → mono audio dict (stems mode), without the zero
    padding of a song's last, short window: the model masks what lies past an item's length (level
    statistics, encoder frames, audio tokens), while padding would read as 4 s of digital silence."""
    n = round((w.end_s - w.start_s) * sample_rate)         # the window's own samples
    if input_mode == "stems":
        if w.stems is None:
            raise MixbuddyError("this model listens to the stems: give the stems folder (--stems DIR)")
        return {s: np.ascontiguousarray(x[:n].mean(axis=1), dtype=np.float32) for s, x in w.stems.items()}
    return np.ascontiguousarray(w.mix[:n].mean(axis=1), dtype=np.float32)
