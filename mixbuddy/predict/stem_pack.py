"""A stem pack as it is downloaded: a ``.zip`` of stem files, read as the stems folder it unpacks to.

Only audio files (and a ``mapping.yaml|yml|json`` for the pack) are unpacked, into a temporary folder that
is removed afterwards. Members with absolute paths or ``..`` in them are refused (they would land outside
that folder), macOS' ``__MACOSX/`` resource forks and hidden files are left out, names the ``zip`` command wrote in UTF-8
without saying so are read as UTF-8 (:func:`member_name`), and one folder that holds
the whole pack ("Pack Name/Drums/Kick.wav") is stepped into, so that its name (which may hold a stem word:
"Bass Drop Remix Pack") is not read as a stem's. Then the folder rules apply: files sorted by the words of
their names, or of their sub-folders' names (``Drums/``, ``Vocals/``) when the name says nothing.
"""
from __future__ import annotations

import contextlib
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Iterator

from ..audio import AUDIO_EXTENSIONS
from ..corpus.stem_names import SONG_MAPPING_NAMES
from ..errors import AudioFileError

MAX_UNPACKED_BYTES = 16 * 2 ** 30  # a pack that unpacks to more than this is refused (a zip bomb, or not stems)


def is_stem_pack(path: str | Path | None) -> bool:
    return path is not None and str(path).lower().endswith(".zip")


def pack_members(path: str | Path) -> dict[str, PurePosixPath]:
    """{member name in the zip: where it unpacks, relative}; errors name the zip and the problem."""
    path = Path(path)
    if not path.is_file():
        raise AudioFileError(path, "stem pack not found")
    try:
        with zipfile.ZipFile(path) as z:
            infos = [i for i in z.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as e:
        raise AudioFileError(path, f"cannot read the zip file ({e})") from None
    keep: dict[str, PurePosixPath] = {}
    total = 0
    for info in infos:
        rel = PurePosixPath(member_name(info).replace("\\", "/"))
        if rel.is_absolute() or ".." in rel.parts:
            raise AudioFileError(path, f"member {info.filename!r} would unpack outside the pack's folder")
        if rel.parts[0] == "__MACOSX" or any(p.startswith(".") for p in rel.parts):
            continue
        if rel.suffix.lower() in AUDIO_EXTENSIONS or rel.name.lower() in SONG_MAPPING_NAMES:
            keep[info.filename] = rel
            total += info.file_size
    if not any(r.suffix.lower() in AUDIO_EXTENSIONS for r in keep.values()):
        raise AudioFileError(path, f"the zip holds no audio files ({', '.join(AUDIO_EXTENSIONS)})")
    if total > MAX_UNPACKED_BYTES:
        raise AudioFileError(path, f"unpacks to {total / 2 ** 30:.1f} GiB of audio, more than the "
                                   f"{MAX_UNPACKED_BYTES // 2 ** 30} GiB a stem pack is allowed")
    tops = {r.parts[0] for r in keep.values()}
    if len(tops) == 1 and all(len(r.parts) > 1 for r in keep.values()):  # one folder holds it all: step in
        keep = {k: PurePosixPath(*r.parts[1:]) for k, r in keep.items()}
    return keep


UTF8_FLAG = 0x800   # general purpose bit 11: the member's name is UTF-8


def member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its maker wrote it. Without the UTF-8 flag Python reads the name as code page 437, but
    the ``zip`` command of Linux and macOS (Info-ZIP) writes UTF-8 without setting it: "Batería.wav" would read
    "Bater├¡a.wav", whose words name no stem. Such a name is read as UTF-8 when its bytes are valid UTF-8 (a
    name really in code page 437 with a letter beyond ASCII almost never is)."""
    if info.flag_bits & UTF8_FLAG:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except UnicodeError:
        return info.filename


@contextlib.contextmanager
def opened_stems(stems: str | Path | None) -> Iterator[Path | str | None]:
    """``stems`` itself, or for a ``.zip`` the temporary folder it unpacks to (removed on exit); errors raised
    inside then name the pack, not that folder."""
    if not is_stem_pack(stems):
        yield stems
        return
    members = pack_members(stems)
    tmp = Path(tempfile.mkdtemp(prefix=f"{Path(stems).name}-unpacked-"))  # what the live log names
    try:
        try:
            with zipfile.ZipFile(stems) as z:
                for name, rel in members.items():
                    dst = tmp.joinpath(*rel.parts)
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    with z.open(name) as src, open(dst, "wb") as out:
                        shutil.copyfileobj(src, out, 1 << 20)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as e:
            raise AudioFileError(stems, f"cannot unpack the zip file ({e})") from None  # damaged or encrypted
        try:
            yield tmp
        except Exception as e:
            if e.args and isinstance(e.args[0], str):
                e.args = (e.args[0].replace(str(tmp), str(stems)), *e.args[1:])
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
