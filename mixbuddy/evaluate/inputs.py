"""Reading a dataset and a predictions file and aligning them, strictly.

Predictions are JSON lines ``{"id": ..., "text": ...}``; a line may instead (or also) carry
``"finding": {...}`` (a :class:`~mixbuddy.findings.Finding` dict, used as is, e.g. by baselines)
and ``"confidence"`` (alias ``"score"``): the model's probability that the mix has an imbalance, and
``"p_answer"``: the probability it gives its own answer of being right (``findings.answer_probability``).

Nothing is skipped silently: a malformed line, a duplicate id, an id absent from the dataset, or a
dataset id without a prediction raises :class:`~mixbuddy.errors.DataError` naming ``file:line``.
With ``allow_missing=True`` missing predictions are kept as *unanswered* (counted, and wrong).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..constants import CATEGORY_BY_NAME, CATEGORY_NAMES, STEMS
from ..errors import DataError
from ..findings import Finding
from ..io import read_jsonl_numbered  # noqa: F401  (re-exported)
from .parse import parse_advice

STEM_INDEX = {s: i for i, s in enumerate(STEMS)}
CAT_INDEX = {c: i for i, c in enumerate(CATEGORY_NAMES)}
DIR_INDEX = {"increase": 0, "decrease": 1}
REQUIRED_DATASET_KEYS = ("id", "song_id", "category", "target", "gain_db")


@dataclass
class Truth:
    """The dataset side as arrays (one entry per record, in file order)."""

    ids: list[str]
    song: np.ndarray  # int song index
    songs: list[str]
    category: np.ndarray  # index into CATEGORY_NAMES
    target: np.ndarray  # index into STEMS
    gain_db: np.ndarray  # applied gain on the target (the flaw)
    records: list[dict]


@dataclass
class Answers:
    """The prediction side as arrays aligned with :class:`Truth`."""

    findings: list[Finding | None]  # None = unanswered
    texts: list[str | None]
    answered: np.ndarray  # bool
    parsed: np.ndarray  # bool: the answer names a verdict, stem or direction
    no_error: np.ndarray  # bool
    target: np.ndarray  # STEMS index or -1
    direction: np.ndarray  # 0 increase, 1 decrease, -1 none
    range_lo: np.ndarray  # NaN when no range
    range_hi: np.ndarray
    gain: np.ndarray  # signed corrective gain, NaN when none stated
    confidence: np.ndarray  # NaN when absent
    ambiguous: np.ndarray  # bool
    p_answer: np.ndarray | None = None  # NaN when absent (None: no line carries one)


def _check_file(path: str | Path, what: str) -> Path:
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder; give the {what} JSONL file")
    if not path.is_file():
        raise DataError(f"{path}: {what} file not found")
    return path


def load_truth(path: str | Path) -> Truth:
    """Read and check a dataset JSONL (needs id, song_id, category, target, gain_db per record)."""
    rows = read_jsonl_numbered(_check_file(path, "dataset"), "dataset file")
    if not rows:
        raise DataError(f"{path}: the dataset is empty")
    seen: dict[str, int] = {}
    song_index: dict[str, int] = {}
    ids, song, cat, tgt, gain, records = [], [], [], [], [], []
    for line, r in rows:
        missing = [k for k in REQUIRED_DATASET_KEYS if k not in r]
        if missing:
            raise DataError(f"{path}:{line}: dataset record lacks {missing}")
        rid = r["id"]
        if not isinstance(rid, str) or not rid:
            raise DataError(f"{path}:{line}: id must be a non-empty string, got {rid!r}")
        if rid in seen:
            raise DataError(f"{path}:{line}: duplicate id {rid!r} (first at line {seen[rid]})")
        seen[rid] = line
        if r["category"] not in CATEGORY_BY_NAME:
            raise DataError(f"{path}:{line}: unknown category {r['category']!r} (expected one of {list(CATEGORY_NAMES)})")
        if r["target"] not in STEM_INDEX:
            raise DataError(f"{path}:{line}: unknown target {r['target']!r} (expected one of {list(STEMS)})")
        try:
            g = float(r["gain_db"])
        except (TypeError, ValueError):
            raise DataError(f"{path}:{line}: gain_db must be a number, got {r['gain_db']!r}") from None
        ids.append(rid)
        song.append(song_index.setdefault(str(r["song_id"]), len(song_index)))
        cat.append(CAT_INDEX[r["category"]])
        tgt.append(STEM_INDEX[r["target"]])
        gain.append(g)
        records.append(r)
    return Truth(ids, np.array(song, dtype=np.int64), list(song_index), np.array(cat, dtype=np.int64),
                 np.array(tgt, dtype=np.int64), np.array(gain, dtype=np.float64), records)


def _finding_of(path: Path, line: int, row: dict) -> tuple[Finding, bool, bool]:
    """(finding, parsed, ambiguous) of one prediction line."""
    if row.get("finding") is not None:
        d = row["finding"]
        if not isinstance(d, dict):
            raise DataError(f"{path}:{line}: 'finding' must be a JSON object like {{\"no_error\": false, "
                            f"\"target\": \"vocals\", \"direction\": \"decrease\"}}, got {d!r}")
        if "no_error" not in d:
            raise DataError(f"{path}:{line}: finding lacks key 'no_error' (got keys {sorted(d)})")
        try:
            f = Finding.from_dict(d)
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise DataError(f"{path}:{line}: malformed 'finding' ({e!r})") from None
        if (f.target is not None and (not isinstance(f.target, str) or f.target not in STEM_INDEX)
                or f.direction not in (None, *DIR_INDEX)):
            raise DataError(f"{path}:{line}: 'finding' has an unknown target/direction: {row['finding']!r}")
        return f, f.no_error or f.target is not None or f.direction is not None, False
    res = _parse_cached(row["text"])
    return res.primary, res.parsed, res.ambiguous


_CACHE: dict[str, tuple] = {}


def _parse_cached(text: str):
    """Generated answers repeat a lot (templates), so identical texts are parsed once."""
    hit = _CACHE.get(text)
    if hit is None:
        if len(_CACHE) > 200_000:
            _CACHE.clear()
        hit = _CACHE[text] = parse_advice(text)
    return hit


SUBSET_HINT = ("to score only the records answered (`predict --limit N` answers the first N), give a dataset file "
               "holding just those (`head -n N test.jsonl > first-N.jsonl`, beside it)")


def load_answers(path: str | Path, truth: Truth, allow_missing: bool = False,
                 missing_hint: str = f"pass --allow-missing to score them as unanswered, i.e. wrong; {SUBSET_HINT}"
                 ) -> Answers:
    """Read predictions, check ids against the dataset and turn each answer into arrays; dataset ids without
    a prediction are a DataError ending in ``missing_hint`` unless ``allow_missing``."""
    path = _check_file(path, "predictions")
    rows = read_jsonl_numbered(path, "predictions file")
    pos = {rid: i for i, rid in enumerate(truth.ids)}
    n = len(truth.ids)
    findings: list[Finding | None] = [None] * n
    texts: list[str | None] = [None] * n
    seen: dict[str, int] = {}
    parsed = np.zeros(n, bool)
    ambiguous = np.zeros(n, bool)
    conf = np.full(n, np.nan)
    p_answer = np.full(n, np.nan)
    for line, r in rows:
        rid = r.get("id")
        if not isinstance(rid, str) or not rid:
            raise DataError(f"{path}:{line}: prediction needs a string 'id', got {rid!r}")
        if rid in seen:
            raise DataError(f"{path}:{line}: duplicate prediction id {rid!r} (first at line {seen[rid]})")
        seen[rid] = line
        if rid not in pos:
            extra = sum(1 for _, x in rows if x.get("id") not in pos)
            raise DataError(f"{path}:{line}: id {rid!r} is not in the dataset ({extra} such line(s); "
                            "are predictions and dataset from the same split?)")
        text = r.get("text")
        if r.get("finding") is None and not isinstance(text, str):
            raise DataError(f"{path}:{line}: prediction needs a string 'text' (or a 'finding'), got {text!r}")
        i = pos[rid]
        conf[i] = _probability(path, line, "confidence", r.get("confidence", r.get("score")))
        p_answer[i] = _probability(path, line, "p_answer", r.get("p_answer"))
        findings[i], parsed[i], ambiguous[i] = _finding_of(path, line, r)
        texts[i] = text if isinstance(text, str) else None
    missing = [rid for rid in truth.ids if rid not in seen]
    if missing and not allow_missing:
        raise DataError(f"{path}: {len(missing)} dataset id(s) have no prediction, e.g. {missing[:3]} "
                        f"({missing_hint})")
    return _arrays(findings, texts, parsed, ambiguous, conf, p_answer if np.isfinite(p_answer).any() else None)


def _probability(path: Path, line: int, key: str, c: object) -> float:
    """A probability field of a predictions line (NaN when absent); anything else is a DataError naming it."""
    if c is None:
        return float("nan")
    if isinstance(c, bool) or not isinstance(c, (int, float)) or not math.isfinite(c):
        raise DataError(f"{path}:{line}: {key} must be a finite number, got {c!r}")
    if not 0.0 <= c <= 1.0:
        raise DataError(f"{path}:{line}: {key} must be a probability within [0, 1], got {c!r}")
    return float(c)


def answers_from_findings(findings: list[Finding | None], confidence: np.ndarray | None = None) -> Answers:
    """Answers from in-memory findings (None = unanswered); used by tests and baselines."""
    n = len(findings)
    parsed = np.array([f is not None and (f.no_error or f.target is not None or f.direction is not None)
                       for f in findings], bool)
    conf = np.full(n, np.nan) if confidence is None else np.asarray(confidence, dtype=np.float64)
    return _arrays(list(findings), [None] * n, parsed, np.zeros(n, bool), conf)


def _arrays(findings, texts, parsed, ambiguous, conf, p_answer=None) -> Answers:
    n = len(findings)
    answered = np.array([f is not None for f in findings], bool)
    no_err = np.zeros(n, bool)
    target = np.full(n, -1, np.int64)
    direction = np.full(n, -1, np.int64)
    lo, hi, gain = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    for i, f in enumerate(findings):
        if f is None:
            continue
        no_err[i] = f.no_error
        if f.no_error:
            continue
        target[i] = STEM_INDEX.get(f.target, -1) if f.target is not None else -1
        direction[i] = DIR_INDEX.get(f.direction, -1) if f.direction is not None else -1
        if f.range_db is not None:
            lo[i], hi[i] = sorted((abs(f.range_db[0]), abs(f.range_db[1])))
        if f.gain_db is not None:
            gain[i] = f.gain_db
    return Answers(findings, texts, answered, parsed & answered, no_err, target, direction, lo, hi, gain, conf,
                   ambiguous, p_answer)
