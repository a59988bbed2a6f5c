"""Render recipes into flawed mixes, on demand and deterministically.

Decoded stems come from a cache so that a song is decoded once per (rate, channels):

* ``cache_dir`` given: each stem is stored as ``cache_dir/<corpus>/<song>/<sr>_<ch>/<stem>.npy`` and
  memory-mapped; the OS page cache is shared by all DataLoader workers and RAM stays bounded.
  A ``source.json`` fingerprint (song source, length, rate, stems, and each source file's size and
  modification time) is checked on open; a stale entry (an edited or replaced stem file) is decoded
  again. Files are written atomically, so concurrent workers are safe.
* no ``cache_dir``: an in-memory LRU of the ``max_songs`` most recently used decoded songs.

Peak policy: the flawed mix is float32 and never clipped. When its peak exceeds ``ceiling`` the
mix *and* the returned stems are scaled by one factor (the balance is unchanged) and the scaling
is recorded as ``info["peak_scale_db"]`` (0.0 when none was needed).

Augmentation (training only; seeded by ``(seed, recipe.id)``): global gain uniform ±3 dB, DC
offset uniform ±0.005, white Gaussian noise (see :func:`white_noise`) at an SNR uniform in 40–60 dB
relative to the power of the gained mix. The
returned stems include the global gain and the peak scaling, not the noise/DC.

Mastering (training only, ``master``: a probability; seeded by ``(seed, recipe.id)``): the mix, as a
mastering engineer's limiter would leave it: one gain to a loudness uniform in ``MASTER_LUFS``, then
pedalboard's ``Limiter`` with a ``MASTER_CEILING_DB`` ceiling (:func:`master_mix`). The stems are left
as they are (a mastered bounce has no mastered stems).
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..audio import convert
from ..corpus.config import CorpusConfig
from ..corpus.song import Song
from ..errors import ConfigError, DataError
from ..io import atomic_path, check_output_dir, ensure_dir, read_json, write_text
from ..rng import rng_for
from .recipe import Recipe

DEFAULT_CEILING = 0.999
RENDER_EXTENSIONS = (".wav", ".flac", ".ogg", ".aiff")  # audio files a rendered mix can be written to
AUG_GAIN_DB = 3.0
AUG_SNR_DB = (40.0, 60.0)
AUG_DC = 0.005
THIN_QUIET_DB = (10.0, 40.0)   # ``thin``: a bystander stem turned down by this much ...
THIN_SPARSE_SHARE = 0.2        # ... or heard in one stretch of at most this share of the window (the gate's limit)
MASTER_LUFS = (-14.0, -6.0)    # ``master``: the loudness a mastered bounce is brought to ...
MASTER_CEILING_DB = -1.0       # ... by a limiter with this ceiling


@dataclass
class RenderedMix:
    """A rendered flawed mix: float32 ``(samples, channels)`` at ``sample_rate``."""

    mix: np.ndarray
    sample_rate: int
    stems: dict[str, np.ndarray] | None = None
    info: dict = field(default_factory=dict)


def safe_name(name: str) -> str:
    """A file-system-safe folder name for a song/corpus id (slug + short hash keeps it unique)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:80] or "x"
    return f"{slug}-{hashlib.blake2b(name.encode(), digest_size=4).hexdigest()}"


class Renderer:
    """Turns recipes into audio. Picklable (caches are rebuilt in each worker process)."""

    def __init__(self, source: CorpusConfig | Sequence[Song], sample_rate: int = 24000, channels: int = 1,
                 cache_dir: str | Path | None = None, corpus: str | None = None, max_songs: int = 8,
                 ceiling: float = DEFAULT_CEILING):
        if int(sample_rate) < 1:
            raise ConfigError(f"sample rate must be a positive number of Hz, got {sample_rate!r}")
        if int(channels) not in (1, 2):
            raise ConfigError(f"channels must be 1 (mono) or 2 (stereo), got {channels!r}")
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        if self.cache_dir is not None:
            check_output_dir(self.cache_dir, writable=False)  # a file in the way is reported now, not at the first decode
        if isinstance(source, CorpusConfig):
            from ..corpus.load import load_corpus
            from .build import corpus_name

            songs = load_corpus(source)
            corpus = corpus or corpus_name(source)
        else:
            songs = list(source)
        self.songs: dict[str, Song] = {s.id: s for s in songs}
        self.corpus = corpus or "memory"
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self.dataset: str | None = None  # the dataset file this renderer serves (set by open_renderer)
        self.max_songs = max(1, int(max_songs))
        self.ceiling = float(ceiling)
        self._lru: OrderedDict[str, dict[str, np.ndarray]] = OrderedDict()

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_lru"] = OrderedDict()
        return state

    # ---- decoded stems -------------------------------------------------------------------------
    def song(self, song_id: str) -> Song:
        try:
            return self.songs[song_id]
        except KeyError:
            raise DataError(f"song {song_id!r} is not in corpus {self.corpus!r} ({len(self.songs)} songs); "
                            "was the dataset built from another corpus?") from None

    def _fingerprint(self, song: Song) -> dict:
        """What a cached decode must match: the song, the rate and channels, and (for songs read from files) each
        file's size and modification time, so an edited or replaced stem file is decoded again."""
        signature = getattr(song.loader, "signature", None)
        return {"song": song.id, "source": song.source, "num_frames": song.num_frames,
                "native_sr": song.sample_rate, "stems": list(song.stem_names),
                "sr": self.sample_rate, "channels": self.channels,
                "read_from": signature() if callable(signature) else None}

    def _song_dir(self, song: Song) -> Path:
        assert self.cache_dir is not None
        return (self.cache_dir / safe_name(self.corpus) / safe_name(song.id)
                / f"{self.sample_rate}_{self.channels}")

    def _load_cached(self, song: Song) -> dict[str, np.ndarray] | None:
        d = self._song_dir(song)
        try:
            fp = json.loads((d / "source.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if fp != self._fingerprint(song):
            return None
        try:
            return {s: np.load(d / f"{s}.npy", mmap_mode="r") for s in song.stem_names}
        except (OSError, ValueError):
            return None

    def _store(self, song: Song, stems: Mapping[str, np.ndarray]) -> None:
        d = ensure_dir(self._song_dir(song))
        for s, x in stems.items():
            with atomic_path(d / f"{s}.npy") as tmp:
                with open(tmp, "wb") as f:
                    np.save(f, np.ascontiguousarray(x, dtype=np.float32))
        write_text(d / "source.json", json.dumps(self._fingerprint(song), sort_keys=True))

    def stems_of(self, song_id: str) -> dict[str, np.ndarray]:
        """Whole-song stems at (sample_rate, channels): memory-mapped from the cache or from the LRU."""
        if song_id in self._lru:
            self._lru.move_to_end(song_id)
            return self._lru[song_id]
        song = self.song(song_id)
        stems = self._load_cached(song) if self.cache_dir is not None else None
        if stems is None:
            stems = {k: np.ascontiguousarray(convert(x, song.sample_rate, self.sample_rate, self.channels), np.float32)
                     for k, x in song.stems().items()}
            if self.cache_dir is not None:
                self._store(song, stems)
                stems = self._load_cached(song) or stems
        self._lru[song_id] = stems
        while len(self._lru) > self.max_songs:
            self._lru.popitem(last=False)
        return stems

    def warm(self, song_ids: Sequence[str] | None = None) -> None:
        """Decode (and cache) songs ahead of time, e.g. before starting DataLoader workers."""
        for sid in song_ids if song_ids is not None else list(self.songs):
            self.stems_of(sid)

    # ---- rendering -----------------------------------------------------------------------------
    def window(self, recipe: Recipe) -> dict[str, np.ndarray]:
        """The recipe's window of every stem it lists (read-only views or zero-padded copies)."""
        stems = self.stems_of(recipe.song_id)
        a = int(round(recipe.start_s * self.sample_rate))
        n = int(round(recipe.duration_s * self.sample_rate))
        out = {}
        for name in recipe.stems:
            if name not in stems:
                raise DataError(f"recipe {recipe.id!r} lists stem {name!r} but song {recipe.song_id!r} has "
                                f"{sorted(stems)}")
            x = stems[name][a:a + n]
            short = n - x.shape[0]
            if short > max(16, n // 100):
                raise DataError(f"recipe {recipe.id!r}: window {recipe.start_s}+{recipe.duration_s}s runs past the "
                                f"end of song {recipe.song_id!r} ({stems[name].shape[0] / self.sample_rate:.2f}s)")
            if short > 0:
                x = np.concatenate([x, np.zeros((short, x.shape[1]), dtype=np.float32)])
            out[name] = x
        return out

    def render(self, recipe: Recipe, augment: bool = False, seed: int = 0, return_stems: bool = False,
               thin: float = 0.0, master: float = 0.0) -> RenderedMix:
        """The flawed mix of a recipe: stems summed with the target scaled by 10^(gain_db/20) (and every stem
        by 10^(bounce_db/20)).

        ``thin`` (training): each bystander stem (neither target nor anchor) is, with this probability,
        made absent, quiet or sparse (see :func:`_thin`), seeded per (seed, recipe). ``master`` (training):
        the probability that the mix is mastered (:func:`master_mix`, after augmentation)."""
        win = self.window(recipe)
        thinned = _thin(win, recipe, rng_for(seed, "thin", recipe.id), thin) if thin > 0 else {}
        b = 10.0 ** (recipe.bounce_db / 20.0)          # the whole window's level (1 in the paper's protocol)
        g, b = np.float32(b * 10.0 ** (recipe.gain_db / 20.0)), np.float32(b)
        first = next(iter(win.values()))
        mix = np.zeros(first.shape, dtype=np.float32)
        stems: dict[str, np.ndarray] = {}
        for name, x in win.items():
            y = x * g if name == recipe.target else (x * b if recipe.bounce_db else x)
            mix += y
            if return_stems:
                stems[name] = np.array(y, dtype=np.float32)
        info: dict = {"gain_db": recipe.gain_db, "target": recipe.target}
        if recipe.bounce_db:
            info["bounce_db"] = recipe.bounce_db
        if thinned:
            info["thinned"] = thinned
        if augment:
            _augment(mix, stems, rng_for(seed, "augment", recipe.id), info)
        if master > 0:
            rng = rng_for(seed, "master", recipe.id)
            if rng.random() < master:
                info["master_lufs"] = float(rng.uniform(*MASTER_LUFS))
                mix = master_mix(mix, self.sample_rate, info["master_lufs"])
        peak = float(np.max(np.abs(mix))) if mix.size else 0.0
        info["peak"] = peak
        scale = 1.0
        if peak > self.ceiling:
            scale = self.ceiling / peak
            mix *= np.float32(scale)
            for y in stems.values():
                y *= np.float32(scale)
        info["peak_scale_db"] = 20.0 * math.log10(scale)
        return RenderedMix(mix, self.sample_rate, stems if return_stems else None, info)


_NOISE_TABLE: np.ndarray | None = None
NOISE_TABLE_SIZE = 1 << 22  # 4 Mi samples (16 MB), ~175 s at 24 kHz


def white_noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit-variance white Gaussian noise of ``shape`` (samples, channels), cheaply.

    Drawing fresh normals costs ~2 ms per 10 s clip; instead each channel reads a fixed, seeded table
    of Gaussian samples at a random offset (wrapping around) with a random sign. The table is the
    same in every process, so the result depends only on ``rng``: renders stay deterministic.
    """
    global _NOISE_TABLE
    if _NOISE_TABLE is None:
        _NOISE_TABLE = rng_for(0, "mixbuddy-noise-table").standard_normal(NOISE_TABLE_SIZE, dtype=np.float32)
    n, ch = shape
    out = np.empty(shape, dtype=np.float32)
    for c in range(ch):
        k = int(rng.integers(NOISE_TABLE_SIZE))
        idx = (np.arange(n) + k) % NOISE_TABLE_SIZE if k + n > NOISE_TABLE_SIZE else slice(k, k + n)
        out[:, c] = _NOISE_TABLE[idx]
        if rng.random() < 0.5:
            out[:, c] *= -1
    return out


def _thin(win: dict[str, np.ndarray], recipe: Recipe, rng: np.random.Generator, p: float) -> dict[str, str]:
    """In ``win`` (replacing arrays, never writing into the cached views): each bystander stem, with
    probability ``p``, becomes *absent* (silent), *quiet* (down by U(10, 40) dB) or *sparse* (heard in
    one stretch of at most 20% of the window, silent elsewhere), one of the three at random: what real
    songs do to a stem that sits out a passage (``configs/data-real.yaml`` then gives it no role).
    Roles are untouched, so the recipe's answer stays right. Returns {stem: what was done}."""
    done = {}
    for name in sorted(win):
        if name in (recipe.target, recipe.anchor) or rng.random() >= p:
            continue
        kind = ("absent", "quiet", "sparse")[int(rng.integers(3))]
        x = win[name]
        if kind == "absent":
            y = np.zeros_like(x)
        elif kind == "quiet":
            y = x * np.float32(10.0 ** (-rng.uniform(*THIN_QUIET_DB) / 20.0))
        else:
            n = x.shape[0]
            k = int(rng.uniform(0.0, THIN_SPARSE_SHARE) * n)
            a = int(rng.integers(0, n - k + 1))
            y = np.zeros_like(x)
            y[a:a + k] = x[a:a + k]
        win[name] = y
        done[name] = kind
    return done


def master_mix(mix: np.ndarray, sample_rate: int, target_lufs: float) -> np.ndarray:
    """``mix`` (samples, channels) brought to about ``target_lufs`` by one gain into pedalboard's ``Limiter``
    (threshold ``MASTER_CEILING_DB``; JUCE's limiter makes up what it takes, so peaks land near 0 dBFS), twice:
    roughly what mastering does to a bounce. The result lands near the target, a few dB off either way (the
    limiter's make-up and what it takes vary with the material; a peaky mix falls short of a high target).
    Silent audio comes back as it is."""
    import pedalboard as pb

    from ..evaluate.baselines.loudness import loudness

    x = np.asarray(mix, dtype=np.float32)
    limiter = pb.Pedalboard([pb.Limiter(threshold_db=MASTER_CEILING_DB, release_ms=100.0)])
    for _ in range(2):
        lufs = loudness(x.mean(axis=1), sample_rate)
        if not np.isfinite(lufs):
            return x
        y = x * np.float32(10.0 ** ((target_lufs - lufs) / 20.0))
        x = np.ascontiguousarray(limiter(np.ascontiguousarray(y.T), sample_rate).T, dtype=np.float32)
    return x


def _augment(mix: np.ndarray, stems: dict[str, np.ndarray], rng: np.random.Generator, info: dict) -> None:
    """In place: global gain, white noise at a random SNR (vs. the gained mix), DC offset."""
    gain_db = float(rng.uniform(-AUG_GAIN_DB, AUG_GAIN_DB))
    snr_db = float(rng.uniform(*AUG_SNR_DB))
    dc = float(rng.uniform(-AUG_DC, AUG_DC))
    gg = np.float32(10.0 ** (gain_db / 20.0))
    mix *= gg
    for y in stems.values():
        y *= gg
    power = float(np.mean(np.square(mix, dtype=np.float64))) if mix.size else 0.0
    noise_rms = math.sqrt(power / 10.0 ** (snr_db / 10.0))
    if noise_rms > 0:
        mix += white_noise(rng, mix.shape) * np.float32(noise_rms)
    mix += np.float32(dc)
    info.update({"aug_gain_db": gain_db, "aug_snr_db": snr_db, "aug_dc": dc})


def read_manifest(dataset: str | Path) -> dict | None:
    """The ``dataset.json`` beside a dataset file, or None when there is none; DataError naming it when it is
    not a JSON object or its ``corpus_config`` is not a mapping."""
    path = Path(dataset).parent / "dataset.json"
    if not path.exists():
        return None
    meta = read_json(path, "dataset manifest")
    if not isinstance(meta, dict):
        raise DataError(f"{path}: dataset manifest must be a JSON object, got {type(meta).__name__}; "
                        "rebuild the dataset with `mixbuddy data build`")
    cc = meta.get("corpus_config")
    if cc and not isinstance(cc, dict):
        raise DataError(f"{path}: corpus_config must be a mapping, got {cc!r}")
    return meta


def require_corpus_root(root: str | None, manifest: str | Path, other: str = "") -> None:
    """DataError naming ``manifest`` when the relative corpus ``root`` it records is not found from here: it was
    relative to the folder the dataset was built in (``other``: a further way out, e.g. an option)."""
    path = Path(root).expanduser() if root else None
    if path is not None and not path.is_absolute() and not path.exists():
        raise DataError(f"{manifest}: the corpus this dataset was built from, {root}, is not found from {Path.cwd()} "
                        "(a relative corpus root is read from the folder mixbuddy runs in: run it from the folder "
                        f"the dataset was built in{other}, or set corpus_config.root there to an absolute path)")


def open_renderer(dataset: str | Path, sample_rate: int, channels: int, cache_dir: str | Path | None = None) -> Renderer:
    """A renderer over the corpus a dataset file was built from (read from its ``dataset.json``)."""
    from ..config import from_dict

    manifest = Path(dataset).parent / "dataset.json"
    meta = read_manifest(dataset)
    if meta is None:
        raise DataError(f"{manifest}: not found; a dataset file needs the dataset.json written beside it by "
                        "`mixbuddy data build` (it says which corpus to render from)")
    if not meta.get("corpus_config"):
        raise DataError(f"{manifest}: has no corpus_config; rebuild the dataset with `mixbuddy data build`")
    ccfg = from_dict(CorpusConfig, meta["corpus_config"], where=f"{manifest}:corpus_config")
    require_corpus_root(ccfg.root, manifest)
    renderer = Renderer(ccfg, sample_rate=sample_rate, channels=channels, cache_dir=cache_dir,
                        corpus=meta.get("corpus"))
    renderer.dataset = str(dataset)
    return renderer
