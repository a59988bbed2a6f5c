"""Print a run's validation learning curve (markdown) from its log.jsonl: every evaluation row with the
training samples seen so far, the validation aux loss/accuracy (13 classes) and, in stage 2, the LM loss.

    python scripts/learning_curve.py runs/default/log.jsonl [--batch 8]
"""
import argparse
import json
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--batch", type=int, default=8, help="samples per optimiser step")
    a = ap.parse_args()
    rows = [json.loads(x) for x in Path(a.log).read_text(encoding="utf-8").splitlines() if x.strip()]
    stage1 = max((r["step"] for r in rows if r.get("stage") == 1), default=0)
    print("| stage | step | samples seen | val aux loss | val aux acc (13 cl.) | val LM loss |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        if "eval_examples" not in r:
            continue
        seen = a.batch * (r["step"] + (stage1 if r["stage"] == 2 else 0))
        lm = f"{r['eval_lm_loss']:.3f}" if "eval_lm_loss" in r else "—"
        print(f"| {r['stage']} | {r['step']} | {seen:,} | {r.get('eval_aux_loss', float('nan')):.3f} | "
              f"{100 * r.get('eval_aux_accuracy', float('nan')):.1f}% | {lm} |")


if __name__ == "__main__":
    main()
