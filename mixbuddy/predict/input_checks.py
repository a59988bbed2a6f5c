"""What ``advise`` checks in the audio it reads before any window is cut: a file sampled too low to hold what the
models hear, a mix file that clips or (a float file) peaks above full scale and stem files that clip (noted), a stem
silent from start to end, a DC offset (taken out, and noted), and mono files among stereo ones in a stems folder
given without its mix (noted: their level in the mix depends on the DAW's pan law). Each is logged, so it reaches
the terminal and the report's notes; :func:`~mixbuddy.predict.windows.load_song` calls them."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

import numpy as np
import soundfile as sf

from ..audio import OVER_SAMPLES, content_end, overs
from ..corpus.peak_checks import listed
from .gates import dc_offsets
from .wording import fmt_time

if TYPE_CHECKING:
    from ..corpus.stems_folder import FileStemLoader

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


OVERS_RULE = f"{OVER_SAMPLES} or more samples in a row flat at full scale"


def _overs_phrase(count: int, longest: int, sr: int, rule: str = "") -> str:
    """"12 overs (RULE; the longest 5, 0.1 ms)"."""
    return (f"{count:,} over{'' if count == 1 else 's'} ({rule + '; ' if rule else ''}the longest {longest}, "
            f"{1000.0 * longest / sr:.1f} ms)")


def note_clipping(path: str | Path, x: np.ndarray, sr: int, peak: float) -> None:
    """Note a mix file that clips (:func:`~mixbuddy.audio.overs`) and a float file that peaks above full scale (it
    keeps its peaks; playback and a fixed-point export clip them). ``x``, ``sr``, ``peak``: the file as
    :func:`~mixbuddy.audio.decode_audio` reads it. The advice hears the file as it is either way: this tells the
    producer what they may not have heard."""
    found = overs(x, sr, peak)
    if found is not None:
        log.info("%s: the mix clips: %s, the first at %s: what a clipper, a limiter that clips or a mix pushed past 0 "
                 "dBFS into a fixed-point file leaves. Clipping adds distortion, which the advice hears as part of the "
                 "mix: if it was not meant, turn the master down and bounce again", path,
                 _overs_phrase(found[0], found[1], sr, OVERS_RULE), fmt_time(found[2]))
    if peak > 1.0 and _float_file(path):
        log.info("%s: the mix peaks at %+.1f dBFS, above full scale: this float file keeps those peaks, but playback "
                 "and a 16- or 24-bit export clip them; turn the master down by %.1f dB or more before that", path,
                 20.0 * np.log10(peak), 20.0 * np.log10(peak))


def note_clipped_files(folder: str | Path, found: Mapping[Path, tuple[int, int, float]],
                       rates: Mapping[Path, int]) -> None:
    """Note the stem files of ``folder`` that clip (``found``: each one's :func:`~mixbuddy.audio.overs`, as the
    folder reader kept them; ``rates``: each file's own rate). A track pushed past 0 dBFS into a fixed-point
    export loses its peaks, which the mix (a DAW mixes in floating point) may keep; the advice hears the files as
    they are."""
    if not found:
        return
    names = sorted(found, key=lambda p: p.name)
    each = listed([f"{p.name}: {_overs_phrase(found[p][0], found[p][1], rates[p])}" for p in names])
    log.info("%s: %s clip%s (%s): %s. A track pushed past 0 dBFS into a 16- or 24-bit file loses its peaks there, "
             "which the mix (a DAW mixes in floating point) may keep; if it was not meant, export %s again with the "
             "track turned down, or as 32-bit float", folder, f"{len(names)} files" if len(names) > 1 else "a file",
             "" if len(names) > 1 else "s", OVERS_RULE, each, "them" if len(names) > 1 else "it")


def _float_file(path: str | Path) -> bool:
    """Whether libsndfile reads ``path`` as floating-point samples (a file it cannot read, e.g. one ffmpeg decodes,
    is taken as not: those are lossy or fixed-point here)."""
    try:
        return sf.info(str(path)).subtype in ("FLOAT", "DOUBLE")
    except Exception:  # soundfile raises LibsndfileError / RuntimeError for formats it leaves to ffmpeg
        return False


def mono_tracks(loader: "FileStemLoader") -> tuple[dict[str, list], dict[str, list]]:
    """(each stem's tracks, each stem's mono ones: one file of one channel; a split-stereo pair is one stereo
    track: ``loader.tracks``)."""
    tracks = {stem: loader.tracks(stem) for stem in loader.files}
    return tracks, {stem: [t for t in ts if len(t) == 1 and loader.file_channels.get(t[0]) == 1]
                    for stem, ts in tracks.items()}


def mono_among_stereo(loader: "FileStemLoader") -> bool:
    """Whether a folder holds mono tracks among stereo ones (:func:`mono_tracks`)."""
    tracks, mono = mono_tracks(loader)
    return 0 < sum(map(len, mono.values())) < sum(map(len, tracks.values()))


def note_mono_files(source: str | Path, loader: "FileStemLoader") -> None:
    """Note the stems of a folder that hold mono files among stereo ones (a split-stereo pair is one stereo track:
    ``loader.tracks``). A mono file is read at its level in both channels, as a centred track under a pan law that
    leaves the centre at 0 dB (Logic's "-3 dB compensated", Reaper's default); a DAW whose pan law turns a centred
    mono track down (Pro Tools, Cubase and Studio One: -3 dB by default; Pro Tools sessions from before 8.1: -2.5 dB)
    holds it that much lower in its mix, so a stem of mono files can read up to 3 dB louder than the mix has it. Only
    the mix can tell which: given with the stems, the fit of the mix measures it and a pan law's cut is heard
    (:mod:`mixbuddy.predict.pan_law`), so this is for a folder given alone."""
    if not mono_among_stereo(loader):
        return
    tracks, mono = mono_tracks(loader)
    said = ", ".join(f"{stem} ({len(m)} of {len(tracks[stem])} file{'s' if len(tracks[stem]) != 1 else ''})"
                     for stem, m in mono.items() if m)
    log.info("%s: mono files among stereo ones in %s: each is read at its level in both channels (as a centred "
             "track under a pan law that leaves the centre at 0 dB); a DAW whose pan law turns a centred mono track "
             "down (Pro Tools, Cubase and Studio One: -3 dB by default) holds it that much lower in its mix, so these "
             "stems can read up to 3 dB louder than the mix has them: give the mix with the stems, and advise measures "
             "it and hears a pan law's cut as the mix has it", source, said)


SILENT_PEAK = 1e-5    # -100 dBFS: below this everywhere, a stem holds nothing (dither of a 16-bit file reaches -96)


def warn_silent_stems(source: str | Path, stems: dict[str, np.ndarray]) -> None:
    """A stem silent from start to end is most often an empty or muted export; the engines that hear the stems
    read it as a stem that sits out the whole song, so the advice would be about the others."""
    for name, x in stems.items():
        if x.size == 0 or (x.max() <= SILENT_PEAK and x.min() >= -SILENT_PEAK):     # no full-song |x| copy
            log.warning("%s: the %s stem is silent throughout (an empty or muted export?): advice from the stems "
                        "treats it as absent; check that file", source, name)


def take_out_dc(source: str | Path, signals: dict[str, np.ndarray], sr: int, say: bool = True
                ) -> dict[str, np.ndarray]:
    """``signals`` with the DC offset taken out of each that sits at ``DC_NOTE`` or more, which is noted: an
    offset the ear does not hear would otherwise count as sound at the gates and reach a model's input; it
    costs the producer headroom, so they are told. Signals closer to zero are returned as they are. The zero-padding
    after a file shorter than the song is silence, not part of the offset: it is left out, and stays zero (``say``:
    False for a copy of a signal already noted)."""
    out = dict(signals)
    for name, x in signals.items():
        end = content_end(x)
        dc = dc_offsets(x[:end], sr)
        size = float(np.abs(dc).max(initial=0.0))
        if size >= DC_NOTE:
            what = "the mix" if name == "mix" else f"the {name} stem"
            if say:
                log.info("%s: %s sits at a DC offset of %.3f (%.0f dBFS), taken out before the analysis; it costs "
                         "headroom and can click at edits: a DC filter (a high-pass under 20 Hz) removes it", source,
                         what, size, 20.0 * np.log10(size))
            y = np.array(x, dtype=np.float32)
            y[:end] -= dc.astype(np.float32)
            out[name] = y
    return out
