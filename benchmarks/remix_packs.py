"""A remix pack or a stem separation's output: the a cappella and the instrumental beside the stems.

Remix packs give "Acapella.wav" (the vocals alone) and "Instrumental.wav" (the song without its vocals) beside the
stems; a drummer's play-along pack gives "<song> (Drumless).wav"; Demucs with ``--two-stems vocals`` writes
"vocals.wav" and "no_vocals.wav". Before, the a cappella was the vocal stem's audio a second time under another
name (kept and asked about: the vocals read 6 dB up), the instrumental and the drumless track went to "other" (left
out only where the bounce check took them for the whole song), and "no_vocals" went to the vocals. For each song
(the three real-dev songs and the bundled example, 44.1 kHz Ogg as given) this writes a pack: the stems as
"Drums", "Bass", "Music" (the "other" stem) and "Vocals", plus "Acapella" (= the vocals), "Instrumental" (= the rest)
and "<song> (Drumless)" (= all but the drums), and asks ``advise`` (loudness engine, anchor drums):

- *now*: the pack as named;
- *before*: the same audio under names the old rules read the same way the new ones now read other names
  ("Lead Vox 2" for the a cappella: the same audio under a second name, kept; "Full Music" and "Play Along" for the
  instrumental and the drumless track: sorted into "other", as both were), so the present code takes the old path;

and prints the verdict of each against the stems alone, and what was left out. Last, the two-stem separation:
what ``advise`` says of "vocals.wav" + "no_vocals.wav".

    python benchmarks/remix_packs.py
"""
from __future__ import annotations

from pathlib import Path

from mixbuddy.audio import write_audio
from mixbuddy.errors import MixbuddyError

from late_stems import songs   # this folder is on sys.path
from master_stems import advised, finding, scratch, song_stems

SR = 44100
NAMES = {"drums": "Drums", "bass": "Bass", "other": "Music", "vocals": "Vocals"}


def asked(folder: Path) -> tuple[str, list[str]]:
    report, messages = advised(folder)
    return (f"error: {report}" if isinstance(report, MixbuddyError) else finding(report)), messages


def pack(folder: Path, stems: dict, extra: dict[str, str]) -> Path:
    """The stems under their pack names and ``extra`` {kind: file name} of a cappella, instrumental, drumless."""
    folder.mkdir(parents=True)
    for k, x in stems.items():
        write_audio(folder / f"{NAMES[k]}.wav", x, SR)
    audio = {"acapella": stems["vocals"], "instrumental": sum(x for k, x in stems.items() if k != "vocals"),
             "drumless": sum(x for k, x in stems.items() if k != "drums")}
    for kind, name in extra.items():
        write_audio(folder / f"{name}.wav", audio[kind], SR)
    return folder


def main() -> None:
    same = {"now": 0, "before": 0}
    with scratch("remix-packs-") as work:
        for song, src, stems in song_stems(SR):
            alone, _ = asked(src)
            print(f"\n{song}: the stems alone: {alone}")
            for how, extra in (("now", {"acapella": "Acapella", "instrumental": "Instrumental",
                                        "drumless": f"{song} (Drumless)"}),
                               ("before", {"acapella": "Lead Vox 2", "instrumental": "Full Music",
                                           "drumless": "Play Along"})):
                verdict, said = asked(pack(work / song / how, stems, extra))
                left = [m.split(": ", 1)[1][:90] for m in said if "left out" in m]
                same[how] += verdict == alone
                print(f"  {how:6s}: {verdict:24s} {'= alone' if verdict == alone else '!= alone'}; "
                      f"{len(left)} left-out note(s): {' | '.join(left)}")
            two = work / song / "two-stem"
            two.mkdir()
            write_audio(two / "vocals.wav", stems["vocals"], SR)
            write_audio(two / "no_vocals.wav", sum(x for k, x in stems.items() if k != "vocals"), SR)
            verdict, said = asked(two)
            print(f"  Demucs two-stem: {verdict[:110]}; {' | '.join(m[:100] for m in said)}")
        print(f"\nadvice as from the stems alone: now {same['now']} of {len(songs())}, before {same['before']}")


if __name__ == "__main__":
    main()
