"""A model that hears one channel, given a mono track the mix pans: is the track placed where the mix has it?

A model engine hears the mix's mono copy, where a mono kick panned hard left under a -3 dB law sits 6 dB under its
file, as a centred one under a -6 dB law would; read from that copy alone, the track was reported centred and
``--apply`` rendered it there. Now the fit per channel (``mixbuddy.predict.tracks.channel_fit``) reads the mix in
stereo for such an engine too. For each song (the three real-dev songs and the bundled example) and each of its
stems in turn, the stem is written as a mono track below 500 Hz and a stereo rest (as ``pan_law_tracks.py`` does),
and a mix is bounced with the mono track under a -3 dB law at the centre (a control: nothing to place), hard left
and halfway right. ``advise`` with the shipped stems model (``default-stems``, anchor drums) is asked about the mix
with that folder and with the folder as the mix holds it (the mono track written as a stereo file at its levels in
the mix). Printed per mix: the cases; the track's level (dB under its file) and place (-1 left ... +1 right) as read
before (the mono copy alone: ``check_tracks`` given no stereo mix) and now; the worst gap between the one-channel
stem the model hears and the reference's (dB under it; before and now); the advice (stem and direction, or
balanced; move within 0.25 dB) that matches the reference's; the worst gap between ``--apply``'s render with no
correction and the reference folder's (dB under it; before and now); and the seconds ``advise`` took.

    python benchmarks/pan_law_one_channel.py
"""
from __future__ import annotations

import contextlib
import time
from collections import defaultdict

import soundfile as sf

import mixbuddy.predict.windows as windows
from mixbuddy.errors import MixbuddyError
from mixbuddy.predict.advise import advise
from mixbuddy.predict.engines import ModelEngine

from master_stems import scratch   # this folder is on sys.path
from pan_law_tracks import MIXES, SR, split_cases
from polarity import apart_db, rendered, said

CASES = MIXES[:3]         # -3 dB law: centre, hard left, halfway right


@contextlib.contextmanager
def plain_fit(wide: bool):
    """``wide`` False: as before, the mix's mono copy alone places a one-channel engine's mono tracks."""
    plain = windows.check_tracks
    if not wide:
        windows.check_tracks = lambda *a: plain(*a[:7])     # no stereo mix handed on
    try:
        yield
    finally:
        windows.check_tracks = plain


def asked(mix_file, folder, engine):
    try:
        return advise(mix_file, "drums", engine, stems_dir=folder)
    except MixbuddyError as e:
        return e


def main() -> None:
    engine = ModelEngine("default-stems")
    rows: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    places: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    start = time.perf_counter()
    with scratch("pan-law-one-channel-") as work:
        for song, name, (kind, _, _), folder, mix, held in split_cases(work, CASES):
            mix_file = work / "mix.wav"
            sf.write(mix_file, mix, SR, subtype="FLOAT")
            ref_audio = windows.load_song(mix_file, held, engine.sample_rate, engine.channels)
            want = rendered(held, ref_audio, work / "held.wav")
            row = rows[kind]
            row["cases"] += 1
            reference = asked(mix_file, held, engine)
            b = said(reference)
            for when, wide in (("before", False), ("now", True)):
                with plain_fit(wide):
                    audio = windows.load_song(mix_file, folder, engine.sample_rate, engine.channels)
                    t0 = time.perf_counter()
                    report = asked(mix_file, folder, engine)
                    row[f"{when} s"] += time.perf_counter() - t0
                places[kind][when] += [(v, audio.pan_at.get(k, 0.0)) for k, v in audio.panned.items()]
                row[f"{when} heard"] += bool(audio.panned)
                row[f"{when} stem"] = max(row.get(f"{when} stem", -999.0),
                                          apart_db(audio.stems[name][:, 0], ref_audio.stems[name][:, 0]))
                fixed = rendered(folder, audio, work / "fixed.wav")
                row[f"{when} render"] = max(row.get(f"{when} render", -999.0), apart_db(fixed, want))
                a = said(report)
                row[f"{when} verdict"] += a[0] == b[0]
                row[f"{when} move"] += a[0] == b[0] and abs(a[1] - b[1]) <= 0.25
                print(f"{song:15s} {name:7s} {kind:26s} {when:6s} reference {b[0]} {b[1]:+.1f} | {a[0]} "
                      f"{a[1]:+.1f} | heard {audio.panned} {audio.pan_at}", flush=True)
    print("\n| the mix | cases | track heard otherwise: before / now (dB; place) | the stem heard against the "
          "reference's (worst, dB): before / now | verdict as on the reference: before / now | advised move "
          "(±0.25 dB): before / now | --apply's render against the reference's (worst, dB): before / now | advise, "
          "s: before / now |")
    print("|---|---|---|---|---|---|---|---|")

    def span(by: list) -> str:
        return (f" ({min(v for v, _ in by):+.2f} to {max(v for v, _ in by):+.2f}; {min(p for _, p in by):+.2f} to "
                f"{max(p for _, p in by):+.2f})") if by else ""

    for kind, _, _ in CASES:
        r = rows[kind]
        print(f"| {kind} | {r['cases']:.0f} | {r['before heard']:.0f}{span(places[kind]['before'])} / "
              f"{r['now heard']:.0f}{span(places[kind]['now'])} | {r['before stem']:.0f} / {r['now stem']:.0f} | "
              f"{r['before verdict']:.0f} / {r['now verdict']:.0f} | {r['before move']:.0f} / {r['now move']:.0f} | "
              f"{r['before render']:.0f} / {r['now render']:.0f} | {r['before s'] / r['cases']:.1f} / "
              f"{r['now s'] / r['cases']:.1f} |")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
