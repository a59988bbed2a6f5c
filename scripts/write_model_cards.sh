#!/usr/bin/env bash
# Rewrite the model card (README.md) of every shipped model with its evaluation reports
# (run after scripts/model_reports.sh). Only the cards change: no weight is loaded or written,
# and the models' ids (mixbuddy.model.checkpoint.checkpoint_id) stay the same. MODELS narrows the run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
MODELS=${MODELS:-$($BIN/python -c "from mixbuddy.model.checkpoint_files import SHIPPED; print(*SHIPPED)")}
for m in $MODELS; do
  more=()         # the replication sets (docs/BENCHMARKS.md, "Replication on fresh songs" and "The
                  # operating-point rule, tested on a third set of songs"), where they were run
  for set_seed in fresh:1 third:2; do
    set=${set_seed%:*}
    [ -f reports/models/$set-test/$m/metrics.json ] && \
      more+=(--report "$set synth test (20 more unseen songs, seed ${set_seed#*:})=reports/models/$set-test/$m")
  done
  $BIN/mixbuddy export --checkpoint mixbuddy/weights/$m --card-only \
    --report "synth test (20 unseen synthetic songs)=reports/models/synth-test/$m" "${more[@]}" \
    --report "real songs (3 CC0 songs, ../shared/data/real-dev)=reports/models/real-test/$m"
done
