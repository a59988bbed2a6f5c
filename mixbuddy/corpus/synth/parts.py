"""Pitched parts: bass lines, chord comping ("other") and the lead vocal melody with backing."""
from __future__ import annotations

import numpy as np

from .compose import Channel, Chord, Composition, Note, Part, Section, scale_pitches

BASS_PROGRAMS = {32: "Acoustic Bass", 33: "Finger Bass", 34: "Pick Bass", 35: "Fretless Bass",
                 36: "Slap Bass 1", 37: "Slap Bass 2", 38: "Synth Bass 1", 39: "Synth Bass 2"}
# (beat offset in the bar, duration, interval: R root, 5 fifth, O octave, 3 third, 7 seventh, A approach)
BASS_PATTERNS = {
    "whole": [(0, 4, "R")],
    "half": [(0, 2, "R"), (2, 2, "5")],
    "eighths": [(i * 0.5, 0.45, "R") for i in range(8)],
    "octaves": [(i * 0.5, 0.4, "R" if i % 2 == 0 else "O") for i in range(8)],
    "pop": [(0, 1.4, "R"), (1.5, 0.5, "R"), (2, 1, "R"), (3, 0.5, "5"), (3.5, 0.5, "A")],
    "syncopated": [(0, 0.7, "R"), (0.75, 0.5, "R"), (1.5, 0.5, "O"), (2.5, 0.5, "R"), (3.25, 0.6, "5")],
    "walking": [(0, 0.95, "R"), (1, 0.95, "3"), (2, 0.95, "5"), (3, 0.95, "A")],
    "funk": [(0, 0.4, "R"), (0.75, 0.2, "O"), (1.5, 0.25, "R"), (2, 0.4, "5"), (2.75, 0.2, "R"), (3.5, 0.4, "7")],
}
BASS_BY_GROOVE = {"rock": ("eighths", "pop", "half"), "pop": ("pop", "eighths", "half"),
                  "halftime": ("half", "syncopated", "whole"), "four_floor": ("octaves", "eighths"),
                  "shuffle": ("walking", "half"), "hiphop": ("syncopated", "pop", "whole"),
                  "funk": ("funk", "syncopated", "octaves")}
# comp instrument families: GM programs (0-based) and the comping styles that suit them
FAMILIES = {
    "piano": ({0: "Acoustic Piano", 1: "Bright Piano", 2: "Electric Grand"}, ("block", "pop_piano", "arp", "half")),
    "epiano": ({4: "E.Piano 1", 5: "E.Piano 2", 7: "Clavinet"}, ("pop_piano", "skank", "block")),
    "guitar": ({24: "Nylon Guitar", 25: "Steel Guitar", 27: "Clean Guitar"}, ("strum", "arp")),
    "dist_guitar": ({29: "Overdrive Guitar", 30: "Distortion Guitar"}, ("power",)),
    "organ": ({16: "Drawbar Organ", 17: "Percussive Organ", 18: "Rock Organ"}, ("sustain", "skank", "half")),
}
FAMILY_BY_GROOVE = {"rock": ("guitar", "dist_guitar", "piano"), "pop": ("piano", "guitar", "epiano"),
                    "halftime": ("dist_guitar", "piano", "guitar"), "four_floor": ("epiano", "piano", "organ"),
                    "shuffle": ("piano", "organ", "guitar"), "hiphop": ("epiano", "piano"),
                    "funk": ("guitar", "epiano", "organ")}
PADS = {48: "String Ensemble", 49: "Slow Strings", 50: "Synth Strings", 88: "Fantasia Pad", 89: "Warm Pad",
        94: "Halo Pad", 19: "Church Organ"}
COMP_RHYTHMS = {
    "block": [(0, 0.9), (1, 0.9), (2, 0.9), (3, 0.9)], "half": [(0, 1.9), (2, 1.9)],
    "pop_piano": [(0, 1.4), (1.5, 1.0), (3, 0.9)], "skank": [(0.5, 0.35), (1.5, 0.35), (2.5, 0.35), (3.5, 0.35)],
}
VOICE_PROGRAMS = {52: "Choir Aahs", 53: "Voice Oohs", 54: "Synth Voice", 85: "Lead 6 (voice)"}


def _pick(rng: np.random.Generator, d: dict) -> tuple[int, str]:
    k = int(rng.choice(list(d)))
    return k, d[k]


def _in_range(pc: int, lo: int) -> int:
    """The pitch of pitch class ``pc`` in [lo, lo + 12)."""
    return lo + (pc - lo) % 12


def _all_chords(comp: Composition) -> list[tuple[float, float, Chord]]:
    return [c for s in comp.sections for c in s.chords]


def voice_chord(chord: Chord, prev: list[int] | None, lo: int, hi: int) -> list[int]:
    """Close voicing of ``chord`` between lo and hi that moves least from ``prev`` (voice leading)."""
    pcs = list(chord.pcs)
    best, best_score = None, None
    centre = (lo + hi) / 2
    for r in range(len(pcs)):
        rot = pcs[r:] + pcs[:r]
        v = [_in_range(rot[0], lo)]
        for pc in rot[1:]:
            v.append(v[-1] + (pc - v[-1]) % 12 or 12)
        if v[-1] > hi + 3:
            continue
        if prev and len(prev) == len(v):
            score = sum(abs(a - b) for a, b in zip(v, sorted(prev)))
        else:
            score = abs(float(np.mean(v)) - centre) * len(v)
        if best_score is None or score < best_score:
            best, best_score = v, score
    return best or [_in_range(pc, lo) for pc in pcs]


def bass_part(rng: np.random.Generator, comp: Composition) -> Part:
    prog, name = _pick(rng, BASS_PROGRAMS)
    part = Part("bass", "bass", [Channel(prog, name)], jitter_ms=4.0)
    lo = int(rng.integers(28, 34))
    main = str(rng.choice(BASS_BY_GROOVE[comp.groove]))
    lift = str(rng.choice(BASS_BY_GROOVE[comp.groove]))
    chords = _all_chords(comp)
    for sec in comp.sections:
        style = {"intro": str(rng.choice(["whole", "half", main])), "chorus": lift, "outro": lift}.get(sec.name, main)
        if sec.name == "bridge" and rng.random() < 0.5:
            style = "half"
        base = 82 + 25 * sec.energy
        for start, dur, chord in sec.chords:
            idx = next(i for i, c in enumerate(chords) if c[0] == start)
            nxt = chords[idx + 1][2] if idx + 1 < len(chords) else chord
            root = _in_range(chord.root, lo)
            t = start
            while t < start + dur - 1e-6:
                for off, d, iv in BASS_PATTERNS[style]:
                    if t + off >= start + dur - 1e-6:
                        break
                    last_bar = t + 4 >= start + dur - 1e-6
                    if iv == "A":
                        target = _in_range(nxt.root, lo)
                        p = target + (1 if rng.random() < 0.5 else -1) if last_bar and nxt is not chord else root + 7
                    else:
                        p = root + {"R": 0, "5": 7, "O": 12, "3": (chord.pcs[1] - chord.root) % 12,
                                    "7": 10}[iv]
                    vel = base * (1.0 if off == 0 else 0.88) + rng.normal(0, 4)
                    part.notes.append(Note(t + off, min(d, start + dur - t - off), int(p), int(vel)))
                t += 4.0
    return part


def _strum(chord_notes: list[int], t: float, dur: float, vel: float, up: bool, spread: float) -> list[Note]:
    order = chord_notes[::-1] if up else chord_notes
    return [Note(t + i * spread, dur, p, int(vel * (0.8 if up else 1.0))) for i, p in enumerate(order)]


def other_parts(rng: np.random.Generator, comp: Composition) -> list[Part]:
    family = str(rng.choice(FAMILY_BY_GROOVE[comp.groove]))
    programs, styles = FAMILIES[family]
    prog, name = _pick(rng, programs)
    style = str(rng.choice(styles))
    doubled = family in ("guitar", "dist_guitar") and rng.random() < 0.6
    chans = [Channel(prog, name, pan=0.25 if doubled else float(rng.uniform(0.35, 0.65)))]
    if doubled:  # double-tracked guitar, panned opposite
        chans.append(Channel(prog, name, pan=0.75, tuning=0.06))
    comp_part = Part("other", family, chans, jitter_ms=7.0)
    lo = int(rng.integers(50, 56)) if family != "dist_guitar" else 40
    spread = 0.014 / comp.beat_s
    prev: list[int] | None = None
    for sec in comp.sections:
        vel = 62 + 38 * sec.energy
        sec_style = "sustain" if (sec.name == "intro" and style in ("block", "skank")) else style
        for start, dur, chord in sec.chords:
            v = voice_chord(chord, prev, lo, lo + 20) if family != "dist_guitar" else None
            prev = v
            for c in range(len(chans)):
                shift = 0.0 if c == 0 else 0.02
                comp_part.notes += _comp_notes(rng, sec_style, sec, chord, v, start + shift, dur, vel, spread, lo, c)
    parts = [comp_part]
    if rng.random() < 0.65:  # a pad/strings layer for the big sections
        pprog, pname = _pick(rng, PADS)
        pad = Part("other", "pad", [Channel(pprog, pname, pan=0.5, volume=100)], jitter_ms=0.0)
        prev = None
        for sec in comp.sections:
            if sec.name not in ("chorus", "bridge", "outro") and not (sec.name == "intro" and rng.random() < 0.5):
                continue
            for start, dur, chord in sec.chords:
                prev = voice_chord(chord, prev, 55, 76)
                pad.notes += [Note(start, dur, p, int(55 + 25 * sec.energy)) for p in prev]
        if pad.notes:
            parts.append(pad)
    return parts


def _comp_notes(rng, style: str, sec: Section, chord: Chord, v: list[int] | None, start: float, dur: float,
                vel: float, spread: float, lo: int, chan: int) -> list[Note]:
    out: list[Note] = []
    if style == "power":
        root = _in_range(chord.root, lo)
        shape = [root, root + 7, root + 12]
        muted = sec.energy < 0.8
        step, d = (0.5, 0.3) if muted else (1.0, 0.95)
        t = start
        while t < start + dur - 1e-6:
            out += [Note(t, d, p, int(vel * (0.85 if muted else 1.0) + rng.normal(0, 3)), chan) for p in shape]
            t += step
        return out
    if style == "sustain":
        return [Note(start, dur * 0.98, p, int(vel * 0.85), chan) for p in v]
    if style == "arp":
        seq = v + [v[-1] + 12 - (v[-1] - v[0]) % 12 if len(v) < 4 else v[1] + 12] + v[1:][::-1]
        t, i = start, 0
        while t < start + dur - 1e-6:
            accent = 1.0 if i % 4 == 0 else 0.85
            out.append(Note(t, 0.9, seq[i % len(seq)], int(vel * accent + rng.normal(0, 4)), chan))
            t += 0.5
            i += 1
        out.append(Note(start, min(dur, 2.0), v[0] - 12, int(vel * 0.8), chan))
        return out
    if style == "strum":
        pattern = [(0.0, False), (1.0, False), (1.5, True), (2.5, True), (3.0, False), (3.5, True)]
        if sec.energy < 0.6:
            pattern = [(0.0, False), (2.0, False), (3.5, True)]
        shape = v + [v[0] + 12]
        t = start
        while t < start + dur - 1e-6:
            for off, up in pattern:
                if t + off < start + dur - 1e-6:
                    out += [Note(n.start, n.dur, n.pitch, n.vel, chan)
                            for n in _strum(shape, t + off, 0.45 if up else 0.9, vel + rng.normal(0, 4), up, spread)]
            t += 4.0
        return out
    t = start
    while t < start + dur - 1e-6:
        for off, d in COMP_RHYTHMS[style]:
            if t + off < start + dur - 1e-6:
                accent = 1.0 if off == 0 else 0.88
                out += [Note(t + off, d, p, int(vel * accent + rng.normal(0, 3)), chan) for p in v]
        t += 4.0
    return out


def _phrase_rhythm(rng: np.random.Generator, length: float, chorus: bool) -> list[tuple[float, float]]:
    """Onsets/durations of one sung phrase, leaving a breath (rest) at its end."""
    t = float(rng.choice([0.0, 0.5, 1.0], p=[0.5, 0.3, 0.2]))
    end = length - float(rng.choice([1.5, 2.0, 2.5] if length > 4 else [1.0, 1.5]))
    p = [0.3, 0.4, 0.12, 0.18] if chorus else [0.5, 0.3, 0.1, 0.1]
    out = []
    while t < end - 0.25:
        d = float(rng.choice([0.5, 1.0, 1.5, 2.0], p=p))
        if d == 0.5 and rng.random() < 0.2:  # a quick pair of 16ths
            out += [(t, 0.25), (t + 0.25, 0.25)]
        else:
            out.append((t, min(d, end - t)))
        t += d
        if rng.random() < 0.08:
            t += 0.5  # a short breath inside the phrase
    if out:
        t0, d0 = out[-1]
        out[-1] = (t0, min(length - 1.0 - t0, d0 + (1.0 if length > 4 else 0.5)))  # hold the last note
    return out


def _contour(rng: np.random.Generator, n: int) -> list[int]:
    """Scale-step moves between consecutive notes: mostly steps, an arch shape, few leaps."""
    steps = []
    for k in range(max(0, n - 1)):
        up = 0.62 if k < (n - 1) / 2 else 0.35
        size = int(rng.choice([0, 1, 2, 3], p=[0.22, 0.58, 0.15, 0.05]))
        steps.append(size if rng.random() < up else -size)
    return steps


def _realize(rhythm: list[tuple[float, float]], steps: list[int], hint: int, scale: list[int], sec: Section,
             t0: float, final: bool) -> list[tuple[float, float, int]]:
    """Pitches for a rhythm + contour over the section's chords; chord tones on strong beats."""
    out = []
    idx = int(np.argmin([abs(p - hint) for p in scale]))
    for k, (off, d) in enumerate(rhythm):
        beat = t0 + off
        chord = sec.chord_at(beat)
        if k == 0:
            tones = [i for i, p in enumerate(scale) if p % 12 in chord.pcs]
            idx = min(tones, key=lambda i: abs(i - idx))
        else:
            idx += steps[k - 1]
        idx = int(np.clip(idx, 1, len(scale) - 2))
        strong = abs(beat % 2) < 1e-6 or d >= 1.0 or k == len(rhythm) - 1
        if strong and scale[idx] % 12 not in chord.pcs:
            direction = 1 if (k and steps[k - 1] > 0) else -1
            idx = idx + direction if scale[idx + direction] % 12 in chord.pcs else idx - direction
        if final and k == len(rhythm) - 1:
            tones = [i for i, p in enumerate(scale) if p % 12 in chord.pcs[:2]]
            idx = min(tones, key=lambda i: abs(i - idx))
        out.append((beat, d, scale[idx]))
    return out


def vocal_parts(rng: np.random.Generator, comp: Composition) -> list[Part]:
    prog, name = _pick(rng, VOICE_PROGRAMS)
    vib = (float(rng.uniform(4.8, 6.2)), float(rng.uniform(0.2, 0.4)), float(rng.uniform(0.15, 0.3)))
    double = rng.random() < 0.35
    chans = [Channel(prog, name, pan=0.5, vibrato=vib)]
    if double:
        chans.append(Channel(prog, name, pan=float(rng.choice([0.3, 0.7])), tuning=0.08, volume=90,
                             vibrato=(vib[0] * 1.07, vib[1], vib[2])))
    lead = Part("vocals", "lead", chans, jitter_ms=8.0)
    centre = int(rng.integers(60, 68))
    scale = scale_pitches(comp.tonic, comp.mode, centre - 10, centre + 11)
    cache: dict[str, list[tuple[float, float, int]]] = {}
    for sec in comp.sections:
        if not sec.vocals:
            continue
        if sec.name not in cache:  # a section type is sung the same way each time (a hook)
            chorus = sec.name in ("chorus", "outro")
            length = 8.0 if (chorus or rng.random() < 0.75) else 4.0
            n_phr = max(1, int(sec.bars * 4 // length))
            letters = str(rng.choice(["AABA", "ABAB", "AABB", "ABAC"]))
            motifs: dict[str, tuple] = {}
            notes = []
            for i in range(n_phr):
                letter = letters[i % 4]
                if letter not in motifs:
                    r = _phrase_rhythm(rng, length, chorus)
                    motifs[letter] = (r, _contour(rng, len(r)))
                r, steps = motifs[letter]
                hint = centre + (3 if chorus else -2) + (2 if letter == "B" else 0) + (-2 if letter == "C" else 0)
                notes += _realize(r, steps, hint, scale, sec, sec.start + i * length, final=i == n_phr - 1)
            cache[sec.name] = [(b - sec.start, d, p) for b, d, p in notes]
        for b, d, p in cache[sec.name]:
            if b < sec.bars * 4:
                dd = min(d, sec.bars * 4 - b) * 0.93
                vel = int(88 + 14 * sec.energy + rng.normal(0, 4))
                lead.notes.append(Note(sec.start + b, dd, p, vel, 0))
                if double and sec.name in ("chorus", "outro"):
                    lead.notes.append(Note(sec.start + b + 0.015 / comp.beat_s, dd, p, vel - 12, 1))
    parts = [lead]
    if rng.random() < 0.5:  # backing "oohs" holding chord tones under the chorus
        bprog, bname = _pick(rng, {53: "Voice Oohs", 52: "Choir Aahs"})
        back = Part("vocals", "backing", [Channel(bprog, bname, pan=float(rng.choice([0.35, 0.65])), volume=85)],
                    jitter_ms=0.0)
        prev = None
        for sec in comp.sections:
            if sec.name in ("chorus", "outro") and sec.vocals:
                for start, dur, chord in sec.chords:
                    prev = voice_chord(chord, prev, centre - 9, centre + 3)
                    back.notes += [Note(start, dur * 0.95, p, int(60 + rng.normal(0, 3))) for p in prev[:3]]
        if back.notes:
            parts.append(back)
    return parts
