"""Typed dataclass configs ↔ YAML. A YAML file fully describes a run; unknown keys are errors
(a typo must never be silently ignored), and every value is checked against its field's type
(numbers must be finite: NaN or infinity is never a valid setting).

``key.path=value`` overrides (e.g. ``mixbuddy train --set optim.lr=1e-4``) go through
:func:`from_dict` (``overrides=``) so that an error they cause names the ``--set key=value``, not the file."""
from __future__ import annotations

import copy
import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any, Sequence, TypeVar

import yaml

from .errors import ConfigError
from .io import write_text

T = TypeVar("T")

KeyPath = tuple  # a key path inside a config: ("optim", "lr") or ("mix_lufs", 0)


class _Problem(ConfigError):
    """A problem at a key path (internal: :func:`from_dict` turns it into a ConfigError naming the place)."""

    def __init__(self, path: KeyPath, problem: str, located: bool = True):
        self.path, self.problem = tuple(path), problem
        self.located = located  # False: a check of the whole section (its __post_init__) failed
        super().__init__(f"{_dotted(path) or 'config'}: {problem}")


def _dotted(path: KeyPath) -> str:
    """("optim", "lr") -> "optim.lr"; ("mix_lufs", 0) -> "mix_lufs[0]"."""
    out = ""
    for k in path:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
    return out


def _label(where: str, path: KeyPath) -> str:
    """The place of a problem as earlier versions named it: ``<where>.optim.lr``."""
    return where + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _convert(tp: Any, value: Any, path: KeyPath) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if value is None:
        return None
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise _Problem(path, f"expected a mapping for {tp.__name__}, got {value!r}")
        return _build(tp, value, path)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        last: _Problem | None = None
        for a in non_none:
            try:
                return _convert(a, value, path)
            except _Problem as e:
                last = e
        raise last or _Problem(path, f"invalid value {value!r}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise _Problem(path, f"expected a list, got {value!r}")
        item = args[0] if args else Any
        out = [_convert(item, v, (*path, i)) for i, v in enumerate(value)]
        return tuple(out) if origin is tuple else out
    if origin is dict:
        if not isinstance(value, dict):
            raise _Problem(path, f"expected a mapping, got {value!r}")
        kt, vt = (args[0], args[1]) if len(args) == 2 else (Any, Any)
        if kt is str:
            bad = [k for k in value if not isinstance(k, str)]
            if bad:
                raise _Problem(path, f"keys must be names (text), got {bad[0]!r}")
        return {k: _convert(vt, v, (*path, k)) for k, v in value.items()}
    if tp is float:
        if isinstance(value, str):  # YAML 1.1 reads "1e-4" (no dot) as a string
            try:
                value = float(value)
            except ValueError:
                raise _Problem(path, f"expected a number, got {value!r}") from None
        if not _is_number(value):
            raise _Problem(path, f"expected a number, got {value!r}")
        if not math.isfinite(value):
            raise _Problem(path, f"expected a finite number, got {value!r}")
        return float(value)
    if tp in (int, str, bool):
        if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
            raise _Problem(path, f"expected {tp.__name__}, got {value!r}")
        return value
    if origin is typing.Literal:
        if value not in args:
            raise _Problem(path, f"must be one of {list(args)}, got {value!r}")
        return value
    return value


def _build(cls: type[T], data: dict, path: KeyPath) -> T:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields), key=str)
    if unknown:
        what = f"unknown key {unknown[0]!r}" if len(unknown) == 1 else f"unknown key(s) {unknown}"
        raise _Problem(path, f"{what}; valid keys: {sorted(fields)}")
    kwargs = {k: _convert(hints[k], v, (*path, k)) for k, v in data.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise _Problem(path, str(e), located=False) from None


def yaml_problem(e: Exception) -> str:
    """One line for a YAML parse error: where (line, column, 1-based) and what, without the parser's quoted
    excerpt and its "<unicode string>" (the caller names the file)."""
    mark, problem = getattr(e, "problem_mark", None), getattr(e, "problem", None)
    if mark is None or not problem:
        return " ".join(str(e).split())
    context = getattr(e, "context", None)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" + (f" ({context})" if context else "")


def parse_override(item: str) -> tuple[list[str], Any]:
    """``"a.b.c=value"`` -> (["a", "b", "c"], value parsed as YAML); ConfigError naming the ``--set``."""
    if "=" not in item:
        raise ConfigError(f"--set {item}: expected key.path=value")
    key, raw = item.split("=", 1)
    parts = key.strip().split(".")
    if not all(p.strip() for p in parts):
        raise ConfigError(f"--set {item}: expected key.path=value (empty key in {key.strip()!r})")
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as e:
        raise ConfigError(f"--set {item}: value is not valid YAML ({yaml_problem(e)})") from None
    return [p.strip() for p in parts], value


def apply_overrides(data: dict, overrides: Sequence[str]) -> dict:
    """A copy of ``data`` with ``a.b.c=value`` entries set (values parsed as YAML)."""
    out = copy.deepcopy(data)
    for item in overrides:
        parts, value = parse_override(item)
        node = out
        for i, p in enumerate(parts[:-1]):
            if node.get(p) is None:
                node[p] = {}
            if not isinstance(node[p], dict):
                raise ConfigError(f"--set {item}: {'.'.join(parts[:i + 1])} is not a section")
            node = node[p]
        node[parts[-1]] = value
    return out


def from_dict(cls: type[T], data: dict, where: str = "config", overrides: Sequence[str] = ()) -> T:
    """Build dataclass ``cls`` from a dict, converting nested dataclasses and checking types/keys.

    ``overrides``: ``key.path=value`` strings applied on top of ``data`` (see :func:`apply_overrides`);
    an error that only they cause is reported as ``--set key=value: <key>: <problem>``."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    merged = apply_overrides(data, overrides) if overrides else data
    try:
        return _build(cls, merged, ())
    except _Problem as e:
        raise ConfigError(_explain(cls, data, where, list(overrides), e)) from None


def _explain(cls: type, data: dict, where: str, overrides: list[str], err: _Problem) -> str:
    """Name the file, or the first ``--set`` after which the config fails with this very problem."""
    file_msg = f"{_label(where, err.path)}: {err.problem}"
    if not overrides:
        return file_msg

    def problem(items: list[str]) -> _Problem | None:
        try:
            _build(cls, apply_overrides(data, items), ())
        except _Problem as e:
            return e
        except ConfigError:
            return None
        return None

    def same(e: _Problem | None) -> bool:
        return e is not None and (e.path, e.problem) == (err.path, err.problem)

    if same(problem([])):
        return file_msg
    for k in range(1, len(overrides) + 1):
        if same(problem(overrides[:k])):
            place = _dotted(err.path) if err.located else ""
            return f"--set {overrides[k - 1]}: {place + ': ' if place else ''}{err.problem}"
    sets = ", ".join(f"--set {o}" for o in overrides)
    return f"{_label(where, err.path)} (with {sets}): {err.problem}"


def to_dict(obj: Any) -> Any:
    """Dataclass → plain dict (tuples become lists) suitable for YAML/JSON."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, Path):
        return str(obj)
    return obj


def load_yaml(path: str | Path) -> dict:
    """The top-level mapping of a YAML config file. A missing file, invalid YAML, a file with no settings
    at all (empty, or only comments) or a top level that is not a mapping raise ConfigError naming the file.
    (An explicit ``{}`` asks for all the defaults.)"""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a config file")
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text (YAML) file") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML at {yaml_problem(e)}") from None
    if data is None:
        raise ConfigError(f"{path}: config is empty (no settings); write `{{}}` in it for all the defaults, "
                          "or leave the option out")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    return data


def load_config(cls: type[T], path: str | Path, section: str | None = None) -> T:
    """Load dataclass ``cls`` from a YAML file (optionally from one top-level ``section``)."""
    data = load_yaml(path)
    if section is not None:
        data = data.get(section) or {}
    return from_dict(cls, data, where=f"{path}" + (f":{section}" if section else ""))


def save_config(obj: Any, path: str | Path) -> Path:
    return write_text(path, yaml.safe_dump(to_dict(obj), sort_keys=False))
