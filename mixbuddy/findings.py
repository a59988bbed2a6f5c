"""The Finding type: what the advice parser returns, what ``advise --json`` prints and what
baselines/oracles produce, so every path meets at one ruler."""
from __future__ import annotations

from dataclasses import asdict, dataclass


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
