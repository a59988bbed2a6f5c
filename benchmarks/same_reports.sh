#!/usr/bin/env bash
# After a change to inference: predict the shipped models' test sets again (scripts/model_reports.sh, its reports
# under work/same/) and compare each new report.md with the committed one under reports/models/ (byte for byte;
# metrics.json may move in the 7th decimal between CPUs). The set synth also compares the test-sub reports
# model_reports.sh derives from the whole split's predictions when work/ds-synth/test-sub.jsonl is there.
# The predictions are written afresh to the paths the committed reports name (work/preds/real/model-M-test.jsonl,
# work/preds/synth/model-M-test-sub.jsonl, work/preds/synth/model-M-test.jsonl; work/preds/fresh/, work/preds/third/
# likewise), replacing what is there; the new reports go under work/same/. The set real needs work/ds-real, the
# sets synth-sub and synth work/ds-synth/test-sub.jsonl and work/ds-synth/test.jsonl (the whole synthetic test split,
# 3,300 records, 68 min for both models). The synthetic test songs need only a 100-song corpus (its 20 test songs
# are those of the shipped corpus, configs/synth.yaml):
#   mixbuddy data build --corpus-config configs/corpus/real-dev.yaml --config configs/data-real.yaml -o work/ds-real
#   mixbuddy corpus synth -o work/synth --config configs/synth.yaml --songs 100
#   mixbuddy data build --corpus-config configs/corpus/synth.yaml --config configs/data.yaml -o work/ds-synth
#   python scripts/subset_by_chunk.py work/ds-synth/test.jsonl work/ds-synth/test-sub.jsonl
#   bash benchmarks/same_reports.sh            # SETS="real synth-sub" by default (or synth), MODELS narrow it
# The sets fresh and third are the replication test sets (work/ds-fresh, work/ds-third; ~3,300 records each, every
# chunk of 20 more songs; reports/models/fresh-test, third-test), built as docs/BENCHMARKS.md's "Replication on
# fresh songs" says, e.g. for third:
#   mixbuddy corpus synth -o work/synth-third --config configs/synth-third.yaml
#   mixbuddy data build --corpus-config configs/corpus/synth-third.yaml --config configs/data.yaml -o work/ds-third
# The set bounce is the synthetic test split with every chunk at its own level (work/ds-bounce; reports/models/
# bounce-test and, derived from the same predictions, bounce-test-sub), bounce-sub its 600-record subset for the
# models scored only there (default-real, default-blind); both need the 100-song corpus above and:
#   mixbuddy data build --corpus-config configs/corpus/synth.yaml --config configs/data.yaml --bounce-db 6 \
#     -o work/ds-bounce
#   python scripts/subset_by_chunk.py work/ds-bounce/test.jsonl work/ds-bounce/test-sub.jsonl
# The sets novocals and novocals-real are the songs without their vocals of docs/BENCHMARKS.md's "A song without
# one of the stems" (reports/models/novocals-test: default-real and default; novocals-real: default-real), each
# model predicted on the records told the song has no vocals and on those untold, built as written there (for
# novocals-real the same with --songs ../shared/data/real-dev and work/novox-real in place of work/novox):
#   python benchmarks/absent_stem.py --songs work/synth/test --out work/novox
#   for k in told untold; do
#     mixbuddy data build --kind stems_folder --root work/novox/$k --config configs/data-real.yaml -o work/novox/ds-$k
#   done
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
rm -rf work/same
for s in ${SETS:-real synth-sub}; do
  case $s in
    novocals|novocals-real)               # the predictions go where the committed reports say they were written
      if [ $s = novocals ]; then root=work/novox preds=work/novox/preds rep=novocals-test m0="default-real default"
      else root=work/novox-real preds=work/novox-real rep=novocals-real m0=default-real; fi
      mkdir -p $preds
      for m in ${MODELS:-$m0}; do
        for k in told untold; do
          p=$preds/$m-$k.jsonl
          rm -f "$p" "$p.json"
          /usr/bin/time -f "$s $m-$k: %e s wall, %M KB peak" $BIN/mixbuddy predict --checkpoint "$m" \
            --dataset $root/ds-$k/test.jsonl -o "$p" --batch-size 16 --cache-dir work/cache --no-progress >/dev/null
          $BIN/mixbuddy evaluate --predictions "$p" --dataset $root/ds-$k/test.jsonl \
            -o work/same/$rep/$m-$k --seed 0 >/dev/null
        done
      done
      continue;;
    real) ds=real; split=test; models=${MODELS:-"default-real default-stems default"};;
    synth-sub) ds=synth; split=test-sub; models=${MODELS:-"default default-stems"};;
    bounce-sub) ds=bounce; split=test-sub; models=${MODELS:-"default-real default-blind"};;
    synth|fresh|third|bounce) ds=$s; split=test; models=${MODELS:-"default default-stems"};;
    *) echo "unknown set $s (real, synth-sub, synth, fresh, third, bounce, bounce-sub, novocals, novocals-real)" >&2
       exit 2;;
  esac
  for m in $models; do                    # predicted afresh, not resumed from an earlier file
    rm -f work/preds/$ds/model-$m-$split.jsonl work/preds/$ds/model-$m-$split.jsonl.json
  done
  REPORTS=work/same MODELS="$models" SETS=$ds SYNTH_SPLIT=$split bash scripts/model_reports.sh >/dev/null
done
for f in work/same/*/*/report.md; do
  r=${f#work/same/}
  if cmp -s "$f" "reports/models/$r"; then same=SAME; else same=DIFFERS; fi
  echo "${r%/report.md}: report.md $same"
done
