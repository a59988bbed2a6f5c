#!/usr/bin/env bash
# Reproduce reports/models/: the shipped models (mix and stems mode) on the synthetic test split
# (enumeration protocol, unseen songs) and on the real CC0 songs, predicted with `mixbuddy predict`
# (batched greedy generation) and scored with `mixbuddy evaluate`.
# Needs the datasets of scripts/baseline_reports.sh. MODELS/SETS narrow the run, e.g.
#   MODELS=default SETS=real bash scripts/model_reports.sh
# SYNTH_SPLIT picks the synthetic split file: test (default: all 3,300 records; ~2 records/s for the mix
# model, ~1.6 for the stems model on 2 idle cores, i.e. 27-35 min) or test-sub (600 records = one whole chunk
# of each of the 20 test songs, `python scripts/subset_by_chunk.py work/ds-synth/test.jsonl
# work/ds-synth/test-sub.jsonl`). With SYNTH_SPLIT=test the synth-sub reports are also derived from the
# full predictions (scripts/subset_predictions.py), as the baselines' are (scripts/baseline_subset_reports.sh).
# The bounce-randomised test split (SETS=bounce, work/ds-bounce; docs/BENCHMARKS.md) is treated like synth.
# REPORTS moves the reports elsewhere (benchmarks/same_reports.sh writes them under work/same to compare).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
MODELS=${MODELS:-"default default-stems"}
SETS=${SETS:-"synth real"}
BATCH=${BATCH:-16}
SYNTH_SPLIT=${SYNTH_SPLIT:-test}
REPORTS=${REPORTS:-reports/models}
for ds in $SETS; do
  split=test; case $ds in synth|bounce) split=$SYNTH_SPLIT;; esac
  for m in $MODELS; do
    mkdir -p work/preds/$ds
    /usr/bin/time -f "$ds $m: %e s wall, %M KB peak" \
      $BIN/mixbuddy predict --checkpoint "$m" --dataset work/ds-$ds/$split.jsonl -o work/preds/$ds/model-$m-$split.jsonl \
        --batch-size "$BATCH" --cache-dir work/cache --no-progress
    $BIN/mixbuddy evaluate --predictions work/preds/$ds/model-$m-$split.jsonl --dataset work/ds-$ds/$split.jsonl \
      -o $REPORTS/$ds-$split/$m --name "mixbuddy $m" --seed 0
    if [ "$split" = test ] && [ -f work/ds-$ds/test-sub.jsonl ]; then
      $BIN/python scripts/subset_predictions.py work/preds/$ds/model-$m-test.jsonl work/ds-$ds/test-sub.jsonl \
        work/preds/$ds/model-$m-test-sub.jsonl
      $BIN/mixbuddy evaluate --predictions work/preds/$ds/model-$m-test-sub.jsonl --dataset work/ds-$ds/test-sub.jsonl \
        -o $REPORTS/$ds-test-sub/$m --name "mixbuddy $m" --seed 0
    fi
  done
done
