"""Choose the operating point of a model's hard verdict on the validation split (``mixbuddy calibrate``).

The aux head's 13 class probabilities of every validation record (rendered without augmentation; the
LLM is not needed: with ``aux.verdict_mode: hard`` it states the decided class) give, for each threshold
on P(imbalance), the headline numbers of the decision of :mod:`mixbuddy.model.verdict` (threshold 0 =
the joint-optimal rule; a higher threshold turns low-confidence findings into "balanced").

Rule (stated before any test data is seen): the *highest* threshold whose validation joint accuracy is
within ``tolerance`` points (default 0.5) of the best joint accuracy over the grid: almost no joint
accuracy is given up, and as many balanced mixes as possible are recognised as such. Write the result
into a checkpoint with ``mixbuddy export --threshold T``.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

GRID = [0.0] + [round(0.40 + 0.01 * i, 2) for i in range(56)]          # 0, 0.40 ... 0.95


@torch.no_grad()
def head_probabilities(model: Any, records: Sequence[Any], renderer: Any, batch_size: int = 32,
                       progress: bool = False) -> np.ndarray:
    """(N, 13) aux-head class probabilities of the rendered records (no augmentation)."""
    from tqdm import tqdm

    from .predict import model_inputs

    model.eval()
    out = []
    for s in tqdm(range(0, len(records), batch_size), desc="head", unit="batch", disable=not progress):
        b = list(records[s:s + batch_size])
        batch = model.prepare(model_inputs(renderer, b, model.input_mode), recipes=b, for_generation=True)
        out.append(model._audio(batch, with_labels=False, aux_only=True).probs.cpu().numpy())
    return np.concatenate(out)


def tradeoff(records: Sequence[Any], probs: np.ndarray, grid: Sequence[float] = GRID) -> list[dict]:
    """Headline numbers (%) of the hard decision at every threshold of ``grid``."""
    from ..evaluate.baselines.common import allowed_targets
    from ..model.verdict import decide_batch, headline

    targets = [allowed_targets(r) for r in records]
    return [{"threshold": th, **headline(records, decide_batch(probs, targets, th if th > 0 else None))}
            for th in grid]


def check_tolerance(tolerance: float) -> float:
    """``tolerance`` itself when it is a number of joint-accuracy points in [0, 100], else ConfigError."""
    from ..errors import ConfigError

    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not (
            math.isfinite(tolerance) and 0.0 <= tolerance <= 100.0):
        raise ConfigError(f"tolerance must lie in [0, 100] joint-accuracy points, got {tolerance!r}")
    return float(tolerance)


def choose(rows: list[dict], tolerance: float = 0.5) -> dict:
    """The row of the highest threshold whose joint accuracy is within ``tolerance`` of the best."""
    check_tolerance(tolerance)
    best = max(r["joint"] for r in rows)
    return max((r for r in rows if r["joint"] >= best - tolerance), key=lambda r: r["threshold"])


def check_calibration_dataset(dataset: str | Path) -> list:
    """The records of a calibration dataset; DataError when it is empty or holds test-split records."""
    from ..data.recipe import load_recipes
    from ..errors import DataError

    records = load_recipes(dataset)
    if not records:
        raise DataError(f"{dataset}: no records to calibrate on")
    test = [r for r in records if r.split == "test"]
    if test:
        raise DataError(f"{dataset}: holds test-split records ({len(test)} of {len(records)}, e.g. {test[0].id!r}); "
                        "calibrate on the validation split, never the test split")
    return records


def calibrate(checkpoint: str | Path, dataset: str | Path, cache_dir: str | None = None, batch_size: int = 32,
              tolerance: float = 0.5, progress: bool = False) -> dict:
    from ..data.render import open_renderer
    from ..errors import ConfigError
    from ..model.checkpoint import load_checkpoint
    from ..argtypes import require_whole
    from ..io import check_output_dir

    # the settings and the dataset are checked before the model loads
    check_tolerance(tolerance)
    require_whole(batch_size, "batch size")
    if cache_dir is not None:
        check_output_dir(cache_dir, "--cache-dir", writable=False)
    records = check_calibration_dataset(dataset)
    model = load_checkpoint(checkpoint, device="cpu")
    if model.stack.aux_head is None:
        raise ConfigError(f"{checkpoint}: this model has no aux head, so there is no verdict to calibrate")
    renderer = open_renderer(dataset, model.sample_rate, 1, cache_dir)
    rows = tradeoff(records, head_probabilities(model, records, renderer, batch_size, progress))
    pick = choose(rows, tolerance)
    return {"checkpoint": str(checkpoint), "dataset": str(dataset), "records": len(records),
            "tolerance": tolerance, "chosen": pick, "rule": rows[0], "curve": rows}


__all__ = ["calibrate", "check_calibration_dataset", "check_tolerance", "choose", "tradeoff", "head_probabilities", "GRID"]
