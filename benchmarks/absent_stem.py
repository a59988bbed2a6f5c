"""Songs without a stem (an instrumental), heard as a mix alone: does telling the mix model help? (``advise --absent``)

A mix model cannot tell a missing stem from a very quiet one. This builds the test sets for that question
from songs whose stems you have, as two corpora of the same songs without one stem (``--drop``, default
vocals; the other stems' files are linked, not copied): in ``told/`` the stem's file is left out, so the
records ``mixbuddy data build`` makes name the song's three stems and ``mixbuddy predict`` tells the model
them, as ``advise --absent vocals`` does; in ``untold/`` it is replaced by digital silence of the same length,
so the records name all four stems and the model is told nothing, as plain ``advise`` is (a silent stem never
passes the activity gate, so it takes no role: the same mixes, ids and answers).

    python benchmarks/absent_stem.py --songs work/synth/test --out work/novox
    for k in told untold; do
      mixbuddy data build --kind stems_folder --root work/novox/$k --config configs/data.yaml -o work/novox/ds-$k
      mixbuddy predict --checkpoint default-real --dataset work/novox/ds-$k/test.jsonl -o work/novox/default-real-$k.jsonl
    done
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import soundfile as sf

from mixbuddy.audio import AUDIO_EXTENSIONS
from mixbuddy.constants import STEMS


def corpora_without(songs: Path, out: Path, drop: str) -> int:
    """``out/told/<song>/`` and ``out/untold/<song>/``: links to each song folder's stem files under ``songs``
    but ``drop``, which ``untold/`` holds as digital silence instead (FLAC, same length, rate and channels).
    Returns the number of songs (those that have ``drop``)."""
    n = 0
    for song in sorted(p for p in songs.iterdir() if p.is_dir()):
        files = [f for f in sorted(song.iterdir()) if f.suffix.lower() in AUDIO_EXTENSIONS and f.stem in STEMS]
        dropped = [f for f in files if f.stem == drop]
        if not dropped:
            continue                                  # a song that lacks it already says nothing new
        for kind in ("told", "untold"):
            folder = out / kind / song.name
            folder.mkdir(parents=True, exist_ok=True)
            for f in files:
                if f.stem != drop and not (folder / f.name).exists():
                    (folder / f.name).symlink_to(f.resolve())
        info = sf.info(str(dropped[0]))
        silence = np.zeros((info.frames, info.channels), dtype=np.float32)
        sf.write(str(out / "untold" / song.name / f"{drop}.flac"), silence, info.samplerate, subtype="PCM_16")
        n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--songs", required=True, type=Path, help="folder of song folders (<stem>.wav/.flac/...)")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--drop", default="vocals", choices=STEMS)
    args = ap.parse_args()
    print(f"{corpora_without(args.songs, args.out, args.drop)} songs without {args.drop} in {args.out}/told and "
          f"{args.out}/untold")


if __name__ == "__main__":
    main()
