"""Build the synthetic corpus: compose → render → produce → set the reference balance → write songs in
the MUSDB18-HQ layout (``OUT/{train,test}/<id>/{bass,drums,other,vocals,mixture}.<ext>`` + meta.json).

meta.json of a song: id, index, split, seed, build_key, sample_rate, channels, frames, seconds;
the music (tempo_bpm, key, groove, meter, swing, sections with chords, parts, programs per stem);
``reference_balance``: offsets_db (the drawn per-stem loudness relative to the stems' mean: the
reference balance), produced_lufs (BS.1770 of each stem measured right after production),
stem_lufs / mixture_lufs (levels as written), mix_target_lufs, common_gain_db, peak_limited, peak_dbfs;
``production``: the pedalboard settings per stem. ``OUT/corpus.json`` records config, counts, songs.
"""
from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import logging
import math
import multiprocessing
import os
import shutil
from pathlib import Path

import numpy as np

from ... import __version__
from ...audio import write_audio
from ...config import to_dict
from ...constants import STEMS
from ...errors import CorpusError
from ...io import dumps, ensure_dir, write_json
from ...rng import rng_for
from .compose import compose_song
from .config import SynthConfig
from .render import fade, loudness, produce, production_params, render_parts

log = logging.getLogger(__name__)

GENERATOR = "mixbuddy.corpus.synth"
SYNTH_VERSION = 1   # bump whenever the generated audio changes for the same config
SPLITS = ("train", "test")
_SPLIT_ONLY = ("songs", "test_fraction", "test_songs", "split_pool")
NOMINAL_LUFS = -20.0  # stems are first set to NOMINAL_LUFS + offset, then a common gain is applied


def split_plan(cfg: SynthConfig) -> list[tuple[int, str]]:
    """(song index, split) for every song; the test songs are a seeded choice of ``cfg.n_test()`` among the
    first ``cfg.pool()`` indices."""
    test = set(rng_for(cfg.seed, "split").permutation(cfg.pool())[: cfg.n_test()].tolist())
    return [(i, "test" if i in test else "train") for i in range(cfg.songs)]


def build_key(cfg: SynthConfig, index: int) -> str:
    """Fingerprint of everything that determines song ``index`` (reused on rebuild when unchanged).

    The split settings and the number of songs are left out: a song's audio depends on ``(seed, index)``
    and the sound settings alone, so growing a corpus reuses every song already built."""
    conf = {k: v for k, v in to_dict(cfg).items() if k not in _SPLIT_ONLY}
    blob = dumps({"config": conf, "index": index, "synth_version": SYNTH_VERSION})
    return hashlib.blake2b(blob.encode(), digest_size=12).hexdigest()


def quantize(x: np.ndarray, bits: int) -> np.ndarray:
    """Round to the integer PCM grid so the file holds exactly these values (and sums stay exact)."""
    scale = float(2 ** (bits - 1))
    q = np.clip(np.round(np.asarray(x, dtype=np.float64) * scale), -scale, scale - 1)
    return (q / scale).astype(np.float32)


def _sum(arrays) -> np.ndarray:
    """Sum float32 arrays in float64 without stacking them (memory)."""
    total = None
    for a in arrays:
        total = a.astype(np.float64) if total is None else np.add(total, a, out=total)
    return total


def draw_offsets(cfg: SynthConfig, rng: np.random.Generator) -> dict[str, float]:
    """Reference balance: each stem's loudness relative to the stems' mean, from the MUSDB18 prior."""
    mean = float(np.mean([cfg.stem_mean_lufs[s] for s in STEMS]))
    return {s: cfg.stem_mean_lufs[s] - mean + float(rng.normal(0.0, cfg.stem_sd_db)) for s in STEMS}


def synthesize_song(cfg: SynthConfig, index: int) -> tuple[dict[str, np.ndarray], dict]:
    """Audio of song ``index`` (stems + ``mixture``, float32 (frames, channels) on the PCM grid) and its
    metadata. A function of (cfg, index) only."""
    comp = compose_song(rng_for(cfg.seed, "song", index, "compose"), cfg.seconds, cfg.grooves)
    rng_prod = rng_for(cfg.seed, "song", index, "production")
    rng_bal = rng_for(cfg.seed, "song", index, "balance")
    sr = cfg.sample_rate
    n = int(round(cfg.seconds * sr))
    env = fade(n, sr, cfg.seconds)[:, None]
    stems, params = {}, {}
    for stem in STEMS:
        parts = [p for p in comp.parts if p.stem == stem]
        params[stem] = production_params(stem, rng_prod, comp.tempo)
        y = produce(render_parts(parts, sr, n), sr, params[stem]) * env
        stems[stem] = y.mean(axis=1, keepdims=True) if cfg.channels == 1 else y

    # reference balance: each stem to NOMINAL + its drawn offset, then one common gain for all
    offsets = draw_offsets(cfg, rng_bal)
    mix_target = float(rng_bal.uniform(*cfg.mix_lufs))
    pre = {}
    for s in STEMS:
        pre[s] = loudness(stems[s], sr)
        if pre[s] <= -70.0:
            raise CorpusError(f"synthetic song {cfg.song_id(index)}: stem {s!r} rendered silent (seed {cfg.seed})")
        stems[s] *= np.float32(10 ** ((NOMINAL_LUFS + offsets[s] - pre[s]) / 20))
    mix = _sum(stems[s] for s in STEMS)
    mix_lufs = loudness(mix, sr)
    gain_db = mix_target - mix_lufs
    peak = max(float(np.abs(mix).max()), *(float(np.abs(stems[s]).max()) for s in STEMS))
    del mix
    ceiling = 10 ** (cfg.peak_ceiling_db / 20)
    limited = peak * 10 ** (gain_db / 20) > ceiling
    if limited:
        gain_db = 20 * math.log10(ceiling / peak)
    out = {s: quantize(stems[s] * 10 ** (gain_db / 20), cfg.bit_depth) for s in STEMS}
    out["mixture"] = _sum(out[s] for s in STEMS).astype(np.float32)  # exact: all values on the PCM grid
    # BS.1770 loudness is scale-equivariant, so the written levels follow exactly from the measurements
    # above and the gains applied (the tests re-measure the files to check it)
    final = {s: round(NOMINAL_LUFS + offsets[s] + gain_db, 3) for s in STEMS}
    meta = {
        "id": cfg.song_id(index), "index": index, "title": f"Synthetic song {index}", "synthetic": True,
        "generator": GENERATOR, "synth_version": SYNTH_VERSION, "mixbuddy_version": __version__,
        "source": "procedurally composed by mixbuddy; instrument samples from the TimGM6mb soundfont "
                  "(GPL-2.0) bundled with pretty_midi",
        "seed": cfg.seed, "build_key": build_key(cfg, index),
        "sample_rate": sr, "channels": cfg.channels, "frames": n, "seconds": cfg.seconds,
        **comp.summary(),
        "programs": {s: [c.name for p in comp.parts if p.stem == s for c in p.channels] for s in STEMS},
        "reference_balance": {
            "prior_mean_lufs": dict(cfg.stem_mean_lufs), "stem_sd_db": cfg.stem_sd_db,
            "offsets_db": {s: round(offsets[s], 3) for s in STEMS},
            "produced_lufs": {s: round(pre[s], 3) for s in STEMS},
            "stem_lufs": final,
            "mixture_lufs": round(mix_lufs + gain_db, 3),
            "mix_target_lufs": round(mix_target, 3), "common_gain_db": round(gain_db, 3),
            "peak_limited": limited,
            "peak_dbfs": {k: round(20 * math.log10(float(np.abs(v).max()) + 1e-12), 3) for k, v in out.items()},
        },
        "production": params,
    }
    return out, meta


def _write_song(cfg: SynthConfig, index: int, split: str, out_dir: str) -> str:
    """Synthesize and write one song into a temp folder, then rename it into place (never half a song)."""
    audio, meta = synthesize_song(cfg, index)
    meta["split"] = split
    final = Path(out_dir) / split / cfg.song_id(index)
    tmp = final.parent / f".tmp-{final.name}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        for name in (*STEMS, "mixture"):
            write_audio(tmp / f"{name}{cfg.extension}", audio[name], cfg.sample_rate, subtype=cfg.subtype)
        write_json(tmp / "meta.json", meta)
        old = final.parent / f".old-{final.name}-{os.getpid()}"
        if final.exists():
            os.replace(final, old)
        os.replace(tmp, final)
        if old.exists():
            shutil.rmtree(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return str(final)


def _is_current(song_dir: Path, key: str, cfg: SynthConfig) -> bool:
    meta = song_dir / "meta.json"
    if not meta.is_file() or not all((song_dir / f"{n}{cfg.extension}").is_file() for n in (*STEMS, "mixture")):
        return False
    try:
        return json.loads(meta.read_text(encoding="utf-8")).get("build_key") == key
    except (OSError, ValueError):
        return False


def _check_out_dir(out: Path, cfg: SynthConfig, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise CorpusError(f"{out}: exists and is not a folder")
    if not out.is_dir():
        return
    ours = (*SPLITS, "corpus.json")
    foreign = sorted(p.name for p in out.iterdir() if not p.name.startswith(".") and p.name not in ours)
    if foreign:
        raise CorpusError(f"{out}: not a synthetic corpus folder (it holds {foreign[:5]}); "
                          "choose an empty or new output folder")
    info = out / "corpus.json"
    if info.is_file() and not overwrite:
        try:
            old = json.loads(info.read_text(encoding="utf-8")).get("config")
        except (OSError, ValueError):
            old = None
        if old != to_dict(cfg):
            diff = sorted(k for k in to_dict(cfg) if not isinstance(old, dict) or old.get(k) != to_dict(cfg)[k])
            raise CorpusError(f"{out}: holds a synthetic corpus built with a different config (differs in {diff}); "
                              "pass --overwrite (overwrite=True) to rebuild it, or use another folder")


def _clean_stale(out: Path, cfg: SynthConfig, plan: list[tuple[int, str]]) -> None:
    """Remove temp folders of interrupted builds and our songs that are not in this build's plan."""
    wanted = {(s, cfg.song_id(i)) for i, s in plan}
    for split in SPLITS:
        d = out / split
        if not d.is_dir():
            continue
        for p in sorted(d.iterdir()):
            if p.is_dir() and p.name.startswith((".tmp-", ".old-")):
                shutil.rmtree(p, ignore_errors=True)
            elif p.is_dir() and (split, p.name) not in wanted and (p / "meta.json").is_file():
                try:
                    ours = json.loads((p / "meta.json").read_text(encoding="utf-8")).get("generator") == GENERATOR
                except (OSError, ValueError):
                    ours = False
                if ours:
                    shutil.rmtree(p)


def synthesize_corpus(cfg: SynthConfig, out_dir: str | Path, workers: int | None = None,
                      overwrite: bool = False, progress: bool = True) -> list[Path]:
    """Build (or complete) the synthetic corpus in ``out_dir``; returns the song folders in index order.

    Songs already present with the same build key are kept (an interrupted build resumes); a folder
    built with another config is refused unless ``overwrite``. ``workers`` defaults to os.cpu_count();
    the output does not depend on it.
    """
    from tqdm import tqdm

    out = Path(out_dir)
    _check_out_dir(out, cfg, overwrite)
    ensure_dir(out)  # a file where a parent folder should be is reported before any song is rendered
    plan = split_plan(cfg)
    _clean_stale(out, cfg, plan)
    todo = [(i, s) for i, s in plan if not _is_current(out / s / cfg.song_id(i), build_key(cfg, i), cfg)]
    workers = max(1, int(workers or os.cpu_count() or 1))
    log.info("synthesizing %d of %d songs (%.0f s each) into %s with %d worker(s)",
             len(todo), len(plan), cfg.seconds, out, min(workers, max(1, len(todo))))
    bar = tqdm(total=len(plan), initial=len(plan) - len(todo), unit="song", desc="synth", disable=not progress)
    try:
        if workers == 1 or len(todo) <= 1:
            for i, s in todo:
                _write_song(cfg, i, s, str(out))
                bar.update(1)
        else:
            ctx = multiprocessing.get_context("spawn")  # portable, and safe with threads in the parent
            with cf.ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=ctx) as pool:
                futures = [pool.submit(_write_song, cfg, i, s, str(out)) for i, s in todo]
                try:
                    for f in cf.as_completed(futures):
                        f.result()
                        bar.update(1)
                except BaseException:
                    for f in futures:
                        f.cancel()
                    raise
    finally:
        bar.close()
    counts = {s: sum(1 for _, sp in plan if sp == s) for s in SPLITS}
    write_json(out / "corpus.json", {
        "generator": GENERATOR, "synth_version": SYNTH_VERSION, "mixbuddy_version": __version__,
        "layout": "musdb_hq", "stems": list(STEMS), "config": to_dict(cfg),
        "counts": {**counts, "total": len(plan)},
        "songs": [{"id": cfg.song_id(i), "split": s} for i, s in plan],
    })
    return [out / s / cfg.song_id(i) for i, s in plan]
