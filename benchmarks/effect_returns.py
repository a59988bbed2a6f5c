"""An effect return exported with the tracks: what did it do to the advice, and what does leaving it out cost?

A DAW's export of all tracks writes its return tracks too (Ableton Live's default set has "A-Reverb" and
"B-Delay"): the wet signal of an effect that several tracks are sent to. Named after no stem, such a file was summed
into "other": "other" then sounded wherever any track has reverb. ``advise`` now leaves out a file named as a return
(reverb, verb, delay, echo, return, ...) and says so. For each song (the three real-dev songs and the bundled
example, 44.1 kHz) this writes two returns, each 10, 15 and 20 dB under the mix's integrated loudness:

- *reverb*: pedalboard's Reverb (room 0.8, wet only) of the vocals + "other" + the drums at -6 dB (a shared hall);
- *vocal delay*: a 375 ms delay (feedback 0.35, wet only) of the vocals alone (one stem's effect on a return).

and runs ``advise`` (loudness engine, anchor drums) on the stems with the return as "A-Reverb.wav" / "B-Delay.wav"
(left out now), as "Bus A.wav" (a name that says nothing: summed into "other", as every return was before), and, for
the vocal delay, as "Vocal Delay.wav" (summed into the vocals, where its audio belongs). Printed per song, return and
level: the verdict of each and the mean level of "other" and the vocals against a typical balance.

    python benchmarks/effect_returns.py
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyloudnorm
from pedalboard import Delay, Pedalboard, Reverb

from mixbuddy.audio import write_audio

from master_stems import advised, finding, scratch, song_stems

SR = 44100
BELOW_DB = (10, 15, 20)


def returns(stems: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """{kind: the return's wet signal, unscaled}."""
    send = stems["vocals"] + stems.get("other", 0.0) + 0.5 * stems["drums"]
    hall = Pedalboard([Reverb(room_size=0.8, wet_level=1.0, dry_level=0.0)])
    echo = Pedalboard([Delay(delay_seconds=0.375, feedback=0.35, mix=1.0)])
    return {"reverb": hall(send.T.astype(np.float32), SR).T, "vocal delay": echo(stems["vocals"].T.astype(np.float32), SR).T}


def asked(folder: Path) -> tuple[str, dict, list[str]]:
    """(verdict, mean levels, warnings) of advise on ``folder``."""
    report, messages = advised(folder)
    return finding(report), report.to_dict()["levels"], messages


def level(levels: dict, stem: str) -> str:
    return f"{levels[stem]['db']:+.1f} ({levels[stem]['windows']} w)" if stem in levels else "-"


def main() -> None:
    meter = pyloudnorm.Meter(SR)
    with scratch("effect-returns-") as work:
        for song, src, stems in song_stems(SR):
            mix_lufs = meter.integrated_loudness(sum(stems.values()))
            alone = asked(src)
            print(f"\n{song}: the stems alone: {alone[0]}; other {level(alone[1], 'other')}, vocals "
                  f"{level(alone[1], 'vocals')}")
            for kind, wet in returns(stems).items():
                names = {"named as a return": "A-Reverb.wav" if kind == "reverb" else "B-Delay.wav",
                         "unnamed (into other)": "Bus A.wav"}
                if kind == "vocal delay":
                    names["named after the vocals"] = "Vocal Delay.wav"
                for below in BELOW_DB:
                    gain = 10 ** ((mix_lufs - below - meter.integrated_loudness(wet)) / 20)
                    for how, name in names.items():
                        folder = work / "song"
                        shutil.rmtree(folder, ignore_errors=True)
                        shutil.copytree(src, folder)
                        write_audio(folder / name, wet * gain, SR, subtype="FLOAT")
                        verdict, levels, warned = asked(folder)
                        left_out = any("effect return" in m for m in warned)
                        print(f"  {kind:11s} -{below} dB LU, {how:22s}: {verdict:22s} other {level(levels, 'other'):14s}"
                              f" vocals {level(levels, 'vocals'):14s} {'left out, warned' if left_out else ''}")


if __name__ == "__main__":
    main()
