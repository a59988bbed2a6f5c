"""Reading a whole song (a mix file and/or a stems folder) and cutting it into analysis windows.

Input: any format soundfile decodes (wav, flac, ogg, aiff, mp3), any rate, any channel count (surround
folded down to stereo by its layout, see :mod:`mixbuddy.audio_layout`).
Everything is resampled (soxr) to the engine's rate and converted to its channel count (mono for the
model). A stems folder is read by :mod:`mixbuddy.predict.stems_input`: files are assigned to stems by name
(``vocals*``, ``bass*``, ...; ``mix.*``/``mixture.*`` ignored) or by a mapping file, and every file of a stem is
summed; a ``.stem.mp4`` (NI Stems) file gives its four stems and its own mix. Stems of
different lengths are zero-padded at the end to the longest (with a warning): tracks exported from one
DAW timeline start together, and a track that ends early is silent afterwards; trimming would cut the
song at its shortest track. Without a mix file the mix is the sum of the stems. A mix file given with
stems first has any stem exported from its first region rather than from the song's start moved to where
the mix holds its music (:func:`~mixbuddy.predict.align.place_stems`), then is lined up with them when it
holds their music shifted (a count-in, a master's trimmed silence), a
mix that matches them only loosely is warned about (:mod:`mixbuddy.predict.align`), and when the two
differ in length both are trimmed to the shorter one (with a warning); last, a file of the stems folder the mix
does not hold (a muted track, an unused take) is left out, and a file or stem it holds at another level than the
file is named (:mod:`mixbuddy.predict.tracks`). A stereo mix file with one channel
silent or the two in opposite polarity is heard as the mono mix it holds (:mod:`mixbuddy.predict.channels`).
A file sampled below
16 kHz is warned about, a stem silent throughout too, and a stem or mix that sits at a DC offset of
``DC_NOTE`` or more has it taken out, with a note (:mod:`mixbuddy.predict.input_checks`).

Windows (``window_s`` = the engine's clip length, 10 s): they start every ``hop_s`` seconds (default
``window_s``: no overlap). A window that runs past the end of the song is kept, zero-padded to full
length, when at least ``min_s`` (5 s) of audio remain, and dropped otherwise; so a 36 s song gives
0–10, 10–20, 20–30 and 30–36 (padded), and a 34 s song gives three windows (its last 4 s are
dropped). A song shorter than ``min_s`` is an error.

Skipped windows (reason recorded), by the gates of :mod:`mixbuddy.predict.gates`: a silent mix, or, when the
stems are known, an inactive anchor stem or no stem other than the anchor that can be a target. A song with
no usable window at all raises :class:`~mixbuddy.errors.AudioFileError` naming the input.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..audio import convert, decode_audio, resample, to_channels
from ..constants import STEMS, TARGET_STEMS
from ..corpus.stem_names import Assigned
from ..data import templates as T
from ..errors import AudioFileError, MixbuddyError
from ..findings import target_stems
from .align import line_up, place_stems
from .channels import mend_channels
from .engines import WindowInput
from .gates import ACTIVE_SHARE, GATE_LUFS, activity, fmt_gate, gate_levels, rms_db
from .input_checks import note_clipping, note_mono_files, take_out_dc, warn_band_limited, warn_silent_stems
from .stems_input import is_stem_file, read_stem_file, read_stems_folder
from .tracks import check_tracks

if TYPE_CHECKING:
    from ..corpus.song import Song

log = logging.getLogger(__name__)

MIN_WINDOW_S = 5.0
INSTRUCTION_ID = "instr/0"


@dataclass
class SongAudio:
    """A decoded song at one rate/channel count: the mix and, when known, the stems."""

    source: str  # the file or folder named in messages
    sample_rate: int
    mix: np.ndarray  # float32 (samples, channels)
    stems: dict[str, np.ndarray] | None = None
    lacks: tuple[str, ...] = ()  # stems a mix alone is said not to have (advise --absent)
    summed: bool = False         # the mix is the stems' sum (no mix of its own was given)
    placed: dict[str, float] = field(default_factory=dict)  # stems moved later to where the mix has them (s)
    left_out: tuple[str, ...] = ()  # files of the stems folder the mix does not hold (paths in it; predict.tracks)
    panned: dict[str, float] = field(default_factory=dict)  # stems of mono files turned as the mix pans them (dB)
    pan_at: dict[str, float] = field(default_factory=dict)  # ... where off the centre (-1 left ... +1 right)
    inverted: dict[str, str] = field(default_factory=dict)  # files or stems turned over, as the mix holds them (-> stem)

    @property
    def duration_s(self) -> float:
        return self.mix.shape[0] / self.sample_rate

    @property
    def stem_names(self) -> tuple[str, ...]:
        """The stems the song holds: those given, else every stem but those it is said to lack."""
        return tuple(self.stems) if self.stems else tuple(s for s in STEMS if s not in self.lacks)

    @cached_property
    def lufs(self) -> float:
        """BS.1770 loudness of the mix's mono downmix, measured once (the gates and the engines both read it)."""
        from ..evaluate.baselines.loudness import loudness

        return loudness(to_channels(self.mix, 1)[:, 0], self.sample_rate)

    @cached_property
    def stems_lufs(self) -> float:
        """BS.1770 loudness of the stems' sum, mono (the mix's when the mix is that sum or no stems are known)."""
        from ..evaluate.baselines.loudness import loudness

        if self.stems is None or self.summed:
            return self.lufs
        mono = np.sum([to_channels(x, 1)[:, 0] for x in self.stems.values()], axis=0, dtype=np.float32)
        return loudness(mono, self.sample_rate)


@dataclass(frozen=True)
class Skipped:
    """A window left out of the analysis, and why."""

    start_s: float
    end_s: float
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)


def load_song(song: str | Path | None, stems_dir: str | Path | None, sample_rate: int, channels: int,
              mapping: str | Path | Assigned | None = None) -> SongAudio:
    """Decode a mix file and/or a stems folder or ``.stem.mp4`` file at ``sample_rate``/``channels``."""
    if song is None and stems_dir is None:
        raise MixbuddyError("give a mix file, a stems folder (--stems DIR), or both")
    stems = folder = None
    if stems_dir is not None and is_stem_file(stems_dir):
        if mapping is not None:
            raise MixbuddyError(f"{mapping}: a stem mapping sorts the files of a stems folder; {stems_dir} is a "
                                ".stem.mp4 file, whose stems are named inside it (drop --mapping and --map)")
        file_mix, stems = read_stem_file(stems_dir, sample_rate, channels, with_mix=song is None)
        if file_mix is not None:  # no mix file given: the stem file's own mix
            file_mix = take_out_dc(stems_dir, {"mix": file_mix}, sample_rate)["mix"]
            return SongAudio(str(stems_dir), sample_rate, file_mix, take_out_dc(stems_dir, stems, sample_rate))
    elif stems_dir is not None:
        folder, stems = read_stems_folder(stems_dir, sample_rate, channels, mapping, wide=song is not None)
    if stems is None:
        assert song is not None
        return with_mix(song, None, None, sample_rate, channels)
    return stems_audio(song, stems_dir, stems, sample_rate, channels, folder)


def stems_audio(song: str | Path | None, stems_dir: str | Path, stems: dict[str, np.ndarray], sample_rate: int,
                channels: int, folder: "Song | None" = None) -> SongAudio:
    """A song's decoded ``stems`` (of the folder or file ``stems_dir``; ``folder``: a stems folder's Song as read) as
    advise hears them: a silent one warned about, a DC offset taken out; with the mix file ``song`` as
    :func:`with_mix` reads it, else summed into the mix, with mono files among stereo ones noted."""
    warn_silent_stems(stems_dir, stems)
    stems = take_out_dc(stems_dir, stems, sample_rate)
    if song is None:
        if folder is not None:      # without the mix nothing measures how the DAW panned its mono tracks
            note_mono_files(stems_dir, folder.loader)
        mix = np.sum(np.stack(list(stems.values())), axis=0, dtype=np.float32)
        return SongAudio(str(stems_dir), sample_rate, mix, stems, summed=True)
    return with_mix(song, stems_dir, stems, sample_rate, channels, folder)


def with_mix(song: str | Path, stems_dir: str | Path | None, stems: dict[str, np.ndarray] | None, sample_rate: int,
             channels: int, folder: "Song | None" = None) -> SongAudio:
    """The mix file ``song`` decoded at ``sample_rate``/``channels`` with its ``stems`` (None: a mix alone; ``folder``:
    the stems folder's Song as read, None for whole stems only): each stem exported from its first region placed
    where the mix has it, mix and stems lined up, files the mix does not hold left out, a pan law's cut heard, and
    stems at other levels than the mix holds them noted (:mod:`~mixbuddy.predict.align`,
    :mod:`~mixbuddy.predict.tracks`)."""
    mix, native, peak = decode_audio(song)
    note_clipping(song, mix, native, peak)
    mix = mend_channels(mix, song)    # a dead channel or opposed polarities: heard as mono
    # kept for a one-channel engine's check, which places mono files from the mix in stereo (tracks.channel_fit)
    stereo = mix if channels == 1 and stems is not None and mix.shape[1] == 2 else None
    warn_band_limited(song, native)
    mix = convert(mix, native, sample_rate, channels)
    mix = take_out_dc(song, {"mix": mix}, sample_rate)["mix"]
    placed: dict[str, float] = {}
    left_out: tuple[str, ...] = ()
    panned: dict[str, float] = {}
    pan_at: dict[str, float] = {}
    inverted: dict[str, str] = {}
    if stems is not None:
        stems, placed = place_stems(song, stems_dir, mix, stems, sample_rate)
        mix, stems, cut, lead = line_up(song, stems_dir, mix, stems, sample_rate)
        moved = {k: placed.get(k, 0.0) - cut for k in stems}     # where each stem's files now start (s)
        n = mix.shape[0]

        def wide() -> np.ndarray:   # that mix in stereo, as the mono copy was resampled and lined up
            x = resample(stereo, native, sample_rate)
            return take_out_dc(song, {"mix": x}, sample_rate, say=False)["mix"][lead: lead + n]

        stems, left_out, panned, pan_at, inverted = check_tracks(song, stems_dir, mix, stems, sample_rate, folder,
                                                                 moved, wide if stereo is not None else None)
    return SongAudio(str(song), sample_rate, mix, stems, placed=placed, left_out=left_out, panned=panned,
                     pan_at=pan_at, inverted=inverted)


def window_bounds(n: int, sr: int, window_s: float, hop_s: float,
                  min_s: float = MIN_WINDOW_S) -> list[tuple[int, int]]:
    """(start, end) sample indices of the windows of an ``n``-sample signal (end = last real sample)."""
    if hop_s <= 0 or window_s <= 0:
        raise MixbuddyError(f"window ({window_s} s) and hop ({hop_s} s) must be positive")
    w, hop, least = int(round(window_s * sr)), int(round(hop_s * sr)), int(round(min_s * sr))
    out = []
    for a in range(0, n, hop):
        e = min(a + w, n)
        if e - a >= w or e - a >= least:
            out.append((a, e))
    return out


def _pad(x: np.ndarray, n: int) -> np.ndarray:
    """``x`` itself when it has ``n`` samples (a view, no copy), else a zero-padded copy."""
    if x.shape[0] == n:
        return x
    out = np.zeros((n, x.shape[1]), dtype=np.float32)
    out[: x.shape[0]] = x
    return out


def require_length(source: str | Path, seconds: float, min_s: float = MIN_WINDOW_S) -> None:
    """AudioFileError naming ``source`` when it is shorter than one usable window."""
    if seconds < min_s:
        raise AudioFileError(source, f"only {seconds:.2f} s of audio; advice needs at least {min_s:g} s")


def check_absent(absent: Sequence[str], anchor: str, with_stems: bool) -> tuple[str, ...]:
    """The stems a mix alone is said to lack (``advise --absent``), in the usual order. A mix model cannot tell
    a missing stem from a very quiet one (an instrumental is "vocals too quiet"); told, it never names it. A
    MixbuddyError when that cannot be: not a stem, stems given (they show what the song holds), the anchor, or
    no stem left to advise on."""
    unknown = [s for s in absent if s not in STEMS]
    if unknown:
        raise MixbuddyError(f"--absent {unknown[0]}: not a stem; the stems are {', '.join(STEMS)}")
    lacks = tuple(s for s in STEMS if s in absent)
    if lacks and with_stems:
        raise MixbuddyError(f"--absent {lacks[0]} is for a mix alone: with the stems, a stem the song lacks is "
                            "one that is not among them (drop --absent)")
    if anchor in lacks:
        raise MixbuddyError(f"--absent {anchor}: that is the anchor, the stem whose level is right; the song "
                            "must have it")
    if not target_stems(anchor, [s for s in STEMS if s not in lacks]):
        raise MixbuddyError(f"a song without {T.join_stems(lacks)}, with the {anchor} as the anchor, has no stem "
                            f"left to advise on (mixbuddy moves {' or '.join(target_stems(anchor))} against the anchor)")
    return lacks


def cut_windows(audio: SongAudio, anchor: str, window_s: float = 10.0, hop_s: float | None = None,
                min_s: float = MIN_WINDOW_S, quiet_lufs: float | None = GATE_LUFS,
                loud_lufs: float | None = GATE_LUFS) -> tuple[list[WindowInput], list[Skipped]]:
    """The usable windows of a song and the skipped ones (with reasons); see the module docstring
    (``quiet_lufs``/``loud_lufs``: below/above what the gates move down/up; both None: the fixed gates)."""
    sr = audio.sample_rate
    if audio.stems is not None and anchor not in audio.stems:
        unnamed = (" (every file went to 'other': their names name no stem; name them after their stems, e.g. "
                   "Drums.wav, Bass.wav, Vocals.wav, or say which file is which: --map 'drums=Audio 1' --map "
                   "'bass=Audio 2' ..., or a mapping file with --mapping)"
                   if set(audio.stems) == {"other"} else "")
        if set(audio.stems) == {"other", "vocals"}:
            unnamed = (" (a beat and its vocals? A folder of an instrumental and vocal files only is judged as a "
                       "two-track: say which part a file is with --map, e.g. --map 'instrumental=Beat' or --map "
                       "'vocals=Lead')")
        raise MixbuddyError(f"{audio.source}: there is no {anchor!r} stem to use as the anchor; "
                            f"the stems found are {sorted(audio.stems)}{unnamed}")
    targets = [s for s in TARGET_STEMS if s != anchor]
    if audio.stems is not None and not any(s in audio.stems for s in targets):
        raise MixbuddyError(f"{audio.source}: no {' or '.join(targets)} stem; with {anchor!r} as the anchor, "
                            f"those are the stems mixbuddy advises on (the stems found are {sorted(audio.stems)})")
    require_length(audio.source, audio.duration_s, min_s)
    instruction = T.render_instruction(audio.stem_names, anchor, INSTRUCTION_ID)
    names = audio.stem_names if audio.stems is None and audio.lacks else None    # a mix said to lack a stem
    mix_gate, stem_gate = gate_levels(audio, quiet_lufs, loud_lufs)
    n_win = int(round(window_s * sr))
    windows: list[WindowInput] = []
    skipped: list[Skipped] = []
    loudest, buried, anchor_off = -np.inf, 0, 0     # windows where no stem to advise on / the anchor plays
    plays = dict.fromkeys(audio.stems or (), 0)      # the windows, not silent, each stem plays in
    for a, e in window_bounds(audio.mix.shape[0], sr, window_s, hop_s or window_s, min_s):
        t0, t1 = a / sr, e / sr
        mono = to_channels(audio.mix[a:e], 1)
        mix_db = rms_db(mono, sr)
        loudest = max(loudest, mix_db)
        if mix_db < mix_gate:
            skipped.append(Skipped(t0, t1, f"silent: mix RMS {mix_db:.1f} dBFS < {fmt_gate(mix_gate)} dBFS"))
            continue
        stems, active = None, ()
        if audio.stems is not None:
            levels = {s: activity(to_channels(x[a:e], 1), sr, stem_gate) for s, x in audio.stems.items()}
            active = tuple(s for s, (rms, share) in levels.items() if rms >= stem_gate and share >= ACTIVE_SHARE)
            for s in active:
                plays[s] += 1
            if anchor not in active:
                rms, share = levels[anchor]
                skipped.append(Skipped(t0, t1, f"anchor stem {anchor!r} inactive: RMS {rms:.1f} dBFS, "
                                               f"{100 * share:.0f}% of frames active"))
                anchor_off += 1
                continue
            if not any(s in active for s in targets):
                have = [s for s in targets if s in levels]       # the stems to advise on that the song has
                heard = ", ".join(f"{s} RMS {levels[s][0]:.1f} dBFS" for s in have)
                what = (f"none of the {'/'.join(have)} stems is active" if len(have) > 1
                        else f"the {have[0]} stem is not active")
                skipped.append(Skipped(t0, t1, f"{what}: {heard}"))
                buried += 1
                continue
            stems = {s: _pad(x[a:e], n_win) for s, x in audio.stems.items()}
        windows.append(WindowInput(t0, t1, _pad(audio.mix[a:e], n_win), anchor, instruction, stems, active,
                                   names))
    if not windows:
        why = "; ".join(sorted({s.reason.split(":")[0] for s in skipped})) or "no window"
        hint = "are the stems silent?" if audio.stems is not None else "is the file silent?"
        playing = (f"a stem counts as playing at {fmt_gate(stem_gate)} dBFS RMS in {100 * ACTIVE_SHARE:.0f}% of its "
                   "50 ms frames")
        if anchor_off and not buried:        # the anchor never plays where the mix does
            others = sorted((s for s in TARGET_STEMS if s != anchor and plays.get(s)), key=lambda s: -plays[s])
            listed = [f"--anchor {s} ({plays[s]} of {anchor_off} window{'s' if anchor_off > 1 else ''})"
                      for s in others]
            hint = (f"the {anchor} (the anchor) never play{'s' if anchor == 'bass' else ''} in a window that is not "
                    f"silent ({playing})"
                    + (f"; if the level of another stem is right, make it the anchor: {' or '.join(listed)}"
                       if listed else ""))
        if buried and not anchor_off:        # the anchor plays, the stems to advise on never reach the gate
            hint = f"{playing}; if one is buried this deep in the mix, raise it by ear and ask again"
        what = "the mix" if audio.stems is None else "the mix (or the stems' sum)"
        if loudest < -100.0:
            hint = f"{what} is digitally silent"
        elif loudest < mix_gate:
            hint = (f"{what} is at most {loudest:.1f} dBFS RMS in a window, and a window needs {fmt_gate(mix_gate)} "
                    f"dBFS; if it was bounced this quietly, raise its level")
        raise AudioFileError(audio.source, f"no usable window to analyse in {audio.duration_s:.1f} s of audio "
                                           f"({len(skipped)} skipped: {why})", hint)
    return windows, skipped
