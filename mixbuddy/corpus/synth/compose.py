"""Music, no audio: song structure, harmony and the four parts as note events.

Everything is written in beats (4/4, a bar = 4 beats) and converted to seconds at the end, where
swing and human timing are applied. Pure python + numpy; all randomness comes from the generator
passed in, so a song is a function of its seed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .config import GROOVES

PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
SHARP_KEYS = {"major": {7, 2, 9, 4, 11, 6}, "minor": {4, 11, 6, 1}}  # keys written with sharps
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
# Four-chord progressions in roman numerals relative to the mode's scale (case = quality,
# 'b' = flattened root, '7' = add the diatonic-ish seventh).
PROGRESSIONS = {
    "major": ("I V vi IV", "I vi IV V", "vi IV I V", "I IV vi V", "I IV V IV", "I iii IV V",
              "IV I V vi", "I V IV IV", "ii7 V7 Imaj7 vi7", "I bVII IV I", "I vi ii V", "IV V iii vi"),
    "minor": ("i VI III VII", "i iv VII III", "i VII VI VII", "i iv v i", "i VI iv V", "i III VII iv",
              "i VI VII i", "iv i VII VI", "i7 iv7 VII III"),
}
ROMAN = {"i": 0, "ii": 1, "iii": 2, "iv": 3, "v": 4, "vi": 5, "vii": 6}
# Groove → (tempo range in bpm, swing of the 8th-note offbeats, swing of 16ths)
GROOVE_FEEL = {
    "rock": ((96, 140), 0.5, 0.5), "pop": ((88, 124), 0.5, 0.5), "halftime": ((120, 156), 0.5, 0.5),
    "four_floor": ((116, 128), 0.5, 0.5), "shuffle": ((84, 112), 0.66, 0.5),
    "hiphop": ((80, 98), 0.5, 0.57), "funk": ((92, 112), 0.5, 0.54),
}
SECTION_ENERGY = {"intro": 0.45, "verse": 0.6, "chorus": 0.9, "bridge": 0.7, "outro": 0.5}


@dataclass
class Chord:
    root: int        # pitch class 0..11
    pcs: tuple[int, ...]  # pitch classes, root first
    name: str


@dataclass
class Note:
    start: float     # beats (seconds after ``Composition.to_seconds``)
    dur: float
    pitch: int
    vel: int
    chan: int = 0


@dataclass
class Channel:
    """One synthesizer channel of a part: GM program (0-based), bank, drum flag and mixing position."""
    program: int
    name: str
    is_drums: bool = False
    bank: int = 0
    pan: float = 0.5          # 0 = left, 1 = right
    tuning: float = 0.0       # semitones
    volume: int = 110         # CC7
    vibrato: tuple[float, float, float] | None = None  # (rate Hz, depth semitones, delay s)


@dataclass
class Part:
    stem: str
    role: str
    channels: list[Channel]
    notes: list[Note] = field(default_factory=list)
    jitter_ms: float = 6.0


@dataclass
class Section:
    name: str
    start_bar: int
    bars: int
    chords: list[tuple[float, float, Chord]]   # (start beat within the song, duration, chord)
    energy: float
    vocals: bool
    groove: str

    @property
    def start(self) -> float:
        return self.start_bar * 4.0

    @property
    def end(self) -> float:
        return (self.start_bar + self.bars) * 4.0

    def chord_at(self, beat: float) -> Chord:
        for s, d, c in self.chords:
            if s <= beat < s + d:
                return c
        return self.chords[-1][2]


@dataclass
class Composition:
    tempo: float
    tonic: int
    mode: str
    groove: str
    swing8: float
    swing16: float
    sections: list[Section]
    parts: list[Part]
    seconds: float

    @property
    def key(self) -> str:
        names = SHARP_NAMES if self.tonic in SHARP_KEYS[self.mode] else FLAT_NAMES
        return f"{names[self.tonic]} {self.mode}"

    @property
    def beat_s(self) -> float:
        return 60.0 / self.tempo

    def summary(self) -> dict:
        return {
            "tempo_bpm": round(self.tempo, 2), "key": self.key, "groove": self.groove, "meter": "4/4",
            "swing": round(max(self.swing8, self.swing16), 3),
            "sections": [{"name": s.name, "start_s": round(s.start * self.beat_s, 3),
                          "end_s": round(min(s.end * self.beat_s, self.seconds), 3), "bars": s.bars,
                          "groove": s.groove, "vocals": s.vocals,
                          "chords": [c.name for _, _, c in s.chords]} for s in self.sections],
            "parts": [{"stem": p.stem, "role": p.role, "notes": len(p.notes),
                       # program: 0-based MIDI program number (General-MIDI number = program + 1)
                       "programs": [{"program": c.program, "bank": c.bank, "name": c.name, "drums": c.is_drums}
                                    for c in p.channels]} for p in self.parts],
        }


def parse_chord(token: str, tonic: int, mode: str) -> Chord:
    flat = token.startswith("b")
    t = token[1:] if flat else token
    seventh = "maj7" if t.endswith("maj7") else ("7" if t.endswith("7") else "")
    t = t[: len(t) - len(seventh)] if seventh else t
    numeral = t.lower()
    degree = ROMAN[numeral]
    root = (tonic + SCALES[mode][degree] - (1 if flat else 0)) % 12
    minor = t == numeral
    third = 3 if minor else 4
    pcs = [root, (root + third) % 12, (root + 7) % 12]
    if seventh:
        pcs.append((root + (11 if seventh == "maj7" else 10)) % 12)
    names = SHARP_NAMES if tonic in SHARP_KEYS[mode] else FLAT_NAMES
    name = names[root] + ("m" if minor else "") + seventh
    return Chord(root, tuple(pcs), name)


def scale_pitches(tonic: int, mode: str, lo: int, hi: int) -> list[int]:
    pcs = {(tonic + s) % 12 for s in SCALES[mode]}
    return [p for p in range(lo, hi + 1) if p % 12 in pcs]


def plan_sections(rng: np.random.Generator, total_bars: int) -> list[tuple[str, int]]:
    """A pop form (intro, verse, chorus, verse, chorus, bridge, chorus ...) fitted to ``total_bars``;
    songs of 40+ bars end with an outro, shorter ones stop inside the form (and fade out)."""
    intro = 0 if total_bars < 10 else (2 if total_bars < 24 else int(rng.choice([2, 4, 4])))
    verse = 8 if total_bars >= 24 else 4
    chorus = 8 if total_bars >= 24 else 4
    bridge = int(rng.choice([4, 8]))
    outro = 4 if total_bars >= 40 else 0
    body = [("verse", verse), ("chorus", chorus), ("verse", verse), ("chorus", chorus)]
    if not (rng.random() < 0.3 and total_bars >= 40):  # sometimes straight into a double chorus
        body.append(("bridge", bridge))
    body += [("chorus", chorus), ("chorus", chorus)]
    again = [("verse", verse), ("chorus", chorus), ("bridge", bridge), ("chorus", chorus)]
    out = [("intro", intro)] if intro else []
    used, k = intro, 0
    while used < total_bars - outro:
        name, bars = body[k] if k < len(body) else again[(k - len(body)) % len(again)]
        bars = min(bars, total_bars - outro - used)
        out.append((name, bars))
        used += bars
        k += 1
    if outro:
        out.append(("outro", outro))
    if len(out) > 1 and out[-1][1] < 2:  # no 1-bar stub at the end: lengthen the section before it
        name, bars = out.pop()
        out[-1] = (out[-1][0], out[-1][1] + bars)
    return out


def compose_song(rng: np.random.Generator, seconds: float,
                 grooves: list[str] | tuple[str, ...] = GROOVES) -> Composition:
    """Compose one song of ``seconds`` (tempo, key, form, harmony and the four parts)."""
    from . import drums, parts  # local import: these modules import the types above

    groove = str(rng.choice(list(grooves)))
    (lo, hi), swing8, swing16 = GROOVE_FEEL[groove]
    tempo = float(np.round(rng.uniform(lo, hi)))
    tonic = int(rng.integers(0, 12))
    mode = str(rng.choice(["major", "minor"], p=[0.6, 0.4]))
    bar_s = 4 * 60.0 / tempo
    total_bars = int(np.ceil(seconds / bar_s))
    progs = list(PROGRESSIONS[mode])
    picked = rng.choice(len(progs), size=3, replace=False)
    prog_of = {"verse": progs[picked[0]], "chorus": progs[picked[1]], "bridge": progs[picked[2]]}
    prog_of["intro"] = prog_of[str(rng.choice(["verse", "chorus"]))]
    prog_of["outro"] = prog_of["chorus"]
    # harmonic rhythm: one chord per bar, sometimes two (fast changes) or one per two bars (slow)
    rhythm_of = {k: float(rng.choice([4.0, 4.0, 8.0, 2.0], p=[0.55, 0.15, 0.2, 0.1])) for k in prog_of}
    bridge_groove = "halftime" if (groove in ("rock", "pop") and rng.random() < 0.5) else groove

    sections, bar = [], 0
    for name, bars in plan_sections(rng, total_bars):
        chords = [parse_chord(tok, tonic, mode) for tok in prog_of[name].split()]
        step = rhythm_of[name]
        if step * len(chords) > bars * 4 and step > 4:  # slow changes only where the progression fits
            step = 4.0
        seq, b, i = [], bar * 4.0, 0
        while b < (bar + bars) * 4.0:
            seq.append((b, step, chords[i % len(chords)]))
            b += step
            i += 1
        has_vox = name in ("verse", "chorus") or (name == "bridge" and rng.random() < 0.6) or total_bars < 10
        sections.append(Section(name, bar, bars, seq, SECTION_ENERGY[name], has_vox,
                                bridge_groove if name == "bridge" else groove))
        bar += bars

    comp = Composition(tempo, tonic, mode, groove, swing8, swing16, sections, [], seconds)
    comp.parts = [drums.drum_part(rng, comp), parts.bass_part(rng, comp), *parts.other_parts(rng, comp),
                  *parts.vocal_parts(rng, comp)]
    to_seconds(rng, comp)
    return comp


def swing(beat: float, s8: float, s16: float) -> float:
    """Delay off-beat 8ths (to ``s8`` of the beat) and off-beat 16ths (to ``s16`` of the half beat)."""
    whole = np.floor(beat)
    frac = beat - whole
    if s16 != 0.5:
        half = np.floor(frac * 2) / 2
        f = (frac - half) * 2  # position within the 8th, 0..1
        if abs(f - 0.5) < 1e-6:
            frac = half + s16 / 2
    if s8 != 0.5:
        if abs(frac - 0.5) < 1e-6:
            frac = s8
        elif abs(frac - 0.75) < 1e-6:  # late 16th of a swung beat: keep it between swung 8th and next beat
            frac = s8 + (1 - s8) / 2
    return float(whole + frac)


def to_seconds(rng: np.random.Generator, comp: Composition) -> None:
    """Convert all notes from beats to seconds in place, with swing and human timing (jitter)."""
    bs = comp.beat_s
    for part in comp.parts:
        out = []
        for n in part.notes:
            t0 = swing(n.start, comp.swing8, comp.swing16) * bs
            t1 = swing(n.start + n.dur, comp.swing8, comp.swing16) * bs
            if part.jitter_ms > 0:
                t0 += float(rng.normal(0.0, part.jitter_ms / 1000.0))
            t0 = max(0.0, t0)
            if t0 >= comp.seconds:
                continue
            out.append(Note(t0, max(0.03, t1 - t0), n.pitch, min(127, max(1, int(n.vel))), n.chan))
        part.notes = out
