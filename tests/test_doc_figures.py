"""The documents' score tables against the committed reports: every figure in the README's "Where we stand"
table and in docs/BENCHMARKS.md's tables of systems by test set must be what ``mixbuddy evaluate`` wrote to that
system's ``reports/.../metrics.json``, and every paired difference ("A − B" tables) what ``mixbuddy compare``
wrote to ``reports/compare/<set>/<A>--<B>.json``, to the decimals printed. A report re-run (or a model
replaced) without the tables, or a figure typed by hand, fails here instead of misleading a reader."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
# a table's test-set label -> (models' report folder, baselines' report folder)
SETS = {"synth test": ("models/synth-test", "baselines/synth"), "synth": (None, "baselines/synth"),
        "original": ("models/synth-test", "baselines/synth"),
        "synth-sub": ("models/synth-test-sub", "baselines/synth-test-sub"),
        "real": ("models/real-test", "baselines/real"),
        "fresh": ("models/fresh-test", "baselines/fresh"), "third": ("models/third-test", "baselines/third"),
        "synth without vocals": ("models/novocals-test", None), "real without vocals": ("models/novocals-real", None)}
# a column's header -> metrics.json headline key (accuracies and F1 in percent, the dB error as is)
COLUMNS = {"joint": "joint_accuracy", "stem": "stem_accuracy", "direction": "direction_accuracy",
           "magnitude": "magnitude_accuracy", "no-error": "no_error_accuracy", "det. F1": "error_detection_f1",
           "stem F1": "stem_f1", "dir. F1": "direction_f1", "MAE dB": "mean_abs_db_error",
           "F1 detection / stem / direction": ("error_detection_f1", "stem_f1", "direction_f1")}
SET_COLUMNS = ("dataset", "test set")
TABLES = [("README.md", "Where we stand"), ("docs/BENCHMARKS.md", None)]
NUMBER = re.compile(r"^(-?\d+(?:\.(\d+))?)%?(?: \[(\d+(?:\.\d+)?)–(\d+(?:\.\d+)?)\])?$")


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def tables(text: str):
    """(header cells, the 6 lines above the table, [(line number, {header: cell}) per row]) of every Markdown
    table in ``text``."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not (line.startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|---")):
            continue
        head, rows = cells(line), []
        for j in range(i + 2, len(lines)):
            if not lines[j].startswith("|"):
                break
            rows.append((j + 1, dict(zip(head, cells(lines[j])))))
        yield head, "\n".join(lines[max(0, i - 6):i]), rows


def score_tables(text: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, {header: cell}) for every row of every table whose header names a system and a test set."""
    return [r for head, _, rows in tables(text)
            if "system" in head and any(c in head for c in SET_COLUMNS) for r in rows]


def section(text: str, heading: str | None) -> tuple[str, int]:
    """The text under ``## heading`` (to the next ``## ``) and the line it starts on; the whole text for None."""
    if heading is None:
        return text, 0
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("## ") and ln[3:].strip() == heading)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join(lines[start:end]), start


def system_names(cell: str) -> list[str]:
    """'**mixbuddy `default`** (431 ...)' -> ['default']; 'loudness-stems / mix-features' -> both."""
    cell = re.sub(r"\s*\(.*\)$", "", cell.replace("**", "").replace("`", "")).strip()
    return [n.strip().removeprefix("mixbuddy ").strip() for n in cell.split(" / ")]


def report(set_label: str, name: str) -> Path | None:
    models, baselines = SETS[set_label]
    for parent in (models, baselines):
        if parent and (REPORTS / parent / name / "metrics.json").is_file():
            return REPORTS / parent / name / "metrics.json"
    return None


def check_figure(text: str, value: float | None, ci: list | None, percent: bool) -> str | None:
    """None when ``text`` shows ``value`` (and its CI) to the decimals printed, else what is wrong."""
    if text in ("—", ""):
        return None if value is None or text == "" else f"{text!r} but the report has {value}"
    m = NUMBER.match(text)
    if m is None:
        return f"{text!r} is not a figure"
    if value is None:
        return f"{text!r} but the report has none"
    scale = 100 if percent else 1
    shown = [(m.group(1), value, "")] + ([(m.group(3), ci[0], " as its CI's low end"),
                                         (m.group(4), ci[1], " as its CI's high end")] if m.group(3) else [])
    for s, v, which in shown:
        decimals = len(s.split(".")[1]) if "." in s else 0
        if abs(float(s) - scale * v) > 0.5 * 10 ** -decimals + 1e-9:
            return f"{text!r} but the report has {scale * v:.{decimals + 2}f}{which}"
    return None


def check_rows(rows, relpath: str, first_line: int = 0) -> tuple[int, list[str]]:
    """(figures checked, problems) for table rows; a row of a known set whose system has no report is a problem
    too (the paper's published row is the one row without one)."""
    checked, problems = 0, []
    for lineno, row in rows:
        lineno += first_line
        label = next(row[c] for c in SET_COLUMNS if c in row)
        if label not in SETS or "paper" in row.get("system", ""):
            continue
        names = system_names(row["system"])
        for k, name in enumerate(names):
            path = report(label, name)
            if path is None:
                problems.append(f"{relpath}:{lineno}: no report for {name!r} on {label!r}")
                continue
            m = json.loads(path.read_text())
            for col, keys in COLUMNS.items():
                if not row.get(col):
                    continue
                parts = row[col].split(" / ")
                if isinstance(keys, tuple):                     # one cell, several figures of one system
                    figures = list(zip(parts, keys))
                else:                                           # one cell, one figure per system named
                    if len(parts) != len(names):
                        problems.append(f"{relpath}:{lineno}: {col} {row[col]!r} for {len(names)} systems")
                        continue
                    figures = [(parts[k], keys)]
                for fig, key in figures:
                    bad = check_figure(fig.replace("**", "").strip(), m["headline"].get(key),
                                       (m.get("ci95") or {}).get(key), percent=key != "mean_abs_db_error")
                    checked += 1
                    if bad:
                        problems.append(f"{relpath}:{lineno}: {name} on {label}, {col}: {bad} "
                                        f"({path.relative_to(ROOT)})")
    return checked, problems


COMPARE_SETS = {"original": "synth", "fresh": "fresh", "third": "third", "bounce": "bounce",
                "synth without vocals": "novocals", "real without vocals": "novocals-real"}
PAIR = re.compile(r"^`?([\w-]+)`? − `?([\w-]+)`?$")
DIFF = re.compile(r"^([+−-]\d+\.(\d+)) \[([+−-]\d+\.\d+), ([+−-]\d+\.\d+)\]$")


def paired_tables(text: str) -> list[tuple[int, str | None, dict[str, str]]]:
    """(line number, the set named in the lines just above, {header: cell}) for every row of a table of paired
    differences (a column "A − B")."""
    out = []
    for head, above, rows in tables(text):
        if "A − B" in head:
            named = re.findall(r"reports/compare/(\w+)/", above)
            out += [(n, named[-1] if named else None, row) for n, row in rows]
    return out


def check_paired_rows(rows, relpath: str) -> tuple[int, list[str]]:
    """(figures checked, problems): each difference and its CI against reports/compare/<set>/<A>--<B>.json."""
    checked, problems = 0, []
    for lineno, above, row in rows:
        where = f"{relpath}:{lineno}"
        pair = PAIR.match(row["A − B"].replace("**", ""))
        label = row.get("set", above)
        if pair is None or label not in COMPARE_SETS:
            problems.append(f"{where}: cannot tell the pair or the set ({row['A − B']!r}, {label!r})")
            continue
        path = REPORTS / "compare" / COMPARE_SETS[label] / f"{pair[1]}--{pair[2]}.json"
        if not path.is_file():
            problems.append(f"{where}: no report {path.relative_to(ROOT)}")
            continue
        metrics = json.loads(path.read_text())["metrics"]
        for col, key in COLUMNS.items():
            if col not in row or not isinstance(key, str):
                continue
            m = DIFF.match(row[col].replace("**", "").strip())
            if m is None:
                problems.append(f"{where}: {col} {row[col]!r} is not a difference with its CI")
                continue
            d = metrics[key]
            shown = [(m[1], d["diff"]), (m[3], d["ci95"][0]), (m[4], d["ci95"][1])]
            for text, v in shown:
                decimals = len(text.split(".")[1])
                if abs(float(text.replace("−", "-")) - 100 * v) > 0.5 * 10 ** -decimals + 1e-9:
                    problems.append(f"{where}: {pair[1]} − {pair[2]} on {label}, {col}: {text!r} but the report "
                                    f"has {100 * v:+.{decimals + 2}f} ({path.relative_to(ROOT)})")
            checked += 1
    return checked, problems


def test_paired_difference_tables_match_the_committed_comparisons():
    checked, problems = check_paired_rows(paired_tables((ROOT / "docs/BENCHMARKS.md").read_text(encoding="utf-8")),
                                          "docs/BENCHMARKS.md")
    assert checked >= 60, f"only {checked} differences found; did the tables' layout change?"
    assert not problems, "\n".join(problems)


# tables of systems with one column per test set, each cell "joint [CI] / stem / direction / magnitude / no-error"
SPLIT_COLUMNS = {"original split": {"test (3,300)": ("models/synth-test", "baselines/synth"),
                                    "subset (600)": ("models/synth-test-sub", "baselines/synth-test-sub")},
                 "every chunk within ±6 dB": {"test (3,300)": ("models/bounce-test", "baselines/bounce"),
                                              "subset (600)": ("models/bounce-test-sub", "baselines/bounce-test-sub")}}
FIVE = ("joint_accuracy", "stem_accuracy", "direction_accuracy", "magnitude_accuracy", "no_error_accuracy")


def check_split_tables(text: str, relpath: str) -> tuple[int, list[str]]:
    """(figures checked, problems) for the tables whose columns are test sets (SPLIT_COLUMNS); a cell in words
    ("the same ...") is not a figure and is left alone."""
    checked, problems = 0, []
    for head, _, rows in tables(text):
        if not {"system", "set"} <= set(head) or not any(c in SPLIT_COLUMNS for c in head):
            continue
        for lineno, row in rows:
            (name,) = system_names(row["system"]) if " / " not in row["system"] else (None,)
            for col, sets in SPLIT_COLUMNS.items():
                parts = row.get(col, "").split(" / ")
                if name is None or len(parts) != 5 or NUMBER.match(parts[0]) is None:
                    continue
                dirs = sets[row["set"]]
                path = next((REPORTS / d / name / "metrics.json" for d in dirs
                             if (REPORTS / d / name / "metrics.json").is_file()), None)
                if path is None:
                    problems.append(f"{relpath}:{lineno}: no report for {name!r} on {row['set']!r}, {col}")
                    continue
                m = json.loads(path.read_text())
                for fig, key in zip(parts, FIVE):
                    bad = check_figure(fig.strip(), m["headline"][key], m.get("ci95", {}).get(key), percent=True)
                    checked += 1
                    if bad:
                        problems.append(f"{relpath}:{lineno}: {name} on {row['set']}, {col}, {key}: {bad}")
    return checked, problems


def test_tables_by_test_set_match_the_committed_reports():
    checked, problems = check_split_tables((ROOT / "docs/BENCHMARKS.md").read_text(encoding="utf-8"),
                                           "docs/BENCHMARKS.md")
    assert checked >= 40, f"only {checked} figures found; did the table's layout change?"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("relpath, heading", TABLES)
def test_score_tables_match_the_committed_reports(relpath, heading):
    text, first_line = section((ROOT / relpath).read_text(encoding="utf-8"), heading)
    checked, problems = check_rows(score_tables(text), relpath, first_line)
    print(f"{relpath}: {checked} figures checked")
    assert checked >= 40, f"{relpath}: only {checked} figures found; did the tables' layout change?"
    assert not problems, "\n".join(problems)


def test_the_figure_check_finds_a_wrong_figure_a_wrong_ci_and_a_missing_report():
    m = json.loads((REPORTS / "models/synth-test/default/metrics.json").read_text())
    joint, (lo, hi) = 100 * m["headline"]["joint_accuracy"], [100 * x for x in m["ci95"]["joint_accuracy"]]
    good = f"| synth test | **mixbuddy `default`** (mix) | {joint:.1f} [{lo:.1f}–{hi:.1f}] |"
    table = "\n".join(["| dataset | system | joint |", "|---|---|---|", good,
                       good.replace(f"{joint:.1f} [", f"{joint + 0.2:.1f} ["),
                       good.replace(f"–{hi:.1f}]", f"–{hi + 0.2:.1f}]"),
                       "| synth test | nobody | 1.0 |", "| MUSDB18-HQ | paper (MixingBuddy-gain) | 49.85 |"])
    checked, problems = check_rows(score_tables(table), "T.md")
    assert checked == 3 and len(problems) == 3, problems
    assert problems[0].startswith(f"T.md:4: default on synth test, joint: '{joint + 0.2:.1f} [")
    assert problems[1].startswith("T.md:5: default on synth test, joint: ") and f"{lo:.3f}" not in problems[1]
    assert problems[2] == "T.md:6: no report for 'nobody' on 'synth test'"


def test_the_paired_check_finds_a_wrong_difference_and_an_unknown_pair():
    d = json.loads((REPORTS / "compare/bounce/default--mix-features.json").read_text())["metrics"]["joint_accuracy"]
    good = (f"| `default` − `mix-features` | {100 * d['diff']:+.2f} [{100 * d['ci95'][0]:+.1f}, "
            f"{100 * d['ci95'][1]:+.1f}] |")
    table = "\n".join(["See `reports/compare/bounce/`:", "", "| A − B | joint |", "|---|---|", good,
                       good.replace(f"{100 * d['diff']:+.2f}", f"{100 * d['diff'] + 0.05:+.2f}"),
                       "| `default` − `nobody` | +1.00 [+0.5, +1.5] |"])
    checked, problems = check_paired_rows(paired_tables(table), "T.md")
    assert checked == 2 and len(problems) == 2, problems
    assert problems[0].startswith("T.md:6: default − mix-features on bounce, joint: ")
    assert problems[1] == "T.md:7: no report reports/compare/bounce/default--nobody.json"
