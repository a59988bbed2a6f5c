"""Whole-song advice: windows → engine → per-window findings → a song-level summary and verdict.

Summary: consecutive analysed windows with the same verdict — balanced, or the same (target,
direction) — are merged into one time range, as long as they touch (a skipped window between
them starts a new range). A range states the union of the windows' correction ranges (and, when they
differ, how many windows state each), the mean of their exact corrections ("about 8 dB", rounded to
0.5 dB) and the mean confidence in its verdict.

Confidence. Per window, ``confidence`` is the engine's probability that the window holds an
imbalance (None when the engine gives none), the same number ``mixbuddy predict`` writes. The
confidence *in a verdict* is that probability for an imbalance and one minus it for "balanced".
``p_answer`` is how likely the window's advice is right under the engine's class probabilities: the
probability of the named stem being off in the named direction (or of a balanced mix, for "balanced"),
:func:`mixbuddy.findings.answer_probability`; it is lower than the confidence when the engine hesitates
between stems. A summary item states the mean of both over its windows.

Overall verdict: the verdict with the largest weight, the weight being the sum over its windows of
their confidence in it (a window without confidence counts 1), i.e. number of windows × mean
confidence. Ties go to more windows, then to the earlier one.

Level check (``level_check_db``): the engine also hears every window ``d`` dB louder and ``d`` dB
quieter (one gain on the mix and every stem). A song's balance does not change with its bounce level,
so a window whose verdict does is flagged: the mix models read a mix's overall level (trained on mixes
that all sit at a similar loudness), the stems model can too (its training stems were as alike in level),
the loudness engine does not (it weighs the stems against each other).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from ..constants import MIN_HOP_S, STEMS
from ..corpus.stem_names import Assigned
from ..data.templates import STEM_DISPLAY, format_db, join_stems
from ..errors import MixbuddyError
from ..findings import Finding
from .engines import AdviceEngine, WindowInput
from .notes import Notes
from .stem_pack import opened_stems
from .two_track import for_two_track, read_two_track, two_track_files
from .windows import Skipped, check_absent, cut_windows, load_song
from .wording import DASH, MAX_FLAW_DB, absent_hint, describe, fmt_span, fmt_time, lacks_note, verdict_key


@dataclass(frozen=True)
class WindowResult:
    """One analysed window: its time span, the engine's words, the parsed finding, the confidence."""

    start_s: float
    end_s: float
    finding: Finding
    confidence: float | None
    text: str
    level_check: dict[str, Finding] | None = None  # "+5 dB" / "-5 dB" -> the finding at that level
    p_answer: float | None = None  # how likely the advice is right (None when the engine cannot say)
    levels: dict[str, tuple[float, float]] | None = None  # stem -> (dB vs a typical balance re the anchor, spread)

    @property
    def level_stable(self) -> bool | None:
        """Whether the verdict holds at every checked level (None: not checked)."""
        if self.level_check is None:
            return None
        return all(verdict_key(f) == verdict_key(self.finding) for f in self.level_check.values())

    def to_dict(self) -> dict:
        d = {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3), "finding": self.finding.to_dict(),
             "confidence": self.confidence, "p_answer": self.p_answer, "text": self.text}
        if self.level_check is not None:
            d["level_check"] = {k: f.to_dict() for k, f in self.level_check.items()}
            d["level_stable"] = self.level_stable
        if self.levels is not None:
            d["levels"] = {k: {"db": v, "spread_db": sd} for k, (v, sd) in self.levels.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "WindowResult":
        check, levels = d.get("level_check"), d.get("levels")
        return cls(float(d["start_s"]), float(d["end_s"]), Finding.from_dict(d["finding"]), d.get("confidence"), d["text"],
                   None if check is None else {k: Finding.from_dict(v) for k, v in check.items()}, d.get("p_answer"),
                   None if levels is None else {k: (float(v["db"]), float(v["spread_db"])) for k, v in levels.items()})


@dataclass(frozen=True)
class SummaryItem:
    """A verdict over a time range (or, as the overall verdict, over the whole song)."""

    start_s: float
    end_s: float
    finding: Finding  # range_db = union of the windows' ranges, gain_db = their mean exact correction
    windows: int
    confidence: float | None  # mean confidence in this verdict (None when the engine gives none)
    weight: float  # sum of the windows' confidence in this verdict (window without confidence = 1)
    ranges: tuple[tuple[tuple[float, float], int], ...] = ()  # when windows differ: (range, windows), most first
    p_answer: float | None = None  # mean probability that the windows' advice is right (None: unknown)

    def to_dict(self, span: bool = True) -> dict:
        """``span=False`` for the overall verdict: its windows need not be consecutive (other verdicts may lie
        between them), so its line names no time span."""
        return {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3), "finding": self.finding.to_dict(),
                "windows": self.windows, "confidence": self.confidence, "p_answer": self.p_answer,
                "weight": round(self.weight, 6),
                "ranges": [{"range_db": list(r), "windows": n} for r, n in self.ranges], "line": self.line(span)}

    @classmethod
    def from_dict(cls, d: dict) -> "SummaryItem":
        ranges = tuple((tuple(x["range_db"]), int(x["windows"])) for x in d.get("ranges", []))
        return cls(float(d["start_s"]), float(d["end_s"]), Finding.from_dict(d["finding"]), int(d["windows"]),
                   d.get("confidence"), float(d["weight"]), ranges, d.get("p_answer"))

    def line(self, span: bool = True) -> str:
        """e.g. "vocals too quiet in 0:40–1:30: raise by 6–12 dB (about 8 dB); confidence 0.91, P(right) 0.78
        (5 windows)";
        when the windows state different ranges, how many state each: "raise by 3–12 dB (6–12 dB in 3
        windows, 3–6 dB in 1)"."""
        where = f" in {fmt_span(self.start_s, self.end_s)}" if span else ""
        text = describe(self.finding, where)
        if len(self.ranges) > 1:
            parts = [f"{format_db(a)}{DASH}{format_db(b)} dB in {n}" for (a, b), n in self.ranges]
            split = f"{parts[0]} window{'s' if self.ranges[0][1] != 1 else ''}, {', '.join(parts[1:])}"
            text = f"{text[:-1]}; {split})" if text.endswith(" dB)") else f"{text} ({split})"   # "(about 8 dB; ...)"
        conf = "" if self.confidence is None else f"; confidence {self.confidence:.2f}"
        if self.p_answer is not None:
            conf += f"{'; ' if not conf else ', '}P(right) {self.p_answer:.2f}"
        n = f" ({self.windows} window{'s' if self.windows != 1 else ''})"
        return f"{text}{conf}{n}"


@dataclass
class AdviceReport:
    """Everything ``mixbuddy advise`` says about a song (``to_dict`` is the ``--json`` output)."""

    song: str
    engine: dict
    anchor: str
    duration_s: float
    windows: list[WindowResult]
    summary: list[SummaryItem]
    verdict: SummaryItem | None
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what advise logged about the input (see Notes)
    placed: dict[str, float] = field(default_factory=dict)  # stems heard later than their files put them (s)
    left_out: list[str] = field(default_factory=list)        # stem files the mix does not hold (predict.tracks)
    panned: dict[str, float] = field(default_factory=dict)   # mono files (or stems) heard as the mix pans them (dB)
    inverted: dict[str, str] = field(default_factory=dict)   # files or stems heard turned over, as the mix holds them
    pan_at: dict[str, float] = field(default_factory=dict)   # ... of panned, where off the centre (-1 left, +1 right)

    def to_dict(self) -> dict:
        d = {"song": self.song, "engine": self.engine, "anchor": self.anchor,
             "duration_s": round(self.duration_s, 3), "windows": [w.to_dict() for w in self.windows],
             "summary": [s.to_dict() for s in self.summary],
             "verdict": self.verdict.to_dict(span=False) if self.verdict else None,
             "skipped": [s.to_dict() for s in self.skipped], "notes": list(self.notes)}
        mean = mean_levels(self.windows)
        if mean:   # the text's closing "Levels against ..." line (recomputed from the windows by from_dict)
            d["levels"] = {k: {"db": round(v, 3), "spread_db": sd, "windows": n} for k, (v, sd, n) in mean.items()}
        if self.placed:   # stems exported from their first region, heard where the mix has them (align.place_stems)
            d["placed"] = dict(self.placed)
        if self.left_out:
            d["left_out"] = list(self.left_out)
        if self.panned:   # mono files (or stems of them) the mix holds as a pan law does (predict.pan_law)
            d["panned"] = dict(self.panned)
        if self.pan_at:   # ... and where, those off the centre
            d["pan_at"] = dict(self.pan_at)
        if self.inverted:  # file (or whole stem) -> its stem, the mix holds in opposite polarity (predict.polarity)
            d["inverted"] = dict(self.inverted)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "AdviceReport":
        return cls(d["song"], d["engine"], d["anchor"], float(d["duration_s"]),
                   [WindowResult.from_dict(w) for w in d["windows"]], [SummaryItem.from_dict(s) for s in d["summary"]],
                   SummaryItem.from_dict(d["verdict"]) if d.get("verdict") else None,
                   [Skipped(float(s["start_s"]), float(s["end_s"]), s["reason"]) for s in d["skipped"]],
                   list(d.get("notes", [])), dict(d.get("placed", {})), list(d.get("left_out", [])),
                   dict(d.get("panned", {})), dict(d.get("inverted", {})), dict(d.get("pan_at", {})))

    def format_text(self, page: bool = False) -> str:
        """The advice as ``advise`` prints it (``page``: its hints in the web page's words)."""
        eng = self.engine.get("name", "?")
        if self.engine.get("checkpoint"):   # which model advised: a loud mix may have gone to another one
            eng += f" ({self.engine['checkpoint']})"
        ref = (self.engine.get("reference") or {}).get("song")
        lacks = self.engine.get("absent")
        lines = [f"{self.song}: {fmt_time(self.duration_s)}, anchor {self.anchor}, engine {eng}"
                 + (f", typical balance from {ref}" if ref else "")
                 + (f", a song without {join_stems(lacks)}" if lacks else "")]
        if ref and self.engine["reference"].get("lacks"):
            lines.append(f"  ({lacks_note(self.engine['reference']['lacks'])})")
        lines += ["", "Windows:"]
        basis = "the reference" if ref else "typical"        # what the levels are measured against
        rows = [(w.start_s, f"{describe(w.finding)}{stated(w)}{level_note(w)}"
                            f"{levels_note(w.levels, self.anchor, basis)}", w.end_s) for w in self.windows]
        rows += [(s.start_s, f"skipped: {s.reason}", s.end_s) for s in self.skipped]
        lines += [f"  {fmt_span(a, b)}  {what}" for a, what, b in sorted(rows, key=lambda r: r[0])]
        lines += ["", "Summary:"] + [f"  {s.line()}" for s in self.summary]
        checked = [w for w in self.windows if w.level_stable is not None]
        if checked:
            held = sum(bool(w.level_stable) for w in checked)
            d = self.engine.get("level_check_db")
            lines.append(f"  level check (±{format_db(d) if d else '?'} dB): the verdict holds in {held} of "
                         f"{len(checked)} windows" + ("" if held == len(checked) else
                                                       "; advice that changes with the bounce level is unreliable"))
        if self.verdict is not None and len(self.summary) > 1:   # one summary line already is the verdict
            lines += ["", f"Overall: {self.verdict.line(span=False)}"]
        v = self.verdict.finding if self.verdict is not None else None
        if (v is not None and v.direction == "increase" and self.engine.get("input_mode") == "mix"
                and v.target not in (self.engine.get("absent") or ())):
            lines += ["", absent_hint(v.target, page)]
        mean = mean_levels(self.windows)
        if mean:
            parts = [f"{s} {v:+.1f} dB (typical spread ±{sd:.1f}; {n} window{'s' if n != 1 else ''})"
                     for s, (v, sd, n) in mean.items()]
            against = "the reference's balance" if ref else "a typical balance"
            lines += [f"Levels against {against}, relative to the {self.anchor} (mean over the windows "
                      f"each stem plays in): {', '.join(parts)}"]
            lines += beyond_range_note(self.verdict, mean)
        return "\n".join(lines) + "\n"


def beyond_range_note(verdict: "SummaryItem | None", mean: dict[str, tuple[float, float, int]]) -> list[str]:
    """A note when the stem the verdict names sits further from typical, in the verdict's direction, than the
    largest flaw the engines know (12 dB) by more than twice the typical spread: the advice stops at 12 dB, so
    one pass will not be enough. (The example's vocals, 8 dB down, read −12.5 dB: within the spread, no note.)"""
    f = verdict.finding if verdict is not None else None
    if f is None or f.no_error or f.target not in mean or f.direction is None:
        return []
    off, spread, _ = mean[f.target]
    limit = MAX_FLAW_DB + 2.0 * spread
    if (off < -limit and f.direction == "increase") or (off > limit and f.direction == "decrease"):
        verb = "sits" if f.target == "bass" else "sit"                  # "the bass sits", "the vocals sit"
        return [f"Note: the {STEM_DISPLAY.get(f.target, f.target)} {verb} {abs(off):.1f} dB "
                f"{'below' if off < 0 else 'above'} typical, beyond the {format_db(MAX_FLAW_DB)} dB the advice covers: "
                "make the change, then ask again."]
    return []


def levels_note(levels: dict[str, tuple[float, float]] | None, anchor: str, basis: str = "typical") -> str:
    """A window's second line: each stem against a typical balance (or the reference's), relative to the anchor."""
    if not levels:
        return ""
    return (f"\n               levels vs {basis}, {anchor} as is: "
            + ", ".join(f"{s} {v:+.1f}" for s, (v, _) in levels.items()) + " dB")


def mean_levels(windows: list[WindowResult]) -> dict[str, tuple[float, float, int]]:
    """Each stem's mean level against a typical balance over the windows that measured it, its typical
    spread, and how many windows that is."""
    seen: dict[str, list[tuple[float, float]]] = {}
    for w in windows:
        for s, v in (w.levels or {}).items():
            seen.setdefault(s, []).append(v)
    return {s: (float(np.mean([v for v, _ in seen[s]])), seen[s][0][1], len(seen[s])) for s in STEMS if s in seen}


def stated(w: WindowResult) -> str:
    """"  (P(imbalance) 0.95, P(right) 0.81)": what the engine says about its own answer."""
    parts = ([] if w.confidence is None else [f"P(imbalance) {w.confidence:.2f}"]) + \
        ([] if w.p_answer is None else [f"P(right) {w.p_answer:.2f}"])
    return f"  ({', '.join(parts)})" if parts else ""


def level_note(w: WindowResult) -> str:
    """"  [level-sensitive: +5 dB → bass too loud]" for a window whose verdict changes with the level."""
    if w.level_stable is not False:
        return ""
    moved = [f"{k} → {describe(f)}" for k, f in (w.level_check or {}).items() if verdict_key(f) != verdict_key(w.finding)]
    return f"  [level-sensitive: {'; '.join(moved)}]"


def with_gain(w: WindowInput, gain_db: float) -> WindowInput:
    """The same window ``gain_db`` louder: one gain on the mix and on every stem."""
    g = np.float32(10.0 ** (gain_db / 20.0))
    return replace(w, mix=w.mix * g, stems=None if w.stems is None else {k: v * g for k, v in w.stems.items()})


def verdict_confidence(w: WindowResult) -> float | None:
    """Confidence in the window's own verdict (1 − P(imbalance) when it says balanced)."""
    if w.confidence is None:
        return None
    return 1.0 - w.confidence if w.finding.no_error else w.confidence


def merge(group: list[WindowResult]) -> SummaryItem:
    """One summary item from windows sharing a verdict."""
    f0 = group[0].finding
    ranges = [w.finding.range_db for w in group if w.finding.range_db is not None]
    gains = [w.finding.gain_db for w in group if w.finding.gain_db is not None]
    rng = (min(r[0] for r in ranges), max(r[1] for r in ranges)) if ranges else None
    gain = round(sum(gains) / len(gains), 3) if gains else None
    finding = Finding(f0.no_error, f0.target, f0.direction, None if f0.no_error else rng, None if f0.no_error else gain)
    confs = [verdict_confidence(w) for w in group]
    known = [c for c in confs if c is not None]
    conf = round(sum(known) / len(known), 4) if known else None
    rights = [w.p_answer for w in group if w.p_answer is not None]
    p_answer = round(sum(rights) / len(rights), 4) if rights else None
    weight = sum(1.0 if c is None else c for c in confs)
    counts: dict[tuple[float, float], list[float]] = {}
    for w, c in zip(group, confs):
        if w.finding.range_db is not None:
            counts.setdefault(tuple(w.finding.range_db), []).append(1.0 if c is None else c)
    split = tuple((r, len(v)) for r, v in sorted(counts.items(), key=lambda kv: (-len(kv[1]), -sum(kv[1]), kv[0])))
    return SummaryItem(min(w.start_s for w in group), max(w.end_s for w in group), finding, len(group), conf, weight,
                       split if len(split) > 1 else (), p_answer)


def summarise(windows: list[WindowResult], gap_s: float = 1e-3) -> tuple[list[SummaryItem], SummaryItem | None]:
    """(time ranges of consecutive windows with the same verdict, the overall verdict)."""
    ranges: list[list[WindowResult]] = []
    for w in sorted(windows, key=lambda w: w.start_s):
        last = ranges[-1][-1] if ranges else None
        if last is not None and verdict_key(last.finding) == verdict_key(w.finding) and w.start_s <= last.end_s + gap_s:
            ranges[-1].append(w)
        else:
            ranges.append([w])
    summary = [merge(g) for g in ranges]
    groups: dict[tuple, list[WindowResult]] = {}
    for w in sorted(windows, key=lambda w: w.start_s):
        groups.setdefault(verdict_key(w.finding), []).append(w)
    if not groups:
        return summary, None
    items = [merge(g) for g in groups.values()]
    # an answer that names no clear change ("unclear") is the overall verdict only when every window gave one
    best = max(items, key=lambda s: (verdict_key(s.finding)[0] != "unclear", round(s.weight, 9), s.windows, -s.start_s))
    return summary, best


def advise(song: str | Path | None, anchor: str, engine: AdviceEngine, stems_dir: str | Path | None = None,
           hop_s: float | None = None, mapping: str | Path | Assigned | None = None,
           level_check_db: float | None = None, absent: Sequence[str] = ()) -> AdviceReport:
    """Advice for a whole song (a mix file, a stems folder, or both) from any engine; with
    ``level_check_db`` also at that many dB up and down (see the module docstring); ``absent``: stems a mix
    alone does not have (:func:`check_absent`)."""
    if hop_s is not None and not (isinstance(hop_s, (int, float)) and np.isfinite(hop_s) and hop_s >= MIN_HOP_S):
        raise MixbuddyError(f"hop must be a number of seconds >= {MIN_HOP_S:g}, got {hop_s!r}")
    lacks = check_absent(absent, anchor, stems_dir is not None)
    if engine.needs_stems and stems_dir is None:
        raise MixbuddyError(f"the {engine.name} engine needs the stems: give the stems folder with --stems DIR")
    with Notes() as notes, opened_stems(stems_dir) as opened:
        if opened != stems_dir:  # a stem pack: name the zip, not the folder it was unpacked to
            notes.rename[str(opened)] = str(stems_dir)
        parts = two_track_files(opened, mapping) if stems_dir is not None else None
        if parts:          # "Beat.wav" + "Vocals.wav": the vocals judged against the instrumental
            engine, anchor = for_two_track(engine, anchor, stems_dir)
            audio = read_two_track(opened, parts, engine.sample_rate, engine.channels, song)
        else:
            if (getattr(engine, "reference", None) or {}).get("two_track_only"):
                raise MixbuddyError(f"{engine.reference['song']}: a two-track reference sets the balance of a "
                                    "two-track (a beat and its vocals) only: give a reference with its stems")
            audio = load_song(song, opened, engine.sample_rate, engine.channels, mapping)
        audio.lacks = lacks
        windows, skipped = cut_windows(audio, anchor, engine.clip_seconds, hop_s)
        for_song = getattr(engine, "for_song", None)   # a mix model and a mastered bounce (engines.ModelEngine)
        if callable(for_song) and windows:
            stems_model = getattr(engine, "input_mode", None) == "stems"    # hears the stems: their own level
            engine, gain = for_song(audio.mix, audio.source, audio.stems_lufs if stems_model else audio.lufs)
            if gain:
                windows = [with_gain(w, gain) for w in windows]
    if opened != stems_dir:
        audio.source = str(song if song is not None else stems_dir)
    advice = engine.analyse(windows)
    if len(advice) != len(windows):
        raise MixbuddyError(f"engine {engine.name} answered {len(advice)} of {len(windows)} windows")
    checks: list[dict[str, Finding] | None] = [None] * len(windows)
    if level_check_db:
        checks = [{} for _ in windows]
        for g in (level_check_db, -level_check_db):
            for c, a in zip(checks, engine.analyse([with_gain(w, g) for w in windows])):
                c[f"{'+' if g > 0 else '-'}{format_db(abs(g))} dB"] = a.finding
    results = [WindowResult(w.start_s, w.end_s, a.finding, a.confidence, a.text, c, a.p_answer, a.levels)
               for w, a, c in zip(windows, advice, checks)]
    summary, verdict = summarise(results)
    describe_engine = getattr(engine, "describe", None)
    info = describe_engine() if callable(describe_engine) else {"name": engine.name}
    info = {**info, "window_s": engine.clip_seconds, "hop_s": hop_s or engine.clip_seconds}
    if level_check_db:
        info["level_check_db"] = level_check_db
    if lacks:
        info["absent"] = list(lacks)
    return AdviceReport(audio.source, info, anchor, audio.duration_s, results, summary, verdict, skipped,
                        notes.messages, dict(audio.placed), list(audio.left_out), dict(audio.panned),
                        dict(audio.inverted), dict(audio.pan_at))
