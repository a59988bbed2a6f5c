"""Benchmark: score 25,650 synthetic predictions (the paper's test-set size) end to end.

855 chunks x 3 anchors x 2 targets x 5 categories. Predictions imitate a model: most answers are
template wordings with an exact gain (so nearly every text is unique and the parse cache does not
help), some name the wrong stem or direction, some say "no change", some are free paraphrases or junk.

    python benchmarks/bench_evaluate.py [--bootstrap 1000] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from mixbuddy.constants import CATEGORIES, CATEGORY_BY_NAME, TARGET_STEMS
from mixbuddy.data import templates as T
from mixbuddy.evaluate.inputs import _CACHE
from mixbuddy.evaluate.run import evaluate_files

PARAPHRASES = ("The {t} {v} buried, push {o} up a few dB.", "Way too much {t}; pull it back 3 to 6 dB.",
               "The {t} could be louder.", "The {t} {v} louder than it should be.", "I like the groove.",
               "Nothing is too loud or too quiet here.")


def synth(n_chunks: int = 855, chunks_per_song: int = 17, seed: int = 0) -> tuple[list[dict], list[dict]]:
    rng = np.random.default_rng(seed)
    recs, preds = [], []
    for c in range(n_chunks):
        song = f"song{c // chunks_per_song:03d}"
        for anchor in TARGET_STEMS:
            for target in (x for x in TARGET_STEMS if x != anchor):
                for cat in CATEGORIES:
                    lo, hi = cat.magnitude
                    g = 0.0 if not cat.is_error else float(rng.uniform(lo, hi - 1e-6)) * (
                        -1 if cat.direction == "increase" else 1)
                    rid = f"{song}@{c * 10000}:{target}:{anchor}:{cat.name}:0"
                    ids = T.response_ids(cat.name)
                    resp = T.render_response(cat.name, target, anchor, ids[int(rng.integers(len(ids)))])
                    recs.append({"id": rid, "song_id": song, "split": "test", "start_s": 10.0 * (c % chunks_per_song),
                                 "duration_s": 10.0, "target": target, "anchor": anchor, "category": cat.name,
                                 "gain_db": g, "response": resp, "instruction": "Is the balance right?"})
                    u = rng.random()
                    pc, pt = cat.name, target
                    if u < 0.15:
                        pc = "no_error"
                    elif u < 0.35:
                        pt = anchor
                    elif u < 0.45:
                        pc = CATEGORIES[int(rng.integers(5))].name
                    if u > 0.93:
                        text = PARAPHRASES[int(rng.integers(len(PARAPHRASES)))].format(
                            t=pt, v="are" if pt != "bass" else "is", o="them" if pt != "bass" else "it")
                    elif CATEGORY_BY_NAME[pc].is_error:
                        pcat = CATEGORY_BY_NAME[pc]
                        pg = float(rng.uniform(*pcat.magnitude)) * (-1 if pcat.direction == "increase" else 1)
                        pg = min(max(pg, -12.0), 12.0)
                        pids = T.response_ids(pc)
                        text = T.render_response(pc, pt, anchor, pids[int(rng.integers(len(pids)))], gain_db=pg,
                                                 exact_gain=True)
                    else:
                        pids = T.response_ids(pc)
                        text = T.render_response(pc, pt, anchor, pids[int(rng.integers(len(pids)))])
                    preds.append({"id": rid, "text": text, "confidence": float(rng.random())})
    return recs, preds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--keep", default=None, help="keep dataset, predictions and report in this folder")
    args = ap.parse_args()
    recs, preds = synth()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_eval_"))
    root.mkdir(parents=True, exist_ok=True)
    (root / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    (root / "preds.jsonl").write_text("".join(json.dumps(p) + "\n" for p in preds))
    n_unique = len({p["text"] for p in preds})
    _CACHE.clear()
    t0 = time.perf_counter()
    res = evaluate_files(root / "preds.jsonl", root / "test.jsonl", root / "report", name="bench",
                         n_boot=args.bootstrap)
    wall = time.perf_counter() - t0
    print(f"{res['n']} predictions ({n_unique} unique texts), {res['n_songs']} songs, {args.bootstrap} bootstrap "
          f"resamples: {wall:.2f} s end to end (report + figures included)")
    from mixbuddy.evaluate.parse import parse_advice

    t0 = time.perf_counter()
    for p in preds:
        parse_advice(p["text"])
    print(f"parser alone, no cache: {time.perf_counter() - t0:.2f} s for {len(preds)} texts")
    h = res["headline"]
    print(f"joint {h['joint_accuracy']:.4f}  magnitude {h['magnitude_accuracy']:.4f}  "
          f"no-error {h['no_error_accuracy']:.4f}  unparseable {res['counts']['unparseable']}")


if __name__ == "__main__":
    main()
