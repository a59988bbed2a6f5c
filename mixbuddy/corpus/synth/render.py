"""Audio: note events → tinysoundfont (General-MIDI soundfont shipped with pretty_midi) → pedalboard
production per stem → loudness-based levels (pyloudnorm, ITU-R BS.1770)."""
from __future__ import annotations

import functools
import importlib.resources
import math

import numpy as np
import pedalboard as pb
import pyloudnorm as pyln

from ...audio import frame_rms_db
from ...errors import MixbuddyError
from .compose import Part

RENDER_GAIN_DB = -6.0      # synth output gain: keeps dense parts well inside float range
LUFS_FLOOR = -70.0         # pyloudnorm returns -inf for silence; we treat anything below as silent
VIBRATO_STEP_S = 1 / 80.0  # pitch-bend update rate for vibrato


@functools.lru_cache(maxsize=1)
def soundfont_bytes() -> bytes:
    """The TimGM6mb General-MIDI soundfont bundled with pretty_midi (6 MB, read once per process)."""
    path = importlib.resources.files("pretty_midi") / "TimGM6mb.sf2"
    try:
        return path.read_bytes()
    except OSError as e:
        raise MixbuddyError(f"{path}: cannot read the General-MIDI soundfont shipped with pretty_midi ({e}); "
                            "reinstall pretty_midi==0.2.11.post0") from None


def _bend_value(semitones: float, bend_range: float = 2.0) -> int:
    return min(16383, max(0, round(8192 + semitones / bend_range * 8192)))


def render_parts(parts: list[Part], sr: int, n: int) -> np.ndarray:
    """Render parts (notes in seconds) to float32 stereo (n, 2) with one synth, one channel per voice."""
    import tinysoundfont

    synth = tinysoundfont.Synth(gain=RENDER_GAIN_DB, samplerate=sr)
    sfid = synth.sfload(soundfont_bytes())
    events: list[tuple[int, int, int, int, int]] = []  # (sample, order, kind/ch..., a, b)
    chan = 0
    for part in parts:
        base = chan
        for c in part.channels:
            synth.program_select(chan, sfid, c.bank, c.program, c.is_drums)
            synth.control_change(chan, 7, int(c.volume))
            synth.control_change(chan, 10, int(round(c.pan * 127)))
            synth.pitchbend_range(chan, 2.0)
            if c.tuning:
                synth.set_tuning(chan, float(c.tuning))
            chan += 1
        for note in part.notes:
            ch = base + note.chan
            on = int(round(note.start * sr))
            off = int(round((note.start + note.dur) * sr))
            if on >= n:
                continue
            pitch = min(127, max(0, int(note.pitch)))
            events.append((on, 2, ch, pitch, min(127, max(1, int(note.vel)))))
            events.append((off, 0, ch, pitch, 0))
            vib = part.channels[note.chan].vibrato
            if vib is not None:
                events += _vibrato(vib, note.start, note.dur, sr, ch)
    events.sort()
    out = np.zeros(2 * n, dtype=np.float32)
    view = memoryview(out).cast("B")
    pos = 0
    for sample, order, ch, a, b in events:
        sample = min(sample, n)
        if sample > pos:
            synth.generate(sample - pos, buffer=view[pos * 8: sample * 8])
            pos = sample
        if order == 2:
            synth.noteon(ch, a, b)
        elif order == 0:
            synth.noteoff(ch, a)
        else:
            synth.pitchbend(ch, a)
    if pos < n:
        synth.generate(n - pos, buffer=view[pos * 8:])
    return out.reshape(n, 2)


def _vibrato(vib: tuple[float, float, float], start: float, dur: float, sr: int, ch: int) -> list[tuple]:
    """Pitch-bend events: centre at the onset, then a sine vibrato fading in after ``delay``."""
    rate, depth, delay = vib
    ev = [(int(round(start * sr)) - 1 if start > 0 else 0, 1, ch, 8192, 0)]
    t = delay
    while t < dur:
        amount = depth * min(1.0, (t - delay) / 0.25) * math.sin(2 * math.pi * rate * (t - delay))
        ev.append((int(round((start + t) * sr)), 1, ch, _bend_value(amount), 0))
        t += VIBRATO_STEP_S
    return ev


def loudness(x: np.ndarray, sr: int) -> float:
    """Integrated loudness in LUFS (BS.1770 gated); silent or too short audio → LUFS_FLOOR."""
    if x.shape[0] < int(0.4 * sr) + 1:
        return LUFS_FLOOR
    v = float(pyln.Meter(sr).integrated_loudness(np.asarray(x, dtype=np.float64)))
    return v if math.isfinite(v) and v > LUFS_FLOOR else LUFS_FLOOR


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return round(float(rng.uniform(lo, hi)), 3)


def production_params(stem: str, rng: np.random.Generator, tempo: float) -> dict:
    """Random per-song production settings for one stem (recorded in meta.json).

    Filters in Hz, gains in dB; ``peak``/``presence`` = [freq, gain, q]; ``comp`` = [threshold dB
    (against a -20 dBFS active level), ratio, attack ms, release ms]; ``reverb`` = [room size, wet];
    ``delay`` = [seconds (tempo-synced), feedback, mix].
    """
    u = functools.partial(_u, rng)
    if stem == "drums":
        return {"hpf_hz": u(28, 45), "low_shelf": [80.0, u(0, 4)], "peak": [u(300, 600), u(-4, 0), 1.0],
                "high_shelf": [6000.0, u(-1, 4)], "comp": [u(-16, -8), u(2.5, 5), u(3, 15), u(80, 200)],
                "reverb": [u(0.1, 0.35), u(0.04, 0.14)]}
    if stem == "bass":
        return {"hpf_hz": u(28, 40), "low_shelf": [100.0, u(-2, 3)], "peak": [u(600, 1200), u(-3, 3), 1.0],
                "lpf_hz": u(2500, 6000), "comp": [u(-20, -12), u(3, 6), u(5, 20), u(80, 200)]}
    if stem == "other":
        return {"hpf_hz": u(70, 150), "peak": [u(300, 2500), u(-4, 3), 0.8], "high_shelf": [5000.0, u(-3, 3)],
                "comp": [u(-18, -10), u(1.5, 3), u(10, 30), u(100, 250)], "chorus": bool(rng.random() < 0.3),
                "reverb": [u(0.3, 0.7), u(0.08, 0.22)]}
    beat = 60.0 / tempo
    delay = None
    if rng.random() < 0.4:
        delay = [round(beat * float(rng.choice([0.5, 0.75, 1.0])), 4), u(0.15, 0.35), u(0.08, 0.2)]
    return {"hpf_hz": u(90, 140), "peak": [u(200, 350), u(-3, 0), 1.0], "presence": [u(2500, 4500), u(1, 4), 0.9],
            "comp": [u(-22, -14), u(3, 6), u(3, 10), u(60, 150)], "delay": delay,
            "reverb": [u(0.35, 0.75), u(0.12, 0.28)]}


def _board(p: dict) -> pb.Pedalboard:
    fx: list = [pb.HighpassFilter(p["hpf_hz"])]
    if "low_shelf" in p:
        fx.append(pb.LowShelfFilter(p["low_shelf"][0], p["low_shelf"][1]))
    for key in ("peak", "presence"):
        if key in p:
            fx.append(pb.PeakFilter(*p[key]))
    if "high_shelf" in p:
        fx.append(pb.HighShelfFilter(p["high_shelf"][0], p["high_shelf"][1]))
    if "lpf_hz" in p:
        fx.append(pb.LowpassFilter(p["lpf_hz"]))
    thr, ratio, att, rel = p["comp"]
    fx.append(pb.Compressor(threshold_db=thr, ratio=ratio, attack_ms=att, release_ms=rel))
    if p.get("chorus"):
        fx.append(pb.Chorus(rate_hz=0.8, depth=0.2, centre_delay_ms=8.0, feedback=0.0, mix=0.3))
    if p.get("delay"):
        fx.append(pb.Delay(delay_seconds=p["delay"][0], feedback=p["delay"][1], mix=p["delay"][2]))
    if p.get("reverb"):
        room, wet = p["reverb"]
        fx.append(pb.Reverb(room_size=room, damping=0.5, wet_level=wet, dry_level=1.0 - wet / 2, width=1.0))
    return pb.Pedalboard(fx)


def active_rms_db(x: np.ndarray, sr: int) -> float:
    """RMS (dBFS) of the 50-ms frames within 30 dB of the loudest: the level while the part plays."""
    f = frame_rms_db(x, sr, 0.05)
    loud = f[f > f.max() - 30.0]
    return float(10 * np.log10(np.mean(10 ** (loud / 10))))


def produce(x: np.ndarray, sr: int, params: dict) -> np.ndarray:
    """EQ/filters, compression and effects on a stem (n, 2), brought to -20 dBFS active RMS first so
    compressor thresholds mean the same thing on every song."""
    level = active_rms_db(x, sr)
    if level <= -100.0:
        return x
    x = x * np.float32(10 ** ((-20.0 - level) / 20))
    y = _board(params)(np.ascontiguousarray(x.T), sr)
    return np.ascontiguousarray(y.T, dtype=np.float32)


def fade(n: int, sr: int, seconds: float) -> np.ndarray:
    """Gain curve: 10 ms fade-in, cosine fade-out over the last min(2 s, 10 %) of the song."""
    g = np.ones(n, dtype=np.float32)
    a = max(1, int(0.01 * sr))
    g[:a] = np.linspace(0, 1, a, dtype=np.float32)
    b = max(1, int(min(2.0, 0.1 * seconds) * sr))
    g[n - b:] *= (0.5 + 0.5 * np.cos(np.linspace(0, np.pi, b))).astype(np.float32)
    return g
