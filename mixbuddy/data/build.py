"""Build a flawed-mix dataset as recipes: chunk → gate → enumerate/sample → ``<split>.jsonl``.

Every random choice of a record (target/anchor/category in sample mode, gain, template ids) is
drawn from ``rng_for(seed, <purpose>, <record key>)``, so a record does not depend on the order in
which songs are processed, on the number of workers, or on which other songs are in the corpus.
Rebuilding with the same corpus and config gives byte-identical JSONL files.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from .. import __version__
from ..config import to_dict
from ..constants import CATEGORY_BY_NAME, CATEGORY_NAMES
from ..corpus.config import CorpusConfig
from ..corpus.song import Song
from ..errors import DataError
from ..io import check_output_dir, check_output_file, ensure_dir, write_json
from ..rng import rng_for
from . import templates as T
from .config import DataConfig
from .gate import ChunkInfo, SongChunks, analyse_song
from .recipe import Recipe, is_recipe_file, write_recipes

log = logging.getLogger(__name__)

SPLIT_ORDER = ("train", "validation", "test")
MANIFEST_FORMAT = "mixbuddy-recipes/1"


def record_id(song_id: str, start_ms: int, target: str, anchor: str, category: str, pass_index: int) -> str:
    """Stable, human-readable record id: ``<song>@<start ms>:<target>:<anchor>:<category>:<pass>``."""
    return f"{song_id}@{start_ms}:{target}:{anchor}:{category}:{pass_index}"


def draw_gain(seed: int, rid: str, category: str) -> float:
    """Applied gain of a record: uniform within the category's magnitude interval, signed."""
    cat = CATEGORY_BY_NAME[category]
    if not cat.is_error:
        return 0.0
    lo, hi = cat.magnitude
    mag = float(rng_for(seed, "gain", rid).uniform(lo, hi))
    return -mag if cat.direction == "increase" else mag


def draw_bounce(seed: int, song_id: str, start_ms: int, spread_db: float) -> float:
    """The level a chunk is heard at: uniform within ±spread_db, one draw per (song, chunk); 0 when no spread."""
    if not spread_db:
        return 0.0
    return float(rng_for(seed, "bounce", song_id, start_ms).uniform(-spread_db, spread_db))


def make_recipe(song_id: str, split: str, stems: tuple[str, ...], start_ms: int, target: str, anchor: str,
                category: str, pass_index: int, cfg: DataConfig, corpus: str) -> Recipe:
    """One record with its seeded gain (and chunk level) and seeded instruction/response wording."""
    rid = record_id(song_id, start_ms, target, anchor, category, pass_index)
    gain = draw_gain(cfg.seed, rid, category)
    rng = rng_for(cfg.seed, "text", rid)
    instr_id = T.INSTRUCTION_IDS[int(rng.integers(len(T.INSTRUCTION_IDS)))]
    resp_ids = T.response_ids(category)
    resp_id = resp_ids[int(rng.integers(len(resp_ids)))]
    return Recipe(
        id=rid, song_id=song_id, split=split, start_s=start_ms / 1000.0, duration_s=cfg.chunk_s,
        target=target, anchor=anchor, category=category, gain_db=gain,
        instruction_id=instr_id, response_id=resp_id, system=T.SYSTEM_PROMPT,
        instruction=T.render_instruction(stems, anchor, instr_id),
        response=T.render_response(category, target, anchor, resp_id, gain, exact_gain=cfg.exact_gain),
        stems=stems, corpus=corpus, bounce_db=draw_bounce(cfg.seed, song_id, start_ms, cfg.bounce_db))


def role_pairs(chunk: ChunkInfo, cfg: DataConfig) -> list[tuple[str, str]]:
    """(target, anchor) pairs allowed in a chunk, anchor-major in the configured order."""
    return [(t, a) for a in cfg.anchors if a in chunk.roles for t in cfg.targets if t in chunk.roles and t != a]


def chunk_records(chunk: ChunkInfo, stems: tuple[str, ...], mode: str, cfg: DataConfig, corpus: str) -> list[Recipe]:
    """Records of one kept chunk: all pairs × categories (enumerate) or ``passes`` draws (sample)."""
    pairs = role_pairs(chunk, cfg)
    out = []
    if mode == "enumerate":
        for target, anchor in pairs:
            for cat in CATEGORY_NAMES:
                out.append(make_recipe(chunk.song_id, chunk.split, stems, chunk.start_ms, target, anchor, cat, 0,
                                       cfg, corpus))
    else:
        for p in range(cfg.passes):
            rng = rng_for(cfg.seed, "sample", chunk.song_id, chunk.start_ms, p)
            target, anchor = pairs[int(rng.integers(len(pairs)))]
            cat = CATEGORY_NAMES[int(rng.integers(len(CATEGORY_NAMES)))]
            out.append(make_recipe(chunk.song_id, chunk.split, stems, chunk.start_ms, target, anchor, cat, p,
                                   cfg, corpus))
    return out


def corpus_name(cfg: CorpusConfig | None, default: str = "memory") -> str:
    if cfg is None:
        return default
    return cfg.name or Path(cfg.root).expanduser().resolve().name or default


def check_splits(songs: Sequence[Song]) -> None:
    """A song id may occur in one split only (and once)."""
    seen: dict[str, str] = {}
    for s in songs:
        if s.id in seen:
            raise DataError(f"song {s.id!r} occurs twice (splits {seen[s.id]!r} and {s.split!r}); "
                            "a song must belong to exactly one split")
        seen[s.id] = s.split


def split_rank(split: str) -> tuple[int, str]:
    return (SPLIT_ORDER.index(split) if split in SPLIT_ORDER else len(SPLIT_ORDER), split)


def _analyse(args: tuple[Song, DataConfig]) -> SongChunks:
    return analyse_song(*args)


def analyse_all(songs: Sequence[Song], cfg: DataConfig, progress: bool = True) -> Iterator[SongChunks]:
    """Gate every song (in order), optionally in worker processes, with a progress bar."""
    from tqdm import tqdm

    bar = tqdm(total=len(songs), desc="gating songs", unit="song", disable=not progress)
    try:
        if cfg.workers > 1 and len(songs) > 1:
            with ProcessPoolExecutor(max_workers=cfg.workers) as ex:
                for res in ex.map(_analyse, ((s, cfg) for s in songs), chunksize=1):
                    bar.update(1)
                    yield res
        else:
            for s in songs:
                res = analyse_song(s, cfg)
                bar.update(1)
                yield res
    finally:
        bar.close()


def build_records(songs: Sequence[Song], cfg: DataConfig, corpus: str = "memory", progress: bool = False
                  ) -> tuple[dict[str, list[Recipe]], dict[str, Counter]]:
    """All records per split (songs sorted by split then id) and gating counts per split."""
    check_splits(songs)
    ordered = sorted(songs, key=lambda s: (split_rank(s.split), s.id))
    records: dict[str, list[Recipe]] = {s.split: [] for s in ordered}
    gating: dict[str, Counter] = {s: Counter() for s in records}
    for sc in analyse_all(ordered, cfg, progress):
        g = gating[sc.split]
        g["songs"] += 1
        g["chunks"] += sc.num_chunks
        for ch in sc.chunks:
            if not ch.kept:
                g["chunks_rejected"] += 1
                for r in ch.rejected:
                    g[f"rejected:{r}"] += 1
                continue
            g["chunks_kept"] += 1
            records[sc.split].extend(chunk_records(ch, sc.stem_names, cfg.mode_of(sc.split), cfg, corpus))
    return records, gating


def count_records(recipes: Iterable[Recipe]) -> dict[str, dict[str, int]]:
    """Counts by category, target, anchor and (category, target)."""
    by: dict[str, Counter] = {"category": Counter(), "target": Counter(), "anchor": Counter()}
    n = 0
    for r in recipes:
        n += 1
        by["category"][r.category] += 1
        by["target"][r.target] += 1
        by["anchor"][r.anchor] += 1
    out = {k: dict(sorted(v.items())) for k, v in by.items()}
    out["records"] = {"total": n}
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def earlier_manifest(out: Path) -> dict | None:
    """The ``dataset.json`` an earlier build left in ``out``; None when there is none or it is not one."""
    try:
        old = json.loads((out / "dataset.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return old if isinstance(old, dict) and old.get("format") == MANIFEST_FORMAT else None


def previous_split_files(out: Path, old: dict | None) -> set[str]:
    """Names of the split files an earlier build (manifest ``old``) wrote into ``out``: those it lists, and
    ``<train|validation|test>.jsonl`` files holding recipes (other files are never touched)."""
    names: set[str] = set()
    if old is not None and isinstance(old.get("splits"), dict):
        for v in old["splits"].values():
            f = v.get("file") if isinstance(v, dict) else None
            if isinstance(f, str) and f.endswith(".jsonl") and Path(f).name == f:
                names.add(f)
    for split in SPLIT_ORDER:
        if is_recipe_file(out / f"{split}.jsonl"):
            names.add(f"{split}.jsonl")
    return {n for n in names if (out / n).is_file()}


def _identity(corpus: Any, corpus_config: dict | None, data_config: dict | None) -> dict:
    """What makes a build this build, flat: the corpus, its config's and the data config's keys (``workers``
    aside: the output does not depend on it)."""
    return {"corpus": corpus, **{f"corpus.{k}": v for k, v in (corpus_config or {}).items()},
            **{k: v for k, v in (data_config or {}).items() if k != "workers"}}


def build_differences(old: dict | None, name: str, corpus_cfg: CorpusConfig | None, cfg: DataConfig) -> list[str]:
    """The keys of :func:`_identity` in which the earlier build ``old`` (its manifest) differs from this one;
    empty when there is none, or it is one this very build would write again."""
    if old is None:
        return []
    # as dataset.json stores it (tuples become lists there)
    new = json.loads(json.dumps(_identity(name, to_dict(corpus_cfg) if corpus_cfg else None, to_dict(cfg))))
    was = _identity(old.get("corpus"), old.get("corpus_config"), old.get("data_config"))
    return sorted(k for k in new.keys() | was.keys() if new.get(k) != was.get(k))


def build_dataset(songs: Sequence[Song], cfg: DataConfig, out_dir: str | Path,
                  corpus_cfg: CorpusConfig | None = None, corpus: str | None = None,
                  progress: bool = True, overwrite: bool = False) -> dict:
    """Write ``out_dir/<split>.jsonl`` for every split of ``songs`` and ``out_dir/dataset.json``.

    A folder holding a dataset built otherwise (another corpus, corpus config or data config) is refused
    unless ``overwrite``: predictions and runs made on it name it by its path. Split files of an earlier
    build into ``out_dir`` that this build does not write are removed. A build in which no chunk passes the
    gate raises DataError and writes nothing. Returns the manifest written to ``dataset.json``.
    """
    t0 = time.perf_counter()
    out = check_output_dir(out_dir)
    check_output_file(out / "dataset.json")     # before the long part
    name = corpus or corpus_name(corpus_cfg)
    old = earlier_manifest(out)
    diff = [] if overwrite else build_differences(old, name, corpus_cfg, cfg)
    if diff:
        raise DataError(f"{out}: holds a dataset built otherwise (differs in {diff}); pass --overwrite to replace "
                        "it, or use another folder")
    if not songs:
        raise DataError("the corpus has no songs; nothing to build")
    records, gating = build_records(songs, cfg, name, progress)
    if not any(records.values()):
        total: Counter = Counter()
        for g in gating.values():
            total.update(g)
        reasons = sorted(((k.split(":", 1)[1], v) for k, v in total.items() if k.startswith("rejected:")),
                         key=lambda kv: (-kv[1], kv[0]))
        why = ", ".join(f"{k}: {v}" for k, v in reasons) or "songs shorter than one chunk"
        where = f" ({corpus_cfg.root})" if corpus_cfg is not None and corpus_cfg.root else ""
        raise DataError(f"corpus {name!r}{where}: no chunk passed the gate ({total['chunks']} chunk(s) of "
                        f"{total['songs']} song(s) of {cfg.chunk_s:g} s; rejected: {why}); no records, nothing "
                        f"written to {out} (check the corpus, or relax the gate in the data config)")
    for p in [*(out / f"{split}.jsonl" for split in records), out / "dataset.json"]:
        check_output_file(p)                   # all in place before the first is written
    ensure_dir(out)
    stale = previous_split_files(out, old)
    files = {}
    for split in sorted(records, key=split_rank):
        path = out / f"{split}.jsonl"
        n = write_recipes(path, records[split])
        stale.discard(path.name)
        files[split] = {"file": path.name, "records": n, "sha256": sha256_file(path), "mode": cfg.mode_of(split),
                        "gating": dict(sorted(gating[split].items())), "counts": count_records(records[split])}
        log.info("%s: %d records from %d/%d chunks of %d songs", path, n, gating[split]["chunks_kept"],
                 gating[split]["chunks"], gating[split]["songs"])
        if n == 0:
            log.warning("%s: no chunk passed the gate in split %r", path, split)
    for fname in sorted(stale):
        log.info("%s: removed (a split of an earlier build that this build does not have)", out / fname)
        (out / fname).unlink()
    manifest = {
        "format": MANIFEST_FORMAT,
        "corpus": name,
        "corpus_config": to_dict(corpus_cfg) if corpus_cfg is not None else None,
        "data_config": to_dict(cfg),
        "seed": cfg.seed,
        "splits": files,
        "code_version": __version__,
        "templates": {"instructions": len(T.INSTRUCTION_TEMPLATES),
                      "responses": {c: len(v) for c, v in T.RESPONSE_TEMPLATES.items()}},
    }
    write_json(out / "dataset.json", manifest)  # no timestamps: the same build gives the same bytes
    log.info("%s: built in %.1f s", out, time.perf_counter() - t0)
    return manifest
