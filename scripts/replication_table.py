"""Markdown table of the replications (docs/BENCHMARKS.md, "Replication on fresh songs" and "The
operating-point rule, tested on a third set of songs"): every shipped model and baseline on the original
synthetic test split, the fresh set and the third set, from the committed metrics.json files (a system
without a report on a set is left out of that set's rows).

    python scripts/replication_table.py
"""
import json
from pathlib import Path

REPORTS = Path(__file__).resolve().parents[1] / "reports"
SETS = [("original", "models/synth-test", "baselines/synth"), ("fresh", "models/fresh-test", "baselines/fresh"),
        ("third", "models/third-test", "baselines/third")]
MODELS = [("`default` (mix)", "default"), ("`default-real` (mix)", "default-real"),
          ("`default-blind` (mix)", "default-blind"), ("`default-master` (mix)", "default-master"),
          ("`default-stems` (stems)", "default-stems")]
BASELINES = ["loudness-stems", "mix-features", "random"]
KEYS = ["joint_accuracy", "stem_accuracy", "direction_accuracy", "magnitude_accuracy", "no_error_accuracy",
        "error_detection_f1", "stem_f1", "direction_f1"]


def rows():
    """(system, test set, report folder) in table order."""
    systems = [(name, 0, folder) for name, folder in MODELS] + [(b, 1, b) for b in BASELINES]
    for name, kind, folder in systems:
        for label, *parents in SETS:
            yield name, label, REPORTS / parents[kind] / folder


def main() -> None:
    print("| system | test set | joint | stem | direction | magnitude | no-error | F1 detection / stem / direction |")
    print("|---|---|---|---|---|---|---|---|")
    for name, label, folder in rows():
        path = folder / "metrics.json"
        if not path.is_file():
            continue
        m = json.loads(path.read_text(encoding="utf-8"))
        c = [f"{100 * m['headline'][k]:.2f}" for k in KEYS]
        lo, hi = m["ci95"]["joint_accuracy"]
        print(f"| {name} | {label} | {c[0]} [{100 * lo:.1f}–{100 * hi:.1f}] | {' | '.join(c[1:5])} | "
              f"{' / '.join(c[5:])} |")


if __name__ == "__main__":
    main()
