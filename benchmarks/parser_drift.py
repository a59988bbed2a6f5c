"""Does a change to the advice parser move how any text the project writes is read? Parses every text the
models learn to say and the engines print (every response template x six stem names x category, with and
without the exact gain at three gains per error category; advise's wording of every finding shape) and the
hand-written paraphrase corpus, and writes each text's findings, primary finding and ambiguity flag as JSON.
Run it before and after a change and compare:

    python benchmarks/parser_drift.py -o /tmp/before.json      # on the old parser (e.g. git stash)
    python benchmarks/parser_drift.py -o /tmp/after.json --compare /tmp/before.json

``--compare`` prints how many texts are read differently, and each of them with both readings. It also prints the
parser's time per text (the best of five passes over the texts, no cache).
"""
import argparse
import json
import time
from itertools import product
from pathlib import Path

from mixbuddy.data import templates as T
from mixbuddy.evaluate.parse import parse_advice
from mixbuddy.findings import Finding
from mixbuddy.predict.wording import describe

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "paraphrases.jsonl"
STEMS = ("bass", "drums", "vocals", "other", "guitar", "piano")
GAINS = {"very_quiet": (-12.0, -9.3, -6.2), "quiet": (-5.9, -4.5, -3.1), "loud": (3.2, 4.5, 5.9),
         "very_loud": (6.1, 9.5, 12.0)}    # applied gains inside each category (the exact correction is their size)


def texts() -> list[str]:
    out = []
    for (cat, pool), s in product(T.RESPONSE_TEMPLATES.items(), STEMS):
        for tid in pool:
            out.append(T.render_response(cat, s, "drums", tid))
            out += [T.render_response(cat, s, "drums", tid, gain_db=g, exact_gain=True) for g in GAINS.get(cat, ())]
    for s, d, rng, g in product(STEMS, ("increase", "decrease"), ((3.0, 6.0), (6.0, 12.0), None), (4.5, None)):
        f = Finding(no_error=False, target=s, direction=d, range_db=rng,
                    gain_db=None if g is None else (g if d == "increase" else -g))
        out += [describe(f), describe(f, " in 0:10–0:20")]
    out.append(describe(Finding(no_error=True)))
    out += [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(dict.fromkeys(out))


def readings() -> dict[str, list]:
    out = {}
    for t in texts():
        r = parse_advice(t)
        out[t] = [repr(r.findings), repr(r.primary), r.ambiguous]
    return out


def per_text_ms(ts: list[str], passes: int = 5) -> float:
    best = float("inf")
    for _ in range(passes):
        t0 = time.perf_counter()
        for t in ts:
            parse_advice(t)
        best = min(best, time.perf_counter() - t0)
    return best / len(ts) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", type=Path, required=True, help="JSON file to write")
    ap.add_argument("--compare", type=Path, help="an earlier output: print the texts read differently")
    args = ap.parse_args()
    now = readings()
    args.output.write_text(json.dumps(now, indent=0, ensure_ascii=False), encoding="utf-8")
    print(f"{len(now)} distinct texts read; written to {args.output}; {per_text_ms(list(now)):.3f} ms per text")
    if args.compare:
        then = json.loads(args.compare.read_text(encoding="utf-8"))
        common = [t for t in now if t in then]
        moved = [t for t in common if now[t] != then[t]]
        print(f"{len(moved)} of {len(common)} texts in both files read differently"
              f" ({len(now) - len(common)} new texts, {len(then) - len(common)} gone)")
        for t in moved:
            print(f"- {t!r}\n    was {then[t][1]} ambiguous={then[t][2]}\n    now {now[t][1]} ambiguous={now[t][2]}")


if __name__ == "__main__":
    main()
