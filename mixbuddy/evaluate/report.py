"""Writing an evaluation: ``report.md`` (human), ``metrics.json`` (machine, sorted keys) and PNG
figures (confusion matrices, confidence trade-off curve). Every file is written atomically."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from ..io import atomic_path, check_output_file, ensure_dir, write_json, write_text
from .metrics import HEADLINE_KEYS, TABLE1_NOTES

HEADLINE_LABELS = {
    "joint_accuracy": "Joint accuracy (stem + direction; no-error: says no change)",
    "stem_accuracy": "Stem accuracy (error samples)",
    "direction_accuracy": "Direction accuracy (error samples)",
    "magnitude_accuracy": "Magnitude-range accuracy (error samples, unconditional)",
    "no_error_accuracy": "No-error accuracy (no-error samples)",
    "error_detection_f1": "Error-detection F1",
    "stem_f1": "Stem-identification F1",
    "direction_f1": "Direction-prediction F1",
    "mean_abs_db_error": "Mean |dB error| of stated exact gains",
}
DEFINITIONS = """\
## Definitions

* Each answer is reduced to its **primary finding** by `mixbuddy.evaluate.parse` (word-boundary,
  phrase-aware matching; the first finding naming both a stem and a direction). Unanswered and
  unparseable answers count as wrong everywhere.
* **Joint (Both)**: error sample → stem and corrective direction right; no-error sample → the answer
  says no change is needed.
* **Stem / Dir.** (rows): error samples → stem / direction right; no-error samples → says no change
  (the paper prints "—" for the no-error row but its macro averages include these values).
* **Mag.**: error samples only; the stated range equals the category's range (3–6 dB or 6–12 dB),
  whether or not stem/direction are right. An answer with only an exact gain gets the range of the
  category that gain falls in. `magnitude_given_both` in metrics.json is the conditional rate.
* **Macro Avg.**: unweighted mean of the rows (Mag.: rows with error samples).
* **Table I**: error detection over all samples (positive = has an imbalance; predicted positive =
  the answer claims one); stem identification over error samples (TP right stem, FP wrong stem
  named, FN no stem named); direction prediction over all samples (TP right direction, FP wrong
  direction or any direction on a no-error sample, FN no direction on an error sample).
* **Mean |dB error|**: |stated signed gain − (−applied gain)| over answers that state a gain
  (the correct correction is 0 dB on no-error samples).
* **95 % CIs**: percentile bootstrap resampling whole songs (cluster bootstrap: chunks of one song
  are correlated, so resampling samples would understate the uncertainty).
"""


def _pct(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{100 * x:.{digits}f}%"


def _num(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _breakdown_md(title: str, label: str, tab: dict) -> str:
    lines = [f"### {title}", "", f"| {label} | N | Both | Stem | Dir. | Mag. |", "|---|---:|---:|---:|---:|---:|"]
    for name, r in tab["rows"].items():
        dash = r["no_error_row"]
        lines.append(f"| {name} | {r['n']} | {_pct(r['both'], 1)} | {'—' if dash else _pct(r['stem'], 1)} | "
                     f"{'—' if dash else _pct(r['dir'], 1)} | {_pct(r['mag'], 1)} |")
    m = tab["macro"]
    lines.append(f"| **Macro Avg.** | — | **{_pct(m['both'], 1)}** | **{_pct(m['stem'], 1)}** | "
                 f"**{_pct(m['dir'], 1)}** | **{_pct(m['mag'], 1)}** |")
    return "\n".join(lines) + "\n"


def _confusion_md(title: str, conf: dict) -> str:
    lines = [f"### {title}", "", "| true \\ predicted | " + " | ".join(conf["cols"]) + " |",
             "|---|" + "---:|" * len(conf["cols"])]
    for name, row in zip(conf["rows"], conf["counts"]):
        lines.append(f"| {name} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def render_markdown(res: dict[str, Any], meta: dict[str, Any]) -> str:
    """The human-readable report; its first line names dataset, model, sample count and seed."""
    h, ci, c = res["headline"], res["ci95"], res["counts"]
    out = [f"Evaluation of **{meta['name']}** on `{meta['dataset']}`: {res['n']} samples ({res['n_songs']} songs), "
           f"seed {meta['seed']}, {res['bootstrap']['resamples']} song-bootstrap resamples.", "",
           f"Predictions: `{meta['predictions']}`  ", f"Unanswered: {c['unanswered']} · unparseable: {c['unparseable']} · "
           f"ambiguous: {c['ambiguous']} · with exact gain: {c['with_gain']} · with confidence: {c['with_confidence']}",
           "", "## Headline", "", "| Metric | Value | 95% CI |", "|---|---:|---:|"]
    for k in HEADLINE_KEYS:
        lo, hi = ci.get(k, [None, None])
        fmt = _num if k == "mean_abs_db_error" else _pct
        unit = " dB" if k == "mean_abs_db_error" and h.get(k) is not None else ""
        out.append(f"| {HEADLINE_LABELS[k]} | {fmt(h.get(k))}{unit} | {fmt(lo)} – {fmt(hi)} |")
    out += ["", "## Table I: false positives, false negatives, precision, recall, F1", "",
            "| Task | TP | FP | FN | Precision | Recall | F1 |", "|---|---:|---:|---:|---:|---:|---:|"]
    for key, label in (("error_detection", "Error Detection"), ("stem_identification", "Stem Identification"),
                       ("direction_prediction", "Direction Prediction")):
        r = res["table1"][key]
        out.append(f"| {label} | {r['tp']} | {r['fp']} | {r['fn']} | {_pct(r['precision'])} | {_pct(r['recall'])} | "
                   f"{_pct(r['f1'])} |")
    out += ["", f"_{TABLE1_NOTES}_", "",
            _breakdown_md("Table II: by error category", "Category", res["table2_category"]),
            _breakdown_md("Table III: by target stem", "Stem", res["table3_stem"]),
            _breakdown_md("Table IV: by direction", "Direction", res["table4_direction"]),
            "## Confusion matrices", "", "![target stem](confusion_stem.png) ![category](confusion_category.png)", "",
            _confusion_md("Target stem", res["confusion"]["stem"]),
            _confusion_md("Category (predicted from direction + range)", res["confusion"]["category"])]
    tr = res.get("tradeoff")
    if tr:
        op = tr["operating_point"]
        out += ["## Confidence trade-off", "", "![trade-off](tradeoff.png)", "",
                f"Operating point: joint {_pct(op['joint_accuracy'])}, no-error recall {_pct(op['no_error_recall'])}. "
                "Below a threshold, an answer is replaced by \"no change\".", ""]
    out += _reliability_md(res.get("reliability"), "the stated confidence", "Confidence", "confidence",
                           "the confidence they state (P(imbalance) for a claimed imbalance, 1 − P(imbalance) for "
                           "\"no change\")", ("brier_detection", "detection Brier score"))
    out += _reliability_md(res.get("answer_reliability"), "P(right)", "P(right)", "P(right)",
                           "the probability the engine gives its own answer of being right (`p_answer`, what `advise` "
                           "prints as P(right): the named stem off in the named direction, or a balanced mix)",
                           ("brier", "Brier score"))
    sim = res.get("similarity")
    if sim:
        out += ["## Semantic similarity to the reference answer", "",
                f"Mean cosine similarity ({sim['model']}): {sim['mean']:.4f} over {sim['n']} answered samples.", ""]
    out.append(DEFINITIONS)
    return "\n".join(out)


def _save_fig(fig, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None})


def plot_confusion(conf: dict, title: str, path: Path) -> None:
    """Heat map of a counts matrix, row-normalised colours, counts written in the cells."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    counts = np.asarray(conf["counts"], dtype=float)
    norm = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.2 * len(conf["cols"]) + 2, 0.8 * len(conf["rows"]) + 1.8))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(conf["cols"])), conf["cols"], rotation=35, ha="right")
    ax.set_yticks(range(len(conf["rows"])), conf["rows"])
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            ax.text(j, i, str(int(counts[i, j])), ha="center", va="center", color="white" if norm[i, j] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    _save_fig(fig, path)
    plt.close(fig)


def plot_tradeoff(curves: Sequence[tuple[str, dict]], path: Path, title: str | None = None) -> None:
    """Joint accuracy against no-error recall as the imbalance threshold moves, operating point marked; one
    curve per (name, ``tradeoff``) pair (several systems on the same records share one figure)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    single = len(curves) == 1
    for k, (name, tr) in enumerate(curves):
        ax.plot(tr["no_error_recall"], tr["joint_accuracy"], "-", lw=1.5, color=f"C{k}", label=name)
        op = tr["operating_point"]
        if op["no_error_recall"] is not None:
            ax.plot([op["no_error_recall"]], [op["joint_accuracy"]], "o", color="C3" if single else f"C{k}",
                    label="operating point" if single else None)
    ax.set_xlabel("no-error recall")
    ax.set_ylabel("joint accuracy")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    if single:
        ax.legend(loc="lower left")
    else:
        ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title, fontsize="medium")
    fig.tight_layout()
    _save_fig(fig, path)
    plt.close(fig)


def write_report(out_dir: str | Path, res: dict[str, Any], meta: dict[str, Any]) -> dict[str, Path]:
    """Write report.md, metrics.json and the figures into ``out_dir``; returns the paths. Every file's place
    is checked before the first is written, so a report is never left half made by what is in the way."""
    out = ensure_dir(out_dir)
    paths = {"metrics": out / "metrics.json", "report": out / "report.md",
             "confusion_stem": out / "confusion_stem.png", "confusion_category": out / "confusion_category.png"}
    for p in [*paths.values(), out / "tradeoff.png"]:
        check_output_file(p)
    plot_confusion(res["confusion"]["stem"], f"{meta['name']}: target stem", paths["confusion_stem"])
    plot_confusion(res["confusion"]["category"], f"{meta['name']}: category", paths["confusion_category"])
    if res.get("tradeoff"):
        paths["tradeoff"] = out / "tradeoff.png"
        plot_tradeoff([(meta["name"], res["tradeoff"])], paths["tradeoff"])
    write_json(paths["metrics"], {"meta": meta, **res})
    write_text(paths["report"], render_markdown(res, meta))
    return paths


def _reliability_md(rel: dict | None, what: str, column: str, mean_of: str, binned_by: str,
                    brier: tuple[str, str]) -> list[str]:
    """The reliability section of one stated probability (none when ``rel`` is empty): how it was binned, its
    summary (ECE, Brier score under ``brier``'s key and label) and one table row per bin."""
    if not rel:
        return []
    return ["## How far to trust " + what, "",
            f"Answers binned by {binned_by}, against how often they are right (joint). "
            f"{rel['n']} answers: mean {mean_of} {_num(rel['mean_confidence'])}, right {_pct(rel['joint_accuracy'])}; "
            f"ECE {_num(rel['ece'], 3)}; {brier[1]} {_num(rel[brier[0]], 3)}.", "",
            f"| {column} | Answers | Mean {mean_of} | Right (joint) |", "|---|---|---|---|"] + _reliability_rows(rel)


def _reliability_rows(rel: dict) -> list[str]:
    return [f"| {r['bin'][0]:.1f}–{r['bin'][1]:.1f} | {r['n']} | {_num(r['confidence'])} | "
            f"{_pct(r['joint_accuracy'])} |" for r in rel["rows"]] + [""]
