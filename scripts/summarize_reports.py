"""Print a markdown table of headline metrics from report folders (metrics.json of `mixbuddy evaluate`).

    python scripts/summarize_reports.py reports/baselines/synth/* reports/baselines/real/*
"""
import json
import sys
from pathlib import Path

COLS = [("joint_accuracy", "joint"), ("stem_accuracy", "stem"), ("direction_accuracy", "direction"),
        ("magnitude_accuracy", "magnitude"), ("no_error_accuracy", "no-error"),
        ("error_detection_f1", "det. F1"), ("stem_f1", "stem F1"), ("direction_f1", "dir. F1"),
        ("mean_abs_db_error", "MAE dB")]


def cell(h: dict, ci: dict, key: str) -> str:
    v = h.get(key)
    if v is None:
        return "—"
    if key == "mean_abs_db_error":
        return f"{v:.2f}"
    s = f"{100 * v:.1f}"
    if key == "joint_accuracy" and ci.get(key):
        lo, hi = ci[key]
        s += f" [{100 * lo:.1f}–{100 * hi:.1f}]"
    return s


def main(paths: list[str]) -> None:
    print("| dataset | system | n | " + " | ".join(c for _, c in COLS) + " |")
    print("|---|---|---|" + "---|" * len(COLS))
    for p in paths:
        m = json.loads((Path(p) / "metrics.json").read_text())
        meta = m.get("meta", {})
        ds = Path(meta.get("dataset", "?")).parent.name
        print(f"| {ds} | {meta.get('name', Path(p).name)} | {m['n']} | "
              + " | ".join(cell(m["headline"], m.get("ci95", {}), k) for k, _ in COLS) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
