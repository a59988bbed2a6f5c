#!/usr/bin/env bash
# Rescore the baselines' full synthetic-test predictions (scripts/baseline_reports.sh) on the subset the
# models are scored on (work/ds-synth/test-sub.jsonl), so that every row of the comparison uses the same records.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
SPLIT=${SPLIT:-test-sub}
for b in ${BASELINES:-random majority oracle-stems loudness-stems mix-features}; do
  $BIN/python scripts/subset_predictions.py work/preds/synth/$b.jsonl work/ds-synth/$SPLIT.jsonl \
    work/preds/synth/$b-$SPLIT.jsonl
  $BIN/mixbuddy evaluate --predictions work/preds/synth/$b-$SPLIT.jsonl --dataset work/ds-synth/$SPLIT.jsonl \
    -o reports/baselines/synth-$SPLIT/$b --name "$b" --seed 0
done
