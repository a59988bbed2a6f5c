"""Helpers of the prediction tests: a fake model with the real ``generate()`` interface (a
deterministic function of the audio), and writers of small songs / stems folders."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from corpus_fixtures import make_song_dir, synth_stems
from mixbuddy.constants import TARGET_STEMS
from mixbuddy.data import templates as T
from mixbuddy.evaluate.baselines.loudness import loudness
from mixbuddy.predict.prior import load_prior

REPO_ROOT = Path(__file__).resolve().parents[2]
LITHIUM = REPO_ROOT / "examples" / "lithium"


@dataclass
class FakeResult:
    text: str
    p_error: float | None
    aux_probs: dict = field(default_factory=dict)


class FakeModel:
    """Stands in for ``MixbuddyModel``: same attributes and ``generate()`` signature.

    Stems mode: the loudest target stem (RMS, anchor excluded) is called too loud when it is more
    than 3 dB above the anchor, with P(error) a logistic function of that difference; mix mode: the
    drums are called too loud when the mix RMS is above ``mix_loud_db``. Its class probabilities
    (``aux_probs``, the head's names): no error 1 − P(error), that stem too loud 0.7 P(error), another
    allowed stem too quiet 0.3 P(error), so P(right) is 0.7 P(error) for a claim and 1 − P(error) for
    "balanced". Records each batch size, each item's length in samples (``lengths``; stems mode: the
    set of its stems' lengths), each instruction (``instructions``), the stems it names (``stem_lists``) and the
    level it heard (``heard_db``: mean-square dB of the mix, or of the stems' sum).
    """

    def __init__(self, input_mode: str = "stems", sample_rate: int = 16000, clip_seconds: float = 10.0,
                 mix_loud_db: float = -20.0):
        self.sample_rate = sample_rate
        self.cfg = SimpleNamespace(input_mode=input_mode, clip_seconds=clip_seconds)
        self.mix_loud_db = mix_loud_db
        self.batches: list[int] = []
        self.lengths: list = []
        self.systems: list = []
        self.stem_lists: list = []
        self.instructions: list[str] = []
        self.heard_db: list[float] = []

    @staticmethod
    def _db(x: np.ndarray) -> float:
        return float(10 * np.log10(np.mean(np.asarray(x, dtype=np.float64) ** 2) + 1e-12))

    def _one(self, wave, anchor: str) -> FakeResult:
        if isinstance(wave, dict):
            assert all(x.ndim == 1 and x.dtype == np.float32 for x in wave.values())
            cands = [s for s in TARGET_STEMS if s in wave and s != anchor]
            levels = {s: self._db(wave[s]) for s in cands}
            target = max(cands, key=lambda s: (levels[s], s))
            diff = levels[target] - self._db(wave[anchor])
        else:
            assert wave.ndim == 1 and wave.dtype == np.float32
            target, diff = "drums", self._db(wave) - self.mix_loud_db + 3.0
        p = round(1.0 / (1.0 + np.exp(-(diff - 3.0))), 6)
        other = next(s for s in TARGET_STEMS if s not in (anchor, target))
        probs = {"no_error": 1.0 - p, f"{target}/loud": 0.7 * p, f"{other}/quiet": 0.3 * p}
        if diff <= 3.0:
            return FakeResult(T.RESPONSE_TEMPLATES["no_error"]["no_error/1"], p, probs)
        return FakeResult(T.render_response("loud", target, anchor, "loud/2"), p, probs)

    def generate(self, waves, instructions, anchors, system=None, max_new_tokens=None, stems=None) -> list[FakeResult]:
        assert len(waves) == len(instructions) == len(anchors) and (stems is None or len(stems) == len(waves))
        self.stem_lists.extend([None] * len(waves) if stems is None else stems)
        self.instructions.extend(instructions)
        self.batches.append(len(waves))
        self.lengths.extend({x.shape[0] for x in w.values()} if isinstance(w, dict) else w.shape[0] for w in waves)
        self.systems.append(system)
        self.heard_db.extend(self._db(sum(w.values()) if isinstance(w, dict) else w) for w in waves)
        return [self._one(w, a) for w, a in zip(waves, anchors)]


def balanced_stems(seconds: float, sr: int = 44100, seed: int = 0, push: dict[str, float] | None = None,
                   channels: int = 2) -> dict[str, np.ndarray]:
    """Synthetic stems whose loudness sits at the packaged prior's mean balance, overall near −20 LUFS
    per stem; ``push`` adds dB to chosen stems."""
    balance, meta = load_prior()
    stems = synth_stems(seconds, sr, channels, seed)
    mean = dict(zip(balance.stems, balance.mean))
    offset = -20.0 - float(np.mean(list(mean.values())))
    out = {}
    for s, x in stems.items():
        lufs = loudness(x, sr)
        g = mean[s] + offset - lufs + (push or {}).get(s, 0.0)
        out[s] = (x * 10 ** (g / 20)).astype(np.float32)
    return out


def write_stems(folder: Path, stems: dict[str, np.ndarray], sr: int = 44100, fmt: str = "flac",
                with_mix: bool = False) -> Path:
    """A stems folder (``<stem>.<fmt>``), optionally with ``mix.<fmt>`` (the sum)."""
    files = dict(stems)
    if with_mix:
        files["mix"] = np.sum(list(stems.values()), axis=0)
    return make_song_dir(folder, files, sr, fmt)
