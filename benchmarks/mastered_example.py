"""The bundled example mastered to a range of loudness targets: what the loud-mix guard does and what the
mix models say. Each copy is the example's mix through ``mixbuddy.data.render.master_mix`` (one gain to the
target, measured on the mono mix, into pedalboard's Limiter, twice; the limiter's make-up and what it takes
land the result a few dB off the target), written as 44.1 kHz stereo FLAC, then heard as ``mixbuddy advise COPY --anchor drums``
hears it (no --checkpoint: ``default-real``, a loud mix going to ``default-master``) and as ``--checkpoint
default-real`` hears it (a loud mix turned down to the training p99). Prints, per target, the copy's
loudness (stereo at 44.1 kHz, and mono at 16 kHz as the model hears it), the model that advised and each
window's verdict. The example's vocals are 8 dB down: "vocals too quiet" is the right answer.

    python benchmarks/mastered_example.py [--targets -18 -16 -14 -12 -10 -8]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import soundfile as sf

from mixbuddy.audio import read_audio, resample
from mixbuddy.data.render import master_mix
from mixbuddy.evaluate.baselines.loudness import loudness
from mixbuddy.model.checkpoint import load_checkpoint
from mixbuddy.predict.advise import advise
from mixbuddy.predict.wording import describe
from mixbuddy.predict.engines import ModelEngine

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "lithium" / "mix.ogg"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--targets", type=float, nargs="+", default=[-18.0, -16.0, -14.0, -12.0, -10.0, -8.0])
    args = ap.parse_args()
    x, sr = read_audio(EXAMPLE)
    models: dict = {}

    def loader(name: str):
        """Each model loaded once, for every copy and engine."""
        if name not in models:
            models[name] = load_checkpoint(name)
        return models[name]

    with tempfile.TemporaryDirectory() as tmp:
        for target in [None, *args.targets]:
            y = x if target is None else master_mix(x, sr, target)
            path = Path(tmp) / "copy.flac"
            sf.write(path, y, sr)
            mono16 = loudness(resample(y.mean(axis=1, keepdims=True), sr, 16000)[:, 0], 16000)
            name = "unmastered" if target is None else f"target {target:g}"
            print(f"{name}: {loudness(y, sr):.1f} LUFS stereo, {mono16:.1f} LUFS mono at 16 kHz", flush=True)
            for label, fallback in (("no --checkpoint", "default-master"), ("--checkpoint default-real", None)):
                rep = advise(path, "drums", ModelEngine("default-real", loud_fallback=fallback, loader=loader))
                cells = " | ".join(describe(w.finding) for w in rep.windows)
                overall = describe(rep.verdict.finding) if rep.verdict else "-"
                loud = rep.engine.get("loud_mix")
                how = "" if not loud else (f", heard {loud['gain_db']:+.1f} dB" if "gain_db" in loud else "")
                print(f"  {label}: {rep.engine['checkpoint']}{how}: {cells}; overall {overall}", flush=True)


if __name__ == "__main__":
    main()
