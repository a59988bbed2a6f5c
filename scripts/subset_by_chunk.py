"""Write a seeded subset of a dataset split that keeps whole chunks (all 30 enumeration records of a
10 s window) and spreads them over the songs: ``--per-song`` chunks drawn from every song.

Used where scoring the full synthetic test split (3,300 records) with a CPU-generated model is too
slow for one session; baselines are rescored on the same subset so every row compares the same records.

    python scripts/subset_by_chunk.py work/ds-synth/test.jsonl work/ds-synth/test-sub.jsonl --per-song 1 --seed 0
"""
import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mixbuddy.data.recipe import load_recipes, write_recipes  # noqa: E402
from mixbuddy.rng import rng_for  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset")
    ap.add_argument("output", help="must sit beside the dataset (same dataset.json)")
    ap.add_argument("--per-song", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if Path(a.output).resolve().parent != Path(a.dataset).resolve().parent:
        sys.exit("the subset must be written into the dataset's folder (it shares its dataset.json)")
    recs = load_recipes(a.dataset)
    chunks = defaultdict(list)
    for r in recs:
        chunks[(r.song_id, r.start_s)].append(r)
    by_song = defaultdict(list)
    for key in chunks:
        by_song[key[0]].append(key)
    keep = set()
    for song in sorted(by_song):
        keys = sorted(by_song[song])
        idx = rng_for(a.seed, "subset", song).permutation(len(keys))[: a.per_song]
        keep.update(keys[int(i)] for i in idx)
    out = [r for r in recs if (r.song_id, r.start_s) in keep]
    write_recipes(a.output, out)
    print(f"{a.output}: {len(out)} records, {len(keep)} chunks of {len(by_song)} songs")


if __name__ == "__main__":
    main()
