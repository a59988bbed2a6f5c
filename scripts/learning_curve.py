"""Print a run's validation learning curve (markdown) from its log.jsonl: every evaluation row with the
training samples seen so far, the validation aux loss/accuracy (13 classes) and, in stage 2, the LM loss
and the joint accuracy of generated answers (``train.eval_generate``).

    python scripts/learning_curve.py runs/default/log.jsonl

Samples per step come from the run's config.yaml beside the log (``optim.stage1_batch_size`` for stage 1,
``optim.batch_size`` x ``grad_accum`` for stage 2); ``--batch``/``--stage1-batch`` override them.
"""
import argparse
import json
from pathlib import Path

import yaml


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--batch", type=int, default=None, help="stage-2 samples per optimiser step")
    ap.add_argument("--stage1-batch", type=int, default=None, help="stage-1 samples per optimiser step")
    a = ap.parse_args()
    cfg_path = Path(a.log).parent / "config.yaml"
    optim = (yaml.safe_load(cfg_path.read_text(encoding="utf-8")) or {}).get("optim", {}) if cfg_path.is_file() else {}
    b2 = a.batch or int(optim.get("batch_size", 8)) * int(optim.get("grad_accum", 1))
    b1 = a.stage1_batch or int(optim.get("stage1_batch_size") or optim.get("batch_size", 8))
    rows = [json.loads(x) for x in Path(a.log).read_text(encoding="utf-8").splitlines() if x.strip()]
    stage1 = max((r["step"] for r in rows if r.get("stage") == 1), default=0)
    print("| stage | step | samples seen | val aux loss | val aux acc (13 cl.) | val LM loss | val joint (generated) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if "eval_examples" not in r:
            continue
        seen = b1 * r["step"] if r["stage"] == 1 else b1 * stage1 + b2 * r["step"]
        lm = f"{r['eval_lm_loss']:.3f}" if "eval_lm_loss" in r else "—"
        joint = f"{100 * r['joint_accuracy']:.1f}%" if "joint_accuracy" in r else "—"
        print(f"| {r['stage']} | {r['step']} | {seen:,} | {r.get('eval_aux_loss', float('nan')):.3f} | "
              f"{100 * r.get('eval_aux_accuracy', float('nan')):.1f}% | {lm} | {joint} |")


if __name__ == "__main__":
    main()
