#!/usr/bin/env bash
# After a change to inference: predict the shipped models' test sets again and compare each new report.md with
# the committed one under reports/models/ (byte for byte; metrics.json may move in the 7th decimal between CPUs).
# The predictions are written afresh to the paths the committed reports name (work/preds/real/model-M-test.jsonl,
# work/preds/synth/model-M-test-sub.jsonl, work/preds/synth/model-M-test.jsonl), replacing what is there; the new
# reports go under work/same/. Needs work/ds-real (and, for the sets synth-sub and synth, work/ds-synth/test-sub.jsonl
# and work/ds-synth/test.jsonl: the whole synthetic test split, 3,300 records, 68 min for both models). The
# synthetic test songs need only a 100-song corpus (its 20 test songs are those of the shipped corpus,
# configs/synth.yaml):
#   mixbuddy data build --corpus-config configs/corpus/real-dev.yaml --config configs/data-real.yaml -o work/ds-real
#   mixbuddy corpus synth -o work/synth --config configs/synth.yaml --songs 100
#   mixbuddy data build --corpus-config configs/corpus/synth.yaml --config configs/data.yaml -o work/ds-synth
#   python scripts/subset_by_chunk.py work/ds-synth/test.jsonl work/ds-synth/test-sub.jsonl
#   bash benchmarks/same_reports.sh            # SETS="real synth-sub" by default (or synth), MODELS narrow it
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
for s in ${SETS:-real synth-sub}; do
  case $s in
    real) ds=work/ds-real/test.jsonl; preds=real; split=test; report=real-test
          models=${MODELS:-"default-real default-stems default"};;
    synth-sub) ds=work/ds-synth/test-sub.jsonl; preds=synth; split=test-sub; report=synth-test-sub
               models=${MODELS:-"default default-stems"};;
    synth) ds=work/ds-synth/test.jsonl; preds=synth; split=test; report=synth-test
           models=${MODELS:-"default default-stems"};;
    *) echo "unknown set $s (real, synth-sub, synth)" >&2; exit 2;;
  esac
  for m in $models; do
    out=work/preds/$preds/model-$m-$split.jsonl
    mkdir -p work/preds/$preds work/same/$report
    rm -f "$out" "$out.json"
    /usr/bin/time -f "$s $m: %e s wall, %M KB peak" \
      $BIN/mixbuddy predict --checkpoint "$m" --dataset "$ds" -o "$out" --batch-size 16 --cache-dir work/cache \
        --no-progress
    $BIN/mixbuddy evaluate --predictions "$out" --dataset "$ds" -o work/same/$report/$m --name "mixbuddy $m" \
      --seed 0 >/dev/null
    if cmp -s work/same/$report/$m/report.md reports/models/$report/$m/report.md; then
      echo "$s $m: report.md SAME"
    else
      echo "$s $m: report.md DIFFERS"
    fi
  done
done
