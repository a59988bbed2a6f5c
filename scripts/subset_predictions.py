"""Keep the prediction lines whose ids are in a dataset file (e.g. a subset made by subset_by_chunk.py).

    python scripts/subset_predictions.py work/preds/synth/loudness-stems.jsonl work/ds-synth/test-sub.jsonl OUT
"""
import json
import sys
from pathlib import Path


def main(preds: str, dataset: str, out: str) -> None:
    ids = {json.loads(line)["id"] for line in Path(dataset).read_text(encoding="utf-8").splitlines() if line.strip()}
    keep = [line for line in Path(preds).read_text(encoding="utf-8").splitlines() if line.strip()
            and json.loads(line)["id"] in ids]
    if len(keep) != len(ids):
        sys.exit(f"{preds}: {len(keep)} of the {len(ids)} ids of {dataset} answered")
    tmp = Path(out + ".tmp")
    tmp.write_text("".join(k + "\n" for k in keep), encoding="utf-8")
    tmp.replace(out)
    print(f"{out}: {len(keep)} lines")


if __name__ == "__main__":
    main(*sys.argv[1:4])
