"""Does a reference song help the loudness engine on real songs? (``advise --reference``)

Every record of a dataset of real songs (work/ds-real: the three CC0 songs of one album, enumeration
protocol) is judged by the loudness engine five ways: with the packaged prior (what ``advise`` does by
default), and with the typical balance taken from reference songs (``predict.reference``): the *next*
song of the set, the *previous* one (each song is judged against each other song once over the two), the
*others* together (their mean balance, as ``--reference`` given once per song), and the song *itself* (its own clean stems: the balance it was flawed from, an upper bound no producer has),
and with ``--unrelated DIR`` a song of another kind (the song folders under DIR, one per song in turn,
e.g. synthetic songs: ``mixbuddy corpus synth -o work/synth-ref --songs 3 --seconds 40 --seed 7``).
Each way writes a predictions file in the baselines' format (``<out>/loudness-ref-<way>.jsonl``), for
``mixbuddy evaluate`` and ``mixbuddy compare``.

    python benchmarks/reference_balance.py --dataset work/ds-real/test.jsonl \
        --songs ../shared/data/real-dev --out work/preds/real --cache-dir work/cache --unrelated work/synth-ref
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from mixbuddy.constants import STEMS
from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.evaluate.baselines.bayes import answer_p, decide
from mixbuddy.evaluate.baselines.common import advice_text, allowed_targets
from mixbuddy.evaluate.baselines.loudness import _stem_loudness
from mixbuddy.predict.engines import LoudnessEngine
from mixbuddy.predict.reference import combine_levels, reference_levels


def album_references(songs: list[str]) -> dict:
    """Per way, the songs each song is judged against: none (the prior), the next or the previous song of the
    set (so each song meets each other once over the two), all the *others* together (their mean balance:
    ``--reference`` given once per song), itself (an upper bound)."""
    return {"prior": lambda s: [], "next": lambda s: [songs[(songs.index(s) + 1) % len(songs)]],
            "previous": lambda s: [songs[(songs.index(s) - 1) % len(songs)]],
            "others": lambda s: [o for o in songs if o != s], "self": lambda s: [s]}


def reference_balance(engine: LoudnessEngine, folders: list, anchor: str, cache: dict) -> dict[str, float] | None:
    """The typical balance ``advise --reference F1 --reference F2 ...`` takes from these songs (None: none
    given), each song measured once per anchor."""
    if not folders:
        return None
    for f in folders:
        if (f, anchor) not in cache:
            cache[(f, anchor)] = reference_levels(engine, f, anchor)[0]
    return combine_levels(engine.balance, [cache[(f, anchor)] for f in folders])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--songs", required=True, help="folder holding each song's stems folder (named as song_id)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--unrelated", default=None, help="folder of other songs' stems folders (any depth)")
    args = ap.parse_args()
    engine = LoudnessEngine()
    prior = engine.balance
    records = load_recipes(args.dataset)
    renderer = open_renderer(args.dataset, engine.sample_rate, engine.channels, args.cache_dir)
    songs = sorted({r.song_id for r in records})
    ref_of = album_references(songs)
    ways = tuple(ref_of)
    if args.unrelated:
        others = sorted({p.parent for p in Path(args.unrelated).rglob("vocals.*")})
        ref_of["unrelated"] = lambda s: [others[songs.index(s) % len(others)]]
        ways = (*ways, "unrelated")
    cache: dict = {}
    flawed = [dict(zip(STEMS, _stem_loudness(renderer, r))) for r in records]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for way in ways:
        rows = []
        for r, lufs in zip(records, flawed):
            folders = [f if isinstance(f, Path) else Path(args.songs) / f for f in ref_of[way](r.song_id)]
            levels = reference_balance(engine, folders, r.anchor, cache)
            balance = prior if levels is None else prior.shifted_to(levels)
            d = decide(balance, lufs, allowed_targets(r))
            rows.append({"id": r.id, "text": advice_text(r, d.no_error, d.target, d.category, 0, gain_db=d.gain_db),
                         "confidence": round(d.p_error, 6), "p_answer": answer_p(d)})
        path = out / f"loudness-ref-{way}.jsonl"
        path.write_text("".join(json.dumps(x) + "\n" for x in rows), encoding="utf-8")
        print(f"{way:>8}: {path} ({len(rows)} predictions)")


if __name__ == "__main__":
    main()
