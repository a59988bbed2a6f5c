"""``SynthConfig``: everything that determines a synthetic corpus (same config → same bytes)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ...constants import STEMS
from ...errors import ConfigError

# Mean integrated loudness of the MUSDB18 train stems (LUFS). Only the differences matter: they set
# the centre of the per-song reference balance.
MUSDB_STEM_MEAN_LUFS: dict[str, float] = {"vocals": -30.7, "bass": -29.7, "other": -31.2, "drums": -34.2}

GROOVES: tuple[str, ...] = ("rock", "pop", "halftime", "four_floor", "shuffle", "hiphop", "funk")
FORMATS: tuple[str, ...] = ("flac", "wav")


class SynthConfigError(ConfigError, ValueError):
    """An invalid synthetic-corpus setting. It is a ConfigError (what the CLI reports) and a ValueError
    (so ``mixbuddy.config.from_dict`` re-raises it with the file name and key path in front)."""


@dataclass
class SynthConfig:
    """How to build the synthetic multitrack corpus.

    songs:          number of songs (ids ``<id_prefix>_0000`` ...).
    seconds:        duration of every song (>= 4 s; the song structure is fitted to it).
    seed:           global seed; song i depends only on (seed, i), never on worker count.
    sample_rate:    output rate in Hz (MERT uses 24 kHz); the soundfont renders at this rate directly.
    channels:       1 (mono) or 2 (stereo).
    format:         ``flac`` (default) or ``wav``.
    bit_depth:      16 or 24 bit integer PCM. Default 16, as MUSDB18-HQ: the quantisation floor (-98 dBFS)
                    stays > 50 dB under every stem even after the data layer boosts one by 12 dB, loudness
                    is unaffected (< 0.01 dB), and 24-bit FLAC doubles the disk (about 23 vs 11 MiB per
                    60-s song at 24 kHz stereo) for no audible gain. Either way nothing clips (peaks are kept
                    under ``peak_ceiling_db``) and the mixture file is the exact sum of the stem files.
    test_fraction:  share of songs placed in ``test`` (rounded; at least one test and one train song
                    whenever the fraction is > 0 and there are at least two songs).
    test_songs:     an exact number of test songs instead of ``test_fraction`` (None = use the fraction).
    split_pool:     draw the test songs from the first ``split_pool`` song indices only (None = all songs),
                    with the fraction/number applied to the pool: growing ``songs`` past the pool then
                    only adds training songs, and the test songs (and every song file, which depends on
                    ``(seed, index)`` alone) stay exactly those of the ``songs: split_pool`` corpus.
    stem_sd_db:     standard deviation of each stem's loudness around its MUSDB18 mean (the reference
                    balance of a song is drawn from this prior).
    stem_mean_lufs: the per-stem prior means (only their differences matter).
    mix_lufs:       [lo, hi] range the mixture loudness is drawn from (uniform); lowered when needed to
                    keep every peak below ``peak_ceiling_db``.
    peak_ceiling_db: the highest sample peak allowed in any stem or the mixture (dBFS).
    grooves:        drum grooves songs may use (subset of GROOVES).
    id_prefix:      song id prefix.
    """

    songs: int = 100
    seconds: float = 60.0
    seed: int = 0
    sample_rate: int = 24000
    channels: int = 2
    format: str = "flac"
    bit_depth: int = 16
    test_fraction: float = 0.2
    test_songs: int | None = None
    split_pool: int | None = None
    stem_sd_db: float = 2.5
    stem_mean_lufs: dict[str, float] = field(default_factory=lambda: dict(MUSDB_STEM_MEAN_LUFS))
    mix_lufs: list[float] = field(default_factory=lambda: [-18.0, -14.0])
    peak_ceiling_db: float = -1.0
    grooves: list[str] = field(default_factory=lambda: list(GROOVES))
    id_prefix: str = "synth"

    def __post_init__(self):
        def bad(msg: str) -> SynthConfigError:
            return SynthConfigError(msg)

        if not isinstance(self.songs, int) or self.songs < 1:
            raise bad(f"songs must be an integer >= 1, got {self.songs!r}")
        if not (isinstance(self.seconds, (int, float)) and math.isfinite(self.seconds) and 4.0 <= self.seconds <= 1200):
            raise bad(f"seconds must be between 4 and 1200, got {self.seconds!r}")
        if not isinstance(self.sample_rate, int) or not 8000 <= self.sample_rate <= 96000:
            raise bad(f"sample_rate must be an integer between 8000 and 96000 Hz, got {self.sample_rate!r}")
        if self.channels not in (1, 2):
            raise bad(f"channels must be 1 or 2, got {self.channels!r}")
        if self.format not in FORMATS:
            raise bad(f"format must be one of {list(FORMATS)}, got {self.format!r}")
        if self.bit_depth not in (16, 24):
            raise bad(f"bit_depth must be 16 or 24, got {self.bit_depth!r}")
        if not 0.0 <= self.test_fraction <= 1.0:
            raise bad(f"test_fraction must be in [0, 1], got {self.test_fraction!r}")
        if self.split_pool is not None and not 1 <= self.split_pool <= self.songs:
            raise bad(f"split_pool must be between 1 and songs ({self.songs}), got {self.split_pool!r}")
        if self.test_songs is not None and not 0 <= self.test_songs <= self.pool():
            raise bad(f"test_songs must be between 0 and the songs of the split pool ({self.pool()}), "
                      f"got {self.test_songs!r}")
        if not 0.0 <= self.stem_sd_db <= 12.0:
            raise bad(f"stem_sd_db must be in [0, 12] dB, got {self.stem_sd_db!r}")
        if sorted(self.stem_mean_lufs) != sorted(STEMS):
            raise bad(f"stem_mean_lufs must give exactly the stems {list(STEMS)}, got {sorted(self.stem_mean_lufs)}")
        if len(self.mix_lufs) != 2 or not -40.0 <= self.mix_lufs[0] <= self.mix_lufs[1] <= -6.0:
            raise bad(f"mix_lufs must be [lo, hi] with -40 <= lo <= hi <= -6 LUFS, got {self.mix_lufs!r}")
        if not -20.0 <= self.peak_ceiling_db <= -0.1:
            raise bad(f"peak_ceiling_db must be in [-20, -0.1] dBFS, got {self.peak_ceiling_db!r}")
        unknown = sorted(set(self.grooves) - set(GROOVES))
        if not self.grooves or unknown:
            raise bad(f"grooves must be a non-empty subset of {list(GROOVES)}; unknown: {unknown}")
        if not self.id_prefix or not self.id_prefix.replace("_", "").replace("-", "").isalnum():
            raise bad(f"id_prefix must be letters, digits, '_' or '-', got {self.id_prefix!r}")

    @property
    def extension(self) -> str:
        return "." + self.format

    @property
    def subtype(self) -> str:
        return f"PCM_{self.bit_depth}"

    def pool(self) -> int:
        """Number of songs (the first indices) the test songs are drawn from."""
        return self.songs if self.split_pool is None else self.split_pool

    def n_test(self) -> int:
        """Number of test songs."""
        if self.test_songs is not None:
            return self.test_songs
        n = int(round(self.test_fraction * self.pool()))
        if 0.0 < self.test_fraction < 1.0 and self.pool() >= 2:
            n = min(max(n, 1), self.pool() - 1)
        return n

    def song_id(self, index: int) -> str:
        return f"{self.id_prefix}_{index:04d}"
