#!/usr/bin/env bash
# Reproduce reports/compare/: each shipped model against the baselines it is judged against, on the same
# records of each test set, with paired song-bootstrap CIs of the differences (`mixbuddy compare`).
# (Not the 3 real songs: a bootstrap over 3 songs cannot give a usable interval.)
# Reads the predictions scripts/model_reports.sh and scripts/baseline_reports.sh leave in work/preds/<set>/.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
PAIRS=${PAIRS:-"default-stems:mix-features default-stems:loudness-stems default:mix-features default:loudness-stems default-real:mix-features"}
for ds in ${SETS:-synth fresh third}; do
  for pair in $PAIRS; do
    a=${pair%%:*}; b=${pair##*:}
    $BIN/mixbuddy compare work/preds/$ds/model-$a-test.jsonl work/preds/$ds/$b.jsonl \
      --dataset work/ds-$ds/test.jsonl --names "$a" "$b" -o reports/compare/$ds/$a--$b > /dev/null
  done
done
