#!/usr/bin/env bash
# Same command, same bytes? Trains a short version of a shipped recipe twice (stage 1 on a 1,000-recipe
# level cache, 4 LLM steps with generation-scored evaluation) into two folders and compares every file
# they hold. Needs the data of scripts/train_shipped.sh (work/ds-synth, work/cache) and work/prev.
#   bash scripts/check_determinism.sh [configs/default-stems.yaml]
# Files that differ by design: config.yaml (the output folder), log.jsonl / summary.json (wall times).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
CFG=${1:-configs/default-stems.yaml}
OUT=$(mktemp -d)
for k in a b; do
  $BIN/mixbuddy train --config "$CFG" --set data.max_train=1000 --set data.max_validation=16 \
    --set train.stage1_steps=50 --set train.stage1_eval_steps=50 --set optim.max_steps=4 --set train.stop_after=4 \
    --set train.eval_steps=4 --set train.save_steps=4 --set train.eval_generate=4 -o "$OUT/$k" --no-progress \
    > "$OUT/$k.log" 2>&1
done

for f in $(cd "$OUT/a" && find . -type f | sort); do
  if cmp -s "$OUT/a/$f" "$OUT/b/$f"; then echo "same $f"; else echo "DIFF $f"; fi
done
echo "runs in $OUT"
