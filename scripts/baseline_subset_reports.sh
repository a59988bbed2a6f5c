#!/usr/bin/env bash
# Rescore the baselines' full synthetic-test predictions (scripts/baseline_reports.sh) on the subset the
# models are scored on (work/ds-$SET/test-sub.jsonl), so that every row of the comparison uses the same records.
# SET=bounce does the same for the bounce-randomised test split (work/ds-bounce; docs/BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
SPLIT=${SPLIT:-test-sub}
SET=${SET:-synth}
for b in ${BASELINES:-random majority oracle-stems loudness-stems mix-features}; do
  $BIN/python scripts/subset_predictions.py work/preds/$SET/$b.jsonl work/ds-$SET/$SPLIT.jsonl \
    work/preds/$SET/$b-$SPLIT.jsonl
  $BIN/mixbuddy evaluate --predictions work/preds/$SET/$b-$SPLIT.jsonl --dataset work/ds-$SET/$SPLIT.jsonl \
    -o reports/baselines/$SET-$SPLIT/$b --name "$b" --seed 0
done
