"""``mixbuddy predict``: answer every recipe of a dataset with a model, as ``{id, text, confidence}`` lines.

Each recipe is rendered (flawed mix, no augmentation) at the model's rate — mono for a mix-mode
model, one mono array per stem for a stems-mode model — and the model generates greedily in
batches (deterministic). The output feeds ``mixbuddy evaluate``.

Resumable: ids already in the output are skipped, provided the same model wrote them (``model_id``,
recorded in ``<output>.json`` before the first answer is written; another model's output is refused).
Each finished batch is appended as whole lines, flushed and fsync'ed, so a crash loses at most the
batch in flight; on restart a torn last line (no newline) is cut off and predicted again. When every record is answered the file is validated (one
line per id, all ids from the dataset) and rewritten atomically in dataset order, so an interrupted
and resumed run ends with the same bytes as a single run.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Sequence

from tqdm import tqdm

from ..data.render import open_renderer
from ..errors import DataError
from ..io import atomic_path, dumps, write_json

log = logging.getLogger(__name__)


def read_done(path: Path, known_ids: set[str]) -> dict[str, str]:
    """id → line (with newline) of an existing output; cuts a torn last line off the file."""
    if not path.is_file():
        return {}
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        log.warning("%s: last line is incomplete (interrupted run); predicting it again", path)
        with open(path, "r+b") as f:
            f.truncate(end)
    done: dict[str, str] = {}
    for i, raw in enumerate(data[:end].decode("utf-8").splitlines(keepends=True), 1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
            rid = row["id"]
            row["text"]
        except (ValueError, KeyError, TypeError):
            raise DataError(f"{path}:{i}: not a prediction line; remove it or choose another output file") from None
        if rid not in known_ids:
            raise DataError(f"{path}:{i}: id {rid!r} is not in the dataset; is this output from another dataset?")
        if rid in done:
            raise DataError(f"{path}:{i}: duplicate id {rid!r}")
        done[rid] = raw if raw.endswith("\n") else raw + "\n"
    return done


def model_inputs(renderer: Any, records: Sequence[Any], input_mode: str) -> list:
    """Rendered flawed audio per recipe: mono 1-D arrays, or stem → mono arrays in stems mode."""
    out = []
    for r in records:
        rendered = renderer.render(r, return_stems=input_mode == "stems")
        if input_mode == "stems":
            out.append({s: x[:, 0].copy() for s, x in rendered.stems.items()})
        else:
            out.append(rendered.mix[:, 0].copy())
    return out


def prediction_line(rid: str, result: Any) -> str:
    conf = getattr(result, "p_error", None)
    return dumps({"id": rid, "text": result.text, "confidence": None if conf is None else round(float(conf), 6)}) + "\n"


def check_owner(output: Path, model_id: str | None) -> None:
    """Refuse to resume an output whose answers came from another model than ``model_id``."""
    if model_id is None or not output.is_file() or output.stat().st_size == 0:
        return
    side = Path(str(output) + ".json")
    try:
        prev = json.loads(side.read_text(encoding="utf-8")).get("model") if side.is_file() else None
    except (ValueError, AttributeError):
        prev = None
    if prev != model_id:
        who = "an unrecorded model" if prev is None else prev
        raise DataError(f"{output}: holds answers of {who}, not of {model_id}; remove it (and {side.name}) "
                        "or choose another output file")


def predict_dataset(model: Any, dataset: str | Path, output: str | Path, batch_size: int = 8,
                    limit: int | None = None, cache_dir: str | None = None, renderer: Any = None,
                    progress: bool = True, model_id: str | None = None) -> dict:
    """Answer the (first ``limit``) recipes of ``dataset`` into ``output``; returns a summary dict.
    ``model_id`` (e.g. :func:`mixbuddy.model.checkpoint.checkpoint_id`): resume only that model's answers."""
    from ..data.recipe import load_recipes

    dataset, output = Path(dataset), Path(output)
    records = load_recipes(dataset)
    if not records:
        raise DataError(f"{dataset}: no records")
    order = {r.id: i for i, r in enumerate(records)}
    if limit is not None:
        records = records[: max(0, int(limit))]
    check_owner(output, model_id)
    done = read_done(output, set(order))
    todo = [r for r in records if r.id not in done]
    input_mode = str(model.cfg.input_mode)
    if todo:
        if renderer is None:
            renderer = open_renderer(dataset, int(model.sample_rate), 1, cache_dir)
        output.parent.mkdir(parents=True, exist_ok=True)
        if model_id is not None:
            write_info(output, {"model": model_id, "dataset": str(dataset), "complete": False})
        bar = tqdm(total=len(records), initial=len(records) - len(todo), desc="predict", unit="rec",
                   disable=None if progress else True)
        with open(output, "a", encoding="utf-8") as f:
            for i in range(0, len(todo), batch_size):
                batch = todo[i:i + batch_size]
                results = model.generate(model_inputs(renderer, batch, input_mode), [r.instruction for r in batch],
                                         [r.anchor for r in batch], system=[r.system for r in batch])
                if len(results) != len(batch):
                    raise DataError(f"model answered {len(results)} of {len(batch)} prompts")
                lines = [prediction_line(r.id, res) for r, res in zip(batch, results)]
                f.write("".join(lines))
                f.flush()
                os.fsync(f.fileno())
                done.update((r.id, line) for r, line in zip(batch, lines))
                bar.update(len(batch))
        bar.close()
    finalize(output, done, order)
    info = {"model": model_id} if model_id is not None else {}
    return {**info, "dataset": str(dataset), "output": str(output), "records": len(records), "predicted": len(todo),
            "reused": len(records) - len(todo), "batch_size": batch_size, "input_mode": input_mode,
            "sample_rate": int(model.sample_rate)}


def finalize(output: Path, done: dict[str, str], order: dict[str, int]) -> None:
    """Rewrite the output atomically in dataset order (when it is not already)."""
    text = "".join(done[k] for k in sorted(done, key=order.__getitem__))
    if output.is_file() and output.read_text(encoding="utf-8") == text:
        return
    with atomic_path(output) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())


def write_info(output: str | Path, info: dict) -> None:
    """``<output>.json``: what produced the predictions (beside the file, like the baselines)."""
    write_json(str(output) + ".json", info)
