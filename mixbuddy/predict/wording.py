"""How advice is worded: times, the size of a correction as stated, a finding in a few words, and the key
that groups windows giving the same verdict (shared by ``advise``, ``--apply`` and the benchmarks)."""
from __future__ import annotations

import math

from ..constants import CATEGORIES
from ..data.templates import STEM_DISPLAY, format_db
from ..findings import Finding

DASH = "\u2013"
MAX_FLAW_DB = max(c.magnitude[1] for c in CATEGORIES if c.is_error)   # 12 dB: the largest flaw trained on


def fmt_time(s: float) -> str:
    """Seconds → "m:ss" (rounded to the second)."""
    t = int(s + 0.5)
    return f"{t // 60}:{t % 60:02d}"


def fmt_span(a: float, b: float) -> str:
    return f"{fmt_time(a)}{DASH}{fmt_time(b)}"


def stated_db(gain_db: float) -> float:
    """The size of a correction as the advice states it ("about 9.5 dB"): to the nearest 0.5 dB, halves up
    (the mean of 9 and 9.5 is stated, and applied, as 9.5). Not :func:`~mixbuddy.data.templates.exact_correction`,
    which rounds the training texts' exact gains half to even and must keep their bytes."""
    return math.floor(abs(float(gain_db)) * 2.0 + 0.5) / 2.0


def describe(f: Finding, where: str = "") -> str:
    """Short form of a finding: "vocals too quiet<where>: raise by 6–12 dB (about 8 dB)"."""
    if f.no_error:
        return f"balanced{where}"
    if f.target is None or f.direction is None:
        named = f" ({STEM_DISPLAY.get(f.target, f.target)})" if f.target else ""
        return f"unclear advice{named}{where}"
    state, verb = ("too quiet", "raise") if f.direction == "increase" else ("too loud", "lower")
    size = ""
    if f.range_db is not None:
        size = f" by {format_db(f.range_db[0])}{DASH}{format_db(f.range_db[1])} dB"
    if f.gain_db is not None:
        about = f"about {format_db(stated_db(f.gain_db))} dB"
        size = f"{size} ({about})" if size else f" by {about}"
    return f"{STEM_DISPLAY.get(f.target, f.target)} {state}{where}: {verb}{size}"


def verdict_key(f: Finding) -> tuple:
    if f.no_error:
        return ("balanced",)
    if f.target and f.direction:
        return (f.target, f.direction)
    return ("unclear", f.target, f.direction)


def lacks_note(lacks: list[str]) -> str:
    """What a reference without some stems (or with them silent in every usable window) means for them."""
    names = " or ".join(STEM_DISPLAY.get(s, s) for s in lacks)
    those = "that stem is" if len(lacks) == 1 else "those stems are"
    return (f"the reference has no {names} playing: {those} judged against the typical balance, moved with the "
            "reference's other stems")


ABSENT_LABEL = "Stems the song does not have"   # the web page's control for advise --absent


def absent_hint(stem: str, page: bool = False) -> str:
    """The line under a mix model's advice to raise ``stem``: it cannot tell a missing stem from a very quiet one
    (``advise --absent``; ``page``: in the web page's words)."""
    ask = (f"tick {stem} under '{ABSENT_LABEL}' and ask again" if page
           else f"ask again with --absent {stem}")
    return f"If the song has no {STEM_DISPLAY.get(stem, stem)} at all, {ask}: a mix model hears a missing stem as a very quiet one."


def substitute(text: str, names: dict[str, str]) -> str:
    """``text`` with each key of ``names`` (a temporary or upload path) replaced by its value, longest first."""
    for path in sorted(names, key=len, reverse=True):
        text = text.replace(path, names[path])
    return text
