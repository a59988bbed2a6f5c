"""Loader for a plain folder of multitrack songs, plus the file-based song builder shared with
the MUSDB18-HQ loader.

Layout: ``root/<song_id>/<any audio files>``: the files directly inside the song folder, or, when it
holds none (or only files skipped by name: a pack's "Song (Full Mix).wav" beside ``Stems/``), those in its sub-folders (a stem pack unpacked as ``Drums/Kick.wav``, ``Vocals/Lead.wav``:
a file whose own name names no stem goes by its folder's name). Each audio file is assigned to one of the four stems,
and every file assigned to a stem is *summed* into that stem. ``meta.json`` in a song folder becomes ``Song.meta``.

Which file goes to which stem is :mod:`mixbuddy.corpus.stem_names`' business: the words of its name (a DAW's track
names, in nine languages), or a mapping file's patterns; files named after the whole mix, a guide track, an effect
return or the song without a stem are skipped. Which file went where is logged. (Files that hold audio counted twice,
a bounce, a group track, a copy, one track in two formats, are found from their audio by
:mod:`mixbuddy.corpus.export_checks` and :mod:`mixbuddy.corpus.format_twins` once decoded.)

Audio handling: the song's rate is the *highest* rate among its files (other files are resampled
with soxr when decoded, so no bandwidth is lost); the song is stereo when any file has two or more
channels (mono files are copied to both channels; surround files are folded down to stereo by
their speaker layout, see :mod:`mixbuddy.audio_layout`). Two mono files of one stem whose names differ only in a
closing channel mark ("Gtr.L.wav" + "Gtr.R.wav", a split-stereo or multi-mono bounce; "OH_L" + "OH_R") are one
stereo track, the left file in the left channel (:func:`stereo_pairs`): summed as two tracks, each copied to both
channels, they would read 3 dB (uncorrelated halves) to 6 dB (a centred sound) too loud.
A Broadcast WAV file stamped as starting later in the session than the folder's earliest (a region export) is
zero-padded at its start to that place (:mod:`mixbuddy.corpus.bwf`). Files summed into one stem may differ in
length: shorter ones are zero-padded at the end (with a warning). Different stem lengths are made equal later by
``Song.stems()``: trimmed to the shortest for a corpus, zero-padded to the longest by ``advise`` (``pad=True``).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..audio import AUDIO_EXTENSIONS, audio_info, convert, decode_audio, overs, resample, to_channels
from ..constants import INSTRUMENTAL, STEMS
from ..errors import AudioFileError, CorpusError
from .bwf import Starts, folder_starts, say_starts
from .config import CorpusConfig
from .export_checks import GLIMPSE_RATE
from .peak_checks import peak_stats
from .song import Song
from .split_stereo import join_pair, stereo_pairs
from .stem_names import (MIX_WORDS, RETURN_WORDS, SONG_MAPPING_NAMES, StemMapping, default_mapping,
                         holds_several_stems, load_mapping, name_words, shared_prefix)

log = logging.getLogger(__name__)


def read_meta(folder: Path) -> dict:
    """``folder/meta.json`` as a dict ({} when absent); malformed JSON raises CorpusError."""
    path = folder / "meta.json"
    if not path.is_file():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise CorpusError(f"{path}: cannot read song metadata ({e})") from None
    if not isinstance(meta, dict):
        raise CorpusError(f"{path}: song metadata must be a JSON object")
    return meta


def is_audio_file(path: Path) -> bool:
    """A file read as one track: a visible audio file, not a whole song's stem file (``.stem.mp4``/``.stem.m4a``,
    whose first stream is the mix)."""
    from .stem_mp4 import SUFFIXES

    return (path.is_file() and not path.name.startswith(".") and path.suffix.lower() in AUDIO_EXTENSIONS
            and not path.name.lower().endswith(SUFFIXES))


def song_dirs(root: Path) -> list[Path]:
    """Visible sub-folders of ``root``, sorted by name."""
    return sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)


@dataclass
class FileStemLoader:
    """Decodes a stem by reading its files at the song rate/channels and summing them.

    A plain class (not a closure) so that Songs can be pickled to worker processes.
    """

    files: dict[str, tuple[Path, ...]]
    sample_rate: int
    channels: int
    what: str = field(default="")
    file_rates: dict[Path, int] = field(default_factory=dict)   # each file's own rate, from its header
    peaks: dict[Path, float] = field(default_factory=dict)       # each decoded file's sample peak (linear)
    flat: dict[Path, float] = field(default_factory=dict)        # ... and the share of its frames near it
    file_overs: dict[Path, tuple] = field(default_factory=dict)  # a decoded file's overs, as read (audio.overs)
    glimpse: bool = False                                        # keep a mono GLIMPSE_RATE copy of each file
    glimpses: dict[Path, np.ndarray] = field(default_factory=dict)
    pairs: dict[Path, Path] = field(default_factory=dict)         # split-stereo halves: left file -> right file
    file_channels: dict[Path, int] = field(default_factory=dict)  # each file's channel count, from its header
    wide: bool = False                  # with glimpse: keep a stereo GLIMPSE_RATE copy of each file of two channels
    wides: dict[Path, np.ndarray] = field(default_factory=dict)   # or more (a surround one folded down)
    stamps: Starts = field(default_factory=Starts)   # where each file starts by its Broadcast WAV time stamp
    offsets: dict[Path, int] = field(default_factory=dict)        # ... in frames at the song's rate, where not 0

    def signature(self) -> dict:
        """What the audio is read from and how: each file's path, size and modification time, and the split-stereo
        pairs, and where time stamps place files (a decode cache keyed on it is not reused once a file changes)."""
        out = {"files": {s: [file_signature(p) for p in ps] for s, ps in self.files.items()},
               "pairs": [[str(a), str(b)] for a, b in sorted(self.pairs.items())]}
        if self.offsets:           # only then: the caches of folders without stamps stay valid
            out["offsets"] = {str(p): n for p, n in sorted(self.offsets.items())}
        return out

    def tracks(self, stem: str) -> list[tuple[Path, ...]]:
        """The tracks summed into ``stem``: each a file, or a split-stereo pair (left file, right file)."""
        rights = set(self.pairs.values())
        return [(p, self.pairs[p]) if p in self.pairs else (p,) for p in self.files.get(stem, ()) if p not in rights]

    def __call__(self, stem: str) -> np.ndarray:
        """The stem: its tracks decoded one at a time and summed (a stem of 16 drum tracks holds one track and
        the sum in memory, not all 16), each file's peak, flat share and glimpse kept on the way. A mono file stays
        one column until it is added in (or, the stem's only track, returned), as a pair's halves do."""
        # the two halves of a split-stereo pair, each read as is, and each mono file (copied as it is added in)
        mono = set(self.pairs) | set(self.pairs.values()) | {p for p, c in self.file_channels.items() if c == 1}
        first: np.ndarray | None = None      # the only track so far: the stem is its array, no copy
        out: np.ndarray | None = None        # the sum, once there are two
        lengths: dict[str, int] = {}
        for track in self.tracks(stem):
            decoded = [self._read(p, 1 if p in mono else self.channels) for p in track]
            for i, (p, a) in enumerate(zip(track, decoded)):
                self.peaks[p], self.flat[p] = peak_stats(a)
                if self.glimpse:
                    self.glimpses[p] = self._glimpse(p, a)
                decoded[i] = self._placed(p, a)
            a = join_pair(decoded[0], decoded[1], self.channels) if len(track) == 2 else decoded[0]
            del decoded
            lengths[track[0].name] = a.shape[0]
            if first is None and out is None:
                first = a
                continue
            if out is None:
                out = np.zeros((max(first.shape[0], a.shape[0]), self.channels), dtype=np.float32)
                out[: first.shape[0]] += first
                first = None
            if a.shape[0] > out.shape[0]:
                out = np.pad(out, ((0, a.shape[0] - out.shape[0]), (0, 0)))
            out[: a.shape[0]] += a
            del a                                # before the next track is decoded
        if len(set(lengths.values())) > 1:
            log.warning("%s: files summed into stem %r differ in length %s; shorter ones are zero-padded",
                        self.what, stem, lengths)
        return to_channels(first, self.channels) if out is None else out

    def _read(self, path: Path, channels: int) -> np.ndarray:
        """``path`` at the song's rate and ``channels``, as ``read_audio`` decodes it (``convert``), its overs (the
        file's own samples, before any resampling) kept in ``file_overs``; a file of two channels or more also kept in
        ``wides``, stereo at GLIMPSE_RATE, when ``wide``."""
        raw, rate, peak = decode_audio(path)
        found = overs(raw, rate, peak)
        if found is not None:
            self.file_overs[path] = found
        if self.glimpse and self.wide and self.file_channels.get(path, 1) >= 2:
            self.wides[path] = resample(raw, rate, GLIMPSE_RATE)
        return convert(raw, rate, self.sample_rate, channels)

    def _glimpse(self, path: Path, a: np.ndarray) -> np.ndarray:
        """``path``'s mono GLIMPSE_RATE copy: its stereo copy in ``wides`` folded, where that was kept (soxr treats
        each channel alone, so the fold of the resampled channels is the resampled fold but for float rounding, and one
        resampling is saved), else ``a`` (the file as decoded at the song's rate) folded and resampled."""
        wide = self.wides.get(path)
        return to_channels(wide, 1)[:, 0] if wide is not None else convert(a, self.sample_rate, GLIMPSE_RATE, 1)[:, 0]

    def glimpse_shift(self, path: Path) -> int:
        """How many GLIMPSE_RATE samples ``path``'s glimpse and stereo copy were moved by its time stamp."""
        return int(round(self.offsets.get(path, 0) * GLIMPSE_RATE / self.sample_rate))

    def _placed(self, path: Path, a: np.ndarray) -> np.ndarray:
        """``a`` (``path`` as decoded) zero-padded at its start to where its time stamp places it in the song, its
        glimpse and stereo copy too (by the same whole number of GLIMPSE_RATE samples); ``a`` itself where not moved."""
        frames = self.offsets.get(path, 0)
        if not frames:
            return a
        g = self.glimpse_shift(path)
        for kept in (self.glimpses, self.wides):
            if path in kept:
                x = kept[path]
                kept[path] = np.pad(x, ((g, 0),) + ((0, 0),) * (x.ndim - 1))
        return np.pad(a, ((frames, 0), (0, 0)))

    def wide_glimpse(self, track: tuple[Path, ...]) -> np.ndarray | None:
        """A track (a file, or a split-stereo pair) in stereo at GLIMPSE_RATE, from what decoding it kept (a mono
        file as one column, read in both channels); None where that was not kept."""
        if len(track) == 2 and all(p in self.glimpses for p in track):
            return join_pair(self.glimpses[track[0]][:, None], self.glimpses[track[1]][:, None], 2)
        path = track[0]
        if len(track) == 1 and path in self.wides:
            return self.wides[path]
        if len(track) == 1 and path in self.glimpses and self.file_channels.get(path) == 1:
            return self.glimpses[path][:, None]
        return None

    def wide_copy(self, tracks: Sequence[tuple[Path, ...]]) -> np.ndarray | None:
        """``tracks`` summed (the shorter zero-padded) from their :meth:`wide_glimpse`; one track as it was kept, no
        copy; None where any was not kept."""
        kept = [self.wide_glimpse(t) for t in tracks]
        if not kept or any(k is None for k in kept):
            return None
        if len(kept) == 1:
            return kept[0]
        out = np.zeros((max(k.shape[0] for k in kept), 2), np.float32)
        for k in kept:
            out[: k.shape[0]] += k
        return out


def file_signature(path: Path) -> list:
    """[path, size in bytes, modification time in ns] of a file."""
    st = Path(path).stat()
    return [str(path), st.st_size, st.st_mtime_ns]


def song_from_files(song_id: str, split: str, folder: Path, files: Mapping[str, Sequence[Path]],
                    meta: dict) -> Song:
    """Build a lazy Song from ``stem -> files``; reads only the file headers (errors name the file). The stems come
    in the order of ``STEMS``, any other part (a two-track's "instrumental") after them."""
    files = {s: tuple(sorted(files[s])) for s in (*STEMS, *(k for k in files if k not in STEMS)) if files.get(s)}
    if not files:
        raise CorpusError(f"{folder}: no stem files found")
    infos: dict[Path, tuple[int, int, int]] = {}
    for paths in files.values():
        for p in paths:
            sr, frames, ch = audio_info(p)
            if frames <= 0:
                raise AudioFileError(p, "file contains no audio samples")
            infos[p] = (sr, frames, ch)
    rate = max(sr for sr, _, _ in infos.values())
    pairs = stereo_pairs(files, infos)
    if pairs:
        log.info("%s: %s: each pair read as the left and right channels of one stereo track (a split-stereo "
                 "export), not as two tracks each in both channels", folder,
                 "; ".join(f"{a.name} + {b.name}" for a, b in sorted(pairs.items())))
    channels = 2 if pairs or any(ch >= 2 for _, _, ch in infos.values()) else 1
    stamps = folder_starts(folder, infos)
    offsets = {p: n for p in infos if (n := stamps.frames(p, rate)) > 0}
    stem_frames = [max(offsets.get(p, 0) + round(infos[p][1] * rate / infos[p][0]) for p in paths)
                   for paths in files.values()]
    what = f"song {song_id!r} ({folder})"
    return Song(id=song_id, split=split, sample_rate=rate, stem_names=tuple(files),
                loader=FileStemLoader(files, rate, channels, what, {p: sr for p, (sr, _, _) in infos.items()},
                                      pairs=pairs, file_channels={p: ch for p, (_, _, ch) in infos.items()},
                                      stamps=stamps, offsets=offsets),
                meta=meta, source=str(folder),
                num_frames=min(stem_frames))


def song_audio_files(folder: Path, mapping: StemMapping | None = None, say: bool = False) -> list[Path]:
    """The audio files of a song folder: those directly in it, or, when it holds none, those in its
    sub-folders at any depth (a stem pack unpacked as ``Drums/``, ``Vocals/``, ...); hidden ones left out. With a
    ``mapping``, files directly in it that it skips by name are as none ("Song (Full Mix).wav" beside a ``Stems/``
    folder, as remix packs come), and said so with ``say``."""
    entries = list(folder.iterdir())
    top = sorted((p for p in entries if is_audio_file(p)), key=lambda p: p.name)
    subs = sorted(d for d in entries if d.is_dir() and not d.name.startswith("."))
    nested = [d.name for d in subs if any(is_audio_file(p) for p in d.rglob("*"))]
    if top and nested and mapping is not None and all(
            stem == "" for _, stem, _ in _sorted_files(folder, top, mapping)):
        if say:
            log.info("%s: %s, the only audio directly in the folder, %s named as no stem (a mix, a guide track, "
                     "a reference): the stems are read from its sub-folders %s (to compare the song's mix with "
                     "them, give it as the song: mixbuddy advise MIX --stems FOLDER)", folder,
                     ", ".join(p.name for p in top), "is" if len(top) == 1 else "are", nested)
        top = []
    if top:
        if nested:
            log.info("%s: sub-folders %s not searched (the folder holds audio files itself)", folder, nested)
        return top
    return sorted((p for d in subs for p in d.rglob("*") if is_audio_file(p)
                   and not any(part.startswith(".") for part in p.relative_to(folder).parts)),
                  key=lambda p: p.relative_to(folder).as_posix())


def assign_files(folder: Path, mapping: StemMapping) -> dict[str, list[Path]]:
    """Group the audio files of a song folder by stem according to ``mapping``. A file in a sub-folder
    whose own name says nothing goes by the name of its folder, the nearest first (``Drums/Kit 1.wav`` →
    drums; ``Mix/Song.wav`` is skipped)."""
    audio = song_audio_files(folder, mapping, say=True)
    if not audio:
        raise CorpusError(f"{folder}: song folder holds no audio files ({', '.join(AUDIO_EXTENSIONS)})")
    groups: dict[str, list[Path]] = {}
    unmatched: list[str] = []
    skipped: list[str] = []       # named after the whole mix
    rel = {p: p.relative_to(folder).as_posix() for p in audio}
    left: dict[str, list[str]] = {"return": [], "several": []}    # left out by name, said so
    for p, stem, why in _sorted_files(folder, audio, mapping, say=True):
        if why:
            left[why].append(rel[p])
        if stem is None:
            unmatched.append(rel[p])
            if mapping.unmatched == "other":
                groups.setdefault("other", []).append(p)
        elif stem:
            groups.setdefault(stem, []).append(p)
        else:
            skipped.append(rel[p])
    if unmatched and not mapping.words:
        if mapping.unmatched == "error":
            raise CorpusError(f"{folder}: files match no stem pattern of {mapping.source}: {unmatched}")
        action = "summed into 'other'" if mapping.unmatched == "other" else "ignored"
        log.warning("%s: files match no stem pattern of %s, %s: %s", folder, mapping.source, action, unmatched)
    if left["return"]:
        log.warning("%s: %s named as an effect return (a reverb or delay the tracks share): left out of the stems, "
                    "as it holds several stems' effects (summed into 'other' it would sound wherever any track has "
                    "reverb and move that stem's level; advise --apply renders it as it is); if it is one stem's "
                    "effect, name it after that stem ('Vocal Reverb.wav') or give a mapping file", folder,
                    ", ".join(left["return"]))
    if left["several"]:
        log.warning("%s: %s named as the song without one of its stems (an instrumental, a karaoke or play-along "
                    "track, or Demucs' two-stem 'no_vocals'): left out, as it is no one stem (the advice reads the "
                    "song's own stems: drums, bass, vocals and the rest; Demucs gives four without --two-stems)",
                    folder, ", ".join(left["several"]))
    if not groups:
        by_hand = [n for n in skipped if mapping.assigned_to(Path(n).name) == "ignore"]
        named = [n for n in skipped if n not in by_hand]
        mix = "".join([f" ({', '.join(named)}: named as the whole mix, so skipped; a song's stems are wanted)"
                       if named else "", f" ({', '.join(by_hand)}: left out by hand)" if by_hand else ""])
        raise CorpusError(f"{folder}: no audio file was assigned to a stem by {mapping.source}{mix}")
    if any(len(v) > 1 or v[0].stem.lower() != k for k, v in groups.items()) or len(groups) < len(audio):
        skipped = sorted(set(rel.values()) - {rel[p] for v in groups.values() for p in v})
        log.info("%s (%s): %s%s", folder, mapping.source,
                 "; ".join(f"{k} = {' + '.join(rel[p] for p in v)}" for k, v in sorted(groups.items())),
                 f"; skipped {skipped}" if skipped else "")
    return groups


def _stem_of_file(path: Path, folder: Path, mapping: StemMapping, prefix: str) -> tuple[str | None, str]:
    """(the stem of one file of ``folder`` as :func:`assign_files` sorts it, why it is left out when its name says
    so: "return" for an effect return, "several" for the song without a stem, else ""): as given by hand
    (``mapping.assigned``), else by its name without the names' shared ``prefix``, else by its sub-folders', the
    nearest first."""
    hand = mapping.assigned_to(path.name)
    if hand is not None:             # given by hand: a stem, a two-track's beat (no one stem) or left out
        return (hand if hand in STEMS else ""), ("several" if hand == INSTRUMENTAL else "")
    said = path.name[len(prefix):] if prefix and path.name.startswith(prefix) else path.name
    stem = mapping.stem_of(said)
    for part in reversed(path.relative_to(folder).parts[:-1]):
        if stem is not None:
            break
        stem, said = mapping.stem_of(part), part
        if stem == "" and mapping.words and holds_several_stems(part):
            stem = None           # "Instrumental/Piano.wav": a folder of instrument tracks, not a file without a stem
    if stem != "" or not mapping.words:
        return stem, ""
    words = name_words(said)
    if holds_several_stems(said):
        return stem, "several"
    return stem, "return" if words & RETURN_WORDS and not words & MIX_WORDS else ""


def _sorted_files(folder: Path, audio: Sequence[Path], mapping: StemMapping, say: bool = False
                  ) -> list[tuple[Path, str | None, str]]:
    """(file, its stem, why its name leaves it out) for each of ``audio`` (:func:`_stem_of_file`), the names'
    shared start (a project's name) read off first, and said so with ``say``."""
    prefix = shared_prefix([p.name for p in audio], mapping)
    if prefix and say:
        log.info("%s: the files' names start with %r (the project's name?), which would sort them all by its "
                 "words: each file sorted by the rest of its name", folder, prefix)
    return [(p, *_stem_of_file(p, folder, mapping, prefix)) for p in audio]


def effect_returns(folder: Path, mapping: StemMapping) -> list[Path]:
    """The files :func:`assign_files` leaves out of the stems as effect returns: they are part of the song's sound
    (``advise --apply`` renders them unchanged)."""
    return [p for p, _, why in _sorted_files(folder, song_audio_files(folder, mapping), mapping)
            if why == "return"]


def load_stems_folder(cfg: CorpusConfig) -> list[Song]:
    """Every sub-folder of ``cfg.root`` is a song of split ``cfg.split`` (id = folder name)."""
    root = Path(cfg.root)
    corpus_mapping = load_mapping(cfg.mapping) if cfg.mapping else default_mapping()
    songs = []
    for folder in song_dirs(root):
        own = [folder / n for n in SONG_MAPPING_NAMES if (folder / n).is_file()]
        if len(own) > 1:
            raise CorpusError(f"{folder}: several mapping files {[p.name for p in own]}; keep one")
        mapping = load_mapping(own[0]) if own else corpus_mapping
        songs.append(song_from_files(folder.name, cfg.split, folder, assign_files(folder, mapping), read_meta(folder)))
        say_starts(folder, songs[-1].loader.stamps, songs[-1].loader.file_rates)
        songs[-1].loader.glimpse = True    # data build looks for a bounce or a group track among the files
    if not songs:
        loose = [p.name for p in root.iterdir() if is_audio_file(p)]
        hint = f"; found audio files directly in the root ({len(loose)}): put each song in its own folder" if loose else ""
        raise CorpusError(f"{root}: no song folders found (expected {root}/<song>/<stem files>){hint}")
    return songs
