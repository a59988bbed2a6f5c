"""Baselines: the Bayes decision on simulated loudness, the exact oracle, and the whole chain
corpus → recipes → render → advice text → parser → metrics through the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mixbuddy.cli import main
from mixbuddy.constants import CATEGORIES, STEMS, TARGET_STEMS
from mixbuddy.evaluate.baselines.bayes import GaussianBalance, decide, decide_from_posterior
from mixbuddy.evaluate.baselines.simple import oracle_gain


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
    # the anchor can never be the answer, even when it is the stem that moved
    d = decide(bal, pushed, ("bass", "drums"))
    assert d.target != "vocals"
    # a missing stem is marginalised out instead of failing
    d = decide(bal, {k: v for k, v in pushed.items() if k != "bass"}, ("drums", "vocals"))
    assert d.target == "vocals"
    # a threshold trades joint accuracy for no-error recall
    assert decide(bal, pushed, ("bass", "vocals"), threshold=1.01).no_error
    post = {"no_error": 0.3, "bass:quiet": 0.25, "bass:very_quiet": 0.2, "vocals:loud": 0.25}
    d = decide_from_posterior(post, ("bass", "vocals"))
    assert (d.target, d.category) == ("bass", "quiet")  # pair mass 0.45 beats 0.3; range = best category


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

def run_and_score(dataset: Path, name: str) -> dict:
    preds, rep = dataset.parent / f"{name}.jsonl", dataset.parent / f"rep-{name}"
    assert main(["baseline", name, "--dataset", str(dataset / "test.jsonl"), "-o", str(preds), "--workers", "1"]) == 0
    assert main(["evaluate", "--predictions", str(preds), "--dataset", str(dataset / "test.jsonl"), "-o", str(rep),
                 "--bootstrap", "0"]) == 0
    m = json.loads((rep / "metrics.json").read_text())
    assert m["counts"]["unparseable"] == 0  # baselines speak the dataset's language
    return m["headline"]


def test_oracle_scores_100_through_the_whole_chain(dataset):
    h = run_and_score(dataset, "oracle-stems")
    for k in ("joint_accuracy", "stem_accuracy", "direction_accuracy", "magnitude_accuracy", "no_error_accuracy"):
        assert h[k] == pytest.approx(1.0), k
    assert h["mean_abs_db_error"] < 0.26  # stated gains are rounded to 0.5 dB


def test_random_and_majority_sit_at_their_expected_floors(dataset):
    n = sum(1 for _ in open(dataset / "test.jsonl"))
    tol = 4 * np.sqrt(0.2 * 0.8 / n)
    h = run_and_score(dataset, "random")
    assert abs(h["joint_accuracy"] - 0.2) < tol
    h = run_and_score(dataset, "majority")
    assert abs(h["joint_accuracy"] - 0.2) < tol


def test_loudness_stems_beats_chance(dataset):
    h = run_and_score(dataset, "loudness-stems")
    assert h["joint_accuracy"] > 0.5


def test_baseline_refuses_train_test_overlap(dataset, tmp_path):
    rc = main(["baseline", "loudness-stems", "--dataset", str(dataset / "test.jsonl"), "--train",
               str(dataset / "test.jsonl"), "-o", str(tmp_path / "p.jsonl")])
    assert rc == 1 and not (tmp_path / "p.jsonl").exists()


def test_oracle_prefers_no_uniform_scaling_when_two_stems_are_ambiguous():
    rng = np.random.default_rng(3)
    clean = {"bass": rng.standard_normal((4000, 1)), "drums": rng.standard_normal((4000, 1))}
    mix = clean["bass"] * 10 ** (-9 / 20) + clean["drums"]  # equally: drums +9 dB with everything -9 dB
    t, g = oracle_gain(clean, mix)
    assert t == "bass" and abs(g + 9) < 1e-6
    assert oracle_gain(clean, mix, candidates=("drums",))[0] == "drums"  # the protocol can rule a stem out
