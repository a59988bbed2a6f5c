"""Metrics on tiny prediction sets with known answers, Table I cells, id errors, bootstrap, curve."""
from __future__ import annotations

import numpy as np
import pytest
from eval_helpers import make_records, write_jsonl

from mixbuddy.errors import DataError
from mixbuddy.evaluate.inputs import Truth, answers_from_findings, load_answers, load_truth
from mixbuddy.evaluate.metrics import bootstrap_ci, per_sample, reliability, score, tradeoff_curve
from mixbuddy.findings import Finding

OK = Finding(no_error=True)


def truth_of(tmp_path, records) -> Truth:
    return load_truth(write_jsonl(tmp_path / "ds.jsonl", records))


def right(r: dict, **kw) -> Finding:
    from mixbuddy.constants import CATEGORY_BY_NAME
    c = CATEGORY_BY_NAME[r["category"]]
    if not c.is_error:
        return OK
    return Finding(False, kw.get("target", r["target"]), kw.get("direction", c.direction), kw.get("range_db", c.magnitude),
                   kw.get("gain_db"))


def test_all_correct_texts_score_100(tmp_path):
    recs = make_records(3, 1)
    t = truth_of(tmp_path, recs)
    a = load_answers(write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "text": r["response"]} for r in recs]), t)
    res = score(t, a, n_boot=50)
    for k in ("joint_accuracy", "stem_accuracy", "direction_accuracy", "magnitude_accuracy", "no_error_accuracy",
              "error_detection_f1", "stem_f1", "direction_f1"):
        assert res["headline"][k] == 1.0, k
        assert res["ci95"][k] == [1.0, 1.0]
    assert res["counts"]["unparseable"] == 0 and res["counts"]["unanswered"] == 0


def test_always_no_error_gives_20_percent_joint(tmp_path):
    recs = make_records(2, 2)
    t = truth_of(tmp_path, recs)
    a = load_answers(write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "text": "The mix is well balanced."}
                                                        for r in recs]), t)
    res = score(t, a, n_boot=0)
    h = res["headline"]
    assert h["joint_accuracy"] == pytest.approx(0.2)
    assert h["no_error_accuracy"] == 1.0 and h["stem_accuracy"] == 0.0 and h["magnitude_accuracy"] == 0.0
    det = res["table1"]["error_detection"]
    assert (det["tp"], det["fp"], det["fn"], det["precision"], det["recall"]) == (0, 0, 96, None, 0.0)
    t2 = res["table2_category"]
    assert t2["rows"]["no error"]["both"] == 1.0 and t2["rows"]["loud"]["both"] == 0.0
    # paper convention: the no-error row enters the Stem/Dir. macro averages with its no-error accuracy
    assert t2["macro"]["both"] == pytest.approx(0.2) and t2["macro"]["stem"] == pytest.approx(0.2)
    assert t2["macro"]["mag"] == 0.0
    assert res["table4_direction"]["macro"]["both"] == pytest.approx(1 / 3)


def test_table1_cells_each_case(tmp_path):
    recs = make_records(1, 1)  # 30 records, 24 with an error, 6 without
    t = truth_of(tmp_path, recs)
    err = [i for i, r in enumerate(recs) if r["category"] != "no_error"]
    ok = [i for i, r in enumerate(recs) if r["category"] == "no_error"]
    f = [right(r) for r in recs]
    flip = {"increase": "decrease", "decrease": "increase"}
    e0, e1, e2, e3 = err[:4]
    f[e0] = right(recs[e0], direction=flip[f[e0].direction])  # right stem, wrong direction
    other = next(s for s in ("bass", "drums", "vocals") if s != recs[e1]["target"])
    f[e1] = Finding(False, other, None)  # wrong stem, no direction
    f[e2] = OK  # missed error
    f[e3] = Finding(False, recs[e3]["target"], None)  # right stem, no direction
    f[ok[0]] = Finding(False, "bass", "decrease", (3.0, 6.0))  # false alarm with a direction
    f[ok[1]] = Finding(False)  # unparseable answer on a no-error sample
    res = score(t, answers_from_findings(f), n_boot=0)
    t1 = res["table1"]
    assert (t1["error_detection"]["tp"], t1["error_detection"]["fp"], t1["error_detection"]["fn"]) == (23, 1, 1)
    assert (t1["stem_identification"]["tp"], t1["stem_identification"]["fp"], t1["stem_identification"]["fn"]) == (22, 1, 1)
    assert (t1["direction_prediction"]["tp"], t1["direction_prediction"]["fp"], t1["direction_prediction"]["fn"]) == (20, 2, 3)
    assert t1["direction_prediction"]["precision"] == pytest.approx(20 / 22)
    assert t1["direction_prediction"]["f1"] == pytest.approx(40 / 45)
    h = res["headline"]
    assert h["joint_accuracy"] == pytest.approx((20 + 4) / 30)
    assert h["no_error_accuracy"] == pytest.approx(4 / 6)
    # magnitude is unconditional: e0 (wrong direction) keeps its right range, e1/e2/e3 have none
    assert h["magnitude_accuracy"] == pytest.approx(21 / 24)
    assert h["magnitude_given_both"] == 1.0
    assert res["counts"]["unparseable"] == 1
    # e0..e3 are the four error samples of (target drums, anchor bass); ok[0] / ok[1] are the no-error
    # samples of (drums, bass) and (vocals, bass). Each target stem has 8 error + 2 no-error samples.
    assert [(recs[i]["target"], recs[i]["anchor"], recs[i]["category"]) for i in (e0, e1, e2, e3, ok[0], ok[1])] == [
        ("drums", "bass", "very_quiet"), ("drums", "bass", "quiet"), ("drums", "bass", "loud"),
        ("drums", "bass", "very_loud"), ("drums", "bass", "no_error"), ("vocals", "bass", "no_error")]
    cs = res["confusion"]["stem"]
    assert cs["rows"] == ["bass", "drums", "vocals", "no error"]
    assert cs["cols"] == ["bass", "drums", "other", "vocals", "no error", "none"]
    # drums row: e1 named bass, e2 said no change, e0/e3 named drums; no-error row: ok[0] named bass,
    # ok[1] named nothing (unparseable)
    assert cs["counts"] == [[8, 0, 0, 0, 0, 0], [1, 6, 0, 0, 1, 0], [0, 0, 0, 8, 0, 0], [1, 0, 0, 0, 4, 1]]
    cc = res["confusion"]["category"]
    assert cc["rows"] == ["very_quiet", "quiet", "no_error", "loud", "very_loud"]
    assert cc["cols"] == ["very_quiet", "quiet", "no_error", "loud", "very_loud", "increase (no size)",
                          "decrease (no size)", "none"]
    # e0: very quiet answered "decrease by 6-12 dB" = very loud; e1/e3 state no direction (none); e2 says
    # no change; ok[0] "decrease by 3-6 dB" = loud; ok[1] nothing
    assert cc["counts"] == [[5, 0, 0, 0, 1, 0, 0, 0], [0, 5, 0, 0, 0, 0, 0, 1], [0, 0, 4, 1, 0, 0, 0, 1],
                            [0, 0, 1, 5, 0, 0, 0, 0], [0, 0, 0, 0, 5, 0, 0, 1]]
    # Table III (rows in the paper's order, 'other' absent): drums both = 4/8 errors + 1/2 no-error,
    # stem = (6 + 1) / 10 (e0, e3 right stem), dir = (4 + 1) / 10, mag = 5/8 (e0 keeps its range);
    # vocals loses only ok[1]; bass is all right
    t3 = res["table3_stem"]
    assert list(t3["rows"]) == ["vocals", "drums", "bass"]
    row = lambda n, both, stem, d, mag: {"n": n, "both": pytest.approx(both), "stem": pytest.approx(stem),  # noqa: E731
                                          "dir": pytest.approx(d), "mag": pytest.approx(mag), "no_error_row": False}
    assert t3["rows"]["drums"] == row(10, 0.5, 0.7, 0.5, 0.625)
    assert t3["rows"]["vocals"] == row(10, 0.9, 0.9, 0.9, 1.0)
    assert t3["rows"]["bass"] == row(10, 1.0, 1.0, 1.0, 1.0)
    assert t3["macro"] == {"both": pytest.approx(2.4 / 3), "stem": pytest.approx(2.6 / 3),
                           "dir": pytest.approx(2.4 / 3), "mag": pytest.approx(2.625 / 3)}


def test_range_from_exact_gain_and_mean_abs_db_error(tmp_path):
    recs = make_records(1, 1)
    t = truth_of(tmp_path, recs)

    def answers(offset: float):
        f = []
        for r in recs:
            corr = -r["gain_db"]
            f.append(OK if r["category"] == "no_error" else
                     Finding(False, r["target"], "increase" if corr > 0 else "decrease", None, corr + offset))
        return answers_from_findings(f)

    exact = score(t, answers(0.0), n_boot=0)["headline"]
    assert exact["mean_abs_db_error"] == pytest.approx(0.0)
    assert exact["magnitude_accuracy"] == 1.0  # an exact gain alone implies its category's range
    assert score(t, answers(0.5), n_boot=0)["headline"]["mean_abs_db_error"] == pytest.approx(0.5)


def test_unanswered_and_id_errors(tmp_path):
    recs = make_records(1, 1)
    t = truth_of(tmp_path, recs)
    preds = [{"id": r["id"], "text": r["response"]} for r in recs]
    with pytest.raises(DataError, match=r"p1\.jsonl: 1 dataset id"):
        load_answers(write_jsonl(tmp_path / "p1.jsonl", preds[1:]), t)
    a = load_answers(tmp_path / "p1.jsonl", t, allow_missing=True)
    res = score(t, a, n_boot=0)
    assert res["counts"]["unanswered"] == 1 and res["headline"]["joint_accuracy"] == pytest.approx(29 / 30)
    with pytest.raises(DataError, match=r"p2\.jsonl:3: duplicate prediction id .* line 1"):
        load_answers(write_jsonl(tmp_path / "p2.jsonl", [preds[0], preds[1], preds[0]]), t, allow_missing=True)
    with pytest.raises(DataError, match=r"p3\.jsonl:2: id 'nope' is not in the dataset"):
        load_answers(write_jsonl(tmp_path / "p3.jsonl", [preds[0], {"id": "nope", "text": "x"}]), t, allow_missing=True)
    (tmp_path / "p4.jsonl").write_text('{"id": "a", "text": "x"}\n{"id": oops\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"p4\.jsonl:2: not valid JSON"):
        load_answers(tmp_path / "p4.jsonl", t)
    with pytest.raises(DataError, match=r"p5\.jsonl:1: prediction needs a string 'text'"):
        load_answers(write_jsonl(tmp_path / "p5.jsonl", [{"id": recs[0]["id"]}]), t, allow_missing=True)
    with pytest.raises(DataError, match=r"p6\.jsonl:1: confidence"):
        load_answers(write_jsonl(tmp_path / "p6.jsonl", [{**preds[0], "confidence": "high"}]), t, allow_missing=True)
    with pytest.raises(DataError, match=r"ds2\.jsonl:2: duplicate id"):
        load_truth(write_jsonl(tmp_path / "ds2.jsonl", [recs[0], recs[0]]))
    with pytest.raises(DataError, match=r"ds3\.jsonl:1: unknown category"):
        load_truth(write_jsonl(tmp_path / "ds3.jsonl", [{**recs[0], "category": "meh"}]))


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(1)
    clusters = np.repeat(np.arange(40), 30)
    x = (rng.random(clusters.size) < 0.6).astype(float)
    vals = {"acc": (x, np.ones_like(x))}
    a = bootstrap_ci(vals, clusters, 500, seed=3)
    assert a == bootstrap_ci(vals, clusters, 500, seed=3)
    assert a != bootstrap_ci(vals, clusters, 500, seed=4)
    lo, hi = a["acc"]
    assert lo < x.mean() < hi and hi - lo < 0.2


def test_tradeoff_curve_moves_between_the_extremes(tmp_path):
    recs = make_records(1, 2)
    t = truth_of(tmp_path, recs)
    # a model that never says "no change": right on error samples, a wrong claim on no-error ones
    f = [right(r) if r["category"] != "no_error" else Finding(False, "bass", "decrease") for r in recs]
    conf = np.array([0.9 if r["category"] != "no_error" else 0.3 for r in recs])
    s = per_sample(t, answers_from_findings(f, conf))
    tr = tradeoff_curve(s, conf)
    assert tr["operating_point"] == {"joint_accuracy": pytest.approx(0.8), "no_error_recall": 0.0}
    # 48 error samples (conf 0.9, right) and 12 no-error samples (conf 0.3, wrong claim). Thresholds are
    # -inf, each distinct confidence, +inf (both infinities written as None); below a threshold an answer
    # becomes "no change": nothing moves at 0.3, at 0.9 the 12 wrong claims turn right (60/60), at +inf
    # every answer says "no change" (12/60 joint, every no-error sample recalled)
    assert tr["threshold"] == [None, pytest.approx(0.3), pytest.approx(0.9), None]
    assert tr["joint_accuracy"] == pytest.approx([48 / 60, 48 / 60, 1.0, 12 / 60])
    assert tr["no_error_recall"] == pytest.approx([0.0, 0.0, 1.0, 1.0])
    assert tradeoff_curve(s, np.full(len(recs), np.nan)) is None


def test_reliability_bins_the_confidence_each_answer_states(tmp_path):
    recs = make_records(1, 2)          # 48 error samples, 12 no-error samples
    t = truth_of(tmp_path, recs)
    err = [i for i, r in enumerate(recs) if r["category"] != "no_error"]
    ok = [i for i, r in enumerate(recs) if r["category"] == "no_error"]
    f = [right(r) for r in recs]       # every answer right ...
    for i in err[:12]:                 # ... but 12 error samples get the wrong stem
        f[i] = Finding(False, "other", right(recs[i]).direction)
    conf = np.full(len(recs), 0.95)
    conf[err[12:24]] = 0.72            # 12 right answers stated at 0.72
    conf[ok[:6]] = 0.2                 # "no change" at P(imbalance) 0.2: confidence 0.8 in the answer
    conf[ok[6:]] = np.nan              # no confidence: left out
    rel = reliability(per_sample(t, answers_from_findings(f, conf)), conf)
    assert rel["n"] == 54
    # bins: 0.7-0.8 (12 right at 0.72), 0.8-0.9 (6 right "no change" at 0.8), 0.9-1.0 (36 at 0.95, 12 of them wrong)
    assert [(r["bin"], r["n"]) for r in rel["rows"]] == [([0.7, 0.8], 12), ([0.8, 0.9], 6), ([0.9, 1.0], 36)]
    assert [r["confidence"] for r in rel["rows"]] == pytest.approx([0.72, 0.8, 0.95])
    assert [r["joint_accuracy"] for r in rel["rows"]] == pytest.approx([1.0, 1.0, 24 / 36])
    assert rel["ece"] == pytest.approx((12 * 0.28 + 6 * 0.2 + 36 * abs(24 / 36 - 0.95)) / 54)
    assert rel["joint_accuracy"] == pytest.approx(42 / 54)
    # detection Brier: (0.95-1)^2 on 36, (0.72-1)^2 on 12, (0.2-0)^2 on 6
    assert rel["brier_detection"] == pytest.approx((36 * 0.05 ** 2 + 12 * 0.28 ** 2 + 6 * 0.2 ** 2) / 54)
    assert reliability(per_sample(t, answers_from_findings(f, conf)), np.full(len(recs), np.nan)) is None
