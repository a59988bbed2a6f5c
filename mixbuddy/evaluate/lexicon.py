"""Word lists of the advice parser, written as regular expressions over *normalised* text.

Normalised text (see :func:`mixbuddy.evaluate.parse.normalise`) is lower case, uses ASCII dashes and
apostrophes, writes every decibel unit as the token ``db`` and separates numbers from units. All
patterns are anchored on word boundaries (``\\b``), so "louder" never matches "loud" and "quieter"
never matches "quiet": the reference evaluator's substring bug cannot happen here.

Directions are always *corrective*: ``increase`` means the stem is too quiet and must be raised.
"""
from __future__ import annotations

import re

INC, DEC = "increase", "decrease"

# --- stems -------------------------------------------------------------------------------------
# Longer phrases first: at one position the regex alternation takes the first that matches, so
# "bass drum" is read as drums before "bass" can claim it.
STEM_WORDS: tuple[tuple[str, str], ...] = (
    (r"bass\s+drums?|kick\s+drums?|kicks?|snares?|hi-?hats?|cymbals|toms|drum\s+(?:kit|bus|track|stem)s?"
     r"|drum\s*set|drums?|percussion|kit", "drums"),
    (r"lead\s+(?:vocals?|vox|voice|singer)|backing\s+vocals?|vocal\s+(?:track|stem|line)s?|vocals?|vox|voices?"
     r"|singers?|singing", "vocals"),
    (r"bass\s*(?:guitar|line|track|stem)s?|bass\s+part|sub\s*-?bass|synth\s*-?bass|bass", "bass"),
    (r"other\s+(?:instruments?|stems?|tracks?|parts?|stuff)|\"other\"|'other'|the\s+other\s+stem"
     r"|accompaniment|instrumentation|guitars?|keys|keyboards?|pianos?|synths?|pads", "other"),
)
"""(pattern, stem): one named group per stem family in :data:`STEM_RE`."""

STEM_RE = re.compile(r"\b(?:" + "|".join(f"(?P<s{i}>{p})" for i, (p, _) in enumerate(STEM_WORDS)) + r")\b")
STEM_ALT = "|".join(p for p, _ in STEM_WORDS)

# A stem named as the yardstick or the victim is not the target: "relative to the drums",
# "louder than the bass", "drowning out the vocals", "not the drums", "instead of the bass".
REFERENCE_BEFORE = re.compile(
    r"\b(?:relative\s+to|compared\s+(?:to|with)|in\s+comparison\s+(?:to|with)|in\s+relation\s+to|with\s+respect\s+to"
    r"|against|than|versus|vs\.?|over|above|behind|under(?:neath)?|beneath|below|next\s+to|alongside|beside"
    r"|overpower(?:s|ing)?|drown(?:s|ing)?(?:\s+out)?|mask(?:s|ing)?|bur(?:y|ies|ying)|swamp(?:s|ing)?|cover(?:s|ing)?"
    r"|dominat(?:es|ing)|overshadow(?:s|ing)?|eat(?:s|ing)?\s+(?:up|into)|competes?\s+with|competing\s+with"
    r"|clash(?:es|ing)?\s+with|fight(?:s|ing)?\s+(?:with|against)|to\s+match|match(?:es|ing)?"
    r"|not|rather\s+than|instead\s+of|but\s+not|leave|leaving|by)"
    r"(?:\s+(?:the|your|those|these|that|this|its|their|all|both|each|of|every))*\s*$")
REFERENCE_AFTER = re.compile(r"^\s*(?:is|are|as)?\s*(?:(?:set|sitting|sits)\s+)?(?:as\s+)?(?:the|a|our|my)\s+"
                             r"(?:reference|anchor)|^\s+(?:is|are)\s+(?:fine|ok|okay|good|right|balanced|correct)")

PRONOUN_RE = re.compile(r"\b(?:it|its|them|they|this\s+stem|that\s+stem|this\s+one|that\s+one|this\s+part)\b")

# --- direction cues --------------------------------------------------------------------------------
# Fixed-direction phrases. ``W`` is a gap of up to four words inside one clause ("turn the drums down").
W = r"(?:\s+[\w'+.-]+){0,4}?\s+"
TOO_LOUD = (r"loud|hot|prominent|strong|forward|dominant|present|much|heavy|big|high|up\s*front|upfront|in\s+front"
            r"|pushed|on\s+top|out\s+front|overpowering|overbearing|in\s+your\s+face")
TOO_QUIET = (r"quiet|soft|low|weak|faint|far\s+back|buried|thin|distant|subtle|timid|small|recessed|back|withdrawn"
             r"|far\s+behind|little|hidden|masked|tucked|down")
ENOUGH_ADJ = r"loud|prominent|present|audible|strong|forward|up|hot|high|clear|upfront|up\s+front|big"
COPULA_ADV = (r"(?:is|are|was|were|'s|'re|sounds?|seems?|feels?|comes?\s+across|running|sitting|sits|way|far|a\s+bit|bit"
              r"|a\s+touch|a\s+tad|tad"
              r"|rather|quite|very|really|pretty|slightly|kinda|kind\s+of|little|somewhat|super|fairly|overly)")

# A stated distance from where the stem belongs: "sits 6 dB below where it should", "is 3 dB over the band" (after a
# copula, so "set the vocals 3 dB above the guitars", an instruction, is not read as a state).
NUM_DB = r"\d+(?:\.\d+)?\s+db"
_AT = (r"(?:is|are|was|were|'s|'re|sits?|sitting|sounds?|seems?|currently|now|still)\s+(?:(?:about|around|roughly|some"
       r"|maybe|approximately|nearly|almost|at\s+least|a\s+good|a\s+full|easily|like|perhaps|probably|over|more\s+than"
       rf"|up\s+to)\s+)*{NUM_DB}\s+(?:too\s+)?")
BELOW = rf"{_AT}(?:below|under(?:neath)?|beneath|down|low|short|shy|behind|quiet|soft)"
ABOVE = rf"{_AT}(?:above|over|up|hot|high|loud|ahead)"
# "needs another 5 dB", "give it an extra 3 dB" (not "another 5 dB cut", nor "cut another 3 dB")
EXTRA = (r"(?:needs?|needed|wants?|(?:could|can)\s+(?:use|take|do\s+with)|deserves?|giv(?:e|es|ing)(?:\s+[\w'+.-]+){0,3}?)"
         rf"\s+(?:another|an?\s+extra|a\s+further|additional)(?=\s+{NUM_DB}\b(?!\s+(?:of\s+)?(?:cut|reduction|less|quieter"
         r"|lower|down|drop|dip|trim|attenuation|softer)))")

FIXED_CUES: tuple[tuple[str, str], ...] = (
    (BELOW, INC),
    (ABOVE, DEC),
    (rf"{EXTRA}|{NUM_DB}\s+more\b(?!\s+than)", INC),
    (rf"{NUM_DB}\s+less\b(?!\s+than)", DEC),
    # states of the target (descriptions) -> corrective direction
    (rf"(?:\bnot|n't)\s+(?:\w+\s+)?(?:{ENOUGH_ADJ})\s+enough", INC),
    (r"(?:\bnot|n't)\s+(?:\w+\s+)?(?:quiet|soft|low|subtle)\s+enough", DEC),
    (rf"(?:too|overly|excessively)\s+(?:damn\s+|darn\s+|bloody\s+)?(?:{TOO_LOUD})", DEC),
    (rf"(?:too|overly|excessively)\s+(?:{TOO_QUIET})", INC),
    (r"not\s+enough|too\s+little|lacks?(?:\s+presence)?|lacking|missing\s+(?:presence|level|weight)", INC),
    (r"overpower(?:s|ing)?|overwhelm(?:s|ing)?|dominat(?:e|es|ing)|dominant|drown(?:s|ing)?\s+out"
     r"|mask(?:s|ing)?|bury|bur(?:ies|ying)|swamp(?:s|ing)?|overshadow(?:s|ing)?|stick(?:s|ing)?\s+out|jump(?:s|ing)?\s+out"
     r"|pok(?:es|ing)\s+out|in\s+your\s+face|overbearing|eat(?:s|ing)\s+up|cover(?:s|ing)\s+up|sits\s+on\s+top"
     r"|too\s+much\s+of|clipping|way\s+up|hogging|steal(?:s|ing)\s+the\s+show"
     r"|too\s+far\s+(?:forward|up\s*front|in\s+front|out\s+front|ahead)", DEC),
    (r"bur(?:ied|ried)|lost|getting\s+lost|gets\s+lost|drowned(?:\s+out)?|masked|swamped|overpowered|overwhelmed"
     r"|overshadowed|dominated|drowning\s+in|inaudible|(?:barely|hardly|not)\s+audible|hard\s+to\s+hear|difficult\s+to\s+hear"
     r"|(?:can't|cannot|can\s+not|can\s+barely|can\s+hardly|barely|hardly)\s+(?:hear|make\s+out)|underpowered"
     r"|under-?represented|hidden|recessed|way\s+down|sits\s+(?:too\s+)?far\s+back|(?:doesn't|don't|does\s+not|do\s+not"
     r"|can't|cannot|fails?\s+to|struggles?\s+to|not)\s+cut(?:ting)?\s+through|too\s+far\s+(?:back|behind|away)", INC),
    (rf"{COPULA_ADV}\s+loud(?!\s+and\s+clear)|{COPULA_ADV}\s+hot\b(?!\s+mix)", DEC),
    (rf"{COPULA_ADV}\s+(?:quiet|soft|weak|faint|low)(?!\s+end)", INC),
    # instructions -> direction
    (r"reduc(?:e|es|ing|tion)|attenuat(?:e|es|ing|ion)|decreas(?:e|es|ing)|lowering"
     r"|cut(?:s|ting)?(?!\s+through)|(?<!the\s)drop(?:s|ping|ped)?(?!\s+(?:section|part))|tam(?:e|es|ed|ing)|trim(?:s|med|ming)?"
     r"|dip(?:s|ped|ping)?|pad\s+down|back\s+off|ease\s+off|knock(?:ed)?(?:\s+[\w'.-]+){0,4}?\s+off", DEC),
    (rf"(?:turn|bring|pull|dial|knock|take|tone|notch|nudge|drop|come|move|fade|ride|step|push)(?:s|ed|ing)?(?:{W}|\s+)down"
     rf"|(?:pull|dial|roll|ease|push|set|step|move|fade)(?:s|ed|ing)?(?:{W}|\s+)back(?!\s+(?:in|into|up)\b)"
     rf"|(?:back|ease|roll|take)(?:s|ed|ing)?(?:{W}|\s+)off|shav(?:e|es|ed|ing)(?:{W}|\s+)off", DEC),
    (rf"tuck(?:s|ed|ing)?{W}in\b|sit(?:s)?\s+(?:further|farther|more)\s+back|less(?=\s+(?:of\s+)?(?:the\s+|your\s+)?"
     rf"(?:{STEM_ALT}|level|volume|gain)\b)", DEC),
    (r"rais(?:e|es|ing)|boost(?:s|ing)?|increas(?:e|es|ing)|lift(?:s|ing)?|amplif(?:y|ies|ying)"
     r"|louden|up\s+the", INC),
    (rf"(?:turn|bring|push|pull|dial|crank|pump|bump|nudge|jack|prop|ride|move|step|fade|come|notch|gain)(?:s|ed|ing)?"
     rf"(?:{W}|\s+)up\b(?!\s+front)|(?:bring|push|pull|move)(?:s|ed|ing)?(?:{W}|\s+)(?:forward|out|to\s+the\s+front)"
     rf"|more(?=\s+(?:of\s+)?(?:the\s+|your\s+)?(?:{STEM_ALT}|level|volume|gain|presence|weight|push)\b)", INC),
)

# Comparatives and participles whose direction depends on use: an instruction ("make the bass
# louder", "the bass needs to be boosted") or a description of the current state ("the bass is
# louder than it should be", "the bass has been boosted").  The value is the direction *when read
# as an instruction*; a description flips it.
CONTEXT_CUES: tuple[tuple[str, str], ...] = (
    (r"louder|higher(?!\s+(?:frequenc|register|notes?|pitch|octave|end|mids?))|hotter|stronger|bigger"
     r"|more\s+(?:prominent|present|upfront|forward)|further\s+forward|boosted|raised|increased|lifted|amplified"
     r"|turned\s+up|pushed\s+up|brought\s+up|cranked(?:\s+up)?", INC),
    (r"quieter|softer|lower(?!\s+(?:end|mids?|frequenc|register|notes?))|weaker|less\s+(?:prominent|present|forward)"
     r"|further\s+back|reduced|lowered|decreased|attenuated|turned\s+down|pulled\s+(?:back|down)|brought\s+down"
     r"|cut\s+back", DEC),
)
MODAL_RE = re.compile(r"\b(?:needs?|needed|should|shall|could|would|must|ought|has\s+to|have\s+to|had\s+to|wants?|make"
                      r"|makes|making|made|get|gets|getting|let|try|suggest|recommend(?:ed)?|be|i'd|you'd|we'd|consider"
                      r"|go|keep|set|put|turn|bring|push|it'd|they'd|please|can|might|may|will)\b")
COPULA_RE = re.compile(r"\b(?:is|are|was|were|been|being|am|seems?|sounds?|appears?|feels?|sits?|sitting|comes?\s+across"
                       r"|looks?|mixed|seem)\b|'s\b|'re\b")
DESCRIPTIVE_THAN = re.compile(r"^\s+than\s+(?:(?:it|they|he|she|that|this)\s+(?:should|ought|needs?|has|have|is|are|was|were"
                              r"|could|would|must|used)|necessary|needed|intended|ideal|appropriate|expected|usual|normal"
                              r"|planned|wanted)")

NEGATION_RE = re.compile(r"\b(?:not(?!\s+only)|no(?!\s+(?:doubt|question))|never|neither|nor|nothing|none|without"
                         r"|hardly\s+any)\b|n't\b")

# --- no-error statements -----------------------------------------------------------------------------
NO_ERROR_RE = re.compile(
    r"\b(?:(?:well|nicely|properly|evenly|perfectly|correctly|fairly|pretty|good|very)[\s-]+balanced"
    r"|balanced\s+(?:well|correctly|properly|nicely|fine)|(?:is|are|sounds?|seems?)\s+balanced|in\s+(?:good\s+)?balance\b"
    r"|no\s+(?:\w+\s+){0,2}(?:changes?|adjustments?|tweaks?|edits?|corrections?|fix(?:es)?|action|moves?)"
    r"(?:\s+(?:is|are))?\s+(?:needed|necessary|required|called\s+for|recommended|warranted)"
    r"|needs?\s+no\s+(?:\w+\s+){0,2}(?:changes?|adjustments?|corrections?|fix(?:es)?|tweaks?)"
    r"|nothing\s+(?:\w+\s+)?(?:needs?|to)\s+(?:to\s+)?(?:be\s+)?(?:change|changed|fix|fixed|adjust|adjusted|do|done|touch)"
    r"|leave\s+(?:[\w'-]+\s+){0,4}?(?:as\s+(?:it|they)\s+(?:is|are)|as\s+is|alone|unchanged|untouched|be)\b"
    r"|(?:stay|remain|keep\s+them|keep\s+it)\s+as\s+(?:it|they)\s+(?:is|are)|keep\s+(?:the\s+)?(?:current|existing)\s+levels"
    r"|no\s+(?:\w+\s+)?(?:issues?|problems?|errors?|imbalances?|flaws?)\b|(?:nothing|no\s+stem|none)\s+(?:\w+\s+){0,3}?"
    r"(?:is|are|sounds?|seems?)\s+(?:out\s+of\s+balance|off|wrong|too\s+loud|too\s+quiet)"
    r"|(?:sounds?|looks?|seems?|is|are)\s+(?:\w+\s+)?(?:good|great|fine|right|ok|okay|spot\s+on|solid|correct)\b"
    r"|spot\s+on|dialed\s+in|dialled\s+in|(?:works?|sits?|sitting)\s+(?:\w+\s+)?(?:well|nicely|fine|right)"
    r"|in\s+proportion|(?:check|test)\s+passed|(?:don't|do\s+not|wouldn't|would\s+not|won't|needn't)\s+"
    r"(?:change|touch|adjust|move|alter)\s+(?:anything|a\s+thing|(?:the|your|a|any)\s+(?:balance|levels?|faders?|gains?)\b)"
    r"|(?:is|are|sits?|sit)\s+(?:right\s+|exactly\s+)?where\s+(?:it|they)\s+(?:needs?\s+to|should|ought\s+to|belongs?)"
    r"|(?:good|great|nice|solid|fine|even)\s+balance\b|^no\s+(?:gain\s+|level\s+|balance\s+)?(?:changes?|adjustments?|tweaks?)$"
    r"|no\s+need\s+to\s+(?:change|adjust|touch|fix|do)|neither\s+too\s+loud\s+nor\s+too\s+quiet|leave\s+it\b"
    r"|(?:all\s+)?good\s+as\s+(?:it\s+)?is|fine\s+as\s+(?:it\s+)?is|at\s+(?:a\s+)?(?:sensible|good|right|proper|appropriate|reasonable|correct|balanced)\s+levels?)")
