"""Prompt and answer wording of the flawed-mix dataset: one system prompt, instruction templates
and, per flaw category, response templates.

Wording rules (so a parser can recover target, direction and range from *every* ground-truth
answer, which the reference implementation could not):

* An error answer names exactly one stem, the target, and no other stem (not even the anchor).
* The corrective direction is carried by fixed phrases. Answers for a too-quiet stem use only
  :data:`INCREASE_PHRASES` ("too quiet", "raise", "bring up", "turn up", "boost"); answers for a
  too-loud stem use only :data:`DECREASE_PHRASES` ("too loud", "turn down", "lower", "pull down",
  "cut"). The comparative forms "louder"/"quieter" never occur anywhere.
* The magnitude is quoted as the category's range, always in the form "between {lo} and {hi} dB".
  With ``exact_gain`` a last sentence "More precisely: raise|lower the <stem> by about X dB." is
  appended, X being the corrective gain rounded to 0.5 dB.
* A no-error answer names no stem, contains no number and no direction word.

Template ids are stable strings (``"<category>/<k>"``, ``"instr/<k>"``) recorded in each recipe.
"""
from __future__ import annotations

from typing import Sequence

from ..constants import CATEGORY_BY_NAME, STEMS, category_of

SYSTEM_PROMPT = (
    "You are a mixing engineer's assistant. You listen to a multitrack music mix and judge the "
    "gain balance of its stems. When one stem is out of balance, name that stem, say whether it "
    "must be raised or lowered and give the size of the correction in decibels. When the balance "
    "is fine, say so and suggest no change."
)

STEM_DISPLAY: dict[str, str] = {"bass": "bass", "drums": "drums", "vocals": "vocals", "other": "other instruments"}
"""How each stem is named in text ("other" is spelled out so it cannot be read as an adjective)."""
PLURAL_STEMS = frozenset({"drums", "vocals", "other"})

INCREASE_PHRASES: tuple[str, ...] = ("too quiet", "raise", "bring up", "turn up", "boost")
DECREASE_PHRASES: tuple[str, ...] = ("too loud", "turn down", "lower", "pull down", "cut")
"""Every error answer contains at least one phrase of its direction and none of the other one."""
FORBIDDEN_WORDS: tuple[str, ...] = ("louder", "quieter")

INSTRUCTION_TEMPLATES: dict[str, str] = {
    "instr/0": "This mix contains {stems}. Taking the {anchor} as correctly set, is any stem's gain out of balance?",
    "instr/1": "Stems in this mix: {stems}. The {anchor} level is the reference. Which stem, if any, needs a gain change, and by how much?",
    "instr/2": "Listen to this mix of {stems}. Assume the {anchor} sits where it should and give me gain balancing advice.",
    "instr/3": "Here is a mix built from {stems}. Using the {anchor} as the anchor, tell me whether a stem needs its level adjusted.",
    "instr/4": "I mixed {stems} together. The {anchor} is at the right level. Is the balance of the remaining parts right?",
    "instr/5": "Check the gain balance of this mix ({stems}). Keep the {anchor} fixed as the reference and suggest any correction in dB.",
    "instr/6": "The available stems are {stems}. With the {anchor} as the anchor stem, what gain adjustment, if any, would you make?",
    "instr/7": "Please review the levels in this track made of {stems}. The {anchor} is balanced correctly; judge everything against it.",
    "instr/8": "Mix of {stems}. Reference stem: {anchor}. Identify any stem whose level is off and the size of the fix.",
    "instr/9": "Does this mix of {stems} need a gain correction? Treat the {anchor} as properly balanced when you answer.",
    "instr/10": "Give gain balancing feedback on this mix. It contains {stems}, and the {anchor} should be taken as the correct level.",
    "instr/11": "Relative to the {anchor}, which is set correctly, is any of the stems ({stems}) too high or too low in this mix?",
}

_INCREASE = (
    "The {target} {is} too quiet in this mix. Raise {it} by between {lo} and {hi} dB.",
    "Raise the {target} by between {lo} and {hi} dB; {they} {is} too quiet compared with the rest of the mix.",
    "I would bring up the {target}: {they} {is} too quiet, by between {lo} and {hi} dB.",
    "The balance is off because the {target} {is} too quiet. Turn up the {target} by between {lo} and {hi} dB.",
    "Too quiet: the {target}. A boost of between {lo} and {hi} dB on the {target} should fix the balance.",
    "The {target} {is} sitting too quiet. Bring up the {target} by between {lo} and {hi} dB.",
    "To balance this mix, raise the {target} by between {lo} and {hi} dB, since {they} {is} too quiet.",
    "Gain advice: the {target} {is} too quiet; turn up the {target} by between {lo} and {hi} dB.",
    "The {target} {needs} a boost of between {lo} and {hi} dB because {they} {is} too quiet.",
    "Bring up the {target} by between {lo} and {hi} dB. Right now {they} {is} too quiet.",
    "The {target} {is} too quiet against the rest of the mix; raise {it} by between {lo} and {hi} dB.",
)
_DECREASE = (
    "The {target} {is} too loud in this mix. Lower {it} by between {lo} and {hi} dB.",
    "Turn down the {target} by between {lo} and {hi} dB; {they} {is} too loud compared with the rest of the mix.",
    "I would pull down the {target}: {they} {is} too loud, by between {lo} and {hi} dB.",
    "The balance is off because the {target} {is} too loud. Lower the {target} by between {lo} and {hi} dB.",
    "Too loud: the {target}. A cut of between {lo} and {hi} dB on the {target} should fix the balance.",
    "The {target} {is} sitting too loud. Turn down the {target} by between {lo} and {hi} dB.",
    "To balance this mix, lower the {target} by between {lo} and {hi} dB, since {they} {is} too loud.",
    "Gain advice: the {target} {is} too loud; pull down the {target} by between {lo} and {hi} dB.",
    "The {target} {needs} a cut of between {lo} and {hi} dB because {they} {is} too loud.",
    "Turn down the {target} by between {lo} and {hi} dB. Right now {they} {is} too loud.",
    "The {target} {is} too loud against the rest of the mix; lower {it} by between {lo} and {hi} dB.",
)
_STRONG_PREFIX = "This is a large imbalance. "
_NO_ERROR = (
    "The mix is well balanced. No gain change is needed.",
    "Every stem sits at a sensible level; I would leave the balance as it is.",
    "No balance problem here: the levels already work together.",
    "The gain balance sounds right. Keep the current levels.",
    "I hear no gain imbalance in this mix, so no adjustment is necessary.",
    "The stems are balanced correctly. Nothing needs to change.",
    "This balance works well as it is; no correction is required.",
    "All levels are in proportion. No gain adjustment is recommended.",
    "The mix needs no gain correction: the balance is already good.",
    "Balance check passed. Leave all stem levels unchanged.",
    "Nothing is out of balance in this mix, and the levels can stay as they are.",
)


def _response_table() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for cat, pool, prefix in (("very_quiet", _INCREASE, _STRONG_PREFIX), ("quiet", _INCREASE, ""),
                              ("no_error", _NO_ERROR, ""), ("loud", _DECREASE, ""),
                              ("very_loud", _DECREASE, _STRONG_PREFIX)):
        # strong categories alternate between the plain and the "large imbalance" wording
        table[cat] = {f"{cat}/{k}": (prefix if k % 2 else "") + t for k, t in enumerate(pool)}
    return table


RESPONSE_TEMPLATES: dict[str, dict[str, str]] = _response_table()
"""category → {template id → template}. Placeholders: {target} {lo} {hi} {is} {it} {they} {needs}."""

EXACT_SUFFIX: dict[str, str] = {
    "increase": " More precisely: raise the {target} by about {exact} dB.",
    "decrease": " More precisely: lower the {target} by about {exact} dB.",
}


def format_db(x: float) -> str:
    """A dB figure without a spurious decimal: 3.0 → "3", 4.5 → "4.5"."""
    return f"{float(x):g}"


def exact_correction(gain_db: float) -> float:
    """Size of the corrective gain, rounded to 0.5 dB (the applied gain's magnitude)."""
    return round(abs(float(gain_db)) * 2.0) / 2.0


def join_stems(stems: Sequence[str]) -> str:
    """"bass, drums and vocals" (display names, in the given order)."""
    names = [STEM_DISPLAY.get(s, s) for s in stems]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _grammar(target: str) -> dict[str, str]:
    plural = target in PLURAL_STEMS
    return {"is": "are" if plural else "is", "it": "them" if plural else "it", "they": "they" if plural else "it",
            "needs": "need" if plural else "needs"}


def render_response(category: str, target: str, anchor: str, template_id: str, gain_db: float | None = None,
                    exact_gain: bool = False) -> str:
    """The answer text for a record.

    ``gain_db`` is the gain *applied* to the target (negative = too quiet); it is used only when
    ``exact_gain`` is true (the exact correction, opposite in sign, is then stated). ``anchor`` is
    accepted for symmetry with instructions; answers never name it, so they name one stem only.
    """
    if category not in RESPONSE_TEMPLATES:
        raise ValueError(f"unknown category {category!r}; expected one of {list(RESPONSE_TEMPLATES)}")
    pool = RESPONSE_TEMPLATES[category]
    if template_id not in pool:
        raise ValueError(f"template {template_id!r} is not a {category} response template")
    cat = CATEGORY_BY_NAME[category]
    if not cat.is_error:
        return pool[template_id]
    lo, hi = cat.magnitude
    name = STEM_DISPLAY.get(target, target)
    text = pool[template_id].format(target=name, lo=format_db(lo), hi=format_db(hi), **_grammar(target))
    if exact_gain:
        if gain_db is None:
            raise ValueError("exact_gain=True needs gain_db")
        if category_of(gain_db).name != category:
            raise ValueError(f"gain {gain_db:+.2f} dB does not belong to category {category!r}")
        text += EXACT_SUFFIX[cat.direction].format(target=name, exact=format_db(exact_correction(gain_db)))
    return text


def render_instruction(stems: Sequence[str], anchor: str, template_id: str) -> str:
    """The instruction text: names the stems available in the mix and the anchor."""
    if template_id not in INSTRUCTION_TEMPLATES:
        raise ValueError(f"unknown instruction template {template_id!r}")
    ordered = [s for s in STEMS if s in stems] + [s for s in stems if s not in STEMS]
    return INSTRUCTION_TEMPLATES[template_id].format(stems=join_stems(ordered),
                                                     anchor=STEM_DISPLAY.get(anchor, anchor))


def response_ids(category: str) -> tuple[str, ...]:
    """Template ids of a category, in a fixed order (used for seeded choice)."""
    return tuple(RESPONSE_TEMPLATES[category])


INSTRUCTION_IDS: tuple[str, ...] = tuple(INSTRUCTION_TEMPLATES)
