"""Atomic file output and JSON/JSONL helpers: outputs are written to a temp file, then renamed,
so a crash never leaves a half-written file behind."""
from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import Any, Iterable, Iterator

from .errors import DataError, OutputError


def blocking_file(path: str | Path) -> Path | None:
    """The file that stands where folder ``path`` or one of its parents should be (the nearest existing
    one of them when it is not a folder), or None."""
    for p in [Path(path), *Path(path).parents]:
        if p.exists():
            return None if p.is_dir() else p
    return None


def unwritable_folder(path: str | Path) -> Path | None:
    """The nearest existing folder of ``path`` and its parents when this process cannot write into it (no
    permission, a read-only file system), else None."""
    for p in [Path(path), *Path(path).parents]:
        if p.is_dir():
            return None if os.access(p, os.W_OK | os.X_OK) else p
    return None


def check_output_dir(path: str | Path, what: str = "", writable: bool = True) -> Path:
    """Fail early (OutputError) when folder ``path`` could not be created or written into: it is a file, a
    file sits where one of its parents should be, or (``writable``) the nearest existing one is not writable.
    A cache folder that may only be read (filled earlier, now on a read-only disk) passes ``writable=False``.
    ``what`` (an option or config key) starts the message. Creates nothing (see :func:`ensure_dir`)."""
    path = Path(path)
    label = f"{what} {path}" if what else str(path)
    p = blocking_file(path)
    if p is not None:
        raise OutputError(f"{label}: " + ("is a file, not a folder" if p == path
                                          else f"cannot create this folder: {p} is a file"))
    p = unwritable_folder(path) if writable else None
    if p is not None:
        raise OutputError(f"{label}: cannot write " + ("into this folder: it" if p == path else f"here: {p}")
                          + " is not writable (permissions or a read-only file system)")
    return path


def ensure_dir(path: str | Path) -> Path:
    """Create folder ``path`` (and its parents) unless it exists; an OutputError names what is in the way."""
    path = check_output_dir(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{path}: cannot create this folder ({e.strerror or e})") from None
    return path


def check_output_file(path: str | Path) -> Path:
    """Fail early (OutputError) when file ``path`` could not be written: it is a folder, or a file sits
    where one of its parent folders should be. Creates nothing."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name")
    p = blocking_file(path.parent)
    if p is not None:
        raise OutputError(f"{path}: cannot write here: {p} is a file, not a folder")
    p = unwritable_folder(path.parent)
    if p is not None:
        raise OutputError(f"{path}: cannot write here: {p} is not writable (permissions or a read-only file system)")
    return path


def check_not_an_input(opt: str, out: str | Path | None, inputs: Iterable[tuple[str, str | Path | None]],
                       inside: bool = False) -> None:
    """OutputError when output ``out`` (given as ``opt``) would write over something the command reads: one
    of ``inputs`` ((what, path) pairs: a file, or a folder whose existing files it reads). A new file in an
    input folder is left to the caller, unless ``inside`` (a corpus: every audio file in it is read)."""
    if not out:
        return
    target = Path(out).resolve()
    for what, path in inputs:
        if not path:
            continue
        p = Path(path).resolve()
        if target == p:
            raise OutputError(f"{opt} {out}: is {what}, which this command reads; write it elsewhere")
        if p.is_dir() and p in target.parents and (inside or target.is_file()):
            where = "inside" if inside else "a file of"
            raise OutputError(f"{opt} {out}: is {where} {what} ({path}), which this command reads; write it "
                              "elsewhere")


def read_json(path: str | Path, what: str = "file") -> Any:
    """A JSON file's content; a missing file or invalid JSON raises DataError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: {what} not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: {what} is not valid JSON ({e})") from None


def fresh_path(parent: str | Path, prefix: str, suffix: str = "", folder: bool = False) -> Path:
    """A new empty file (or folder) under a name no one else holds in ``parent``, created as any new file is
    here: mode 0666 (0777) less the umask. tempfile's are private (0600 / 0700), and renamed onto an output
    they would leave it unreadable to anyone else (a DAW running as another user, a shared folder)."""
    for _ in range(100):
        p = Path(parent) / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            if folder:
                os.mkdir(p, 0o777)
            else:
                os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return p
        except FileExistsError:
            continue
    raise FileExistsError(f"{parent}: no free name for a temporary {'folder' if folder else 'file'}")


def share_like(folder: str | Path) -> None:
    """Give everything under ``folder`` the permissions ``folder`` itself was made with (files without the
    execute bits): writers that stage their own temp files, as safetensors does, leave them private (0600)."""
    folder = Path(folder)
    mode = folder.stat().st_mode & 0o777
    for p in folder.rglob("*"):
        if not p.is_symlink():
            p.chmod(mode if p.is_dir() else mode & 0o666)


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``.

    The temp file keeps the final suffix (libraries such as soundfile pick the format from it).
    """
    path = check_output_file(path)
    ensure_dir(path.parent)
    try:
        tmp_path = fresh_path(path.parent, f".{path.name}.", suffix or path.suffix)
    except OSError as e:
        raise OutputError(f"{path}: cannot write here ({e.strerror or e})") from None
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def dumps(obj: Any) -> str:
    """Canonical JSON (sorted keys, no NaN) so identical content gives identical bytes."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, allow_nan=False)


def write_json(path: str | Path, obj: Any) -> Path:
    return write_text(path, json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=2, allow_nan=False) + "\n")


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> int:
    """Write rows as JSON lines atomically; returns the number of rows."""
    n = 0
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(dumps(row) + "\n")
                n += 1
    return n


def read_jsonl_numbered(path: str | Path, what: str = "file") -> list[tuple[int, dict]]:
    """(line number, object) for each non-empty line of a JSONL file.

    A missing file or a malformed line raises DataError naming ``file:line``.
    """
    path = Path(path)
    if path.is_dir():          # e.g. a dataset folder where one of its split files is wanted
        jsonl = sorted(p.name for p in path.glob("*.jsonl"))
        raise DataError(f"{path}: is a folder; give the JSONL {what}" + (f", e.g. {path / jsonl[0]}" if jsonl else ""))
    if not path.is_file():
        raise DataError(f"{path}: {what} not found")
    rows = []
    for i, raw in enumerate(path.read_bytes().splitlines(), 1):     # \n, \r\n or \r, as text mode reads them
        try:
            line = raw.decode("utf-8-sig" if i == 1 else "utf-8")     # a byte-order mark is tolerated
        except UnicodeDecodeError:
            raise DataError(f"{path}:{i}: not UTF-8 text (save the file as UTF-8)") from None
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            where = e.msg if e.msg.endswith(" at") else f"{e.msg} at"       # "Unterminated string starting at"
            raise DataError(f"{path}:{i}: not valid JSON ({where} column {e.colno})") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}:{i}: expected a JSON object, got {type(row).__name__}")
        rows.append((i, row))
    return rows
