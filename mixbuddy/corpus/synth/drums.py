"""Drum grooves (16-step patterns on the General-MIDI drum map), section variation and fills."""
from __future__ import annotations

import numpy as np

from .compose import Channel, Composition, Note, Part

KICK, RIM, SNARE, CLAP, CHH, PHH, OHH = 36, 37, 38, 39, 42, 44, 46
RIDE, BELL, CRASH, CRASH2, TAMB, SHAKER = 51, 53, 49, 57, 54, 70
TOMS = (50, 48, 47, 45, 43, 41)  # high → low

# Patterns: one char per 16th, X = accent, x = normal, o = ghost, . = rest. Several variants each.
PATTERNS: dict[str, dict[str, list[str]]] = {
    "rock": {"kick": ["X.......X.x.....", "X.......X.......", "X.....x.X.x....."],
             "snare": ["....X.......X..."], "hat": ["x.x.x.x.x.x.x.x."]},
    "pop": {"kick": ["X......x..x.....", "X.........X.....", "X......x.xx....."],
            "snare": ["....X.......X...", "....X.......X..o"], "hat": ["xoxoxoxoxoxoxoxo", "x.x.x.x.x.x.x.x."]},
    "halftime": {"kick": ["X.....x...x.....", "X.........x..x.."], "snare": ["........X......."],
                 "hat": ["x.x.x.x.x.x.x.x.", "xoxoxoxoxoxoxoxo"]},
    "four_floor": {"kick": ["X...X...X...X..."], "snare": ["....X.......X..."],
                   "hat": ["xoxoxoxoxoxoxoxo", "x.x.x.x.x.x.x.x."]},
    "shuffle": {"kick": ["X.......X.....x.", "X.....x.X......."], "snare": ["....X.......X...", "....X..o....X..."],
                "hat": ["x.x.x.x.x.x.x.x."]},
    "hiphop": {"kick": ["X......x..x.....", "X.x.......X..x..", "X......X..X....."],
               "snare": ["....X.......X...", "....X..o....X..."], "hat": ["x.x.x.x.x.x.x.x.", "xxx.x.x.xxx.x.x."]},
    "funk": {"kick": ["X..x..x...x..x..", "X.x...x..x......"], "snare": ["....X..o.o..X..o", "....X..o....X.o."],
             "hat": ["xoxoxoxoxoxoxoxo"]},
}
KITS = {"rock": (0, 8, 16), "pop": (0, 8, 24), "halftime": (0, 16, 8), "four_floor": (24, 25, 0),
        "shuffle": (0, 32, 8), "hiphop": (25, 24, 0), "funk": (0, 8, 32)}
KIT_NAMES = {0: "Standard", 8: "Room", 16: "Power", 24: "Electronic", 25: "TR 808", 32: "Jazz", 40: "Brush"}


def _hits(pattern: str, bar_start: float, pitch: int, base: float, rng: np.random.Generator,
          dur: float = 0.2) -> list[Note]:
    out = []
    for i, c in enumerate(pattern):
        if c == ".":
            continue
        v = {"X": 1.0, "x": 0.82, "o": 0.42}[c] * base + rng.normal(0, 5)
        out.append(Note(bar_start + i * 0.25, dur, pitch, int(np.clip(v, 20, 127))))
    return out


def _fill(rng: np.random.Generator, start: float, beats: float, base: float) -> list[Note]:
    """A fill over the last ``beats`` beats before ``start + beats``: snare roll, tom run or a mix."""
    kind = rng.choice(["snare", "toms", "mixed", "sparse"])
    steps = int(beats * 4)
    notes = []
    toms = list(TOMS) if rng.random() < 0.7 else list(TOMS[::2])
    for i in range(steps):
        if kind == "sparse" and i % 2:
            continue
        t = start + i * 0.25
        grow = 0.7 + 0.35 * i / max(1, steps - 1)  # crescendo
        if kind == "snare" or (kind == "mixed" and i < steps // 2):
            pitch = SNARE
        else:
            pitch = toms[min(len(toms) - 1, i * len(toms) // steps)]
        notes.append(Note(t, 0.2, pitch, int(np.clip(base * grow + rng.normal(0, 5), 30, 127))))
    notes.append(Note(start, 0.2, KICK, int(base * 0.8)))
    return notes


def drum_part(rng: np.random.Generator, comp: Composition) -> Part:
    kit = int(rng.choice(KITS[comp.groove]))
    part = Part("drums", "kit", [Channel(kit, KIT_NAMES.get(kit, "Kit"), is_drums=True, bank=128)], jitter_ms=5.0)
    notes = part.notes
    cache: dict[str, dict[str, str]] = {}
    ride_chorus = rng.random() < 0.45
    tamb = rng.random() < 0.35
    for si, sec in enumerate(comp.sections):
        pats = PATTERNS[sec.groove]
        # one pattern choice per section type (repeated sections groove the same way)
        key = f"{sec.name}/{sec.groove}"
        if key not in cache:
            cache[key] = {k: str(rng.choice(v)) for k, v in pats.items()}
        p = cache[key]
        base = 72 + 45 * sec.energy
        last = si == len(comp.sections) - 1
        for b in range(sec.bars):
            t = (sec.start_bar + b) * 4.0
            is_fill = b == sec.bars - 1 and not last and sec.bars >= 2
            fill_beats = (2.0 if sec.energy > 0.8 and rng.random() < 0.5 else 1.0) if is_fill else 0.0
            cut = 16 - int(fill_beats * 4)
            kick = p["kick"]
            if b % 4 == 3 and rng.random() < 0.5:  # small variation every 4th bar
                kick = kick[:14] + ("x." if kick[14] == "." else "..")
            if sec.name == "intro" and sec.groove != "four_floor" and rng.random() < 0.6:
                kick, snare = "X.......X.......", "................"
            else:
                snare = p["snare"]
            hat_pitch = CHH
            hat = p["hat"]
            if sec.name in ("chorus", "outro") and sec.groove not in ("four_floor", "hiphop"):
                hat_pitch = RIDE if ride_chorus else OHH
                hat = hat.replace("o", ".") if hat_pitch == OHH else hat
            notes += _hits(kick[:cut], t, KICK, base, rng)
            snare_pitch = CLAP if sec.groove == "four_floor" else (RIM if sec.name == "intro" else SNARE)
            notes += _hits(snare[:cut], t, snare_pitch, base, rng)
            notes += _hits(hat[:cut], t, hat_pitch, base * 0.8, rng, dur=0.5 if hat_pitch == OHH else 0.15)
            if sec.groove == "four_floor" and sec.name != "intro":
                notes += _hits("..x...x...x...x."[:cut], t, OHH, base * 0.75, rng, dur=0.2)
            if tamb and sec.name == "chorus":
                notes += _hits("....x.......x..."[:cut], t, TAMB, base * 0.7, rng)
            if sec.groove == "funk" or (sec.groove == "hiphop" and sec.energy > 0.8):
                notes += _hits("x.x.x.x.x.x.x.x."[:cut], t, SHAKER, base * 0.55, rng)
            if fill_beats:
                notes += _fill(rng, t + 4.0 - fill_beats, fill_beats, base)
        if si > 0 or sec.name != "intro":
            notes.append(Note(sec.start, 1.5, CRASH if si % 2 == 0 else CRASH2, int(min(127, base + 5))))
    notes.sort(key=lambda n: (n.start, n.pitch))
    return part
