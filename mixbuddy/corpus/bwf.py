"""Broadcast WAV time stamps: where in the session each file of a stems folder starts.

A Broadcast WAV file (EBU Tech 3285: a WAV, RF64 or BW64 file with a ``bext`` chunk) carries its *time reference*:
the sample, counted from midnight at the file's own rate, at which its first sample sits on the session's timeline.
A DAW that writes it stamps a clip or region export with where the clip starts, and can import such a file at that
place ("spot to the original time stamp"). A track exported from its first note instead of from the song's start is
then shorter, its music too early when read from the start, and its stamp says by how much.

:func:`folder_starts` reads the stamps of every audio file under a song folder (its sub-folders and the files left
out too, so a song built from some of them places them as the whole folder does) and gives each stamped file its
start in seconds after the earliest, when they can be one session's: two stamps at least, not all equal, and no file
starting after the longest stamped file has ended (files recorded at their own times of day, or stamped by tools
that disagree, are left where they are, with a warning). The folder reader zero-pads each file at its start by that
much (:class:`~mixbuddy.corpus.stems_folder.FileStemLoader`). A FLAC, MP3, Ogg Vorbis or WavPack file converted
from a stamped one by ffmpeg carries the stamp as a ``time_reference`` tag, read likewise. A conversion to another
sample rate keeps the number, counted at the old rate, so such a file's stamp is counted at the rate the last line of
its ``coding_history`` tag names (the source's Broadcast WAV coding history, EBU R98: "A=PCM,F=48000,W=24,..."),
else, holding the number of its stamped Broadcast WAV twin (the same track in another format, as long), at that
file's rate, else at its own rate (converted without either, it is placed wrong by the rates' ratio). A WAV file
without a ``bext`` chunk but with an ``iXML`` one (the recorders' metadata document, which mirrors the stamp) is read
from that: its SPEED element's TIMESTAMP_SAMPLES_SINCE_MIDNIGHT, counted at its TIMESTAMP_SAMPLE_RATE (which may
differ from the file's own: a pulled-down or converted recording), else its BEXT element's BWF_TIME_REFERENCE at the
file's own rate. A file without a stamp (an AIFF, an M4A, a lossy copy made otherwise) starts with the song, unless
it is named as one stamped file in another format and as long (a copy of that export).
"""
from __future__ import annotations

import io
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from ..audio import audio_info

log = logging.getLogger(__name__)

RIFF_IDS = (b"RIFF", b"RF64", b"BW64")
BEXT_BYTES = 346          # Description 256, Originator 32, OriginatorReference 32, OriginationDate 10,
TIME_AT = 338             # OriginationTime 8, then TimeReferenceLow and TimeReferenceHigh (little-endian)
MAX_CHUNKS = 4096         # a damaged header's walk ends here
TWIN_S = 0.2              # a lossy copy's length may differ from its source's by a codec's padding
# formats whose files carry the stamp as a tag, where ffmpeg converting a Broadcast WAV file puts it (an Opus file
# is decoded at 48 kHz whatever the rate the stamp counts in; AIFF and MP4 files get no such tag)
TAGGED = frozenset({".flac", ".mp3", ".ogg", ".oga", ".wv"})
SAY_S = 0.001             # a file moved less (stamps a few samples apart: an export's rounding) is moved without a word
IXML_BYTES = 1 << 20      # an iXML chunk larger than this (a few kB as recorders write it) is not parsed
_F_FIELD = re.compile(r"(?:^|,)\s*F=(\d+)\s*(?:,|$)", re.IGNORECASE)


def _chunks(f: BinaryIO, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(id, offset of its header, size of its body) of each chunk of the RIFF/RF64 file ``f`` (``end`` bytes long)
    after its 12-byte header, up to ``MAX_CHUNKS``; RF64's data chunk gets its true size from ``ds64``."""
    pos, big_data = 12, None
    for _ in range(MAX_CHUNKS):
        if pos + 8 > end:
            return
        f.seek(pos)
        h = f.read(8)
        cid, n = h[:4], int.from_bytes(h[4:8], "little")
        if cid == b"ds64":           # RF64: the data chunk's true size (its header holds 0xFFFFFFFF)
            body = f.read(16)
            big_data = int.from_bytes(body[8:16], "little") if len(body) == 16 else None
        if cid == b"data" and n == 0xFFFFFFFF and big_data is not None:
            n = big_data
        yield cid, pos, n
        pos += 8 + n + (n & 1)


def time_reference(path: str | Path) -> int | None:
    """The ``bext`` time reference of a WAV/RF64/BW64 file (samples since midnight; without one, its ``iXML``
    stamp), or a FLAC, MP3, Ogg Vorbis or WavPack file's ``time_reference`` tag (:func:`tagged_reference`); None for
    a file of another format, without either or with a damaged header (reading the audio then names the problem)."""
    found = stamp_of(path)
    return None if found is None else found[0]


def stamp_of(path: str | Path) -> tuple[int, int | None] | None:
    """The time reference of ``path`` (as :func:`time_reference`) and the sample rate it counts at where the file
    names one: for a tagged file, its ``coding_history`` tag (a Broadcast WAV file's history, carried by ffmpeg;
    :func:`history_rate`); for a WAV file without a ``bext`` chunk, its ``iXML`` chunk (:func:`ixml_stamp`). None
    without a stamp. A WAV file's ``bext`` stamp counts at its own rate, as EBU Tech 3285 has it, whatever its
    history says (a tool that converted it and kept an old history would mislead), and comes before its iXML."""
    if Path(path).suffix.lower() in TAGGED:
        return _tagged_stamp(path)
    ixml = None
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] not in RIFF_IDS or head[8:12] != b"WAVE":
                return None
            for cid, pos, n in _chunks(f, os.fstat(f.fileno()).st_size):
                f.seek(pos + 8)
                if cid == b"bext" and n >= BEXT_BYTES:
                    body = f.read(BEXT_BYTES)
                    if len(body) == BEXT_BYTES:
                        return int.from_bytes(body[TIME_AT:BEXT_BYTES], "little"), None
                elif cid.lower() == b"ixml" and ixml is None and n <= IXML_BYTES:
                    ixml = ixml_stamp(f.read(n))
    except OSError:
        return None
    return ixml


def ixml_stamp(document: bytes) -> tuple[int, int | None] | None:
    """The time stamp an iXML document holds (the ``iXML`` chunk of a WAV file, as field recorders and some DAWs
    write it): its SPEED element's TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI and _LO words and the TIMESTAMP_SAMPLE_RATE
    they count at (None where it names none), else its BEXT element's BWF_TIME_REFERENCE_HIGH and _LOW (the
    ``bext`` chunk's number, at the file's own rate); None without either or where the document cannot be parsed."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(document.strip(b"\x00 \t\r\n"))
    except (ET.ParseError, ValueError):
        return None

    def number(tag: str, absent: int | None = None) -> int | None:
        text = (root.findtext(tag) or "").strip()
        if not text:
            return absent
        return int(text.split(".")[0]) if re.fullmatch(r"\d+(\.0*)?", text) else None

    for element, high, low, rate in (("SPEED", "TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI",
                                      "TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO", "TIMESTAMP_SAMPLE_RATE"),
                                     ("BEXT", "BWF_TIME_REFERENCE_HIGH", "BWF_TIME_REFERENCE_LOW", None)):
        words = number(f"{element}/{low}"), number(f"{element}/{high}", 0)     # a missing high word: 0
        if None in words or max(words) >= 1 << 32:
            continue
        counted = number(f"{element}/{rate}") if rate else None
        return (words[1] << 32) + words[0], counted if counted is not None and 1000 <= counted <= 1_000_000 else None
    return None


def history_rate(history: str) -> int | None:
    """The sample rate (the ``F=`` field) of the last line of a Broadcast WAV coding history that names one (EBU R98:
    a line per coding step, "A=PCM,F=48000,W=24,M=stereo,T=..."): the rate of the file whose stamp it describes."""
    for line in reversed(history.replace("\r", "\n").split("\n")):
        found = _F_FIELD.search(line)
        if found and 1000 <= int(found.group(1)) <= 1_000_000:
            return int(found.group(1))
    return None


def tagged_reference(path: str | Path) -> int | None:
    """The ``time_reference`` tag of a FLAC, Ogg Vorbis or WavPack file (a Vorbis comment or APE tag) or an MP3 (an
    ID3 ``TXXX`` frame), as ffmpeg writes a Broadcast WAV file's stamp into the file it converts it to (read with
    mutagen); None without one, for Opus audio in an Ogg file, or where the tags cannot be read."""
    found = _tagged_stamp(path)
    return None if found is None else found[0]


def _tagged_stamp(path: str | Path) -> tuple[int, int | None] | None:
    """The ``time_reference`` tag of a file :func:`tagged_reference` reads and the rate its ``coding_history`` tag
    names (:func:`history_rate`); None where there is no such stamp to read."""
    import mutagen
    from mutagen.id3 import ID3
    from mutagen.oggopus import OggOpus

    try:
        audio = mutagen.File(path)
    except Exception:                   # mutagen.MutagenError, OSError: the audio's reader names the problem
        return None
    tags = getattr(audio, "tags", None)
    if tags is None or isinstance(audio, OggOpus):   # Opus (in an .ogg file) decodes at 48 kHz, whatever the
        return None                                  # rate the tag counts in
    out = {}                            # each tag's first value
    for name in ("time_reference", "coding_history"):
        if isinstance(tags, ID3):
            values = [t for f in tags.getall("TXXX") if f.desc.lower() == name for t in f.text]
        else:                           # Vorbis comments: a list of strings; an APE tag: one value
            value = tags.get(name)
            values = value if isinstance(value, list) else [] if value is None else [value]
        if values:
            out[name] = str(values[0]).strip()
    t = out.get("time_reference", "")
    return (int(t), history_rate(out.get("coding_history", ""))) if t.isdigit() else None


def write_time_reference(path: str | Path, samples: int, history: str = "") -> None:
    """Give the WAV file ``path`` a ``bext`` chunk whose time reference is ``samples`` and coding history ``history``
    (one it has is replaced), as a DAW writing Broadcast WAV does; for building test material (tests,
    ``benchmarks/bwf_stamps.py``)."""
    body = bytearray(BEXT_BYTES + 256)          # the fields, then UMID, loudness and reserved bytes (zero)
    body[TIME_AT:BEXT_BYTES] = int(samples).to_bytes(8, "little")
    body[346:348] = (1).to_bytes(2, "little")   # version 1
    _put_chunk(Path(path), b"bext", bytes(body) + history.encode("ascii"))


def write_ixml_stamp(path: str | Path, samples: int, rate: int) -> None:
    """Give the WAV file ``path`` an ``iXML`` chunk (one it has is replaced) stamping it ``samples`` counted at
    ``rate`` Hz (SPEED's TIMESTAMP fields, and the BEXT mirror's time reference), as a recorder writes it, and no
    ``bext`` chunk (one it has is dropped); for building test material."""
    words = "".join(f"<{tag}>{value}</{tag}>" for tag, value in (
        ("TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI", samples >> 32),
        ("TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO", samples & 0xFFFFFFFF), ("TIMESTAMP_SAMPLE_RATE", rate)))
    bext = f"<BWF_TIME_REFERENCE_LOW>{samples & 0xFFFFFFFF}</BWF_TIME_REFERENCE_LOW>" \
           f"<BWF_TIME_REFERENCE_HIGH>{samples >> 32}</BWF_TIME_REFERENCE_HIGH>"
    document = (f'<?xml version="1.0" encoding="UTF-8"?>\n<BWFXML><IXML_VERSION>2.10</IXML_VERSION><SPEED>{words}'
                f"</SPEED><BEXT>{bext}</BEXT></BWFXML>\n")
    _put_chunk(Path(path), b"iXML", document.encode("utf-8"), drop=b"bext")


def _put_chunk(path: Path, cid: bytes, body: bytes, drop: bytes = b"") -> None:
    """Write ``body`` into the WAV file ``path`` as its chunk ``cid``, after "fmt " and before the audio, as DAWs
    put it (one it has, and any chunk ``drop``, are left out); through a temporary file."""
    data = path.read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a RIFF WAVE file")
    chunks = [data[pos:pos + 8 + n + (n & 1)] for c, pos, n in _chunks(io.BytesIO(data), len(data))
              if c not in (cid, drop)]
    body += bytes(len(body) & 1)                # chunks are word-aligned
    out = b"".join([chunks[0], cid + len(body).to_bytes(4, "little") + body, *chunks[1:]])
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(b"RIFF" + (len(out) + 4).to_bytes(4, "little") + b"WAVE" + out)
    tmp.replace(path)


def _length(path: Path) -> tuple[int, int] | None:
    """(rate, frames) from ``path``'s header; None where it cannot be read (the reader names a damaged file when it
    decodes it)."""
    try:
        rate, frames, _ = audio_info(path)
    except Exception:
        return None
    return rate, frames


@dataclass(frozen=True)
class _Stamp:
    """A stamped file's time reference ``number``, counted at ``counted`` Hz (``why``: what said so, when not the
    file's own ``rate``), and its length in ``frames``."""
    number: int
    rate: int
    frames: int
    counted: int
    why: str = ""

    @property
    def start(self) -> float:
        return self.number / self.counted

    @property
    def seconds(self) -> float:
        return self.frames / self.rate


def _stamp(path: Path) -> _Stamp | None:
    """The stamp of ``path``; None for a file without one. Read anew each time (a few header reads): a file
    rewritten within the file system's timestamp granularity keeps its size and time, so a cache keyed on them could
    keep an old stamp."""
    found = stamp_of(path)
    length = _length(path) if found is not None else None
    if length is None:
        return None
    (number, counted), (rate, frames) = found, length
    if counted is None or counted == rate:
        return _Stamp(number, rate, frames, rate)
    return _Stamp(number, rate, frames, counted,
                  "its coding history" if path.suffix.lower() in TAGGED else "its iXML TIMESTAMP_SAMPLE_RATE")


@dataclass
class Starts:
    """Each stamped file's start, in seconds after the earliest (``seconds``; empty when the stamps are not used,
    ``why`` then saying why, or "" when there were none to use); ``recounted``: the files whose stamp counts at
    another rate than their own, that rate, their own and what said so."""
    seconds: dict[Path, float] = field(default_factory=dict)
    unstamped: list[Path] = field(default_factory=list)
    why: str = ""
    recounted: dict[Path, tuple[int, int, str]] = field(default_factory=dict)

    def frames(self, path: Path, rate: int) -> int:
        """How many frames at ``rate`` ``path`` starts after the earliest file (0 where not placed)."""
        return round(self.seconds.get(path, 0.0) * rate)


def folder_starts(folder: Path, files: Iterable[Path]) -> Starts:
    """Where each of ``files`` and every other audio file under the song folder ``folder`` (its sub-folders too,
    hidden ones left out) start by their time stamps (module doc)."""
    from .stems_folder import is_audio_file

    folder = Path(folder)
    paths = set(files)
    if folder.is_dir():
        paths |= {p for p in folder.rglob("*") if not any(part.startswith(".") for part in
                                                          p.relative_to(folder).parts) and is_audio_file(p)}
    stamped: dict[Path, _Stamp] = {}
    for p in sorted(paths):
        found = _stamp(p)
        if found is not None:
            stamped[p] = found
    unstamped = sorted(p for p in paths if p not in stamped)
    if len(stamped) < 2:
        return Starts(unstamped=unstamped)
    from .format_twins import twin_groups

    groups = twin_groups([*stamped, *unstamped], folder)
    _recount_by_twins(stamped, groups)
    recounted = {p: (s.counted, s.rate, s.why) for p, s in stamped.items() if s.why}
    if len({s.start for s in stamped.values()}) < 2:
        return Starts(unstamped=unstamped, recounted=recounted)
    earliest = min(stamped, key=lambda p: stamped[p].start)
    last = max(stamped, key=lambda p: stamped[p].start)
    first, longest = stamped[earliest].start, max(s.seconds for s in stamped.values())
    if stamped[last].start - first >= longest:
        return Starts(unstamped=unstamped, why=f"{last.name} would start {stamped[last].start - first:.3f} s after "
                      f"{earliest.name}, when the longest stamped file ({longest:.3f} s) has ended",
                      recounted=recounted)
    seconds = {p: s.start - first for p, s in stamped.items()}
    seconds.update((p, s - first) for p, s in _twin_starts(groups, stamped, unstamped).items())
    return Starts(seconds, [p for p in unstamped if p not in seconds], recounted=recounted)


def _recount_by_twins(stamped: dict[Path, _Stamp], groups: list[list[Path]]) -> None:
    """A tagged file (a conversion by ffmpeg, which keeps the number) whose stamp is its Broadcast WAV twin's number,
    at another rate and as long within ``TWIN_S``, counts it at that twin's rate: a copy converted to another rate."""
    for group in groups:
        wavs = [p for p in group if p in stamped and p.suffix.lower() not in TAGGED]
        for p in group:
            s = stamped.get(p)
            if s is None or s.why or p.suffix.lower() not in TAGGED:
                continue
            twin = next((q for q in wavs if stamped[q].number == s.number and stamped[q].counted != s.counted
                         and abs(stamped[q].seconds - s.seconds) <= TWIN_S), None)
            if twin is not None:
                stamped[p] = _Stamp(s.number, s.rate, s.frames, stamped[twin].counted, f"as its twin {twin.name}")


def _twin_starts(groups: list[list[Path]], stamped: dict[Path, _Stamp], unstamped: list[Path]) -> dict[Path, float]:
    """The start of each unstamped file named as one stamped file in another format (``twin_groups``: "bass.mp3"
    beside "bass.wav", a pack's MP3/ and WAV/ folders, a "bass (1).mp3") and as long within ``TWIN_S``: a copy made
    from that export without its stamp."""
    out = {}
    for group in groups:
        ones = [p for p in group if p in stamped]
        if len(ones) != 1:
            continue
        one = stamped[ones[0]]
        for p in group:
            length = None if p in stamped else _length(p)
            if length is not None and abs(length[1] / length[0] - one.seconds) <= TWIN_S:
                out[p] = one.start
    return out


def say_starts(folder: Path, starts: Starts, files: Iterable[Path]) -> None:
    """Log what the stamps did to ``files`` (the files read as stems), once per folder read."""
    files = list(files)
    recounted = [f"{p.name} in {counted} Hz samples ({why}; the file is at {rate} Hz)"
                 for p, (counted, rate, why) in starts.recounted.items() if p in files]
    if recounted:
        log.warning("%s: time stamps counted at another rate than their file's: %s (a copy converted to another "
                    "rate keeps its source's number)", folder, "; ".join(recounted))
    if starts.why:
        log.warning("%s: the files' Broadcast WAV time stamps are not one session's (%s): every file is read from "
                    "the song's start", folder, starts.why)
        return
    moved = sorted((p for p in files if starts.seconds.get(p, 0.0) >= SAY_S), key=lambda p: (starts.seconds[p], p.name))
    if not moved:
        return
    rest = [p.name for p in files if p in starts.unstamped]
    log.warning("%s: placed by their Broadcast WAV time stamps (where the DAW says each file starts in the session): "
                "%s%s", folder,
                ", ".join(f"{p.name} {starts.seconds[p]:.3f} s after the earliest file's start" for p in moved),
                f"; {', '.join(rest)} without a stamp, read from the song's start" if rest else "")
