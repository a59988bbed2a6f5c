"""The Finding type: what the advice parser returns, what ``advise --json`` prints and what
baselines/oracles produce, so every path meets at one ruler."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping, Sequence

from .constants import CATEGORY_BY_NAME, TARGET_STEMS


@dataclass(frozen=True)
class Finding:
    """One piece of gain advice.

    no_error:  True when the advice says the balance is fine (then target/direction are None).
    target:    the stem to change (bass|drums|vocals|other) or None.
    direction: the *corrective* move: "increase" (stem too quiet) or "decrease" (too loud), or None.
    range_db:  (lo, hi) size of the suggested correction in dB, positive numbers, e.g. (3.0, 6.0).
    gain_db:   an exact signed correction in dB when one is stated (e.g. +4.5 = raise by 4.5 dB).
    """

    no_error: bool
    target: str | None = None
    direction: str | None = None
    range_db: tuple[float, float] | None = None
    gain_db: float | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["range_db"] = list(self.range_db) if self.range_db is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Finding":
        r = d.get("range_db")
        return cls(
            no_error=bool(d["no_error"]),
            target=d.get("target"),
            direction=d.get("direction"),
            range_db=(float(r[0]), float(r[1])) if r is not None else None,
            gain_db=None if d.get("gain_db") is None else float(d["gain_db"]),
        )


def target_stems(anchor: str | None, stems: Sequence[str] | None = None) -> tuple[str, ...]:
    """The stems an answer may name as out of balance: ``TARGET_STEMS`` the mix holds (``stems``; None = all),
    minus the anchor."""
    return tuple(s for s in TARGET_STEMS if s != anchor and (stems is None or s in stems))


def answer_probability(posterior: Mapping[str, float] | None, finding: Finding, targets: Sequence[str]) -> float | None:
    """How likely ``finding`` is right (stem and direction, or "balanced"), under an engine's posterior.

    ``posterior``: probabilities of ``"no_error"`` and of ``"<target>/<category>"`` classes (``:`` may
    separate them too), e.g. the aux head's 13 classes or the Bayes baseline's hypotheses. Only "no error"
    and the ``targets`` the instruction allows count, renormalised. "Balanced" is right with P(no error);
    a claim with the summed probability of its stem's categories in its direction (any range), the
    quantity joint accuracy scores. None without a posterior, or for a claim without stem or direction.
    """
    if not posterior:
        return None
    ok = float(posterior.get("no_error", 0.0))
    pairs: dict[tuple[str, str], float] = {}
    for key, p in posterior.items():
        target, _, category = key.replace(":", "/").partition("/")
        cat = CATEGORY_BY_NAME.get(category)
        if key != "no_error" and target in targets and cat is not None and cat.direction is not None:
            pairs[(target, cat.direction)] = pairs.get((target, cat.direction), 0.0) + float(p)
    total = ok + sum(pairs.values())
    if total <= 0.0:
        return None
    if finding.no_error:
        return ok / total
    if finding.target is None or finding.direction is None:
        return None
    return pairs.get((finding.target, finding.direction), 0.0) / total
