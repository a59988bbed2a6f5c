"""Advice engines: what turns one analysis window into advice.

An engine states the audio it wants (``sample_rate``, ``channels``, ``clip_seconds``, ``input_mode``
and whether it ``needs_stems``) and answers a list of :class:`WindowInput` with one
:class:`WindowAdvice` each (text, parsed :class:`~mixbuddy.findings.Finding`, confidence = the
probability that the window holds an imbalance, or None when the engine gives none).

* :class:`ModelEngine` wraps a trained checkpoint (``mixbuddy.model.checkpoint.load_checkpoint``) and
  its batched greedy ``generate``; its text is read by the advice parser.
* :class:`LoudnessEngine` needs the stems: it measures each stem's BS.1770 loudness and takes the Bayes
  decision of :mod:`mixbuddy.evaluate.baselines.bayes` under a balance prior (a JSON file, see
  :func:`fit_prior`); the packaged default prior was fitted on the bundled synthetic training split.

``threshold`` (both engines): declare an imbalance only when the confidence is >= threshold. The
loudness engine applies it inside the Bayes decision (a window may also *become* an imbalance when
its confidence clears a low threshold). A model with a hard verdict (``aux.verdict_mode: hard``) applies
it the same way before the LLM reads the verdict; otherwise the model engine can only demote an
imbalance below the threshold to "balanced" (its text names no stem to promote).
"""
from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence, runtime_checkable

import numpy as np

from ..argtypes import require_whole
from ..constants import CATEGORY_BY_NAME, STEMS
from ..data import templates as T
from ..errors import ConfigError, MixbuddyError
from ..findings import Finding, answer_probability, target_stems

log = logging.getLogger(__name__)

DEFAULT_PRIOR = Path(__file__).with_name("data") / "balance_prior.json"
PRIOR_FORMAT = "mixbuddy-balance-prior/1"
NO_ERROR_TEXT_ID = "no_error/0"
LOUD_Z = 2.326  # a normal distribution's 99th percentile, in standard deviations: where "louder than trained" starts


@dataclass
class WindowInput:
    """One analysis window at the engine's rate/channels.

    mix:    float32 (samples, channels), zero-padded to the engine's clip length.
    stems:  per-stem float32 (samples, channels) when the stems are known, else None.
    active: stems whose level in this window passes the dataset's activity gate (the loudness engine
            ignores the others; they cannot be a target).
    """

    start_s: float
    end_s: float
    mix: np.ndarray
    anchor: str
    instruction: str
    stems: dict[str, np.ndarray] | None = None
    active: tuple[str, ...] = ()


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
def _json_type(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(v), "a number")


def _whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _finite_numbers(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
                                       for x in v)


def prior_problem(data: Any) -> str | None:
    """What is wrong with the content of a balance prior file (the key or field), or None."""
    if not isinstance(data, dict):
        return f"the file holds {_json_type(data)}, not a JSON object"
    fmt = data.get("format", PRIOR_FORMAT)
    if fmt != PRIOR_FORMAT:
        return f"'format' is {fmt!r}, expected {PRIOR_FORMAT!r}"
    missing = [k for k in ("balance", "sample_rate", "channels") if k not in data]
    if missing:
        return f"no {', '.join(repr(k) for k in missing)} key{'s' if len(missing) > 1 else ''}"
    sr, ch = data["sample_rate"], data["channels"]
    if not _whole(sr) or sr < 1:
        return f"'sample_rate' must be a rate in Hz (a whole number >= 1), got {sr!r}"
    if not _whole(ch) or ch not in (1, 2):
        return f"'channels' must be 1 or 2, got {ch!r}"
    bal = data["balance"]
    if not isinstance(bal, dict):
        return f"'balance' must be an object with stems, mean, cov and n, got {_json_type(bal)}"
    missing = [k for k in ("stems", "mean", "cov", "n") if k not in bal]
    if missing:
        return f"'balance' has no {', '.join(repr(k) for k in missing)} key{'s' if len(missing) > 1 else ''}"
    stems, mean, cov, n = bal["stems"], bal["mean"], bal["cov"], bal["n"]
    if not (isinstance(stems, list) and len(stems) >= 2 and all(isinstance(x, str) for x in stems)
            and len(set(stems)) == len(stems)):
        return f"'balance.stems' must be a list of at least 2 distinct stem names, got {stems!r}"
    unknown = [x for x in stems if x not in STEMS]
    if unknown:
        return f"'balance.stems' names unknown stems {unknown} (known: {list(STEMS)})"
    k = len(stems)
    if not (_finite_numbers(mean) and len(mean) == k):
        return f"'balance.mean' must be a list of {k} finite numbers (one per stem)"
    if not (isinstance(cov, list) and len(cov) == k and all(_finite_numbers(row) and len(row) == k for row in cov)):
        return f"'balance.cov' must be a {k}x{k} matrix (a list of {k} lists of {k} finite numbers)"
    c = np.asarray(cov, dtype=float)
    if not np.allclose(c, c.T, rtol=1e-6, atol=1e-9) or np.any(np.linalg.eigvalsh(c) <= 0):
        return "'balance.cov' is not a covariance matrix (symmetric, positive definite)"
    if not _whole(n) or n < 1:
        return f"'balance.n' must be a whole number of chunks >= 1, got {n!r}"
    return None


def load_prior(path: str | Path | None = None) -> tuple[Any, dict]:
    """(GaussianBalance, metadata) from a prior JSON file (default: the packaged one); ConfigError naming
    the file and the key or field that is wrong."""
    from ..evaluate.baselines.bayes import GaussianBalance

    path = Path(path) if path else DEFAULT_PRIOR
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; give a balance prior JSON file (made by `mixbuddy advise-prior`)")
    if not path.is_file():
        raise ConfigError(f"{path}: balance prior not found (make one with `mixbuddy advise-prior`)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ConfigError(f"{path}: not a balance prior file (not valid JSON: {e})") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the balance prior ({e.strerror or e})") from None
    problem = prior_problem(data)
    if problem:
        raise ConfigError(f"{path}: not a balance prior file ({problem}; make one with `mixbuddy advise-prior`)")
    balance = GaussianBalance.from_dict(data["balance"])
    meta = {k: v for k, v in data.items() if k != "balance"}
    return balance, meta


def fit_prior(dataset: str | Path, sample_rate: int = 22050, channels: int = 2, workers: int | None = None,
              command: str = "", notes: Sequence[str] = ()) -> dict:
    """Fit the balance prior on the clean stems of every distinct chunk of a (training) dataset.

    The result records how it was made: ``command``, free ``notes`` (e.g. the commands that built the
    corpus and dataset) and the corpus part of the dataset's ``dataset.json``.
    """
    from ..data.recipe import load_recipes
    from ..evaluate.baselines.loudness import fit_balance
    from ..data.render import open_renderer, read_manifest

    if not _whole(sample_rate) or sample_rate < 1:
        raise ConfigError(f"sample rate must be a whole number of Hz >= 1, got {sample_rate!r}")
    if channels not in (1, 2):
        raise ConfigError(f"channels must be 1 or 2, got {channels!r}")
    if workers is not None:
        require_whole(workers, "workers", 0)
    records = load_recipes(dataset)
    if not records:
        raise MixbuddyError(f"{dataset}: no records to fit a balance prior on")
    manifest = read_manifest(dataset) or {}
    renderer = open_renderer(dataset, sample_rate, channels)   # a missing dataset.json is refused here
    balance = fit_balance(records, renderer, workers)
    source = {k: manifest.get(k) for k in ("corpus", "corpus_config", "code_version", "seed")}
    return {"format": PRIOR_FORMAT, "dataset": str(dataset), "sample_rate": int(sample_rate),
            "channels": int(channels), "chunks": balance.n, "command": command, "notes": list(notes),
            "dataset_source": source,
            "contrast_std_db": {k: round(v, 4) for k, v in balance.contrast_std().items()},
            "balance": balance.to_dict()}


class LoudnessEngine:
    """Per-window Bayes decision from per-stem loudness (needs the stems)."""

    input_mode = "stems"
    needs_stems = True
    name = "loudness"

    def __init__(self, prior: str | Path | None = None, threshold: float | None = None,
                 clip_seconds: float = 10.0):
        self.balance, self.prior_meta = load_prior(prior)
        self.prior_path = str(prior or DEFAULT_PRIOR)
        self.sample_rate = int(self.prior_meta["sample_rate"])
        self.channels = int(self.prior_meta["channels"])
        self.clip_seconds = float(clip_seconds)
        self.threshold = threshold
        self.reference: dict | None = None  # set by predict.reference.use_reference: the balance judged against

    def describe(self) -> dict:
        d = {"name": self.name, "prior": self.prior_path, "threshold": self.threshold,
             "sample_rate": self.sample_rate, "channels": self.channels}
        return {**d, "reference": self.reference} if self.reference else d

    def analyse(self, windows: Sequence[WindowInput]) -> list[WindowAdvice]:
        from ..evaluate.baselines.bayes import decide
        from ..evaluate.baselines.loudness import loudness

        out = []
        for w in windows:
            if w.stems is None:
                raise MixbuddyError("the loudness engine needs the stems of the song (--stems DIR)")
            lufs = {s: loudness(x, self.sample_rate) if s in w.active else float("nan") for s, x in w.stems.items()}
            targets = target_stems(w.anchor)
            d = decide(self.balance, lufs, targets, self.threshold)
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
                 batch_size: int = 8, threshold: float | None = None, max_new_tokens: int | None = None,
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
        return {**d, "reference": self.reference} if self.reference else d

    def for_song(self, mix: np.ndarray, source: str) -> tuple["ModelEngine", float]:
        """(the engine to hear this song, a gain in dB for its mix): a mix model reads a mix's overall level,
        and a bounce louder than 99% of the mixes it learned from (a mastered one, typically) is misread
        as a pushed stem (docs/BENCHMARKS.md, "Mastered bounces"). Such a mix goes to ``loud_fallback``
        (a model trained on mastered mixes too) when there is one, else it is heard turned down to that 99th
        percentile.
        Either is logged. Other songs, level-blind models and stems models: (self, 0.0). A model not loaded yet
        stays so: the training loudness is read off its checkpoint's files."""
        from ..evaluate.baselines.loudness import loudness
        from ..model.levels import trained_mix_loudness

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
        lufs = loudness(mix.mean(axis=1), self.sample_rate)
        if not lufs > top:
            return self, 0.0
        what = (f"{source}: {lufs:.1f} LUFS, louder than 99% of the mixes {self.checkpoint or 'this model'} learned "
                f"from (above {top:.1f} LUFS), as a mastered bounce is; a model that hears the mix's level reads that "
                "as a pushed stem")
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

    def analyse(self, windows: Sequence[WindowInput]) -> list[WindowAdvice]:
        out: list[WindowAdvice] = []
        for i in range(0, len(windows), self.batch_size):
            batch = windows[i:i + self.batch_size]
            waves = [model_input(w, self.input_mode, self.sample_rate) for w in batch]
            if self.stem_gains_db and self.input_mode == "stems":
                g = {s: np.float32(10.0 ** (v / 20.0)) for s, v in self.stem_gains_db.items()}
                waves = [{s: x * g.get(s, np.float32(1.0)) for s, x in wave.items()} for wave in waves]
            stems = [None if w.stems is None else tuple(w.stems) for w in batch]   # what the instruction names
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
