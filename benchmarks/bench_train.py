"""Benchmark: training throughput of ``configs/default.yaml`` on this machine.

Runs the real default (mel encoder, SmolLM2-135M + LoRA r16, batch 8, ``work/ds-synth``) for a few
stage-1 and stage-2 steps, then reports samples/s per stage over the steps after ``--warmup`` (the
first steps pay for worker start-up and allocator warm-up), the whole run's wall time, and the peak
RSS of the training process and of its DataLoader workers.

    python benchmarks/bench_train.py [--config configs/default.yaml] [--stage1 12] [--stage2 6]
                                     [--warmup 2] [--workers 1] [--threads 2] [--out /tmp/bench-train]
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def rate(history: list[dict], stage: int, warmup: int, batch: int) -> float | None:
    """Samples/s of a stage from the per-step log times, skipping the first ``warmup`` steps."""
    rows = [r for r in history if r.get("stage") == stage and "eval_examples" not in r and "loss" in r]
    rows = rows[warmup:]
    if len(rows) < 2:
        return None
    return batch * (len(rows) - 1) / (rows[-1]["time"] - rows[0]["time"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=str(REPO / "configs" / "default.yaml"))
    ap.add_argument("--stage1", type=int, default=12, help="stage-1 steps (audio side only)")
    ap.add_argument("--stage2", type=int, default=6, help="stage-2 steps (LLM + LoRA + audio)")
    ap.add_argument("--warmup", type=int, default=2, help="steps per stage left out of the rate")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="/tmp/bench-train")
    a = ap.parse_args()

    from mixbuddy.train.config import load_train_config
    from mixbuddy.train.trainer import run_training

    cfg = load_train_config(a.config, [
        f"train.stage1_steps={a.stage1}", f"optim.max_steps={a.stage2}", "train.logging_steps=1",
        "train.eval_steps=null", "train.save_steps=null", "train.eval_generate=0", "data.max_validation=8",
        f"train.num_workers={a.workers}", f"train.threads={a.threads}", f"train.output_dir={a.out}",
        "train.progress=false"])
    t0 = time.perf_counter()
    res = run_training(cfg, overwrite=True)     # a scratch folder, started over on every run
    wall = time.perf_counter() - t0
    per_step = cfg.optim.batch_size * cfg.optim.grad_accum
    report = {
        "config": a.config, "batch_size": cfg.optim.batch_size, "grad_accum": cfg.optim.grad_accum,
        "workers": a.workers, "threads": a.threads, "stage1_steps": a.stage1, "stage2_steps": a.stage2,
        "stage1_samples_per_s": rate(res.history, 1, a.warmup, per_step),
        "stage2_samples_per_s": rate(res.history, 2, a.warmup, per_step),
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_rss_workers_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "audio_tokens_per_clip": res.model.num_tokens(res.model.clip_samples),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
