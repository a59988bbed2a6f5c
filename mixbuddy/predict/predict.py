"""``mixbuddy predict``: answer every recipe of a dataset with a model, as ``{id, text, confidence, p_answer}``
lines (P(imbalance) and how likely the answer is right, from the aux head; null without one).

Each recipe is rendered (flawed mix, no augmentation) at the model's rate — mono for a mix-mode
model, one mono array per stem for a stems-mode model — and the model generates greedily in
batches (deterministic). The output feeds ``mixbuddy evaluate``.

Resumable: ids already in the output are skipped, provided the same model wrote them (``model_id``,
recorded in ``<output>.json`` before the first answer is written; another model's output is refused).
Each finished batch is appended as whole lines, flushed and fsync'ed, so a crash loses at most the
batch in flight; on restart a torn last line (no newline) is cut off and predicted again. An existing
output that is not a predictions JSONL (or was written by another model) is refused, and left untouched.
Nothing is written before the first batch is answered (an error before it leaves no file behind). When every record is answered the file is validated (one
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

from ..argtypes import require_whole
from ..constants import GENERATE_BATCH
from ..data.render import open_renderer
from ..errors import DataError
from ..findings import answer_probability, target_stems
from ..io import atomic_path, check_output_dir, check_output_file, dumps, ensure_dir, write_json

log = logging.getLogger(__name__)


def _snippet(raw: str | bytes, n: int = 40) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = text.strip()
    return repr(text[:n] + ("..." if len(text) > n else ""))


def _not_predictions(path: Path, line: int, why: str) -> DataError:
    return DataError(f"{path}: not a predictions JSONL (line {line}: {why}); remove it or choose another output file")


def _line_problem(raw: str) -> str | None:
    """Why ``raw`` is not a prediction line ({"id": ..., "text": ..., ...}), or None."""
    try:
        row = json.loads(raw)
    except ValueError:
        return f"{_snippet(raw)} is not JSON"
    if not isinstance(row, dict):
        return f"a JSON {type(row).__name__}, not an object with id and text"
    missing = [k for k in ("id", "text") if k not in row]
    if missing:
        return f"no {' or '.join(repr(k) for k in missing)} key"
    if not isinstance(row["id"], str):
        return f"the id {row['id']!r} is not a string"
    return None


def scan_output(path: Path, known_ids: set[str]) -> tuple[dict[str, str], int]:
    """(id → line with newline, length in bytes of its whole lines) of an existing output, checked line by
    line (DataError naming the file and line); changes nothing. A torn last line (no newline) must at
    least begin like a JSON object."""
    if not path.is_file():
        return {}, 0
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    try:
        text = data[:end].decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise _not_predictions(path, line, "not UTF-8 text") from None
    done: dict[str, str] = {}
    lines = text.splitlines(keepends=True)
    for i, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        problem = _line_problem(raw)
        if problem:
            raise _not_predictions(path, i, problem)
        rid = json.loads(raw)["id"]
        if rid not in known_ids:
            raise DataError(f"{path}:{i}: id {rid!r} is not in the dataset; is this output from another dataset?")
        if rid in done:
            raise DataError(f"{path}:{i}: duplicate id {rid!r}")
        done[rid] = raw if raw.endswith("\n") else raw + "\n"
    tail = data[end:]
    if tail.strip() and not tail.lstrip().startswith(b"{"):
        raise _not_predictions(path, len(lines) + 1, f"{_snippet(tail)} is not JSON")
    return done, end


def read_done(path: Path, known_ids: set[str]) -> dict[str, str]:
    """id → line (with newline) of an existing output; cuts a torn last line off the file."""
    done, end = scan_output(path, known_ids)
    if path.is_file() and end < path.stat().st_size:
        log.warning("%s: last line is incomplete (interrupted run); predicting it again", path)
        with open(path, "r+b") as f:
            f.truncate(end)
    return done


def check_predict_inputs(dataset: str | Path, output: str | Path, model_id: str | None = None,
                         cache_dir: str | Path | None = None, limit: int | None = None,
                         batch_size: int = GENERATE_BATCH) -> list:
    """Everything :func:`predict_dataset` can check before a model is loaded (cheap; changes nothing):
    the settings, the output path (and its ``.json`` beside it), the cache folder, the dataset, an
    existing output to resume (a predictions JSONL of this dataset and, with ``model_id``, of this model).
    Returns the dataset's records."""
    from ..data.recipe import load_recipes

    require_whole(batch_size, "batch size")
    if limit is not None:
        require_whole(limit, "limit")
    output = check_output_file(output)
    check_output_file(str(output) + ".json")
    if cache_dir is not None:
        check_output_dir(cache_dir, "--cache-dir", writable=False)
    records = load_recipes(dataset)
    if not records:
        raise DataError(f"{dataset}: no records")
    scan_output(output, {r.id for r in records})
    check_owner(output, model_id, dataset)
    return records


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


def prediction_line(record: Any, result: Any) -> str:
    """``{id, text, confidence, p_answer}``: the answer, the head's P(imbalance) and how likely the answer is
    right under its class probabilities (:func:`mixbuddy.findings.answer_probability`; None without a head)."""
    from ..evaluate.parse import parse_advice

    conf = getattr(result, "p_error", None)
    p_answer = answer_probability(getattr(result, "aux_probs", None), parse_advice(result.text).primary,
                                  target_stems(record.anchor, record.stems))
    return dumps({"id": record.id, "text": result.text, "confidence": None if conf is None else round(float(conf), 6),
                  "p_answer": None if p_answer is None else round(p_answer, 6)}) + "\n"


def check_owner(output: Path, model_id: str | None, dataset: str | Path | None = None) -> None:
    """Refuse to resume an output whose answers came from another model than ``model_id``, or from another
    dataset file than ``dataset`` when its sidecar recorded one (datasets built with another seed or level
    spread share their record ids)."""
    if not output.is_file() or output.stat().st_size == 0:
        return
    side = Path(str(output) + ".json")
    try:
        prev = json.loads(side.read_text(encoding="utf-8")) if side.is_file() else {}
        prev = prev if isinstance(prev, dict) else {}
    except ValueError:
        prev = {}
    fix = f"remove it (and {side.name}) or choose another output file"
    if model_id is not None and prev.get("model") != model_id:
        who = "an unrecorded model" if prev.get("model") is None else prev["model"]
        raise DataError(f"{output}: holds answers of {who}, not of {model_id}; {fix}")
    if dataset is not None and prev.get("dataset_sha256") not in (None, dataset_sha256(dataset)):
        raise DataError(f"{output}: holds answers to other records than those now in {dataset} (the file has "
                        f"changed since, or another build shares its record ids); {fix}")


def dataset_sha256(dataset: str | Path) -> str:
    from ..data.build import sha256_file

    return sha256_file(Path(dataset))


def predict_dataset(model: Any, dataset: str | Path, output: str | Path, batch_size: int = GENERATE_BATCH,
                    limit: int | None = None, cache_dir: str | None = None, renderer: Any = None,
                    progress: bool = True, model_id: str | None = None) -> dict:
    """Answer the (first ``limit``) recipes of ``dataset`` into ``output``; returns a summary dict.
    ``model_id`` (e.g. :func:`mixbuddy.model.checkpoint.checkpoint_id`): resume only that model's answers."""
    dataset, output = Path(dataset), Path(output)
    records = check_predict_inputs(dataset, output, model_id, cache_dir, limit, batch_size)
    sha = dataset_sha256(dataset)
    order = {r.id: i for i, r in enumerate(records)}
    if limit is not None:
        records = records[:limit]
    done = read_done(output, set(order))
    todo = [r for r in records if r.id not in done]
    input_mode = str(model.cfg.input_mode)
    if todo:
        if renderer is None:
            renderer = open_renderer(dataset, int(model.sample_rate), 1, cache_dir)
        bar = tqdm(total=len(records), initial=len(records) - len(todo), desc="predict", unit="rec",
                   disable=None if progress else True)
        f = None
        try:
            for i in range(0, len(todo), batch_size):
                batch = todo[i:i + batch_size]
                results = model.generate(model_inputs(renderer, batch, input_mode), [r.instruction for r in batch],
                                         [r.anchor for r in batch], system=[r.system for r in batch],
                                         stems=[r.stems for r in batch])
                if len(results) != len(batch):
                    raise DataError(f"model answered {len(results)} of {len(batch)} prompts")
                lines = [prediction_line(r, res) for r, res in zip(batch, results)]
                if f is None:   # the first answers: record the model, then open the output
                    ensure_dir(output.parent)
                    if model_id is not None:
                        write_info(output, {"model": model_id, "dataset": str(dataset), "dataset_sha256": sha,
                                            "complete": False})
                    f = open(output, "a", encoding="utf-8")
                f.write("".join(lines))
                f.flush()
                os.fsync(f.fileno())
                done.update((r.id, line) for r, line in zip(batch, lines))
                bar.update(len(batch))
        finally:
            if f is not None:
                f.close()
            bar.close()
    finalize(output, done, order)
    info = {"model": model_id} if model_id is not None else {}
    return {**info, "dataset": str(dataset), "dataset_sha256": sha, "output": str(output),
            "records": len(records), "predicted": len(todo),
            "reused": len(records) - len(todo), "batch_size": batch_size, "input_mode": input_mode,
            "sample_rate": int(model.sample_rate), "lora_merged": bool(getattr(model, "lora_merged", False))}


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
