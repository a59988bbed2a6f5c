#!/usr/bin/env bash
# Reproduce the shipped models (mixbuddy/weights/default and default-stems) on a CPU, from nothing but
# this repository (its git history included):
#   1. the synthetic corpus and its flawed-mix dataset (commands below, ~5 min);
#   2. the previous release's trained LoRA/projector/encoder/verdict rows, which the configs continue
#      (train.init_from), taken from git history (commit $PREV) into work/prev/;
#   3. `mixbuddy train` (stage 1: the aux head on cached level features; stage 2: the LLM learns to state
#      the head's hard verdict), selection on the validation subset only;
#   4. `mixbuddy calibrate` picks the verdict threshold on the whole validation split;
#   5. `mixbuddy export` writes float16 weights with that threshold into mixbuddy/weights/<name>.
# default-real is the mix model trained again with bystander stems thinned (data.thin_stems=0.15), of which
# only the aux head is shipped, as a derived checkpoint on top of 'default' (export --base default): it
# must come after 'default' and be re-exported whenever 'default' changes.
# default-blind is default-real's recipe with the level statistics referred to -20 LUFS (aux.level_reference),
# so its head cannot read the mix's overall level; stage 1 only, derived on top of 'default' likewise.
# default-master is default-real's recipe with half the training mixes mastered (data.master=0.5: a gain into
# a limiter, to -14...-6 LUFS), stage 1 only, derived on top of 'default': advise's model for a mix louder
# than default-real learned from (docs/BENCHMARKS.md, "Mastered bounces").
# MODELS narrows the run, e.g. MODELS=default bash scripts/train_shipped.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
PREV=${PREV:-f01bf82}
# (default: every shipped model, mixbuddy.model.checkpoint_files.SHIPPED, in its order: default first)
MODELS=${MODELS:-$($BIN/python -c "from mixbuddy.model.checkpoint_files import SHIPPED; print(*SHIPPED)")}
[ -d work/synth/train ] || $BIN/mixbuddy corpus synth -o work/synth --config configs/synth.yaml
[ -f work/ds-synth/train.jsonl ] || $BIN/mixbuddy data build --corpus-config configs/corpus/synth.yaml \
  --config configs/data.yaml -o work/ds-synth
mkdir -p work/prev
git archive "$PREV" mixbuddy/weights | tar -x -C work/prev
for m in $MODELS; do
  cfg=(--config configs/$m.yaml); base=()
  ckpt=runs/$m/best
  if [ "$m" = default-real ]; then
    cfg=(--config configs/default.yaml --set data.thin_stems=0.15 -o runs/default-real); base=(--base default)
  elif [ "$m" = default-blind ] || [ "$m" = default-master ]; then    # stage 1 only: a new head on 'default'
    head=(--set model.audio.aux.level_reference=-20); [ "$m" = default-master ] && head=(--set data.master=0.5)
    cfg=(--config configs/default.yaml --set data.thin_stems=0.15 "${head[@]}"
         --set optim.max_steps=0 --set train.init_from=default --set train.num_workers=2 -o runs/$m)
    base=(--base default); ckpt=runs/$m/checkpoint
  fi
  /usr/bin/time -f "train $m: %e s wall, %M KB peak" $BIN/mixbuddy train "${cfg[@]}" --overwrite --no-progress
  $BIN/mixbuddy calibrate --checkpoint $ckpt --dataset work/ds-synth/validation.jsonl --cache-dir work/cache \
    -o runs/$m/calibration.json --no-progress | tee runs/$m/calibration.txt
  th=$(sed -n 's/^chosen threshold: \([0-9.]*\).*/\1/p' runs/$m/calibration.txt)
  $BIN/mixbuddy export --checkpoint $ckpt -o mixbuddy/weights/$m --dtype float16 --threshold "$th" "${base[@]}" \
    --note "bash scripts/train_shipped.sh (${cfg[*]}, init_from commit $PREV); threshold $th from mixbuddy calibrate on validation"
done
