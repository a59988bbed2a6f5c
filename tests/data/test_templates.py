"""Templates: enough variety, and every ground-truth answer is recoverable by a simple parser."""
from __future__ import annotations

import re

import pytest

from mixbuddy.constants import CATEGORIES, CATEGORY_BY_NAME, STEMS
from mixbuddy.data import templates as T

DIRECTION_WORDS = r"\b(too|loud|quiet|louder|quieter|raise|lower|boost|cut|up|down|turn|bring|pull|increase|decrease|reduce|high|low)\b"


def reference_parse(text: str) -> tuple[str | None, str | None, tuple[float, float] | None, float | None]:
    """A deliberately naive parser (phrase lookup + one regex), as the evaluator might write it."""
    low = text.lower()
    names = {s: T.STEM_DISPLAY[s] for s in STEMS}
    found = [s for s, n in names.items() if re.search(rf"\b{re.escape(n)}\b", low)]
    up = any(p in low for p in T.INCREASE_PHRASES)
    down = any(p in low for p in T.DECREASE_PHRASES)
    direction = "increase" if up and not down else "decrease" if down and not up else None
    m = re.search(r"between (\d+(?:\.\d+)?) and (\d+(?:\.\d+)?) db", low)
    rng = (float(m.group(1)), float(m.group(2))) if m else None
    e = re.search(r"by about (\d+(?:\.\d+)?) db", low)
    target = found[0] if len(found) == 1 else None
    return target, direction, rng, float(e.group(1)) if e else None


def test_pool_sizes_and_ids():
    assert len(T.INSTRUCTION_TEMPLATES) >= 10
    assert set(T.RESPONSE_TEMPLATES) == {c.name for c in CATEGORIES}
    ids = set()
    for cat, pool in T.RESPONSE_TEMPLATES.items():
        assert len(pool) >= 10, cat
        assert len(set(pool.values())) == len(pool), f"duplicate wording in {cat}"
        assert all(i.startswith(cat + "/") for i in pool)
        ids |= set(pool)
    assert len(ids) == sum(len(p) for p in T.RESPONSE_TEMPLATES.values())


@pytest.mark.parametrize("exact", [False, True])
def test_every_error_response_parses(exact: bool):
    n = 0
    for cat in CATEGORIES:
        if not cat.is_error:
            continue
        gain = {"very_quiet": -7.3, "quiet": -4.26, "loud": 5.74, "very_loud": 11.9}[cat.name]
        for tid in T.RESPONSE_TEMPLATES[cat.name]:
            for target in STEMS:
                for anchor in (s for s in STEMS if s != target):
                    text = T.render_response(cat.name, target, anchor, tid, gain, exact_gain=exact)
                    assert not re.search(r"\b(louder|quieter)\b", text.lower()), text
                    assert "{" not in text and "}" not in text, text
                    got = reference_parse(text)
                    assert got[:3] == (target, cat.direction, cat.magnitude), (text, got)
                    assert f"between {T.format_db(cat.magnitude[0])} and {T.format_db(cat.magnitude[1])} dB" in text
                    assert got[3] == (round(abs(gain) * 2) / 2 if exact else None), text
                    n += 1
    assert n >= 4 * 10 * 4 * 3 


def test_directions_use_only_their_phrases():
    for cat in CATEGORIES:
        if not cat.is_error:
            continue
        own = T.INCREASE_PHRASES if cat.direction == "increase" else T.DECREASE_PHRASES
        other = T.DECREASE_PHRASES if cat.direction == "increase" else T.INCREASE_PHRASES
        for tid in T.RESPONSE_TEMPLATES[cat.name]:
            text = T.render_response(cat.name, "bass", "drums", tid).lower()
            assert any(p in text for p in own), text
            assert not any(p in text for p in other), text


def test_no_error_responses_have_no_direction_stem_or_number():
    for tid in T.RESPONSE_TEMPLATES["no_error"]:
        text = T.render_response("no_error", "vocals", "bass", tid)
        assert not re.search(DIRECTION_WORDS, text.lower()), text
        assert not re.search(r"\d", text), text
        for s in STEMS:
            assert not re.search(rf"\b{T.STEM_DISPLAY[s]}\b", text.lower()), (s, text)
        assert reference_parse(text)[:3] == (None, None, None)


def test_exact_gain_rounding_and_consistency():
    assert T.exact_correction(-4.26) == 4.5
    assert T.exact_correction(3.2) == 3.0
    assert T.exact_correction(-11.76) == 12.0
    text = T.render_response("quiet", "vocals", "bass", "quiet/0", -4.26, exact_gain=True)
    assert text.endswith("raise the vocals by about 4.5 dB.")
    text = T.render_response("very_loud", "drums", "bass", "very_loud/3", 8.0, exact_gain=True)
    assert text.endswith("lower the drums by about 8 dB.")
    with pytest.raises(ValueError, match="does not belong"):
        T.render_response("quiet", "vocals", "bass", "quiet/0", 7.0, exact_gain=True)
    with pytest.raises(ValueError, match="needs gain_db"):
        T.render_response("quiet", "vocals", "bass", "quiet/0", None, exact_gain=True)


def test_bad_template_ids():
    with pytest.raises(ValueError, match="not a loud response"):
        T.render_response("loud", "bass", "drums", "quiet/0")
    with pytest.raises(ValueError, match="unknown category"):
        T.render_response("medium", "bass", "drums", "quiet/0")
    with pytest.raises(ValueError, match="unknown instruction"):
        T.render_instruction(STEMS, "bass", "instr/999")


def test_instructions_name_stems_and_anchor():
    for tid in T.INSTRUCTION_TEMPLATES:
        text = T.render_instruction(("vocals", "bass", "drums", "other"), "drums", tid)
        assert "bass, drums, other instruments and vocals" in text, text
        assert "drums" in text.replace("bass, drums, other instruments and vocals", ""), text
    assert T.render_instruction(("bass", "vocals"), "vocals", "instr/8").startswith("Mix of bass and vocals.")


def test_category_ranges_quoted_not_gain():
    text = T.render_response("very_quiet", "bass", "drums", "very_quiet/0", -7.77)
    assert "7.77" not in text and "between 6 and 12 dB" in text
    assert CATEGORY_BY_NAME["quiet"].magnitude == (3.0, 6.0)
