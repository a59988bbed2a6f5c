"""Baselines: the Bayes decision on simulated loudness, the exact oracle, and the whole chain
corpus → recipes → render → advice text → parser → metrics through the CLI."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from mixbuddy.cli import main
from mixbuddy.constants import CATEGORIES, CATEGORY_BY_NAME, STEMS, TARGET_STEMS
from mixbuddy.data.recipe import load_recipes
from mixbuddy.evaluate.baselines.bayes import GaussianBalance, answer_p, decide, decide_from_posterior
from mixbuddy.evaluate.baselines.simple import oracle_gain
from mixbuddy.evaluate.parse import parse_advice


def simulate(sigma: float, n: int = 1500, seed: int = 0) -> dict:
    """Joint / no-error accuracy of the Bayes rule when stems vary by ``sigma`` dB around a mean balance."""
    rng = np.random.default_rng(seed)
    mu = np.array([-29.7, -34.2, -31.2, -30.7])
    bal = GaussianBalance.fit(mu + rng.normal(0, sigma, (3000, 4)))
    joint = ne = n_ne = 0
    for _ in range(n):
        L = mu + rng.normal(0, sigma, 4) + rng.normal(0, 6)  # any overall level
        anchor = TARGET_STEMS[rng.integers(3)]
        targets = tuple(t for t in TARGET_STEMS if t != anchor)
        t, c = targets[rng.integers(2)], CATEGORIES[rng.integers(5)]
        g = 0.0 if not c.is_error else rng.uniform(*sorted((c.lo, c.hi)))
        L[STEMS.index(t)] += g
        d = decide(bal, dict(zip(STEMS, L)), targets)
        if not c.is_error:
            n_ne += 1
            ne += d.no_error
            joint += d.no_error
        else:
            pred_dir = next(x.direction for x in CATEGORIES if x.name == d.category)
            joint += (not d.no_error) and d.target == t and pred_dir == c.direction
    return {"joint": joint / n, "no_error": ne / max(1, n_ne)}


def test_bayes_rule_tracks_the_natural_spread():
    tight, loose = simulate(1.0), simulate(2.5)
    assert tight["joint"] > 0.9  # stems observed exactly, little natural spread: nearly always right
    assert 0.6 < loose["joint"] < 0.85  # NOTES.md: about 73% at sigma = 2.5 dB
    assert loose["joint"] < tight["joint"] and loose["no_error"] < tight["no_error"]


def test_bayes_decision_details():
    bal = GaussianBalance.fit(np.random.default_rng(1).normal([-30, -34, -31, -31], 1.0, (500, 4)))
    at_mean = dict(zip(STEMS, bal.mean))
    assert decide(bal, at_mean, ("bass", "vocals")).no_error
    pushed = dict(at_mean, vocals=at_mean["vocals"] + 9.0)
    d = decide(bal, pushed, ("bass", "vocals"))
    assert (d.no_error, d.target, d.category) == (False, "vocals", "very_loud")
    assert 6.0 <= d.gain_db <= 12.0 and abs(d.gain_db - 9.0) < 1.5
    # the anchor can never be the answer, even when it is the stem that moved. The best explanation left:
    # bass (or drums) turned down. Deviations from the mean are (bass, drums, other, vocals) = (-g, 0, 0, 9)
    # up to the overall level; the spread (sum of squares about their mean) is smallest at -g = 9/3 = 3 dB
    # (54 against 60.75 dB^2 with no error or with -g = 6), so the "quiet" (3-6 dB) hypotheses win.
    d = decide(bal, pushed, ("bass", "drums"))
    assert d.no_error is False and d.target in ("bass", "drums") and d.category == "quiet"
    assert -6.0 <= d.gain_db <= -3.0 and d.p_error > 0.9
    # a missing stem is marginalised out instead of failing
    d = decide(bal, {k: v for k, v in pushed.items() if k != "bass"}, ("drums", "vocals"))
    assert d.target == "vocals"
    # a threshold trades joint accuracy for no-error recall
    assert decide(bal, pushed, ("bass", "vocals"), threshold=1.01).no_error
    post = {"no_error": 0.3, "bass:quiet": 0.25, "bass:very_quiet": 0.2, "vocals:loud": 0.25}
    d = decide_from_posterior(post, ("bass", "vocals"))
    assert (d.target, d.category) == ("bass", "quiet")  # pair mass 0.45 beats 0.3; range = best category
    # P(right) of the answer: the (bass, raise) pair's mass; of "balanced" (with a threshold), P(no error)
    assert answer_p(d) == pytest.approx(0.45)
    assert answer_p(decide_from_posterior(post, ("bass", "vocals"), threshold=0.8)) == pytest.approx(0.3)
    # the Bayes decision's own posterior: the 9 dB vocals push is "vocals too loud", nearly surely
    assert answer_p(decide(bal, pushed, ("bass", "vocals"))) > 0.9


def test_oracle_recovers_gain_under_uniform_scaling():
    rng = np.random.default_rng(0)
    clean = {s: rng.standard_normal((8000, 2)).astype(np.float32) * a for s, a in zip(STEMS, (0.3, 0.2, 0.1, 0.25))}
    for t, g in (("drums", -7.3), ("vocals", 4.2), ("bass", 11.9)):
        mix = sum(x * (10 ** (g / 20) if s == t else 1.0) for s, x in clean.items()) * 0.61  # peak scaling
        got_t, got_g = oracle_gain(clean, mix.astype(np.float32))
        assert got_t == t and abs(got_g - g) < 0.01
    assert oracle_gain(clean, sum(clean.values())) == (None, 0.0)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    from corpus_fixtures import build_recipes

    return build_recipes(tmp_path_factory.mktemp("baselines"), n_train=3, n_test=2, seconds=30.0, sr=22050)

@pytest.fixture(scope="module")
def mixfeat_train(dataset) -> Path:
    """A larger sampled training split of the same corpus: 12 records per chunk (108), not 4 (36).

    On the 36-record split ``mix-features`` cannot learn: its gradient-boosted trees keep the default
    ``min_samples_leaf=20``, so no split of 36 samples is allowed, every tree is one leaf, the classifier
    returns the training prior for every mix and joint accuracy is exactly chance (20.0 %, measured).
    """
    out = dataset.parent / "ds-mixfeat"
    assert main(["data", "build", "--kind", "musdb_hq", "--root", str(dataset.parent / "corpus"), "-o", str(out),
                 "--passes", "12", "--no-progress", "-q"]) == 0
    return out / "train.jsonl"


def run_and_score(dataset: Path, name: str, *extra: str, test: str = "test.jsonl") -> dict:
    preds, rep = dataset.parent / f"{name}.jsonl", dataset.parent / f"rep-{name}"
    assert main(["baseline", name, "--dataset", str(dataset / test), "-o", str(preds), "--workers", "1", *extra]) == 0
    assert main(["evaluate", "--predictions", str(preds), "--dataset", str(dataset / test), "-o", str(rep),
                 "--bootstrap", "0"]) == 0
    m = json.loads((rep / "metrics.json").read_text())
    assert m["counts"]["unparseable"] == 0  # baselines speak the dataset's language
    return m["headline"]


def test_oracle_scores_100_through_the_whole_chain(dataset):
    h = run_and_score(dataset, "oracle-stems")
    for k in ("joint_accuracy", "stem_accuracy", "direction_accuracy", "magnitude_accuracy", "no_error_accuracy"):
        assert h[k] == pytest.approx(1.0), k
    assert h["mean_abs_db_error"] < 0.26  # stated gains are rounded to 0.5 dB


def said(dataset: Path, name: str) -> list[tuple[str, str | None]]:
    """(category, target) each answer of baseline ``name`` states, as the parser reads it."""
    by_finding = {(c.direction, c.magnitude): c.name for c in CATEGORIES if c.is_error}
    out = []
    for line in open(dataset.parent / f"{name}.jsonl"):
        f = parse_advice(json.loads(line)["text"]).primary
        out.append(("no_error", None) if f.no_error else (by_finding[(f.direction, f.range_db)], f.target))
    return out


def test_random_and_majority_sit_at_their_expected_floors(dataset):
    test = load_recipes(dataset / "test.jsonl")
    n = len(test)
    tol = 4 * np.sqrt(0.2 * 0.8 / n)
    h = run_and_score(dataset, "random")
    assert abs(h["joint_accuracy"] - 0.2) < tol
    # random, not stuck: each of the five categories about a fifth of the answers, each allowed target half
    answers = said(dataset, "random")
    for c in CATEGORIES:
        assert abs(sum(a[0] == c.name for a in answers) / n - 0.2) < tol, c.name
    named = [(a[1], r) for a, r in zip(answers, test) if a[1] is not None]
    assert all(t in TARGET_STEMS and t != r.anchor for t, r in named)
    half = 4 * np.sqrt(0.25 / len(named))
    assert abs(sum(t == r.target for t, r in named) / len(named) - 0.5) < half
    first = [min(x for x in TARGET_STEMS if x != r.anchor) for _, r in named]   # not always the same of the two
    assert abs(sum(t == f for (t, _), f in zip(named, first)) / len(named) - 0.5) < half
    # majority: the training split's most frequent (category, target) among those the record allows
    h = run_and_score(dataset, "majority")
    counts = Counter((r.category, r.target) for r in load_recipes(dataset / "train.jsonl"))
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    expected = [next((c, None if c == "no_error" else t) for c, t in ranked
                     if c == "no_error" or (t in TARGET_STEMS and t != r.anchor)) for r in test]
    assert said(dataset, "majority") == expected
    right = sum(r.category == "no_error" if c == "no_error" else
                (r.target == t and CATEGORY_BY_NAME[r.category].direction == CATEGORY_BY_NAME[c].direction)
                for (c, t), r in zip(expected, test))
    assert h["joint_accuracy"] == pytest.approx(right / n) and abs(h["joint_accuracy"] - 0.2) < tol


def test_loudness_stems_beats_chance(dataset):
    h = run_and_score(dataset, "loudness-stems")
    assert h["joint_accuracy"] > 0.5


def test_loudness_stems_does_not_hear_the_bounce_level(dataset):
    """The same corpus built with ``--bounce-db 8`` (every chunk heard at its own level): the loudness engine
    weighs the stems against each other, so every answer stays the same here (on the synthetic test split
    3,299 of 3,300: BS.1770's gates are absolute), while the records' levels do move."""
    moved = dataset.parent / "ds-bounce"
    assert main(["data", "build", "--kind", "musdb_hq", "--root", str(dataset.parent / "corpus"), "-o", str(moved),
                 "--bounce-db", "8", "--no-progress", "-q"]) == 0
    levels = {json.loads(line)["bounce_db"] for line in open(moved / "test.jsonl")}
    assert len(levels) > 1 and max(abs(b) for b in levels) > 2
    answers = []
    for ds in (dataset, moved):
        out = ds.parent / f"loudness-{ds.name}.jsonl"
        assert main(["baseline", "loudness-stems", "--dataset", str(ds / "test.jsonl"), "-o", str(out),
                     "--workers", "1"]) == 0
        answers.append([(d["id"], d["text"], round(d["confidence"], 4)) for d in map(json.loads, open(out))])
    assert answers[0] == answers[1]


@pytest.mark.slow
def test_mix_features_learns_from_the_mix_and_is_deterministic(dataset, mixfeat_train, tmp_path):
    # the first chunk of each test song (60 records, still the full 30-record enumeration per chunk): the
    # features cost about 0.05 s a record, and the classifier's 300 rounds are a fixed ~4 s
    rows = [ln for ln in (dataset / "test.jsonl").read_text().splitlines() if json.loads(ln)["start_s"] == 0.0]
    assert len(rows) == 60
    (dataset / "test-first-chunks.jsonl").write_text("\n".join(rows) + "\n")
    args = ["--train", str(mixfeat_train)]
    h = run_and_score(dataset, "mix-features", *args, test="test-first-chunks.jsonl")
    # Chance: the enumeration gives each anchor 2 targets x 5 categories, so an answer that does not listen
    # (fixed per anchor: "no change", or one target and direction) is right on exactly 2 of 10 records
    # (20 %); a random one has that mean and sd sqrt(0.16 / 60) = 5 points, so 60 % is 7 sd above it.
    assert h["joint_accuracy"] > 0.6
    assert h["no_error_accuracy"] > 0.6
    # seeded end to end: a second run (other worker count) writes the same bytes
    again = tmp_path / "again.jsonl"
    assert main(["baseline", "mix-features", "--dataset", str(dataset / "test-first-chunks.jsonl"), "-o", str(again),
                 "--workers", "2", *args]) == 0
    assert again.read_bytes() == (dataset.parent / "mix-features.jsonl").read_bytes()


def test_mix_features_warns_when_its_training_split_is_too_small(dataset, caplog):
    from mixbuddy.data.recipe import load_recipes
    from mixbuddy.evaluate.baselines.common import open_renderer
    from mixbuddy.evaluate.baselines.mixfeat import predict_mix_features

    train, test = load_recipes(dataset / "train.jsonl")[:30], load_recipes(dataset / "test.jsonl")[:2]
    with caplog.at_level("WARNING"):
        out = predict_mix_features(test, train, open_renderer(dataset / "test.jsonl", 22050, 2),
                                   open_renderer(dataset / "train.jsonl", 22050, 2), workers=1)
    assert [o["id"] for o in out] == [r.id for r in test]
    assert "mix-features: 30 training records cannot be split into leaves of 20" in caplog.text


def test_baseline_refuses_train_test_overlap(dataset, tmp_path, capsys):
    rc = main(["baseline", "loudness-stems", "--dataset", str(dataset / "test.jsonl"), "--train",
               str(dataset / "test.jsonl"), "-o", str(tmp_path / "p.jsonl")])
    assert rc == 1 and not (tmp_path / "p.jsonl").exists()
    err = capsys.readouterr().err
    assert err.startswith(f"mixbuddy: error: {dataset / 'test.jsonl'} and {dataset / 'test.jsonl'} share songs "
                          "['test_00', 'test_01']: a baseline must not be fitted on the songs it is scored on")


def test_baseline_without_a_training_split_says_how_to_give_one(dataset, tmp_path, capsys):
    # a test-only dataset (the real songs) has no train.jsonl beside it
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "test.jsonl").write_bytes((dataset / "test.jsonl").read_bytes())
    rc = main(["baseline", "loudness-stems", "--dataset", str(alone / "test.jsonl"), "-o", str(tmp_path / "p.jsonl")])
    assert rc == 1 and not (tmp_path / "p.jsonl").exists()
    assert capsys.readouterr().err.startswith(
        f"mixbuddy: error: loudness-stems is fitted on a training split and {alone / 'train.jsonl'} (the default, "
        "beside --dataset) does not exist: give one with --train")


def test_oracle_prefers_no_uniform_scaling_when_two_stems_are_ambiguous():
    rng = np.random.default_rng(3)
    clean = {"bass": rng.standard_normal((4000, 1)), "drums": rng.standard_normal((4000, 1))}
    mix = clean["bass"] * 10 ** (-9 / 20) + clean["drums"]  # equally: drums +9 dB with everything -9 dB
    t, g = oracle_gain(clean, mix)
    assert t == "bass" and abs(g + 9) < 1e-6
    # the protocol can rule a stem out: then only "drums +9 dB, everything -9 dB" is left. The mix is an
    # exact linear combination of the stems, so least squares recovers it to rounding error (1e-6 dB)
    assert oracle_gain(clean, mix, candidates=("drums",)) == ("drums", pytest.approx(9.0, abs=1e-6))
