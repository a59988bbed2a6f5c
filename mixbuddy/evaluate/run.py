"""One call that evaluates a predictions file against a dataset and writes the report."""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from .. import __version__
from .inputs import load_answers, load_truth
from .metrics import few_songs_warning, score
from .report import write_report

log = logging.getLogger(__name__)


def evaluate_files(predictions: str | Path, dataset: str | Path, out_dir: str | Path | None = None,
                   name: str | None = None, seed: int = 0, n_boot: int = 1000, allow_missing: bool = False,
                   similarity: bool = False) -> dict[str, Any]:
    """Score ``predictions`` (JSONL {id, text | finding, [confidence]}) against ``dataset`` (JSONL
    recipes). Writes report.md, metrics.json and figures into ``out_dir`` when given; returns the
    metrics dict (with ``meta`` and, when written, ``paths``)."""
    t0 = time.perf_counter()
    if out_dir is not None:
        from ..io import check_output_dir

        check_output_dir(out_dir)  # before any scoring: a file in the way fails fast
    truth = load_truth(dataset)
    answers = load_answers(predictions, truth, allow_missing=allow_missing)
    res = score(truth, answers, n_boot=n_boot, seed=seed)
    few = few_songs_warning(res["n_songs"])
    if few and n_boot:                                   # the report's intervals come from a song bootstrap
        log.warning("%s: %s", dataset, few[0])
    if similarity:
        from .similarity import similarity as sim

        res["similarity"] = sim(answers.texts, [str(r.get("response", "")) for r in truth.records])
    meta = {"name": name or Path(predictions).stem, "dataset": str(dataset), "predictions": str(predictions),
            "seed": seed, "allow_missing": allow_missing, "mixbuddy_version": __version__}
    if out_dir is not None:
        res["paths"] = {k: str(v) for k, v in write_report(out_dir, res, meta).items()}
    res["meta"] = meta
    res["seconds"] = round(time.perf_counter() - t0, 3)
    return res
