"""What ``advise`` checks in the audio it reads before any window is cut: a file sampled too low to hold what the
models hear, a stem silent from start to end, and a DC offset (taken out, and noted). Each is logged, so it
reaches the terminal and the report's notes; :func:`~mixbuddy.predict.windows.load_song` calls them."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..audio import content_end
from .gates import dc_offsets

log = logging.getLogger(__name__)

FULL_BAND_HZ = 16000  # the mix models listen at 16 kHz: a file sampled below this lacks part of what they hear
DC_NOTE = 1e-3        # -60 dBFS; the real stems at hand sit within 1.3e-6 of zero (docs/BENCHMARKS.md, "DC offsets")


def warn_band_limited(what: str | Path, rate: int) -> None:
    """Warn when audio is sampled below FULL_BAND_HZ. Measured on the bundled example: copies at 16 and
    22.05 kHz get the same advice as the 44.1 kHz original, an 11.025 kHz copy gets "bass too loud" in
    two windows (a mix with no highs sounds bass-heavy)."""
    if rate < FULL_BAND_HZ:
        log.warning("%s is sampled at %d Hz: it holds nothing above %.1f kHz, less than the %.0f kHz the models "
                    "hear, so it sounds dull and its bass may be judged too loud; give a full-band bounce", what,
                    rate, rate / 2000, FULL_BAND_HZ / 2000)


SILENT_PEAK = 1e-5    # -100 dBFS: below this everywhere, a stem holds nothing (dither of a 16-bit file reaches -96)


def warn_silent_stems(source: str | Path, stems: dict[str, np.ndarray]) -> None:
    """A stem silent from start to end is most often an empty or muted export; the engines that hear the stems
    read it as a stem that sits out the whole song, so the advice would be about the others."""
    for name, x in stems.items():
        if x.size == 0 or (x.max() <= SILENT_PEAK and x.min() >= -SILENT_PEAK):     # no full-song |x| copy
            log.warning("%s: the %s stem is silent throughout (an empty or muted export?): advice from the stems "
                        "treats it as absent; check that file", source, name)


def take_out_dc(source: str | Path, signals: dict[str, np.ndarray], sr: int) -> dict[str, np.ndarray]:
    """``signals`` with the DC offset taken out of each that sits at ``DC_NOTE`` or more, which is noted: an
    offset the ear does not hear would otherwise count as sound at the gates and reach a model's input; it
    costs the producer headroom, so they are told. Signals closer to zero are returned as they are. The zero-padding
    after a file shorter than the song is silence, not part of the offset: it is left out, and stays zero."""
    out = dict(signals)
    for name, x in signals.items():
        end = content_end(x)
        dc = dc_offsets(x[:end], sr)
        size = float(np.abs(dc).max(initial=0.0))
        if size >= DC_NOTE:
            what = "the mix" if name == "mix" else f"the {name} stem"
            log.info("%s: %s sits at a DC offset of %.3f (%.0f dBFS), taken out before the analysis; it costs "
                     "headroom and can click at edits: a DC filter (a high-pass under 20 Hz) removes it", source,
                     what, size, 20.0 * np.log10(size))
            y = np.array(x, dtype=np.float32)
            y[:end] -= dc.astype(np.float32)
            out[name] = y
    return out
