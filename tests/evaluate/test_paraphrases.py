"""Hand-written paraphrases (tests/data/paraphrases.jsonl): the parser must agree with >= 95 %."""
from __future__ import annotations

import json
from pathlib import Path

from mixbuddy.evaluate.parse import parse_advice

CORPUS = Path(__file__).resolve().parents[1] / "data" / "paraphrases.jsonl"
KEYS = ("no_error", "target", "direction", "range_db", "gain_db")


def test_paraphrase_corpus_is_large_and_varied():
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 60
    assert sum(r["no_error"] for r in rows) >= 8
    assert {r["direction"] for r in rows} == {None, "increase", "decrease"}
    assert {r["target"] for r in rows} >= {"bass", "drums", "vocals"}
    for r in rows:
        assert set(KEYS) <= set(r) and isinstance(r["text"], str)


def test_paraphrase_agreement_at_least_95_percent():
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    failures = []
    for i, r in enumerate(rows, 1):
        f = parse_advice(r["text"]).primary
        got = {"no_error": f.no_error, "target": f.target, "direction": f.direction,
               "range_db": list(f.range_db) if f.range_db else None, "gain_db": f.gain_db}
        want = {k: r[k] for k in KEYS}
        if want["range_db"] is not None:
            want["range_db"] = [float(x) for x in want["range_db"]]
        if got != want:
            diff = {k: (want[k], got[k]) for k in KEYS if want[k] != got[k]}
            failures.append(f"line {i}: {r['text']!r}: (expected, got) {diff}")
    agreement = 1 - len(failures) / len(rows)
    print(f"paraphrase agreement {agreement:.1%} ({len(rows) - len(failures)}/{len(rows)})")
    for line in failures:
        print("  " + line)
    assert agreement >= 0.95, f"agreement {agreement:.1%} < 95%:\n" + "\n".join(failures)
