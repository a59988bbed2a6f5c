"""Markdown table of the replication (docs/BENCHMARKS.md, "Replication on fresh songs"): every shipped model
and baseline on the original synthetic test split and on the fresh one, from the committed metrics.json files.

    python scripts/replication_table.py
"""
import json
import os
from pathlib import Path

REPORTS = Path(__file__).resolve().parents[1] / "reports"
rows=[("`default` (mix)","models/synth-test/default","models/fresh-test/default"),
      ("`default-real` (mix)","models/synth-test/default-real","models/fresh-test/default-real"),
      ("`default-blind` (mix)","models/synth-test/default-blind","models/fresh-test/default-blind"),
      ("`default-stems` (stems)","models/synth-test/default-stems","models/fresh-test/default-stems"),
      ("loudness-stems","baselines/synth/loudness-stems","baselines/fresh/loudness-stems"),
      ("mix-features","baselines/synth/mix-features","baselines/fresh/mix-features"),
      ("random","baselines/synth/random","baselines/fresh/random")]
keys=["joint_accuracy","stem_accuracy","direction_accuracy","magnitude_accuracy","no_error_accuracy","error_detection_f1","stem_f1","direction_f1"]
print("| system | test set | joint | stem | direction | magnitude | no-error | F1 detection / stem / direction |")
print("|---|---|---|---|---|---|---|---|")
for n,a,b in rows:
    for label,p in (("original",a),("fresh",b)):
        f=str(REPORTS) + "/"+p+"/metrics.json"
        if not os.path.exists(f): continue
        m=json.load(open(f)); h=m["headline"]; ci=m["ci95"]["joint_accuracy"]
        c=[f"{100*h[k]:.2f}" for k in keys]
        print(f"| {n} | {label} | {c[0]} [{100*ci[0]:.1f}–{100*ci[1]:.1f}] | {c[1]} | {c[2]} | {c[3]} | {c[4]} | {c[5]} / {c[6]} / {c[7]} |")
