"""Stem names and the flaw categories of the MixingBuddy protocol (one source of truth)."""
from __future__ import annotations

from dataclasses import dataclass

STEMS: tuple[str, ...] = ("bass", "drums", "other", "vocals")
"""The four MUSDB18 stem categories, in canonical (alphabetical) order."""

TARGET_STEMS: tuple[str, ...] = ("bass", "drums", "vocals")
"""Stems that may be pushed out of balance or used as anchor (``other`` excluded, as in the paper)."""

INSTRUMENTAL = "instrumental"
TWO_TRACK: tuple[str, ...] = (INSTRUMENTAL, "vocals")
"""A two-track delivery's parts: the instrumental (the beat: every stem but the vocals, as one file) and the vocals."""


@dataclass(frozen=True)
class Category:
    """A flaw category: a signed gain interval applied to the target stem.

    Intervals are defined on the magnitude so that no boundary is shared by two categories:
    moderate errors have 3 <= |g| < 6 dB, strong errors 6 <= |g| <= 12 dB, and ``no_error`` is 0 dB.
    ``lo``/``hi`` are the signed bounds quoted in responses (e.g. quiet: -6..-3).
    """

    name: str
    lo: float
    hi: float
    direction: str | None  # the *corrective* direction: "increase" (stem too quiet) / "decrease" / None

    @property
    def is_error(self) -> bool:
        return self.direction is not None

    @property
    def magnitude(self) -> tuple[float, float]:
        """(min, max) size of the correction in dB, as quoted to the user, e.g. (3, 6)."""
        return (min(abs(self.lo), abs(self.hi)), max(abs(self.lo), abs(self.hi)))


CATEGORIES: tuple[Category, ...] = (
    Category("very_quiet", -12.0, -6.0, "increase"),
    Category("quiet", -6.0, -3.0, "increase"),
    Category("no_error", 0.0, 0.0, None),
    Category("loud", 3.0, 6.0, "decrease"),
    Category("very_loud", 6.0, 12.0, "decrease"),
)
CATEGORY_BY_NAME: dict[str, Category] = {c.name: c for c in CATEGORIES}
CATEGORY_NAMES: tuple[str, ...] = tuple(c.name for c in CATEGORIES)
DIRECTIONS: tuple[str, ...] = ("increase", "decrease")

MIN_HOP_S = 0.1
"""The shortest hop between advice windows, in seconds (windows start at most ten times a second)."""


def category_of(gain_db: float) -> Category:
    """The category whose interval holds an applied gain (|g|<6 moderate, >=6 strong, 0 no error).

    Gains strictly between 0 and 3 dB in magnitude belong to no category and raise ValueError.
    """
    g = float(gain_db)
    m = abs(g)
    if m == 0.0:
        return CATEGORY_BY_NAME["no_error"]
    if m < 3.0 or m > 12.0:
        raise ValueError(f"gain {g:+.3f} dB is outside every flaw category (0, 3..12 dB in magnitude)")
    strong = m >= 6.0
    if g < 0:
        return CATEGORY_BY_NAME["very_quiet" if strong else "quiet"]
    return CATEGORY_BY_NAME["very_loud" if strong else "loud"]


GENERATE_BATCH = 32
"""Prompts per ``generate()`` call for ``advise`` (a 4-minute song's 24 windows in one batch) and ``predict``. A
decoding step costs far less per prompt in a fuller batch (docs/BENCHMARKS.md, "advise with the shipped models"
and "predict's batch and the merged LoRA")."""
