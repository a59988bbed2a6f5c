"""findings.answer_probability: how likely an answer is right under an engine's class probabilities."""
from __future__ import annotations

import pytest

from mixbuddy.findings import Finding, answer_probability

# the aux head's naming ("<target>/<category>"); the anchor (drums) carries mass the instruction rules out
HEAD = {"no_error": 0.2, "vocals/quiet": 0.3, "vocals/very_quiet": 0.1, "vocals/loud": 0.05,
        "bass/very_loud": 0.15, "drums/loud": 0.2}
ALLOWED = ("bass", "other", "vocals")


def test_a_claim_is_right_with_the_mass_of_its_stem_and_direction_among_allowed_answers() -> None:
    z = 0.2 + 0.3 + 0.1 + 0.05 + 0.15                     # drums (the anchor) dropped, the rest renormalised
    assert answer_probability(HEAD, Finding(False, "vocals", "increase", (3.0, 6.0)), ALLOWED) == pytest.approx(0.4 / z)
    assert answer_probability(HEAD, Finding(False, "vocals", "decrease"), ALLOWED) == pytest.approx(0.05 / z)
    assert answer_probability(HEAD, Finding(False, "bass", "decrease"), ALLOWED) == pytest.approx(0.15 / z)
    assert answer_probability(HEAD, Finding(False, "other", "increase"), ALLOWED) == 0.0
    assert answer_probability(HEAD, Finding(True), ALLOWED) == pytest.approx(0.2 / z)
    # the answers' probabilities add up to one over every distinct answer
    answers = [Finding(True)] + [Finding(False, t, d) for t in ALLOWED for d in ("increase", "decrease")]
    assert sum(answer_probability(HEAD, f, ALLOWED) for f in answers) == pytest.approx(1.0)


def test_bayes_naming_unclear_answers_and_no_posterior() -> None:
    bayes = {"no_error": 0.5, "bass:quiet": 0.5}
    assert answer_probability(bayes, Finding(False, "bass", "increase"), ("bass",)) == pytest.approx(0.5)
    assert answer_probability(HEAD, Finding(False, "vocals", None), ALLOWED) is None     # no direction stated
    assert answer_probability(HEAD, Finding(False, None, "increase"), ALLOWED) is None
    assert answer_probability(None, Finding(True), ALLOWED) is None
    assert answer_probability({}, Finding(True), ALLOWED) is None
    assert answer_probability({"drums/loud": 1.0}, Finding(True), ALLOWED) is None          # nothing allowed
