"""A two-track: the song as its instrumental and its vocals ("Beat.wav" + "Vocals.wav").

Before, ``advise`` refused such a folder (the instrumental is no one stem; with the drums as the anchor: "there is
no 'drums' stem"). Now the loudness engine judges the vocals against the instrumental with the two-track prior
(``mixbuddy advise-prior --two-track``). For each song (the three real-dev songs and the bundled example, 44.1 kHz)
the vocals are pushed by -9, -4.5, 0, +4.5 and +9 dB and written twice: as a two-track (the drums, bass and other
summed into "Beat.wav", and "Vocals.wav") and as the four stems. ``advise`` (loudness engine, anchor drums) is asked
about both, and about the two-track with a prior made by power-summing the four-stem prior's drums, bass and other
(the approximation not taken), and about the four stems told that only the vocals may be off (the two-track's
narrower question: the four-stem engine also weighs a pushed bass); and, with the two-track reader switched off (the
old path), whether the two-track is refused. Each song as its artist mixed it is taken as balanced (the example's vocals sit 8 dB
down), so the right verdict is "balanced" within 3 dB of that and "vocals too quiet/loud" beyond; printed per
system: verdicts right, and the mean gap between the vocal move it advises (0 for "balanced") and the right one.
Last, how far a window's power-summed stem loudness sits from its instrumental's measured loudness.

The same for the synthetic test songs that have vocals (``--synth``, default ``work/synth/test``, from ``mixbuddy
corpus synth -o work/synth --config configs/synth.yaml``), where the four stems are near the best the files allow.

    python benchmarks/two_track.py [--synth work/synth/test]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from mixbuddy.audio import read_audio, write_audio
from mixbuddy.constants import STEMS
from mixbuddy.errors import MixbuddyError
from mixbuddy.evaluate.baselines.bayes import GaussianBalance
from mixbuddy.evaluate.baselines.loudness import loudness
from mixbuddy.io import write_json
from mixbuddy.predict.advise import advise
from mixbuddy.predict.engines import LoudnessEngine
from mixbuddy.predict.prior import DEFAULT_TWO_TRACK_PRIOR, load_prior

from master_stems import advised, finding, scratch, song_stems   # this folder is on sys.path

SR = 44100
PUSHES = (-9.0, -4.5, 0.0, 4.5, 9.0)


def power_sum_prior(n: int = 200_000, seed: int = 0) -> GaussianBalance:
    """The two parts' prior from the four-stem one, each sampled balance's instrumental loudness the power sum of its
    drums, bass and other (as if each stem played the whole chunk)."""
    four, _ = load_prior()
    L = np.random.default_rng(seed).multivariate_normal(four.mean, four.cov, n)
    rest = [four.stems.index(s) for s in four.stems if s != "vocals"]
    inst = 10 * np.log10((10 ** (L[:, rest] / 10)).sum(axis=1))
    return GaussianBalance.fit(np.stack([inst, L[:, four.stems.index("vocals")]], axis=1), ("instrumental", "vocals"))


def truth(push_db: float, song: str) -> tuple[str, float]:
    """(the right verdict, the vocals' right move in dB) for vocals pushed ``push_db`` from the song as mixed (the
    example's own vocals sit 8 dB down: examples/lithium/meta.json); a push under 3 dB is "balanced" (move 0)."""
    t = push_db - (8.0 if song == "example" else 0.0)
    return ("balanced", 0.0) if abs(t) < 3.0 else ("vocals " + ("increase" if t < 0 else "decrease"), -t)


def said(report) -> tuple[str, float]:
    f = report.verdict.finding
    return ("balanced", 0.0) if f.no_error else (f"{f.target} {f.direction}", f.gain_db)


def window_gaps(stems: dict[str, np.ndarray], seconds: float = 10.0) -> list[float]:
    """Per 10 s window where the drums, bass and other all sound: the power sum of their loudness minus the
    loudness of their sum (dB)."""
    rest = [k for k in stems if k != "vocals"]
    n, w = min(x.shape[0] for x in stems.values()), int(seconds * SR)
    out = []
    for a in range(0, n - w + 1, w):
        each = [loudness(stems[k][a:a + w], SR) for k in rest]
        if all(np.isfinite(each)):
            out.append(10 * np.log10(sum(10 ** (v / 10) for v in each))
                       - loudness(np.sum([stems[k][a:a + w] for k in rest], axis=0), SR))
    return out


class VocalsOnly(LoudnessEngine):
    """The loudness engine on the four stems, told that only the vocals may be off (the question a two-track asks)."""

    def targets(self, anchor: str) -> tuple[str, ...]:
        return ("vocals",)


def compare(work: Path, songs, approx_file: Path, what: str) -> None:
    """Ask the four systems about each song of ``songs`` ((name, stems, rate)) with its vocals pushed; print."""
    systems = ("four stems", "four, vocals only", "two-track", "power sum")
    right = dict.fromkeys(systems, 0)
    errors: dict[str, list[float]] = {k: [] for k in systems}
    agree = cases = refused = 0
    for song, stems, rate in songs:
        print(f"\n{song}:")
        beat = np.sum([x for k, x in stems.items() if k != "vocals"], axis=0)
        for g in PUSHES:
            vocals = stems["vocals"] * np.float32(10 ** (g / 20))
            two, four = work / song / f"two{g:+}", work / song / f"four{g:+}"
            write_audio(two / "Beat.wav", beat, rate)
            write_audio(two / "Vocals.wav", vocals, rate)
            for k, x in stems.items():
                write_audio(four / f"{k}.wav", vocals if k == "vocals" else x, rate)
            reports = {"four stems": advised(four)[0],
                       "four, vocals only": advise(None, "drums", VocalsOnly(), stems_dir=four),
                       "two-track": two_track_report(two, None),
                       "power sum": two_track_report(two, approx_file)}
            verdict, move = truth(g, song)
            row = [f"vocals {g:+5.1f} dB (right: {verdict}{f' {move:+.1f}' if move else ''}):"]
            for name, rep in reports.items():
                got, gain = said(rep)
                right[name] += got == verdict
                errors[name].append(abs(gain - move))
                row.append(f"{name} {finding(rep)}")
            agree += said(reports["four stems"])[0] == said(reports["two-track"])[0]
            refused += refused_before(two)
            cases += 1
            print("  " + row[0] + " " + "; ".join(row[1:]))
    print(f"\n{what}: {cases} two-tracks (5 pushes of the vocals each; each song as mixed taken as balanced):")
    for name in systems:
        print(f"  {name:17s}: verdict right {right[name]} of {cases}; the advised vocal move off by "
              f"{np.mean(errors[name]):.2f} dB on average (balanced: 0 dB)")
    print(f"  two-track and four stems give the same verdict in {agree} of {cases}; before (no two-track reader), "
          f"the two-track refused in {refused} of {cases}")


def synth_songs(root: Path):
    """(name, stems, rate) of a synthetic corpus's test songs that have vocals."""
    for folder in sorted(p.parent for p in root.glob("*/vocals.flac")):
        stems = {k: read_audio(folder / f"{k}.flac")[0] for k in STEMS if (folder / f"{k}.flac").is_file()}
        rate = read_audio(folder / "vocals.flac")[1]
        if np.isfinite(loudness(stems["vocals"], rate)):
            yield folder.name, stems, rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synth", type=Path, default=Path("work/synth/test"),
                    help="the synthetic corpus's test songs, asked the same way (skipped if absent)")
    args = ap.parse_args()
    fitted, meta = load_prior(DEFAULT_TWO_TRACK_PRIOR)
    approx = power_sum_prior()
    sums = [v for _, _, stems in song_stems(SR) for v in window_gaps(stems)]
    with scratch("two-track-") as work:
        approx_file = work / "power-sum-prior.json"
        write_json(approx_file, {**meta, "command": "benchmarks/two_track.py: power_sum_prior()",
                                 "balance": approx.to_dict()})
        compare(work, ((song, stems, SR) for song, _, stems in song_stems(SR)), approx_file,
                "the three real-dev songs and the example")
        if args.synth.is_dir():
            compare(work, synth_songs(args.synth), approx_file, f"the synthetic test songs ({args.synth})")
    print(f"\ntwo-track prior: vocals - instrumental {fitted.mean[1] - fitted.mean[0]:+.2f} dB typical (spread "
          f"{fitted.contrast_std()['vocals']:.2f}); power sum of the four-stem prior: {approx.mean[1] - approx.mean[0]:+.2f} "
          f"dB (spread {approx.contrast_std()['vocals']:.2f})")
    print(f"a window's power-summed stem loudness minus its instrumental's ({len(sums)} windows of 10 s where the "
          f"drums, bass and other all sound, real-dev songs and the example): {min(sums):+.2f} to {max(sums):+.2f} dB, "
          f"mean {np.mean(sums):+.2f}")


def refused_before(folder: Path) -> bool:
    """Whether ``advise`` (loudness engine, anchor drums) refuses the folder with the two-track reader switched off
    (the old path: the instrumental left out by name, or summed into "other")."""
    import mixbuddy.predict.advise as adv

    real = adv.two_track_files
    adv.two_track_files = lambda *a, **k: None
    try:
        advise(None, "drums", LoudnessEngine(), stems_dir=folder)
        return False
    except MixbuddyError:
        return True
    finally:
        adv.two_track_files = real


def two_track_report(folder: Path, prior: Path | None):
    """The loudness engine's advice (anchor drums) on a two-track folder with ``prior`` as its two-track prior
    (None: the packaged one), or the MixbuddyError it raised."""
    try:
        return advise(None, "drums", LoudnessEngine(two_track_prior=prior), stems_dir=folder)
    except MixbuddyError as e:
        return e


if __name__ == "__main__":
    main()
