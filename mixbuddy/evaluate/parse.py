"""Advice parser: free text → :class:`ParseResult` (a list of :class:`~mixbuddy.findings.Finding` and
one primary finding).

How it reads a text
-------------------
1. **Normalise**: lower case, ASCII dashes/apostrophes, every decibel unit becomes the token ``db``,
   number words before a unit become digits ("six dB" → "6 db", "four and a half dB" → "4.5 db"),
   parentheses become clause breaks.
2. **Clauses**: sentences are cut at ``. ! ? ; :`` and newlines, then at commas, dashes and
   conjunctions (but, while, since, so, rather than, ...). A split at "and" is kept only when both
   sides carry a direction cue ("turn the vocals down and bring the bass up"), so "the vocals and
   drums are too loud" stays one clause. A clause made only of stem names ("the bass, compared to
   the drums, is too loud") is joined to the next one.
3. **Stems** (:data:`~mixbuddy.evaluate.lexicon.STEM_RE`, word-bounded, longest phrase first:
   "bass drum" is a drum). A stem named as the yardstick ("relative to the drums", "than the
   bass", "drowning out the vocals", "not the drums", "the drums as the anchor") is a *reference*,
   never a target.
4. **Direction cues**: fixed phrases (too loud, buried, turn X down, boost, a stated distance after a copula: "sits
   6 dB below", "is 3 dB over"; an amount: "3 dB more", "needs another 5 dB", ...) and context cues
   (louder/quieter/lower, boosted/reduced, ...) read as an instruction when the nearest preceding
   marker is a modal or imperative ("make the bass louder", "should be louder" → increase) and as a
   description after a copula ("is louder than it should be" → decrease; a copula right after a modal or "to" is
   part of the instruction: "needs to sit higher" → increase). A cue is negated when a
   negation (not, n't, no, never, nothing, ...) occurs within the five words before it. A clause made
   of a stem and an auxiliary only, right after a clause with a negated cue, takes that cue ("the drums
   are not too loud, but the vocals are" → vocals, decrease).
5. **Findings**: each clause pairs its cues with its target stems (or, without a stem, with the
   subject of the previous clause: "The bass is too loud. Cut it by 3 dB."). Repeated statements of
   the same (target, direction) are merged, so numbers stated in a later sentence join the finding.
6. **Numbers**: a range ("3 to 6 dB", "3-6dB", "between -6 and -3 dB") gives ``range_db`` as sorted
   magnitudes; a single figure ("by about 4.5 dB", "-4.5 dB") gives ``gain_db``, signed by the
   finding's direction (or, when no cue gives one, by the figure's own sign). Bare figures right after "dB", in
   brackets or closing the sentence ("a few dB (3 to 6)", "a few dB, 3 to 6."), take the unit.
7. **No error**: a non-negated no-error statement ("well balanced", "no changes needed", "leave it
   as it is") yields ``Finding(no_error=True)`` *only when no finding carries a direction*.

Primary finding rule: the first finding (in text order) that has both a target and a direction;
else the first with a direction; else the first with a target; else the no-error finding; else an
empty finding (``no_error=False``, nothing named), which metrics count as *unparseable*.

``ambiguous`` is set when one target is given both directions, or when a mix-level no-error
statement (a clause naming no stem) stands beside a directional finding.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..findings import Finding
from . import lexicon as L

_WORD_NUMS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
              "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20}
_WN = "|".join(_WORD_NUMS)
_NUM = r"[+-]?\d+(?:\.\d+)?"
_WORDNUM_RE = re.compile(rf"\b({_WN})\b(?=(?:\s*(?:-|to|and|or)\s*(?:{_WN}|\d+(?:\.\d+)?))?\s*(?:and\s+a\s+half\s+)?db\b)")
_RANGE_RE = re.compile(rf"(?:\bbetween\s+|\bfrom\s+)?(?<![\w.])({_NUM})\s*(?:db\s*)?(?:-|\bto\b|\band\b|\bor\b|\bthrough\b)"
                       rf"\s*({_NUM})\s*db\b")
# figures right after "db" in brackets, or closing the sentence after a comma: "a few db (3 to 6)", "a few db, 3 to 6."
_BARE_AFTER_DB_RE = re.compile(rf"\bdb\s*(?:\(\s*(?:about\s+|around\s+|roughly\s+)?({_NUM}(?:\s*(?:-|to|or)\s*{_NUM})?)\s*\)"
                               rf"|,\s*(?:about\s+|around\s+|roughly\s+|say\s+)?({_NUM}\s*(?:-|to|or)\s*{_NUM})\s*(?=[.!?;]|$))")
_GAIN_RE = re.compile(rf"(?<![\w.])({_NUM})\s*db\b")
_SENTENCE_RE = re.compile(r"(?<=[.!?;:])\s+|\n+")
_CLAUSE_RE = re.compile(r"\s*,\s*|\s+-+\s+(?![+-]?\d)|\s+(?=(?:but|while|whereas|although|though|however|because|since"
                        r"|rather\s+than|instead\s+of|then|plus|so(?=\s+(?!much\b|loud\b|quiet\b|far\b|many\b|little\b|very\b)\w))\b)")
_AND_RE = re.compile(r"\s+and\s+")
_FILLER_RE = re.compile(r"\b(?:the|your|and|or|both|&|a|an|also|then|plus|now|ok|okay|hmm|well|so|and|of)\b|[\s\"'.!?]")
_CUE_RES = [(re.compile(rf"(?:(?<![\w'-])|(?=n't))(?:{p})(?![\w'-])"), d, ctx)
            for cues, ctx in ((L.FIXED_CUES, False), (L.CONTEXT_CUES, True)) for p, d in cues]
_FLIP = {L.INC: L.DEC, L.DEC: L.INC}


@dataclass
class ParseResult:
    """What a text says: every finding in text order, the primary one, and a conflict flag."""

    findings: list[Finding]
    primary: Finding
    ambiguous: bool = False

    @property
    def parsed(self) -> bool:
        """False when the text names neither a no-error verdict, a stem nor a direction."""
        p = self.primary
        return p.no_error or p.target is not None or p.direction is not None


@dataclass
class _Draft:
    target: str | None
    direction: str | None
    range_db: tuple[float, float] | None = None
    gain_mag: float | None = None
    gain_sign: int = 0  # explicit sign of a stated figure: +1, -1 or 0


@dataclass
class _State:
    drafts: list[_Draft] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)  # non-reference stems of the latest clause that named one
    orphan: tuple | None = None  # numbers seen before any finding
    mix_ok: bool = False  # a no-error statement about the whole mix
    any_ok: bool = False
    negated: list[str] = field(default_factory=list)  # directions of the previous clause's negated cues


def normalise(text: str) -> str:
    """Lower case, ASCII punctuation, ``db`` unit tokens, digits for number words before a unit."""
    t = text.lower()
    t = re.sub(r"[\u2010-\u2015\u2212]", "-", t)
    t = re.sub(r"[\u2018\u2019\u02bc`]", "'", t).replace("\u201c", '"').replace("\u201d", '"')
    t = t.replace("~", " about ").replace("\u00a0", " ")
    t = re.sub(r"(\d)\s*(?:decibels?|dbs|db's|db)\b", r"\1 db", t)
    t = re.sub(r"\b(?:decibels?|dbs|db's)\b", "db", t)
    t = re.sub(r"\bhalf\s+(?:a|one)\s+db\b", "0.5 db", t)
    t = _WORDNUM_RE.sub(lambda m: str(_WORD_NUMS[m.group(1)]), t)
    t = re.sub(r"\b(\d+)\s+and\s+a\s+half\b", r"\1.5", t)
    t = _BARE_AFTER_DB_RE.sub(lambda m: f"db ({m.group(1) or m.group(2)} db)", t)   # the figures take the unit
    t = re.sub(r"[()\[\]{}]", " , ", t)
    t = re.sub(r"[ \t]+", " ", t)
    return t.strip()


def _clauses(text: str) -> list[str]:
    out: list[str] = []
    for sent in _SENTENCE_RE.split(text):
        pieces = [c.strip(" .!?;:,") for c in _CLAUSE_RE.split(sent)]
        for piece in pieces:
            if not piece:
                continue
            parts = _AND_RE.split(piece)
            merged = [parts[0]]
            for p in parts[1:]:  # keep an "and" split only when both sides carry a cue
                if _has_cue(merged[-1]) and _has_cue(p):
                    merged.append(p)
                else:
                    merged[-1] = merged[-1] + " and " + p
            out.extend(merged)
    joined: list[str] = []
    carry = ""
    for c in out:  # a clause of stem names only joins the next clause
        c = (carry + " " + c).strip() if carry else c
        if L.STEM_RE.search(c) and not _FILLER_RE.sub("", L.STEM_RE.sub("", c)):
            carry = c
            continue
        carry = ""
        joined.append(c)
    if carry:
        joined.append(carry)
    return joined


def _has_cue(clause: str) -> bool:
    return any(rx.search(clause) for rx, _, _ in _CUE_RES)


def _stems(clause: str) -> list[tuple[int, str, bool]]:
    """(position, stem, is_reference) for every stem mention of a clause."""
    out = []
    for m in L.STEM_RE.finditer(clause):
        stem = L.STEM_WORDS[int(next(k for k, v in m.groupdict().items() if v is not None)[1:])][1]
        ref = bool(L.REFERENCE_BEFORE.search(clause[: m.start()]) or L.REFERENCE_AFTER.search(clause[m.end():]))
        out.append((m.start(), stem, ref))
    return out


def _negated(before: str) -> bool:
    words = before.split()[-5:]
    return bool(L.NEGATION_RE.search(" ".join(words)))


def _cues(clause: str, negated: list[str] | None = None) -> list[tuple[int, str]]:
    """(position, corrective direction) of every non-negated cue of a clause, overlaps resolved; the
    directions of the negated ones are appended to ``negated``."""
    found = []
    for rx, direction, contextual in _CUE_RES:
        for m in rx.finditer(clause):
            found.append((m.start(), m.end(), direction, contextual))
    found.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
    chosen: list[tuple[int, int, str, bool]] = []
    for c in found:  # longest first, no overlaps
        if all(c[1] <= o[0] or c[0] >= o[1] for o in chosen):
            chosen.append(c)
    out = []
    prev_end, prev_neg = -1, False
    for start, end, direction, contextual in sorted(chosen):
        before = clause[:start]
        # "not too loud or too quiet": a negation carries over an or/nor coordination
        neg = _negated(before) or (prev_neg and re.fullmatch(r"\s*(?:or|nor)\s*", clause[prev_end:start]) is not None)
        prev_end, prev_neg = end, neg
        if contextual and _descriptive(before, clause[end:]):
            direction = _FLIP[direction]
        if neg:
            if negated is not None:
                negated.append(direction)
            continue
        out.append((start, direction))
    return out


# "..., but the vocals are": a stem and an auxiliary only, after a clause whose cue was negated
_ELLIPSIS_RE = re.compile(r"(?:but|though|although|whereas|while)?\s*(?:(?:definitely|certainly|actually|really|surely"
                          r"|probably)\s+)?(?:is|are|do|does|will|might|may|could|should)?\s*(?:(?:definitely|certainly"
                          r"|actually|really|surely|probably)\s+)?(?:though)?")


_AFTER_MODAL_RE = re.compile(r"\b(?:to|should|would|could|must|might|may|can|will|shall|needs?)\s+(?:\w+\s+)?$")


def _descriptive(before: str, after: str) -> bool:
    """Is a comparative/participle describing the current state (not asking for a change)?"""
    if L.DESCRIPTIVE_THAN.search(after):
        return True
    modal = max((m.end() for m in L.MODAL_RE.finditer(before)), default=-1)
    copula = max((m.end() for m in L.COPULA_RE.finditer(before)   # "needs to sit higher": part of the instruction
                  if not _AFTER_MODAL_RE.search(before[:m.start()])), default=-1)
    if modal < 0 and copula < 0:
        return bool(re.match(r"^\s+than\b", after))
    return copula > modal


def _numbers(clause: str) -> tuple[tuple[float, float] | None, float | None, int]:
    """(range as sorted magnitudes, single figure magnitude, its explicit sign) of a clause."""
    rng, spans, sign_r = None, [], 0
    m = _RANGE_RE.search(clause)
    if m:
        a, b = float(m.group(1)), float(m.group(2))
        rng = (min(abs(a), abs(b)), max(abs(a), abs(b)))
        spans.append(m.span())
        if a < 0 and b < 0:
            sign_r = -1
    gain, sign = None, 0
    for g in _GAIN_RE.finditer(clause):
        if any(s <= g.start() < e for s, e in spans):
            continue
        txt = g.group(1)
        gain, sign = abs(float(txt)), (-1 if txt.startswith("-") else 1 if txt.startswith("+") else 0)
        break
    return rng, gain, sign or (sign_r if gain is None else 0)


def _attach(d: _Draft, rng, gain, sign) -> None:
    if rng is not None and d.range_db is None:
        d.range_db = rng
    if gain is not None and d.gain_mag is None:
        d.gain_mag, d.gain_sign = gain, sign
    elif gain is None and sign and not d.gain_sign:
        d.gain_sign = sign


def _add(state: _State, target: str | None, direction: str, nums) -> _Draft:
    for d in state.drafts:
        same_target = d.target == target or (d.target is None and target is not None)
        if same_target and d.direction == direction or (d.target == target and d.direction is None):
            d.target, d.direction = d.target or target, direction
            _attach(d, *nums)
            return d
    d = _Draft(target, direction)
    _attach(d, *nums)
    if state.orphan is not None:
        _attach(d, *state.orphan)
        state.orphan = None
    state.drafts.append(d)
    return d


def _read_clause(state: _State, clause: str) -> None:
    stems = _stems(clause)
    subjects = list(dict.fromkeys(s for _, s, ref in stems if not ref))
    negated: list[str] = []
    cues = _cues(clause, negated)
    rest = re.sub(r"\b(?:the|your|its|their)\b", " ", L.STEM_RE.sub(" ", clause))
    if not cues and subjects and state.negated and _ELLIPSIS_RE.fullmatch(" ".join(rest.split())):
        cues = [(stems[0][0], d) for d in dict.fromkeys(state.negated)]   # "..., but the vocals are"
    state.negated = negated
    nums = _numbers(clause)
    has_nums = nums[0] is not None or nums[1] is not None
    ok = L.NO_ERROR_RE.search(clause)
    if ok and not _negated(clause[: ok.start()]):
        state.any_ok = True
        state.mix_ok |= not stems
    touched: list[_Draft] = []
    if cues:
        targets = subjects or state.subjects or [None]
        directions = list(dict.fromkeys(d for _, d in cues))
        if len(directions) == 1:
            pairs = [(t, directions[0]) for t in targets]
        else:  # several directions: each cue takes the nearest subject stem
            pos = [(p, s) for p, s, ref in stems if not ref]
            pairs = [(min(pos, key=lambda ps: abs(ps[0] - cp))[1] if pos else targets[0], d) for cp, d in cues]
        for t, d in dict.fromkeys(pairs):
            touched.append(_add(state, t, d, nums))
    elif subjects:
        for d in state.drafts:  # "Too loud: the drums." fills a target-less finding
            if d.target is None:
                d.target = subjects[0]
                touched.append(d)
    if has_nums and not cues:
        if touched:
            for d in touched:
                _attach(d, *nums)
        elif state.drafts:
            _attach(state.drafts[-1], *nums)
        elif subjects or state.subjects:
            d = _Draft((subjects or state.subjects)[0], None)
            _attach(d, *nums)
            state.drafts.append(d)
        else:
            state.orphan = nums
    if subjects:
        state.subjects = subjects


def _finish(d: _Draft) -> Finding:
    direction = d.direction
    if direction is None and d.gain_sign:
        direction = L.INC if d.gain_sign > 0 else L.DEC
    gain = None
    if d.gain_mag is not None and direction is not None:
        gain = d.gain_mag if direction == L.INC else -d.gain_mag
    return Finding(no_error=False, target=d.target, direction=direction, range_db=d.range_db, gain_db=gain)


def parse_advice(text: str) -> ParseResult:
    """Parse one piece of advice. Never raises on odd text: unreadable text gives an unparsed result."""
    state = _State()
    for clause in _clauses(normalise(text or "")):
        _read_clause(state, clause)
    findings = [_finish(d) for d in state.drafts]
    directional = [f for f in findings if f.direction is not None]
    if not directional and state.any_ok:
        ok = Finding(no_error=True)
        return ParseResult([ok], ok, False)
    primary = next((f for f in findings if f.target and f.direction), None) or (directional or findings or [None])[0]
    if primary is None:
        primary = Finding(no_error=False)
    by_target: dict[str | None, set[str]] = {}
    for f in directional:
        by_target.setdefault(f.target, set()).add(f.direction)
    ambiguous = any(len(v) > 1 for v in by_target.values()) or (state.mix_ok and bool(directional))
    return ParseResult(findings, primary, ambiguous)
