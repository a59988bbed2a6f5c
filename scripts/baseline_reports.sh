#!/usr/bin/env bash
# Reproduce reports/baselines/: every baseline on the synthetic test split (enumeration protocol,
# unseen songs) and on the real CC0 songs, all fitted on the synthetic training split.
# Needs the synthetic corpus and the two datasets:
#   mixbuddy corpus synth -o work/synth --config configs/synth.yaml
#   mixbuddy data build --corpus-config configs/corpus/synth.yaml --config configs/data.yaml -o work/ds-synth
#   mixbuddy data build --corpus-config configs/corpus/real-dev.yaml --config configs/data-real.yaml -o work/ds-real
# The replication sets (SETS="fresh third"; docs/BENCHMARKS.md) are made the same way from their own configs:
#   mixbuddy corpus synth -o work/synth-fresh --config configs/synth-fresh.yaml     (third: synth-third)
#   mixbuddy data build --corpus-config configs/corpus/synth-fresh.yaml --config configs/data.yaml -o work/ds-fresh
# mix-features is fitted on a seeded subset of MIX_TRAIN training records (all 360 training songs are
# represented; its feature extraction costs ~16 ms per record), every other fitted baseline on all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
MIX_TRAIN=${MIX_TRAIN:-20000}
for ds in ${SETS:-synth real}; do
  for b in ${BASELINES:-random majority oracle-stems loudness-stems mix-features}; do
    mkdir -p work/preds/$ds
    extra=(); [ "$b" = mix-features ] && extra=(--max-train "$MIX_TRAIN")
    /usr/bin/time -f "$ds $b: %e s wall, %M KB peak" \
      $BIN/mixbuddy baseline $b --dataset work/ds-$ds/test.jsonl --train work/ds-synth/train.jsonl \
        -o work/preds/$ds/$b.jsonl --cache-dir work/cache "${extra[@]}" ${WORKERS:+--workers $WORKERS}
    $BIN/mixbuddy evaluate --predictions work/preds/$ds/$b.jsonl --dataset work/ds-$ds/test.jsonl \
      -o reports/baselines/$ds/$b --name "$b" --seed 0
  done
done
