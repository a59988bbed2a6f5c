"""Scores of gain advice against a flawed-mix dataset: the paper's Tables I–IV, headline numbers with
song-cluster bootstrap confidence intervals, confusion matrices, a confidence trade-off curve and a
reliability table of the stated confidence.

Per-sample definitions (primary finding of each answer; unanswered/unparseable answers are wrong):

* ``stem_hit`` / ``dir_hit``: the named target / corrective direction equals the truth (error samples).
* ``both``: error sample → stem and direction right; no-error sample → the answer says no change.
  Joint accuracy = mean of ``both`` over all samples (the paper's 49.85 %).
* ``mag``: (error samples only) the predicted range equals the category's magnitude range, e.g.
  (3, 6) for quiet/loud; when an answer gives only an exact gain, its range is that of the category
  the gain's size falls in. **Unconditional**: it does not require the stem or the direction to be
  right, as the reference evaluator scores it (an exact range match on every error sample).
  ``mag_given_both`` (the conditional rate) is reported beside it.
* Breakdown rows (Tables II–IV) average over their samples with the paper's convention: on a
  no-error sample, Stem and Dir. count as right when the answer says no change (so they equal the
  no-error accuracy; the paper prints "—" there but its macro averages include them); Mag. averages
  error samples only. Macro Avg. = unweighted mean of the rows (Mag.: rows that have error samples).

Table I (the paper's counts; two of its definitions differ, by how much is in ``TABLE1_NOTES``):

* Error detection, all samples: positive = the sample has an imbalance; predicted positive = the
  answer claims one (names a stem or direction, not "no change"). TP/FP/FN as usual.
* Stem identification, error samples: TP = right stem, FP = a wrong stem named, FN = no stem named.
* Direction prediction, all samples: TP = right direction on an error sample; FP = a wrong direction
  on an error sample or any direction on a no-error sample; FN = no direction on an error sample.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import CATEGORIES, CATEGORY_NAMES, STEMS, TARGET_STEMS
from .inputs import CAT_INDEX, DIR_INDEX, Answers, Truth

NO_ERR = CAT_INDEX["no_error"]
MAG_LO = np.array([c.magnitude[0] if c.is_error else np.nan for c in CATEGORIES])
MAG_HI = np.array([c.magnitude[1] if c.is_error else np.nan for c in CATEGORIES])
TRUE_DIR = np.array([DIR_INDEX[c.direction] if c.is_error else -1 for c in CATEGORIES])
TABLE1_NOTES = (
    "Against the paper's Table I (its reference evaluator): detection and direction FP agree with these "
    "definitions; two counts do not. Its stem identification credits a 'no error' answer on an error sample "
    "as the right stem (2,060 - 1,545 = 515 such answers sit in its TP 13,936); here they are FN, which puts "
    "the paper's stem F1 at 79.09, not 80.91. Its direction FN (2,635) also counts the 575 no-error samples "
    "whose answer it could not parse; here those are not direction errors, which puts its direction F1 at "
    "74.20, not 73.13.")
HEADLINE_KEYS = ("joint_accuracy", "stem_accuracy", "direction_accuracy", "magnitude_accuracy",
                 "no_error_accuracy", "error_detection_f1", "stem_f1", "direction_f1", "mean_abs_db_error")


@dataclass
class Sample:
    """Per-sample indicator arrays (float 0/1, NaN where not applicable)."""

    is_err: np.ndarray
    said_ok: np.ndarray
    claims: np.ndarray
    stem_hit: np.ndarray
    dir_hit: np.ndarray
    both: np.ndarray
    stem_row: np.ndarray  # Tables II-IV "Stem" column convention
    dir_row: np.ndarray
    mag: np.ndarray  # NaN on no-error samples
    abs_err: np.ndarray  # NaN when no numeric gain predicted
    pred_cat: np.ndarray  # predicted category index, or 5/6 = inc/dec without a category size, 7 = none


def predicted_range(a: Answers) -> tuple[np.ndarray, np.ndarray]:
    """The stated range, or (when only an exact gain is given) the range of the gain's category."""
    lo, hi = a.range_lo.copy(), a.range_hi.copy()
    m = np.abs(a.gain)
    only_gain = np.isnan(lo) & np.isfinite(m)
    strong = m >= 6.0
    moderate = (m >= 3.0) & ~strong
    lo[only_gain & moderate], hi[only_gain & moderate] = 3.0, 6.0
    lo[only_gain & strong & (m <= 12.0)], hi[only_gain & strong & (m <= 12.0)] = 6.0, 12.0
    return lo, hi


def per_sample(t: Truth, a: Answers) -> Sample:
    """Indicator arrays for every sample (see the module docstring for the definitions)."""
    is_err = t.category != NO_ERR
    said_ok = a.answered & a.no_error
    claims = a.answered & ~a.no_error & ((a.target >= 0) | (a.direction >= 0))
    true_dir = TRUE_DIR[t.category]
    stem_hit = ~a.no_error & (a.target == t.target)
    dir_hit = ~a.no_error & (a.direction == true_dir) & (true_dir >= 0)
    both = np.where(is_err, stem_hit & dir_hit, said_ok)
    lo, hi = predicted_range(a)
    mag_ok = (np.abs(lo - MAG_LO[t.category]) < 1e-6) & (np.abs(hi - MAG_HI[t.category]) < 1e-6)
    mag = np.where(is_err, mag_ok & ~a.no_error, np.nan)
    corr = np.where(is_err, -t.gain_db, 0.0)
    abs_err = np.abs(a.gain - corr)
    pred_cat = np.full(len(t.ids), 7, np.int64)
    pred_cat[said_ok] = NO_ERR
    for ci, c in enumerate(CATEGORIES):
        if c.is_error:
            sel = ~said_ok & (a.direction == DIR_INDEX[c.direction]) & (np.abs(lo - c.magnitude[0]) < 1e-6) \
                & (np.abs(hi - c.magnitude[1]) < 1e-6)
            pred_cat[sel] = ci
    unsized = ~said_ok & (pred_cat == 7) & (a.direction >= 0)
    pred_cat[unsized] = 5 + a.direction[unsized]
    f = lambda x: np.asarray(x, dtype=np.float64)  # noqa: E731
    return Sample(f(is_err), f(said_ok), f(claims), np.where(is_err, f(stem_hit), np.nan),
                  np.where(is_err, f(dir_hit), np.nan), f(both), f(np.where(is_err, stem_hit, said_ok)),
                  f(np.where(is_err, dir_hit, said_ok)), mag, abs_err, pred_cat)


def table1_cells(t: Truth, a: Answers, s: Sample) -> dict[str, dict[str, np.ndarray]]:
    """Per-sample TP/FP/FN/TN indicators of the three Table I tasks."""
    err = s.is_err > 0
    claims = s.claims > 0
    named = (a.target >= 0) & ~a.no_error
    stem_hit = err & (np.nan_to_num(s.stem_hit) > 0)
    has_dir = (a.direction >= 0) & ~a.no_error
    dir_hit = err & (np.nan_to_num(s.dir_hit) > 0)
    b = lambda x: np.asarray(x, dtype=np.float64)  # noqa: E731
    return {
        "error_detection": {"tp": b(err & claims), "fp": b(~err & claims), "fn": b(err & ~claims),
                            "tn": b(~err & ~claims)},
        "stem_identification": {"tp": b(stem_hit), "fp": b(err & named & ~stem_hit), "fn": b(err & ~named)},
        "direction_prediction": {"tp": b(dir_hit), "fp": b((err & has_dir & ~dir_hit) | (~err & has_dir)),
                                 "fn": b(err & ~has_dir)},
    }


def prf(tp: float, fp: float, fn: float) -> dict[str, float | None]:
    """Precision, recall and F1 (None when undefined)."""
    div = lambda n, d: None if d == 0 else float(n / d)  # noqa: E731
    return {"tp": int(tp), "fp": int(fp), "fn": int(fn), "precision": div(tp, tp + fp), "recall": div(tp, tp + fn),
            "f1": div(2 * tp, 2 * tp + fp + fn)}


def _mean(x: np.ndarray) -> float | None:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else None


def breakdown(s: Sample, groups: np.ndarray, labels: list[str], order: list[int]) -> dict:
    """Rows N/Both/Stem/Dir/Mag for each group value in ``order`` plus the paper's Macro Avg."""
    rows = {}
    for g in order:
        sel = groups == g
        n = int(sel.sum())
        pure_ok = n > 0 and not np.any(s.is_err[sel] > 0)
        rows[labels[g]] = {"n": n, "both": _mean(s.both[sel]), "stem": _mean(s.stem_row[sel]),
                           "dir": _mean(s.dir_row[sel]), "mag": _mean(s.mag[sel]), "no_error_row": bool(pure_ok)}
    macro = {}
    for k in ("both", "stem", "dir", "mag"):
        vals = [r[k] for r in rows.values() if r[k] is not None and r["n"] > 0]
        macro[k] = float(np.mean(vals)) if vals else None
    return {"rows": rows, "macro": macro}


def cluster_sums(values: dict[str, tuple[np.ndarray, np.ndarray]], clusters: np.ndarray, n_clusters: int):
    """(numerator, denominator) sums per cluster: two (n_clusters, n_metrics) arrays."""
    num = np.stack([np.bincount(clusters, weights=np.nan_to_num(n), minlength=n_clusters) for n, _ in values.values()], 1)
    den = np.stack([np.bincount(clusters, weights=np.nan_to_num(d), minlength=n_clusters) for _, d in values.values()], 1)
    return num, den


MIN_SONGS = 10  # below this a report warns that the song bootstrap is unreliable


def few_songs_warning(n_songs: int) -> list[str]:
    """The report lines (with a blank after) that warn about a song bootstrap over fewer than MIN_SONGS songs."""
    if n_songs >= MIN_SONGS:
        return []
    return [f"Only {n_songs} song{'s' if n_songs != 1 else ''}: a bootstrap over so few understates the "
            "uncertainty; read the intervals with care.", ""]


def bootstrap_ci(values: dict[str, tuple[np.ndarray, np.ndarray]], clusters: np.ndarray, n_boot: int, seed: int,
                 level: float = 0.95) -> dict[str, list[float | None]]:
    """Percentile CIs of ratio metrics sum(num)/sum(den), resampling whole clusters (songs) with
    replacement; vectorised as a (n_boot, n_clusters) multiplicity matrix times per-cluster sums."""
    if n_boot <= 0 or not values:
        return {k: [None, None] for k in values}
    k = int(clusters.max()) + 1
    stats = resampled_ratios(values, clusters, cluster_weights(k, n_boot, seed))
    return {name: percentile_ci(stats[:, j], level) for j, name in enumerate(values)}


def cluster_weights(n_clusters: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n_clusters): how often each cluster (song) is drawn in each bootstrap resample."""
    k = n_clusters
    draws = np.random.default_rng(seed).integers(0, k, size=(n_boot, k))
    return np.bincount((draws + np.arange(n_boot)[:, None] * k).ravel(), minlength=n_boot * k).reshape(n_boot, k)


def resampled_ratios(values: dict[str, tuple[np.ndarray, np.ndarray]], clusters: np.ndarray,
                     weights: np.ndarray) -> np.ndarray:
    """(n_boot, n_metrics): each ratio metric recomputed on each resample ``weights`` describes."""
    num, den = cluster_sums(values, clusters, weights.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ num) / (weights @ den)


def percentile_ci(col: np.ndarray, level: float = 0.95) -> list[float | None]:
    col = col[np.isfinite(col)]
    alpha = (1 - level) / 2
    return [float(np.quantile(col, alpha)), float(np.quantile(col, 1 - alpha))] if col.size else [None, None]


def headline_ratios(s: Sample, cells: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each headline metric as per-sample (numerator, denominator), so it is a ratio of sums."""
    one = np.ones_like(s.both)
    err = s.is_err
    ok = 1 - err
    def f1(c):  # noqa: E306
        return 2 * c["tp"], 2 * c["tp"] + c["fp"] + c["fn"]
    has_gain = np.isfinite(s.abs_err).astype(np.float64)
    return {
        "joint_accuracy": (s.both, one),
        "joint_accuracy_errors": (s.both * err, err),
        "stem_accuracy": (np.nan_to_num(s.stem_hit), err),
        "direction_accuracy": (np.nan_to_num(s.dir_hit), err),
        "magnitude_accuracy": (np.nan_to_num(s.mag), err),
        "magnitude_given_both": (np.nan_to_num(s.mag) * s.both * err, s.both * err),
        "no_error_accuracy": (s.said_ok * ok, ok),
        "error_detection_f1": f1(cells["error_detection"]),
        "stem_f1": f1(cells["stem_identification"]),
        "direction_f1": f1(cells["direction_prediction"]),
        "mean_abs_db_error": (np.nan_to_num(s.abs_err), has_gain),
    }


def confusion(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """Counts matrix, vectorised with bincount."""
    return np.bincount(rows * n_cols + cols, minlength=n_rows * n_cols).reshape(n_rows, n_cols)


STEM_ROWS = [*TARGET_STEMS, "no error"]
STEM_COLS = [*STEMS, "no error", "none"]
CAT_COLS = [*CATEGORY_NAMES, "increase (no size)", "decrease (no size)", "none"]


def confusions(t: Truth, a: Answers, s: Sample) -> dict[str, dict]:
    """Target-stem confusion (with a no-error class) and category confusion."""
    row_index = {STEMS.index(x): i for i, x in enumerate(TARGET_STEMS)}
    r = np.array([row_index.get(int(x), len(TARGET_STEMS)) for x in t.target])
    r[t.category == NO_ERR] = len(STEM_ROWS) - 1
    c = np.where(s.said_ok > 0, len(STEMS), np.where((a.target >= 0) & ~a.no_error, a.target, len(STEMS) + 1))
    return {"stem": {"rows": STEM_ROWS, "cols": STEM_COLS, "counts": confusion(r, c, len(STEM_ROWS), len(STEM_COLS)).tolist()},
            "category": {"rows": list(CATEGORY_NAMES), "cols": CAT_COLS,
                         "counts": confusion(t.category, s.pred_cat, len(CATEGORY_NAMES), len(CAT_COLS)).tolist()}}


def tradeoff_curve(s: Sample, confidence: np.ndarray) -> dict | None:
    """Joint accuracy and no-error recall as the threshold for declaring an imbalance moves.

    At threshold ``th`` an answer with ``confidence < th`` is turned into "no change"; otherwise the
    answer's own finding stands. None when no prediction carries a confidence.
    """
    ok = np.isfinite(confidence)
    if not ok.any():
        return None
    conf = np.where(ok, confidence, np.inf)  # no score: never overridden
    err = s.is_err > 0
    hit = err & (s.both > 0)  # right when the finding stands
    ok_stands = ~err & (s.both > 0)  # a no-error sample answered "no change" stays right at any threshold
    th = np.concatenate([np.unique(conf[ok]), [np.inf]])
    th = np.concatenate([[-np.inf], th])
    c_hit = np.sort(conf[hit])
    c_noerr_other = np.sort(conf[~err & ~ok_stands])
    n, n_ok = len(conf), int((~err).sum())
    joint = ((len(c_hit) - np.searchsorted(c_hit, th, "left")) + ok_stands.sum()
             + np.searchsorted(c_noerr_other, th, "left")) / n
    recall = (ok_stands.sum() + np.searchsorted(c_noerr_other, th, "left")) / max(n_ok, 1)
    return {"threshold": [float(x) if np.isfinite(x) else None for x in th], "joint_accuracy": joint.tolist(),
            "no_error_recall": recall.tolist(),
            "operating_point": {"joint_accuracy": float(s.both.mean()),
                                "no_error_recall": float(s.said_ok[~err].mean()) if n_ok else None}}


def reliability(s: Sample, confidence: np.ndarray, bins: int = 10) -> dict | None:
    """How far to trust the confidence an answer states (what ``advise`` prints).

    The confidence *in an answer* is P(imbalance) for an answer that claims one and 1 − P(imbalance) for
    "no change" (``mixbuddy.predict.advise``). Answers are binned by it (width 1/``bins``); each non-empty
    bin gives its count, mean stated confidence and joint accuracy (the answer is right: stem and
    direction, or "no change" on a balanced sample). ECE = the count-weighted mean |accuracy − confidence|.
    Only P(imbalance) is stated, so an answer naming the wrong stem can still be "sure": the table shows
    how often a confidence of 0.9 is right, not that it should be 90 %. Brier: mean (P(imbalance) −
    has-imbalance)² (the detection part alone). None when no answer carries a confidence.
    """
    ok = np.isfinite(confidence) & ((s.claims > 0) | (s.said_ok > 0))
    if not ok.any():
        return None
    p = confidence[ok]
    table = _reliability_table(np.where(s.said_ok[ok] > 0, 1.0 - p, p), s.both[ok] > 0, bins)
    return {**table, "brier_detection": float(np.mean((p - s.is_err[ok]) ** 2))}


def answer_reliability(s: Sample, p_answer: np.ndarray | None, bins: int = 10) -> dict | None:
    """The same table for ``p_answer``, the probability an engine gives its own answer of being right
    (stem and direction, or "no change"; ``findings.answer_probability``). Unlike P(imbalance) it also
    falls when the engine hesitates between stems, so it is the number that should match how often
    answers are right. Brier: mean (p_answer − right)². None when no answer carries one."""
    if p_answer is None:
        return None
    ok = np.isfinite(p_answer) & ((s.claims > 0) | (s.said_ok > 0))
    if not ok.any():
        return None
    v, right = p_answer[ok], s.both[ok] > 0
    return {**_reliability_table(v, right, bins), "brier": float(np.mean((v - right) ** 2))}


def _reliability_table(v: np.ndarray, right: np.ndarray, bins: int) -> dict:
    """Stated probabilities ``v`` of answers binned (width 1/``bins``) against how often they are ``right``."""
    idx = np.minimum((v * bins).astype(np.int64), bins - 1)
    rows = []
    for b in range(bins):
        m = idx == b
        if m.any():
            rows.append({"bin": [b / bins, (b + 1) / bins], "n": int(m.sum()), "confidence": float(v[m].mean()),
                         "joint_accuracy": float(right[m].mean())})
    ece = sum(r["n"] * abs(r["joint_accuracy"] - r["confidence"]) for r in rows) / len(v)
    return {"rows": rows, "n": int(len(v)), "mean_confidence": float(v.mean()), "joint_accuracy": float(right.mean()),
            "ece": float(ece)}


def score(t: Truth, a: Answers, n_boot: int = 1000, seed: int = 0) -> dict:
    """Every number of the report (JSON-ready)."""
    s = per_sample(t, a)
    cells = table1_cells(t, a, s)
    ratios = headline_ratios(s, cells)
    head = {}
    for k, (num, den) in ratios.items():
        d = den.sum()
        head[k] = float(num.sum() / d) if d > 0 else None
    ci = bootstrap_ci(ratios, t.song, n_boot, seed)
    table1 = {k: prf(v["tp"].sum(), v["fp"].sum(), v["fn"].sum()) for k, v in cells.items()}
    dir_group = np.where(t.category == NO_ERR, 1, np.where(TRUE_DIR[t.category] == 1, 0, 2))
    return {
        "n": len(t.ids), "n_songs": len(t.songs),
        "counts": {"unanswered": int((~a.answered).sum()), "unparseable": int((a.answered & ~a.parsed).sum()),
                   "ambiguous": int(a.ambiguous.sum()), "with_gain": int(np.isfinite(s.abs_err).sum()),
                   "with_confidence": int(np.isfinite(a.confidence).sum()),
                   "per_category": {c: int((t.category == i).sum()) for i, c in enumerate(CATEGORY_NAMES)}},
        "headline": head, "ci95": ci, "bootstrap": {"resamples": n_boot, "seed": seed, "unit": "song"},
        "table1": table1,
        "table2_category": breakdown(s, t.category, [c.replace("_", " ") for c in CATEGORY_NAMES],
                                     list(range(len(CATEGORY_NAMES)))),
        "table3_stem": breakdown(s, t.target, list(STEMS), [STEMS.index(x) for x in ("vocals", "drums", "bass", "other")
                                                            if (t.target == STEMS.index(x)).any()]),
        "table4_direction": breakdown(s, dir_group, ["decrease", "no error", "increase"], [0, 1, 2]),
        "confusion": confusions(t, a, s),
        "tradeoff": tradeoff_curve(s, a.confidence),
        "reliability": reliability(s, a.confidence),
        "answer_reliability": answer_reliability(s, a.p_answer),
    }
