"""Hear the advice: the song's stems summed again with the overall verdict's correction applied to its stem
(``mixbuddy advise --stems DIR --anchor A --apply fixed.wav``), so a producer can compare the fix with the
mix before touching a fader.

The correction is the verdict's exact gain when the engine states one (the loudness engine: the mean over
the verdict's windows), else the median over those windows of the middle of each advised range (a model's
"raise by 6–12 dB" counts as 9 dB). The render is the plain sum of the stems at their own rate, in stereo,
with only that stem's gain changed (and a stem that ``advise`` heard later than its file puts it, exported from
its first region, moved there as it was heard: ``placed``), plus any effect return of the folder, which ``advise``
leaves out of the stems, as it is: master-bus processing in the producer's own mix is not in it. Its level is kept,
unless its peak would pass 0 dBFS: then the whole render is turned down to a peak
of ``DEFAULT_CEILING`` (the balance is unchanged) and the report says by how much.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..audio import read_audio, write_audio
from ..corpus.stem_names import Assigned
from ..corpus.stems_folder import effect_returns, song_from_files
from ..data.render import DEFAULT_CEILING, RENDER_EXTENSIONS
from ..errors import MixbuddyError
from .advise import AdviceReport
from .align import moved_later
from .wording import stated_db, verdict_key
from .stem_pack import opened_stems
from .stems_input import folder_mapping, folder_stems, is_stem_file, stem_file_info
from .tracks import folder_heard
from .two_track import read_two_track, two_track_files


@dataclass(frozen=True)
class Correction:
    """A signed gain for one stem: +9.0 raises it by 9 dB."""

    stem: str
    gain_db: float
    basis: str  # how the number was chosen, for the report


@dataclass(frozen=True)
class AppliedCorrection(Correction):
    output: str = ""
    sample_rate: int = 0
    duration_s: float = 0.0
    peak_scale_db: float = 0.0  # the whole render turned down by this much to stay below 0 dBFS (0: not needed)

    def to_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}

    def line(self) -> str:
        verb = "raised" if self.gain_db > 0 else "lowered"
        turned = (f"; the whole render turned down {-self.peak_scale_db:.1f} dB so it does not clip"
                  if self.peak_scale_db < 0 else "")
        return (f"Applied: {self.stem} {verb} by {abs(self.gain_db):.1f} dB ({self.basis}) in the sum of the "
                f"stems → {self.output}{turned}")


def check_apply_output(path: str | Path, stems: str | Path | None) -> Path:
    """The ``--apply`` file must be an audio file we write, and the stems must be given."""
    path = Path(path)
    if stems is None:
        raise MixbuddyError(f"--apply {path}: a correction is rendered from the stems; give them with --stems "
                            "DIR (or a .stem.mp4): a mix alone cannot have one stem turned up or down")
    if Path(stems).is_dir() and path.resolve().parent == Path(stems).resolve():
        raise MixbuddyError(f"--apply {path}: that is inside the stems folder {stems}, where the next advise would "
                            "read it as one more stem; write it elsewhere")
    if path.suffix.lower() not in RENDER_EXTENSIONS:
        raise MixbuddyError(f"--apply {path}: unsupported audio file extension {path.suffix or '(none)'!r}; use one "
                            f"of {', '.join(RENDER_EXTENSIONS)}")
    return path


def correction_of(report: AdviceReport) -> Correction | None:
    """The correction the overall verdict asks for; None when it says "balanced" or names no stem."""
    v = report.verdict
    if v is None or v.finding.no_error or v.finding.target is None or v.finding.direction is None:
        return None
    sign = 1.0 if v.finding.direction == "increase" else -1.0
    if v.finding.gain_db is not None:                # what the advice says ("about 9.5 dB"), not its unrounded mean
        return Correction(v.finding.target, sign * stated_db(v.finding.gain_db),
                          f"the stated correction, mean over {v.windows} window{'s' if v.windows != 1 else ''}")
    key = verdict_key(v.finding)
    middles = [sum(w.finding.range_db) / 2 for w in report.windows
               if verdict_key(w.finding) == key and w.finding.range_db is not None]
    if not middles:
        return None
    return Correction(v.finding.target, sign * float(statistics.median(middles)),
                      f"the middle of the advised range, median over {len(middles)} "
                      f"window{'s' if len(middles) != 1 else ''}")


def render_correction(stems: str | Path, correction: Correction, output: str | Path,
                      mapping: str | Path | Assigned | None = None, placed: dict[str, float] | None = None,
                      left_out: Sequence[str] = (), panned: dict[str, float] | None = None,
                      inverted: dict[str, str] | None = None, pan_at: dict[str, float] | None = None
                      ) -> AppliedCorrection:
    """Sum the stems (a folder or a ``.stem.mp4``) with ``correction`` applied, each stem in ``placed`` moved that
    many seconds later (``AdviceReport.placed``) and the files in ``left_out`` (paths in the folder) left out, as
    advise heard them (``AdviceReport.left_out``), each mono file or stem in ``panned`` held that many dB under its
    file, at its place in ``pan_at`` (the centre where not named), as the mix pans it (``AdviceReport.panned``,
    ``AdviceReport.pan_at``), each file or stem in ``inverted`` turned over as the mix holds it
    (``AdviceReport.inverted``); write ``output`` atomically."""
    output = check_apply_output(output, stems)
    shared: list[np.ndarray] = []       # effect returns, left out of the stems: rendered as they are
    folder = None                       # the stems folder's Song, whose tracks ``inverted`` names
    with opened_stems(stems) as opened:
        if is_stem_file(opened):
            song = stem_file_info(opened)
            audio, rate = song.stems(None, 2, pad=True), song.sample_rate
        elif parts := two_track_files(opened, mapping):   # the instrumental and the vocals, at their highest rate
            two = read_two_track(opened, parts, None, 2)
            audio, rate = two.stems, two.sample_rate
            folder = song_from_files(Path(opened).name, "advise", Path(opened), parts, {}) if inverted or panned \
                else None
        else:       # as advise read it: a bounce of the whole song among the files left out
            folder, audio = folder_stems(opened, None, 2, mapping, say=False, skip=left_out)
            rate = folder.sample_rate
            starts = folder.loader.stamps               # a return stamped later in the session starts there
            shared = [np.pad(read_audio(p, sr=rate, channels=2)[0], ((starts.frames(p, rate), 0), (0, 0)))
                      for p in effect_returns(Path(opened), folder_mapping(opened, mapping))]
        audio = folder_heard(audio, inverted or {}, panned or {}, pan_at or {}, rate, folder)
    if correction.stem not in audio:
        raise MixbuddyError(f"{stems}: has no {correction.stem} stem to apply {correction.gain_db:+.1f} dB to")
    for stem, seconds in (placed or {}).items():
        if stem in audio:
            audio[stem] = moved_later(audio[stem], seconds, rate)
    mix = np.sum(np.stack(list(audio.values())), axis=0, dtype=np.float32)
    mix += np.float32(10.0 ** (correction.gain_db / 20.0) - 1.0) * audio[correction.stem]
    for wet in shared:
        if wet.shape[0] > mix.shape[0]:          # a reverb's tail past the stems' end
            mix = np.pad(mix, ((0, wet.shape[0] - mix.shape[0]), (0, 0)))
        mix[: wet.shape[0]] += wet
    peak = float(np.max(np.abs(mix))) if mix.size else 0.0
    scale = DEFAULT_CEILING / peak if peak > DEFAULT_CEILING else 1.0
    if scale != 1.0:
        mix *= np.float32(scale)
    write_audio(output, mix, rate)
    return AppliedCorrection(correction.stem, correction.gain_db, correction.basis, str(output), int(rate),
                             mix.shape[0] / rate, 20.0 * math.log10(scale))
