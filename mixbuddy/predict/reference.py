"""A reference song for the loudness engine: "balanced" means balanced like this song, not like the
training corpus.

The loudness engine's prior is a Gaussian over the stems' loudness: a typical balance (its mean, fitted on
the synthetic training songs) and how far songs stray from it (its covariance). A producer who knows what
their balance should sound like (an earlier song of theirs, a reference track of the genre) gives that
song's stems with ``advise --reference REF``. The reference is cut into the same windows as the song (its
anchor must play), each active stem's BS.1770 loudness is measured at the engine's rate, and the mean per
stem becomes the typical balance; a stem the reference lacks (the anchor too) moves with the others. The spread stays the
prior's: one reference does not say how far a good mix may stray from it.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..constants import TARGET_STEMS
from ..errors import MixbuddyError
from .engines import LoudnessEngine
from .stem_pack import named_as_pack, opened_stems
from .windows import cut_windows, load_song

log = logging.getLogger(__name__)


def reference_levels(engine: LoudnessEngine, reference: str | Path, anchor: str,
                     mapping: str | Path | None = None) -> tuple[dict[str, float], int]:
    """({stem: mean LUFS over the reference's usable windows where it plays}, number of windows)."""
    from ..evaluate.baselines.loudness import loudness

    with opened_stems(reference) as opened, named_as_pack(opened, reference):
        audio = load_song(None, opened, engine.sample_rate, engine.channels, mapping)
        audio.source = str(reference)
        gate = anchor if anchor in audio.stems else next((s for s in TARGET_STEMS if s in audio.stems), anchor)
        if gate != anchor:
            log.info("%s has no %s stem (the anchor): its other stems set the typical balance, and the %s is "
                     "taken to sit as the prior has it against them", reference, anchor, anchor)
        windows, _ = cut_windows(audio, gate, engine.clip_seconds)
    seen: dict[str, list[float]] = {}
    for w in windows:
        for s in w.active:
            v = loudness(w.stems[s], engine.sample_rate)
            if np.isfinite(v):
                seen.setdefault(s, []).append(v)
    return {s: float(np.mean(v)) for s, v in seen.items()}, len(windows)


def use_reference(engine: LoudnessEngine, reference: str | Path, anchor: str,
                  mapping: str | Path | None = None) -> dict:
    """Make ``engine`` judge against the balance of ``reference`` (a stems folder, ``.zip`` or
    ``.stem.mp4``); returns what it measured (also in ``engine.describe()``)."""
    if not isinstance(engine, LoudnessEngine):
        raise MixbuddyError("--reference sets the loudness engine's typical balance; give the stems (--stems) "
                            "and leave the engine to the loudness one")
    levels, n = reference_levels(engine, reference, anchor, mapping)
    before = engine.balance.deviations(levels, anchor)
    engine.balance = engine.balance.shifted_to(levels)
    engine.reference = {"song": str(reference), "windows": n,
                        "lufs": {s: round(v, 2) for s, v in levels.items()},
                        "vs_prior_db": {s: v for s, (v, _) in before.items()}}
    return engine.reference
