"""``loudness-stems``: what a producer could do with a loudness meter on every (flawed) stem.

It measures the BS.1770 integrated loudness of each stem of the flawed chunk (pyloudnorm) and takes the
Bayes decision of :mod:`.bayes` under the distribution of stem loudness learned on the training split.
Since a balanced mix varies from song to song, no model that hears the same audio can be right every
time; this baseline estimates that practical limit.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyloudnorm as pyln

from ...constants import STEMS, TWO_TRACK
from ...data.recipe import Recipe
from ...data.render import Renderer
from ...errors import DataError
from .bayes import MIN_FIT_CHUNKS, GaussianBalance, TooFewChunksError, answer_p, decide
from .common import advice_text, allowed_targets, map_records

SILENT_LUFS = -70.0
_METERS: dict[int, pyln.Meter] = {}


def loudness(x: np.ndarray, sr: int) -> float:
    """Integrated loudness in LUFS; NaN for a silent (or nearly silent) signal."""
    meter = _METERS.setdefault(sr, pyln.Meter(sr))
    with np.errstate(divide="ignore"):
        v = meter.integrated_loudness(np.asarray(x, dtype=np.float64))
    return float(v) if np.isfinite(v) and v > SILENT_LUFS else float("nan")


def _stem_loudness(renderer: Renderer, r: Recipe) -> list[float]:
    out = renderer.render(r, return_stems=True)
    return [loudness(out.stems[s], out.sample_rate) if s in out.stems else float("nan") for s in STEMS]


def _clean_loudness(renderer: Renderer, r: Recipe) -> list[float]:
    """Loudness of the chunk's stems as the song's mixer left them (training only: uses the truth)."""
    win = renderer.window(r)
    return [loudness(win[s], renderer.sample_rate) if s in win else float("nan") for s in STEMS]


def _two_track_loudness(renderer: Renderer, r: Recipe) -> list[float]:
    """Loudness of the chunk's instrumental (its drums, bass and other summed, as the song's mixer left them) and
    of its vocals (NaN where the chunk has none): what a two-track delivery holds."""
    win = renderer.window(r)
    rest = [win[s] for s in STEMS if s in win and s != "vocals"]
    inst = loudness(np.sum(rest, axis=0), renderer.sample_rate) if rest else float("nan")
    return [inst, loudness(win["vocals"], renderer.sample_rate) if "vocals" in win else float("nan")]


def fit_balance(train: Sequence[Recipe], renderer: Renderer, workers: int | None = None,
                source: str | None = None, two_track: bool = False) -> GaussianBalance:
    """Fit the balance prior on the clean stems of every distinct training chunk; with ``two_track``, over the
    instrumental and the vocals instead (``TWO_TRACK``: the sum of the other stems, measured as one signal).

    ``source`` names the training data in errors (default: the renderer's dataset file). Too few chunks
    raise DataError naming it (checked before any audio is decoded when the chunk count alone is too low).
    """
    where = source or getattr(renderer, "dataset", None) or f"corpus {renderer.corpus!r}"
    chunks = {}
    for r in train:
        chunks.setdefault((r.song_id, r.start_s), r)
    if len(chunks) < MIN_FIT_CHUNKS:
        raise DataError(f"{where}: too few training chunks to fit the balance prior: {len(chunks)} distinct "
                        f"chunk(s) in {len(train)} record(s), need at least {MIN_FIT_CHUNKS} with each stem active "
                        "(use a larger training split)")
    keys = sorted(chunks)
    stems, measure = (TWO_TRACK, _two_track_loudness) if two_track else (STEMS, _clean_loudness)
    L = np.array(map_records(measure, renderer, [chunks[k] for k in keys], workers, desc="fit prior"))
    try:
        return GaussianBalance.fit(L.reshape(len(keys), len(stems)), stems)
    except TooFewChunksError as e:
        raise DataError(f"{where}: too few training chunks to fit the balance prior: {e} (use a larger training "
                        "split; for real songs whose stems sit out at times, build it with gate.strict: false, "
                        "as configs/data-real.yaml does, so that a silent stem only loses its roles)") from None


def predict_loudness(records: Sequence[Recipe], train: Sequence[Recipe], renderer: Renderer,
                     train_renderer: Renderer | None = None, seed: int = 0,
                     workers: int | None = None, train_source: str | None = None) -> tuple[list[dict], GaussianBalance]:
    balance = fit_balance(train, train_renderer or renderer, workers, source=train_source)
    L = map_records(_stem_loudness, renderer, records, workers, desc="loudness-stems")
    out = []
    for r, row in zip(records, L):
        d = decide(balance, dict(zip(STEMS, row)), allowed_targets(r))
        text = advice_text(r, d.no_error, d.target, d.category, seed, gain_db=d.gain_db)
        out.append({"id": r.id, "text": text, "confidence": round(d.p_error, 6),
                    "p_answer": answer_p(d)})
    return out, balance
