"""One trade-off figure for several systems scored on the same records: joint accuracy against no-error recall
as each system's threshold for declaring an imbalance moves, with the operating point each one uses (from
the committed reports' metrics.json; the curve of every single report is its tradeoff.png).

    python scripts/tradeoff_figure.py docs/tradeoff-synth.png --title "synthetic test split (3,300 records)" \\
        "default (mix)=reports/models/synth-test/default" "loudness-stems=reports/baselines/synth/loudness-stems" ...
"""
import argparse
import json
import sys
from pathlib import Path

from mixbuddy.evaluate.report import plot_tradeoff


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output", help="PNG to write")
    ap.add_argument("reports", nargs="+", metavar="LABEL=DIR", help="a label and a report folder")
    ap.add_argument("--title", default=None)
    a = ap.parse_args()
    curves, n = [], set()
    for spec in a.reports:
        label, sep, folder = spec.partition("=")
        if not sep:
            sys.exit(f"{spec!r}: give LABEL=DIR")
        m = json.loads((Path(folder) / "metrics.json").read_text(encoding="utf-8"))
        if not m.get("tradeoff"):
            sys.exit(f"{folder}: its predictions carry no confidence, so it has no trade-off curve")
        curves.append((label, m["tradeoff"]))
        n.add((m["n"], m["meta"]["dataset"]))
    if len(n) > 1:
        sys.exit(f"the reports were scored on different records: {sorted(n)}")
    plot_tradeoff(curves, Path(a.output), a.title)
    print(f"{a.output}: {len(curves)} curves")


if __name__ == "__main__":
    main()
