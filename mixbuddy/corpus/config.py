"""Configuration of a multitrack corpus (which loader, where, how splits are made)."""
from __future__ import annotations

from dataclasses import dataclass

CORPUS_KINDS = ("musdb_hq", "stem_mp4", "stems_folder")


@dataclass
class CorpusConfig:
    """Where songs come from.

    kind:      musdb_hq (``train|test/<track>/<stem>.wav``; the bundled synthetic corpus uses it too),
               stem_mp4 (MUSDB18 ``.stem.mp4`` files, optionally under train/ and test/),
               stems_folder (``<song>/<any stem files>`` + a stem-name mapping).
    root:      the corpus folder.
    val_songs: number of *train* songs moved to the ``validation`` split (seeded); never taken from test.
    val_ids:   or exactly these train song ids (e.g. MUSDB18's official 14 validation tracks,
               ``configs/corpus/musdb18hq.yaml``); not together with ``val_songs``.
    seed:      seed of the validation carve-out.
    mapping:   stems_folder only: YAML/JSON file mapping each stem (bass/drums/vocals/other) to filename
               glob patterns; files matched by several stems' patterns go to the first stem listed.
               None → files named like the stem (``vocals.ogg``, ``bass_1.wav`` ...).
    split:     stems_folder / flat stem_mp4 only: the split assigned to songs (default ``test``).
    name:      a short name recorded in dataset manifests (default: the folder name).
    """

    kind: str = "musdb_hq"
    root: str = ""
    val_songs: int = 0
    val_ids: list[str] | None = None
    seed: int = 0
    mapping: str | None = None
    split: str = "test"
    name: str | None = None

    def __post_init__(self):
        if self.kind not in CORPUS_KINDS:
            raise ValueError(f"kind must be one of {CORPUS_KINDS}, got {self.kind!r}")
        if self.val_songs < 0:
            raise ValueError("val_songs must be >= 0")
        if self.val_ids is not None:
            if self.val_songs:
                raise ValueError("give val_songs (a seeded choice) or val_ids (a fixed list), not both")
            if len(set(self.val_ids)) != len(self.val_ids):
                raise ValueError("val_ids lists a song twice")
