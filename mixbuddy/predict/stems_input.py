"""Reading a song's stems: a stems folder (files sorted to stems by their names or a mapping file, see
:mod:`mixbuddy.corpus.stems_folder`) or a ``.stem.mp4`` (NI Stems) file.

A folder's files are decoded one stem at a time; on the way each file's peak, flat share and a mono glimpse are
kept, and with them the export checks of :mod:`mixbuddy.corpus.export_checks` run: a bounce of the whole song, a
group track exported with its tracks and a file named as a second copy are left out (only the stems that lose a
file are decoded again), another copy of a file is named, files sampled below 16 kHz among full-band ones and stems
exported normalised or through the master's limiter are warned about; of one track given in several formats
("vocals.wav" + "vocals.mp3") only the best is read (:mod:`mixbuddy.corpus.format_twins`).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..audio import convert
from ..corpus.song import fit_lengths
from ..corpus.stem_names import Assigned
from ..errors import AudioFileError
from .input_checks import FULL_BAND_HZ, mono_among_stereo, note_clipped_files, warn_band_limited
from .tracks import in_folder

if TYPE_CHECKING:
    from ..corpus.song import Song


def read_stems_folder(folder: str | Path, sample_rate: int, channels: int,
                      mapping: str | Path | Assigned | None = None, wide: bool = False
                      ) -> tuple["Song", dict[str, np.ndarray]]:
    """(the folder's Song, its stems: assigned by file name or a mapping file, zero-padded to the longest); a bounce
    of the whole song among them is left out (:func:`folder_stems`; ``wide``: a mix comes with them)."""
    from ..corpus.peak_checks import warn_peaks

    song = stems_song(folder, mapping)
    rates = song.loader.file_rates
    low = {p: r for p, r in sorted(rates.items()) if r < FULL_BAND_HZ}
    if low and len(low) < len(rates):         # files sampled too low among full-band ones: each by name
        for p, r in low.items():
            warn_band_limited(p, r)
    else:                                     # the folder as a whole (warns only when it is all band-limited)
        warn_band_limited(folder, song.sample_rate)
    song, stems = folder_stems(folder, sample_rate, channels, mapping, song, wide=wide)
    limited = warn_peaks(folder, song.loader.peaks, song.loader.flat)     # those already asked about: not again
    note_clipped_files(folder, {p: o for p, o in song.loader.file_overs.items() if p.name not in limited},
                       song.loader.file_rates)
    return song, stems


COPY_LEFT_OUT = ("left out, so its audio counts once (if the song plays it twice on purpose, a mix given with the "
                 "stems shows that: the level check then finds its stem about 6 dB up)")
COPY_KEPT = ("both kept, as a duplicated track plays twice (if one is a copy, take it out of the folder: its audio "
             "counts twice; a mix given with the stems shows which: the level check finds both files about 6 dB "
             "down when the mix holds the audio once)")


def folder_stems(folder: str | Path, sample_rate: int | None, channels: int,
                 mapping: str | Path | Assigned | None = None, song: Song | None = None, say: bool = True,
                 skip: Sequence[str] = (), wide: bool = False) -> tuple[Song, dict[str, np.ndarray]]:
    """(the folder's Song, its stems at ``sample_rate`` (None: the song's) and ``channels``, zero-padded to the
    longest), with a file that holds the whole song, one that sums other files of its stem and a second copy of
    a file (named as one: "vocals (1).wav"; another file of the same audio is only named) left out, and said so
    unless ``say`` is False: a bounce left in the folder under a name that names no stem would be summed into
    "other", a group track exported with its tracks would count them twice, a copy its audio (``mix_files``,
    ``bus_files`` and ``copy_files`` of :mod:`mixbuddy.corpus.export_checks`); and of a part given dry and with its
    effects ("Vox Dry" + "Vox Wet") the dry file, and of a track exported again ("Vox" + "Vox v2") the older files
    (``one_part_files``); and a track's other formats ("vocals.mp3" beside "vocals.wav", a pack's WAV/ and MP3/
    folders: :mod:`mixbuddy.corpus.format_twins`), the best format kept. ``wide``: a mix comes with them, so where
    the folder holds mono tracks among stereo ones, the reader keeps each stereo file at 2 kHz in stereo too, for the
    fit per channel of the mix (:func:`~mixbuddy.predict.tracks.channel_fit`) not to decode them again."""
    from ..corpus.bwf import say_starts
    from ..corpus.export_checks import (bus_files, mix_files, named_copies, one_part_files, warn_copy_file, warn_mix_file,
                                         warn_one_part)
    from ..corpus.format_twins import warn_twins, without_twins
    from ..corpus.stems_folder import song_from_files

    song = song or stems_song(folder, mapping)
    if say:
        say_starts(Path(folder), song.loader.stamps, song.loader.file_rates)
    if skip:        # files advise found the mix does not hold (SongAudio.left_out), for --apply
        files = {k: [p for p in v if in_folder(song, p) not in skip] for k, v in song.loader.files.items()}
        song = song_from_files(song.id, song.split, Path(folder), files, {})
    song.loader.glimpse = sum(map(len, song.loader.files.values())) >= 3   # no check looks at fewer files
    song.loader.wide = wide and mono_among_stereo(song.loader)
    stems = {n: song.stem(n, sample_rate, channels) for n in song.stem_names}    # fitted to one length below
    loader = song.loader
    twins, glimpses, files = without_twins(loader, folder)
    gone = {t.path for t in twins if t.same}           # "Vocals.mp3" beside "Vocals.wav": the best format kept
    mixes = mix_files(glimpses, files.get("other", ()))
    copies = named_copies({p: g for p, g in glimpses.items() if p not in {m for m, _ in mixes}},
                          loader.peaks, loader.pairs)   # only one named as a copy (or an a cappella) goes
    gone |= {m for m, _ in mixes} | {c for c, _, named in copies if named}
    parts = one_part_files(glimpses, {k: [p for p in v if p not in gone]      # "Vox Dry" + "Vox Wet",
                                      for k, v in loader.files.items()})       # "Vox" + "Vox v2"
    gone |= {d for d, _, _, _ in parts}
    pairs = [{d, k} for d, k, _, _ in parts]
    kept = {k: [p for p in v if p not in gone] for k, v in loader.files.items()}
    said = [(p, r, False) for p, r in mixes] + [(p, r, True) for p, r in bus_files(glimpses, kept)]
    if say:
        warn_twins(folder, twins, "left out, so each track counts once, in its best format")
    for path, r, bus in said if say else ():
        warn_mix_file(folder, Path(path), r, "Left out, so its tracks count once" if bus else "left out", bus)
    for path, original, named in copies if say else ():
        if named or {path, original} not in pairs:    # "vocals v2" identical to "vocals": said as versions below
            warn_copy_file(folder, Path(path), Path(original), COPY_LEFT_OUT if named else COPY_KEPT)
    for d, k, r, kind in parts if say else ():
        warn_one_part(folder, d, k, r, kind, f"{d.name} left out (summed, the part would count twice): " + (
            "the song plays the part with its effects" if kind == "dry" else f"the song plays one of them, and "
            f"{k.name} is the newest by its name (if the song plays an older one, take the newer out of the folder)"))
    if said or gone:
        song, stems = without_files(song, stems, {p for p, _, _ in said} | gone, sample_rate, channels)
    return song, fit_lengths(stems, f"song {song.id!r} ({song.source})", sample_rate or song.sample_rate, pad=True)


def without_files(song: Song, stems: dict[str, np.ndarray], dropped: set[Path], sample_rate: int | None,
                  channels: int) -> tuple[Song, dict[str, np.ndarray]]:
    """(the folder's Song without the ``dropped`` files, its stems): only the stems that lose a file are decoded
    again (an Ableton export of all tracks holds a group track beside its 16 drum tracks: the other 20 files are not
    read twice), unless the rest of the folder reads at another rate or channel count. The same arrays as decoding
    the folder without those files; ``stems`` is emptied of those re-decoded first, so only one copy is held."""
    from ..corpus.stems_folder import song_from_files

    old = song.loader
    files = {k: [p for p in v if p not in dropped] for k, v in old.files.items()}
    song = song_from_files(song.id, song.split, Path(song.source), files, {})
    new = song.loader
    same = (new.sample_rate, new.channels) == (old.sample_rate, old.channels)
    for k in list(stems):
        if not same or new.files.get(k) != old.files[k]:
            del stems[k]
    new.peaks = {p: v for p, v in old.peaks.items() if p not in dropped}    # then the re-decoded ones measure anew
    new.flat = {p: v for p, v in old.flat.items() if p not in dropped}
    stems = {n: stems[n] if n in stems else song.stem(n, sample_rate, channels) for n in song.stem_names}
    new.glimpses = {p: g for p, g in old.glimpses.items() if p not in dropped}   # for check_tracks
    new.wides = {p: g for p, g in old.wides.items() if p not in dropped}
    return song, stems


def stems_song(folder: str | Path, mapping: str | Path | Assigned | None = None):
    """The lazy :class:`~mixbuddy.corpus.song.Song` of a stems folder (headers read, nothing decoded); a
    ``mapping.yaml|yml|json`` inside it applies when no ``mapping`` is given."""
    from ..corpus.stems_folder import assign_files, song_from_files

    folder = Path(folder)
    return song_from_files(folder.name, "advise", folder, assign_files(folder, folder_mapping(folder, mapping)), {})


def folder_mapping(folder: str | Path, mapping: str | Path | Assigned | None = None):
    """The :class:`~mixbuddy.corpus.stem_names.StemMapping` that sorts a stems folder's files: ``mapping``, else a
    ``mapping.yaml|yml|json`` inside the folder, else the default (the words of the names); files given their stem
    by hand (an :class:`~mixbuddy.corpus.stem_names.Assigned`, ``advise --map``) go first, and each of its patterns
    must name a file of the folder."""
    from dataclasses import replace

    from ..corpus.stem_names import SONG_MAPPING_NAMES, default_mapping, load_mapping

    folder = Path(folder)
    if not folder.is_dir():
        raise AudioFileError(folder, "stems folder not found")
    if isinstance(mapping, Assigned):
        from ..corpus.stems_folder import is_audio_file

        mapping.check(folder, [p.name for p in folder.rglob("*") if is_audio_file(p)])
        base = folder_mapping(folder, mapping.mapping)
        return replace(base, assigned=mapping.pairs, source=f"files given by hand, then {base.source}")
    if mapping is None:
        own = [folder / n for n in SONG_MAPPING_NAMES if (folder / n).is_file()]
        mapping = own[0] if own else None
    return load_mapping(mapping) if mapping else default_mapping()


def is_stem_file(path: str | Path) -> bool:
    """A Native Instruments Stems file (``.stem.mp4``/``.stem.m4a``: the mix and four stems in one file)."""
    from ..corpus.stem_mp4 import SUFFIXES

    return str(path).lower().endswith(SUFFIXES)


def stem_file_info(path: str | Path):
    """The lazy :class:`~mixbuddy.corpus.song.Song` of a ``.stem.mp4`` (probed, nothing decoded); errors
    name the file, or the missing extra / ffmpeg."""
    from ..corpus.stem_mp4 import probe_song, require_backend

    path = Path(path)
    if not path.is_file():
        raise AudioFileError(path, "stem file not found")
    require_backend()
    return probe_song(path, path.name, "advise")


def read_stem_file(path: str | Path, sample_rate: int, channels: int,
                   with_mix: bool = True) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
    """(mix, stems) of a ``.stem.mp4``: its mixture stream (decoded only ``with_mix``, else None) and its
    four stem streams (names from the NI metadata, else the MUSDB18 order); needs the ``stems`` extra and
    ffmpeg."""
    from ..corpus.stem_mp4 import read_mixture

    song = stem_file_info(path)
    warn_band_limited(path, song.sample_rate)
    stems = song.stems(sample_rate, channels, pad=True)
    mix = convert(read_mixture(song), song.sample_rate, sample_rate, channels) if with_mix else None
    return mix, stems
