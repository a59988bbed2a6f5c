"""The Recipe type: one flawed-mix training/evaluation sample described, not rendered.

A recipe says which song, which 10 s window, which stem is pushed out of balance by how many dB,
which stem is the anchor, and carries the texts (system prompt, instruction, response). The audio
is produced on demand by :mod:`mixbuddy.data.render`, so a dataset is a few hundred bytes per
sample instead of a WAV file per sample.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..constants import CATEGORY_BY_NAME, category_of
from ..errors import DataError
from ..io import read_jsonl_numbered, write_jsonl


@dataclass(frozen=True)
class Recipe:
    """One flawed mix + its conversation.

    ``gain_db`` is the exact gain applied to the target stem (0.0 for ``no_error``); the corrective
    advice is its opposite (``corrective_gain_db``). ``stems`` lists every stem of the song that is
    summed into the mix (silent ones included), ``corpus`` the corpus name. ``bounce_db`` moves the whole
    rendered window (every stem, hence the mix) by one gain, as a song bounced at another level: 0 in the
    paper's protocol, and then left out of the JSON so that such datasets keep their bytes.
    """

    id: str
    song_id: str
    split: str
    start_s: float
    duration_s: float
    target: str
    anchor: str
    category: str
    gain_db: float
    instruction_id: str
    response_id: str
    system: str
    instruction: str
    response: str
    stems: tuple[str, ...]
    corpus: str
    bounce_db: float = 0.0

    def __post_init__(self) -> None:
        problems = validate_fields(self)
        if problems:
            raise ValueError(f"recipe {self.id!r}: " + "; ".join(problems))

    @property
    def direction(self) -> str | None:
        """Corrective direction: "increase" (target too quiet), "decrease" or None."""
        return CATEGORY_BY_NAME[self.category].direction

    @property
    def corrective_gain_db(self) -> float:
        """The gain that undoes the flaw (opposite sign of ``gain_db``)."""
        return -self.gain_db if self.gain_db else 0.0

    @property
    def range_db(self) -> tuple[float, float] | None:
        """The category's correction range quoted in the response, e.g. (3.0, 6.0); None for no_error."""
        cat = CATEGORY_BY_NAME[self.category]
        return cat.magnitude if cat.is_error else None

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["stems"] = list(self.stems)
        if not self.bounce_db:
            del d["bounce_db"]
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Recipe":
        """Build from a dict; missing/unknown keys or inconsistent values raise DataError."""
        names = [f.name for f in dataclasses.fields(cls)]
        missing = [n for n in names if n not in d and n not in OPTIONAL_KEYS]
        unknown = sorted(set(d) - set(names))
        if missing or unknown:
            raise DataError(f"recipe {d.get('id', '?')!r}: missing keys {missing}, unknown keys {unknown}")
        kw = dict(d)
        for k in ("start_s", "duration_s", "gain_db", *OPTIONAL_KEYS):
            if k in d:
                if isinstance(d[k], bool) or not isinstance(d[k], (int, float)):
                    raise DataError(f"recipe {d.get('id', '?')!r}: {k} must be a number, got {d[k]!r}")
                try:
                    kw[k] = float(d[k])
                except OverflowError:
                    raise DataError(f"recipe {d.get('id', '?')!r}: {k} is too large ({str(d[k])[:12]}...)") from None
        try:
            kw["stems"] = tuple(str(s) for s in d["stems"])
            return cls(**kw)
        except (TypeError, ValueError) as e:
            raise DataError(str(e)) from None

    @classmethod
    def from_json(cls, line: str) -> "Recipe":
        return cls.from_dict(json.loads(line))


OPTIONAL_KEYS = ("bounce_db",)
MAX_BOUNCE_DB = 24.0


def validate_fields(r: Recipe) -> list[str]:
    """Consistency problems of a recipe (empty list when fine)."""
    out = []
    for k in ("id", "song_id", "split", "target", "anchor", "category", "instruction_id", "response_id",
              "system", "instruction", "response", "corpus"):
        if not isinstance(getattr(r, k), str) or not getattr(r, k):
            out.append(f"{k} must be a non-empty string")
    if r.category not in CATEGORY_BY_NAME:
        return out + [f"unknown category {r.category!r} (expected one of {list(CATEGORY_BY_NAME)})"]
    if not (math.isfinite(r.start_s) and r.start_s >= 0 and math.isfinite(r.duration_s) and r.duration_s > 0):
        out.append(f"bad window start_s={r.start_s} duration_s={r.duration_s}")
    if not (math.isfinite(r.bounce_db) and abs(r.bounce_db) <= MAX_BOUNCE_DB):
        out.append(f"bounce_db={r.bounce_db} is not within ±{MAX_BOUNCE_DB:g} dB")
    if r.target == r.anchor:
        out.append(f"target and anchor are both {r.target!r}")
    for role in ("target", "anchor"):
        if getattr(r, role) not in r.stems:
            out.append(f"{role} {getattr(r, role)!r} is not among stems {list(r.stems)}")
    try:
        cat = category_of(r.gain_db).name
    except ValueError as e:
        out.append(str(e))
    else:
        if cat != r.category:
            out.append(f"gain {r.gain_db:+.3f} dB belongs to {cat!r}, not {r.category!r}")
    if not r.response_id.startswith(r.category + "/"):
        out.append(f"response template {r.response_id!r} does not belong to category {r.category!r}")
    return out


def is_recipe_file(path: str | Path) -> bool:
    """Whether ``path`` looks like a split file written by ``mixbuddy data build`` (its first line a recipe)."""
    try:
        with open(path, encoding="utf-8") as f:
            line = next((ln for ln in f if ln.strip()), "")
        row = json.loads(line) if line else None
    except (OSError, ValueError):
        return False
    required = {f.name for f in dataclasses.fields(Recipe)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    return isinstance(row, dict) and required <= set(row)      # optional fields (bounce_db) are left out at 0


def check_result_file(opt: str, path: str | Path, reads: Iterable[tuple[str, str | Path | None]]) -> Path:
    """The output file ``path`` (given as ``opt``) of a command that reads ``reads`` ((what, path) pairs), checked
    before any work: not one of them (:func:`~mixbuddy.io.check_not_an_input`), not an existing split of a
    dataset (``baseline -o work/ds/train.jsonl`` would replace the training recipes with predictions), and
    writable (:func:`~mixbuddy.io.check_output_file`). OutputError otherwise."""
    from ..errors import OutputError
    from ..io import check_not_an_input, check_output_file

    check_not_an_input(opt, path, reads)
    if Path(path).is_file() and is_recipe_file(path):
        raise OutputError(f"{opt} {path}: is a split of a dataset (flawed-mix recipes), not an output; write it "
                          "elsewhere")
    return check_output_file(path)


def load_recipes(path: str | Path) -> list[Recipe]:
    """Read a JSONL dataset; any malformed line raises DataError naming ``file:line``."""
    out: list[Recipe] = []
    for i, d in read_jsonl_numbered(path, "dataset file"):
        try:
            out.append(Recipe.from_dict(d))
        except DataError as e:
            raise DataError(f"{path}:{i}: {e}") from None
    return out


def find_recipe(path: str | Path, record_id: str | None = None, index: int | None = None) -> Recipe:
    """One recipe of a dataset file, by id or by 0-based index (clear errors naming the file)."""
    recipes = load_recipes(path)
    if record_id is not None:
        for r in recipes:
            if r.id == record_id:
                return r
        raise DataError(f"record id {record_id!r} not found in {path} ({len(recipes)} records; "
                        f"ids look like {recipes[0].id!r})" if recipes else f"record id {record_id!r} not found: {path} is empty")
    if index is None:
        raise DataError("give a record id or an index")
    if not -len(recipes) <= index < len(recipes):
        raise DataError(f"index {index} out of range: {path} holds {len(recipes)} records")
    return recipes[index]


def write_recipes(path: str | Path, recipes: Iterable[Recipe]) -> int:
    """Write recipes as canonical JSON lines, atomically; returns the count."""
    return write_jsonl(path, (r.to_dict() for r in recipes))
