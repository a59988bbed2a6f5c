"""Markdown table of the replication (docs/BENCHMARKS.md, "Replication on fresh songs"): every shipped model
and baseline on the original synthetic test split and on the fresh one, from the committed metrics.json files.

    python scripts/replication_table.py
"""
import json
from pathlib import Path

REPORTS = Path(__file__).resolve().parents[1] / "reports"
ROWS = [("`default` (mix)", "models/synth-test/default", "models/fresh-test/default"),
        ("`default-real` (mix)", "models/synth-test/default-real", "models/fresh-test/default-real"),
        ("`default-blind` (mix)", "models/synth-test/default-blind", "models/fresh-test/default-blind"),
        ("`default-stems` (stems)", "models/synth-test/default-stems", "models/fresh-test/default-stems"),
        ("loudness-stems", "baselines/synth/loudness-stems", "baselines/fresh/loudness-stems"),
        ("mix-features", "baselines/synth/mix-features", "baselines/fresh/mix-features"),
        ("random", "baselines/synth/random", "baselines/fresh/random")]
KEYS = ["joint_accuracy", "stem_accuracy", "direction_accuracy", "magnitude_accuracy", "no_error_accuracy",
        "error_detection_f1", "stem_f1", "direction_f1"]


def main() -> None:
    print("| system | test set | joint | stem | direction | magnitude | no-error | F1 detection / stem / direction |")
    print("|---|---|---|---|---|---|---|---|")
    for name, original, fresh in ROWS:
        for label, folder in (("original", original), ("fresh", fresh)):
            path = REPORTS / folder / "metrics.json"
            if not path.is_file():
                continue
            m = json.loads(path.read_text(encoding="utf-8"))
            c = [f"{100 * m['headline'][k]:.2f}" for k in KEYS]
            lo, hi = m["ci95"]["joint_accuracy"]
            print(f"| {name} | {label} | {c[0]} [{100 * lo:.1f}–{100 * hi:.1f}] | {' | '.join(c[1:5])} | "
                  f"{' / '.join(c[5:])} |")


if __name__ == "__main__":
    main()
