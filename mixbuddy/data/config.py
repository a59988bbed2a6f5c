"""Configuration of the flawed-mix dataset build (``configs/data.yaml``)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..constants import STEMS, TARGET_STEMS
from .recipe import MAX_BOUNCE_DB

MODES = ("enumerate", "sample")


def _default_modes() -> dict[str, str]:
    return {"train": "sample", "validation": "enumerate", "test": "enumerate"}


@dataclass
class GateConfig:
    """Which 10 s chunks are usable (all levels in dBFS, measured mono at the analysis rate).

    A chunk is kept when the unflawed mixture RMS is >= ``mix_rms_db`` and every *gated* stem has
    RMS >= ``stem_rms_db`` and a share >= ``active_share`` of ``frame_s`` frames whose RMS is
    > ``frame_active_db``. Gated stems: ``stems``, or by default every stem that can take a role
    (targets ∪ anchors) and that the song has; ``other`` is not gated by default because it never
    takes a role (set ``stems: [bass, drums, other, vocals]`` for the literal "every stem" rule).

    ``strict``: a failing gated stem rejects the whole chunk (the paper's protocol: every chunk
    then yields exactly 30 enumerated records). ``strict: false`` keeps the chunk and only forbids
    the failing stem as target/anchor (more training chunks, e.g. songs with sparse vocals).
    """

    mix_rms_db: float = -35.0
    stem_rms_db: float = -45.0
    frame_s: float = 0.05
    frame_active_db: float = -45.0
    active_share: float = 0.2
    stems: list[str] | None = None
    strict: bool = True

    def __post_init__(self) -> None:
        if self.frame_s <= 0:
            raise ValueError("gate.frame_s must be > 0")
        if not 0.0 <= self.active_share <= 1.0:
            raise ValueError("gate.active_share must be within [0, 1]")
        if self.stems is not None and not set(self.stems) <= set(STEMS):
            raise ValueError(f"gate.stems must be among {list(STEMS)}, got {self.stems}")


@dataclass
class DataConfig:
    """How recipes are made from a corpus.

    chunk_s / hop_s: window length and hop in seconds (whole milliseconds; multiples of gate.frame_s);
                     the last partial window is dropped.
    analysis_sr:     rate at which gating levels are measured (mono).
    modes:           split → "enumerate" (every anchor × target × category: 30 records per chunk, the
                     paper's test protocol) or "sample" (``passes`` random records per chunk); splits
                     not listed use ``default_mode``.
    passes:          sample mode: records drawn per chunk (each with its own seeded draw).
    targets/anchors: stems allowed as target / anchor (``other`` excluded by default, as in the paper).
    exact_gain:      responses also state the exact correction rounded to 0.5 dB.
    workers:         processes analysing songs in parallel (1 = in process).
    bounce_db:       evaluation sets without the level cue: every kept chunk is heard at one seeded level,
                     uniform within ±bounce_db dB (all stems, hence the mix; the records of a chunk share it),
                     as songs bounced at arbitrary levels (a mix pushed past the renderer's peak ceiling is
                     scaled back like any other). 0 (default) = the paper's protocol, where the flawed mix's
                     loudness alone tells the direction of most corrections (benchmarks/level_cue.py).
    """

    seed: int = 0
    chunk_s: float = 10.0
    hop_s: float = 10.0
    analysis_sr: int = 24000
    modes: dict[str, str] = field(default_factory=_default_modes)
    default_mode: str = "enumerate"
    passes: int = 4
    targets: list[str] = field(default_factory=lambda: list(TARGET_STEMS))
    anchors: list[str] = field(default_factory=lambda: list(TARGET_STEMS))
    exact_gain: bool = False
    workers: int = 1
    bounce_db: float = 0.0
    gate: GateConfig = field(default_factory=GateConfig)

    def __post_init__(self) -> None:
        for split, mode in {**self.modes, "default_mode": self.default_mode}.items():
            if mode not in MODES:
                raise ValueError(f"mode of {split!r} must be one of {list(MODES)}, got {mode!r}")
        if self.chunk_s <= 0 or self.hop_s <= 0:
            raise ValueError("chunk_s and hop_s must be > 0")
        for name in ("chunk_s", "hop_s"):
            ms = getattr(self, name) * 1000.0
            if abs(ms - round(ms)) > 1e-6:
                raise ValueError(f"{name} must be a whole number of milliseconds")
        if self.analysis_sr <= 0:
            raise ValueError("analysis_sr must be > 0")
        if self.passes < 1:
            raise ValueError("passes must be >= 1")
        if self.workers < 1:
            raise ValueError("workers must be >= 1")
        if not 0.0 <= self.bounce_db <= MAX_BOUNCE_DB:
            raise ValueError(f"bounce_db must be within [0, {MAX_BOUNCE_DB:g}] dB, got {self.bounce_db}")
        self.bounce_db = float(self.bounce_db) + 0.0        # -0 (e.g. "--bounce-db -0") is written as 0.0
        for name in ("targets", "anchors"):
            vals = getattr(self, name)
            if not vals or not set(vals) <= set(STEMS) or len(set(vals)) != len(vals):
                raise ValueError(f"{name} must be distinct stems among {list(STEMS)}, got {vals}")
        if len(set(self.targets) | set(self.anchors)) < 2:
            raise ValueError("targets and anchors must allow at least one target != anchor pair")
        frame = round(self.gate.frame_s * self.analysis_sr)
        for name in ("chunk_s", "hop_s"):
            n = round(getattr(self, name) * self.analysis_sr)
            if n % frame:
                raise ValueError(f"{name} ({getattr(self, name)} s) must be a multiple of gate.frame_s "
                                 f"({self.gate.frame_s} s) at analysis_sr={self.analysis_sr}")

    def mode_of(self, split: str) -> str:
        return self.modes.get(split, self.default_mode)

    @property
    def role_stems(self) -> tuple[str, ...]:
        """Stems that can be target or anchor, in canonical order."""
        return tuple(s for s in STEMS if s in self.targets or s in self.anchors)
