"""The advice parser: phrase families, negation, numbers, several findings, and the round trip of
every ground-truth response template."""
from __future__ import annotations

import inspect

import pytest

from mixbuddy.constants import CATEGORY_BY_NAME, TARGET_STEMS
from mixbuddy.evaluate.parse import normalise, parse_advice


def p(text: str):
    return parse_advice(text).primary


def label(text: str) -> tuple:
    f = p(text)
    return f.no_error, f.target, f.direction


def test_every_template_round_trips():
    """Every response template x target x anchor x category (x exact gain) parses back exactly."""
    from mixbuddy.data import templates as T  # fails loudly if the templates module is missing

    exact_kw = "exact_gain" in inspect.signature(T.render_response).parameters
    failures, n = [], 0
    assert set(T.RESPONSE_TEMPLATES) == set(CATEGORY_BY_NAME)
    for cat_name, pool in T.RESPONSE_TEMPLATES.items():
        cat = CATEGORY_BY_NAME[cat_name]
        for tid in pool:
            for target in TARGET_STEMS:
                for anchor in (a for a in (*TARGET_STEMS, "other") if a != target):
                    gains: list[float | None] = [None]
                    if cat.is_error:
                        lo, hi = cat.magnitude
                        sign = -1.0 if cat.direction == "increase" else 1.0
                        gains += [sign * lo, sign * (lo + 0.26), sign * (lo + 0.74), sign * min(hi - 0.01, 12.0)]
                    for g in gains:
                        kw = {} if g is None else ({"gain_db": g, "exact_gain": True} if exact_kw else {"gain_db": g})
                        text = T.render_response(cat_name, target, anchor, tid, **kw)
                        res = parse_advice(text)
                        f, n = res.primary, n + 1
                        want = (True, None, None, None) if not cat.is_error else (False, target, cat.direction, cat.magnitude)
                        want_gain = None
                        if g is not None and cat.is_error:
                            mag = round(abs(g) * 2) / 2
                            want_gain = mag if cat.direction == "increase" else -mag
                        got = (f.no_error, f.target, f.direction, f.range_db)
                        if got != want or f.gain_db != want_gain or res.ambiguous:
                            failures.append(f"{tid} target={target} anchor={anchor} gain={g}: {text!r} -> "
                                            f"{got} gain={f.gain_db} ambiguous={res.ambiguous}; want {want} gain={want_gain}")
    assert n > 1000
    assert not failures, f"{len(failures)}/{n} template renderings misparsed:\n" + "\n".join(failures[:20])


@pytest.mark.parametrize("text,want", [
    ("The vocals are too loud.", (False, "vocals", "decrease")),
    ("The drums are overpowering the vocals.", (False, "drums", "decrease")),
    ("Bass dominates everything.", (False, "bass", "decrease")),
    ("Turn down the drums.", (False, "drums", "decrease")),
    ("Turn the drums down a little.", (False, "drums", "decrease")),
    ("Reduce the vocals.", (False, "vocals", "decrease")),
    ("Lower the bass.", (False, "bass", "decrease")),
    ("Cut the kick.", (False, "drums", "decrease")),
    ("Pull the vocals back.", (False, "vocals", "decrease")),
    ("The bass is too quiet.", (False, "bass", "increase")),
    ("The vocals are buried.", (False, "vocals", "increase")),
    ("The bass gets lost in the mix.", (False, "bass", "increase")),
    ("Bring up the vocals.", (False, "vocals", "increase")),
    ("Boost the drums.", (False, "drums", "increase")),
    ("Raise the bass guitar.", (False, "bass", "increase")),
    ("Push the vocals up.", (False, "vocals", "increase")),
])
def test_phrase_families(text, want):
    assert label(text) == want


@pytest.mark.parametrize("text,want", [
    ("Make the bass louder.", "increase"),
    ("The bass should be louder.", "increase"),
    ("The bass needs to be louder.", "increase"),
    ("The bass is louder than it should be.", "decrease"),
    ("The bass sounds louder than the drums.", "decrease"),
    ("Make the bass quieter.", "decrease"),
    ("The bass is quieter than it should be.", "increase"),
    ("The vocals are quieter than they should be.", "increase"),
    ("The bass should be lower.", "decrease"),
    ("The bass is lower than the vocals.", "increase"),
    ("The drums have been boosted.", "decrease"),
    ("The drums need to be boosted.", "increase"),
])
def test_louder_quieter_instruction_vs_description(text, want):
    assert p(text).direction == want
    assert "loud" not in normalise("quieter") and p("The vocals are louder than they should be.").direction == "decrease"


@pytest.mark.parametrize("text", [
    "The drums are not too loud.", "The vocals don't need to be louder.", "Don't turn the bass down.",
    "I don't think the vocals are too loud.", "There is no need to boost the drums.",
])
def test_negation_removes_the_finding(text):
    f = p(text)
    assert f.direction is None and not f.no_error


def test_negation_keeps_the_other_finding():
    assert label("The drums are not too loud, but the vocals are.") == (False, "vocals", "decrease")
    assert label("The bass isn't too quiet, the vocals are.") == (False, "vocals", "increase")
    assert label("The drums aren't louder than they should be, but the vocals definitely are.") == (
        False, "vocals", "decrease")
    assert label("The drums are not too loud, but the vocals are fine.") == (True, None, None)  # not an ellipsis
    assert label("The vocals aren't too loud; the bass is too quiet.") == (False, "bass", "increase")
    assert label("The bass isn't loud enough.") == (False, "bass", "increase")
    assert label("Nothing is too loud or too quiet.") == (True, None, None)


@pytest.mark.parametrize("text,target", [
    ("The bass drum is too loud.", "drums"), ("The kick drum is too loud.", "drums"),
    ("The bassline is too loud.", "bass"), ("The bass line is too loud.", "bass"), ("The kit is too loud.", "drums"),
    ("The percussion is too loud.", "drums"), ("The singer is too loud.", "vocals"), ("The voice is too loud.", "vocals"),
    ("The lead vocal is too loud.", "vocals"), ("The other instruments are too loud.", "other"),
    ("The accompaniment is too loud.", "other"),
])
def test_stem_synonyms(text, target):
    assert p(text).target == target


def test_reference_stems_are_not_targets():
    assert p("Relative to the drums, the bass is too loud.").target == "bass"
    assert p("Compared with the vocals, the drums are too quiet.").target == "drums"
    assert p("The vocals are buried under the drums.").target == "vocals"
    assert p("The bass is louder than the drums.").target == "bass"
    assert p("Using the vocals as the anchor, the bass is too loud.").target == "bass"


@pytest.mark.parametrize("text,rng,gain", [
    ("Raise the bass by 3 to 6 dB.", (3.0, 6.0), None), ("Raise the bass by 3–6 dB.", (3.0, 6.0), None),
    ("Raise the bass by 3-6dB.", (3.0, 6.0), None), ("Lower the bass by between -6 and -3 dB.", (3.0, 6.0), None),
    ("Raise the bass by +4.5 dB.", None, 4.5), ("Lower the bass by about 4 dB.", None, -4.0),
    ("Bass: -4.5 dB.", None, -4.5), ("Lower the bass by six dB.", None, -6.0),
    ("Raise the bass between 6 and 12 decibels.", (6.0, 12.0), None),
    ("Lower the bass 3 to 6 dB (about 4.5 dB).", (3.0, 6.0), -4.5),
    ("Lower the bass by four and a half dB.", None, -4.5),
])
def test_numbers(text, rng, gain):
    f = p(text)
    assert (f.range_db, f.gain_db) == (rng, gain)


def test_numbers_in_a_later_sentence_join_the_finding():
    f = p("The vocals are too loud. Pull them down 6 to 12 dB.")
    assert (f.target, f.direction, f.range_db) == ("vocals", "decrease", (6.0, 12.0))


def test_several_findings_and_primary_rule():
    res = parse_advice("Turn the vocals down 3 to 6 dB and bring the bass up 6 to 12 dB.")
    assert [(f.target, f.direction, f.range_db) for f in res.findings] == [
        ("vocals", "decrease", (3.0, 6.0)), ("bass", "increase", (6.0, 12.0))]
    assert res.primary == res.findings[0] and not res.ambiguous
    res = parse_advice("It is too loud. The drums are too quiet.")
    assert res.primary.target == "drums"  # first finding with both target and direction
    assert [f.target for f in parse_advice("The vocals and drums are too loud.").findings] == ["vocals", "drums"]


def test_ambiguity_flag():
    assert parse_advice("The bass is too loud. Boost the bass.").ambiguous
    assert parse_advice("The mix is well balanced, but the vocals are too loud.").ambiguous
    assert not parse_advice("The vocals are too loud.").ambiguous


@pytest.mark.parametrize("text", [
    "The mix is well balanced.", "No changes needed.", "Leave it as it is.", "Sounds great, nothing to fix.",
    "No adjustment is necessary.", "The levels are spot on.", "I hear no imbalance.",
    "Nice mix, the levels are where they need to be.", "I wouldn't touch the balance.", "Good balance overall, no changes.",
    "All stems are at appropriate levels.",
])
def test_no_error(text):
    assert label(text) == (True, None, None)


def test_no_error_never_beats_a_finding():
    assert label("The mix is mostly well balanced, but the bass is too loud.") == (False, "bass", "decrease")
    assert label("No changes needed except the vocals: they are too quiet.") == (False, "vocals", "increase")


def test_unparseable():
    res = parse_advice("I like the chorus melody.")
    assert not res.parsed and res.findings == []
    assert not parse_advice("").parsed


@pytest.mark.parametrize("text,want", [
    ("The drums sit 6 dB below where they should be.", ("drums", "increase", 6.0)),
    ("Bass is sitting about 6 dB under where it belongs.", ("bass", "increase", 6.0)),
    ("Vocals are 6 dB down from where they should be.", ("vocals", "increase", 6.0)),
    ("The vocals are about 10 dB above everything else.", ("vocals", "decrease", -10.0)),
    ("Lead vocal is roughly 3 dB over the band.", ("vocals", "decrease", -3.0)),
    ("The vocal needs another 5 dB.", ("vocals", "increase", 5.0)),
    ("Give the drums 4 dB more.", ("drums", "increase", 4.0)),
    ("Drums need 3 dB less.", ("drums", "decrease", -3.0)),
    ("The vocals need to sit 4 dB higher.", ("vocals", "increase", 4.0)),   # "sit" after "need to": an instruction
    ("The drums should sit 3 dB lower.", ("drums", "decrease", -3.0)),
    ("The drums sit 3 dB lower than they should.", ("drums", "increase", 3.0)),
    ("The guitars are a touch loud; shave off 2 dB.", ("other", "decrease", -2.0)),
    ("The balance is off: the drums overpower the mix by some 9 dB.", ("drums", "decrease", -9.0)),
])
def test_a_stated_distance_and_an_amount_more_or_less(text, want):
    f = p(text)
    assert (f.target, f.direction, f.gain_db) == want


def test_a_distance_in_an_instruction_and_an_amount_cut_again_are_not_misread():
    # "3 dB above the guitars" after an instruction is where to put the vocals, not their state
    assert p("Set the vocals 3 dB above the guitars.").direction is None
    res = parse_advice("Cut another 3 dB from the bass.")          # "another" here is more of the cut
    assert (res.primary.direction, res.primary.gain_db, res.ambiguous) == ("decrease", -3.0, False)
    assert (p("The bass needs another 3 dB cut.").direction, p("Give the drums another 3 dB.").direction) == (
        "decrease", "increase")
    assert label("The bass line is way too far forward.") == (False, "bass", "decrease")
    assert label("The bass line is way too far back.") == (False, "bass", "increase")


def test_bare_figures_in_brackets_after_db_take_the_unit():
    f = p("Low end from the bass guitar is weak, bump it up a few dB (3 to 6).")
    assert (f.target, f.direction, f.range_db) == ("bass", "increase", (3.0, 6.0))
    assert p("Bass needs a lift, a few dB (about 4).").gain_db == 4.0
    assert p("Raise the bass (3 to 6).").range_db is None                 # no unit anywhere: not read as dB
    assert p("Bring the bass up a few decibels, 3 to 6.").range_db == (3.0, 6.0)   # closing the sentence
    assert p("Lower the bass 3 dB, 4 if needed.").range_db is None        # a figure that goes on is not taken
