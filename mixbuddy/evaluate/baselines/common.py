"""What every baseline shares: opening a dataset's audio, grouping work by song for parallel
rendering, and turning a decision into advice *text* (so baselines go through the same parser as
models)."""
from __future__ import annotations

import os
from collections import defaultdict
from multiprocessing import get_context
from typing import Callable, Iterable, Sequence

from tqdm import tqdm

from ...constants import CATEGORY_BY_NAME
from ...data import templates as T
from ...data.recipe import Recipe
from ...data.render import Renderer, open_renderer  # noqa: F401  (re-exported)
from ...findings import target_stems
from ...rng import rng_for


def allowed_targets(r: Recipe) -> tuple[str, ...]:
    """The stems that can be the target of a record: target stems of the mix, minus the anchor."""
    return target_stems(r.anchor, r.stems)


def advice_text(r: Recipe, no_error: bool, target: str | None, category: str, seed: int,
                gain_db: float | None = None) -> str:
    """Advice in the dataset's own response style (template chosen by a seeded draw per record).

    ``gain_db`` is the estimated *applied* gain; when given, the text also states the exact correction.
    """
    if no_error:
        category, target = "no_error", r.target
    ids = T.response_ids(category)
    tid = ids[int(rng_for(seed, "baseline-template", r.id).integers(len(ids)))]
    exact = gain_db is not None and CATEGORY_BY_NAME[category].is_error
    return T.render_response(category, target, r.anchor, tid, gain_db=gain_db if exact else None, exact_gain=exact)


def by_song(records: Sequence[Recipe]) -> list[list[int]]:
    """Record indices grouped by song (keeps each worker's decoded-song cache hot)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        groups[r.song_id].append(i)
    return [groups[k] for k in sorted(groups)]


_STATE: dict = {}


def _init(fn, renderer, records):
    _STATE.update(fn=fn, renderer=renderer, records=records)


def _run_group(idx: list[int]):
    fn, renderer, records = _STATE["fn"], _STATE["renderer"], _STATE["records"]
    return [(i, fn(renderer, records[i])) for i in idx]


def map_records(fn: Callable, renderer: Renderer, records: Sequence[Recipe], workers: int | None = None,
                desc: str = "records") -> list:
    """``[fn(renderer, r) for r in records]`` in parallel over song groups, results in record order.

    ``fn`` must be a module-level function (it is sent to worker processes).
    """
    workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    groups = by_song(records)
    out: list = [None] * len(records)
    bar = tqdm(total=len(records), desc=desc, unit="rec", disable=None)
    if workers <= 1 or len(groups) <= 1:
        _init(fn, renderer, records)
        results: Iterable = map(_run_group, groups)
        for res in results:
            for i, v in res:
                out[i] = v
            bar.update(len(res))
    else:
        with get_context("fork").Pool(workers, initializer=_init, initargs=(fn, renderer, records)) as pool:
            for res in pool.imap_unordered(_run_group, groups):
                for i, v in res:
                    out[i] = v
                bar.update(len(res))
    bar.close()
    return out
