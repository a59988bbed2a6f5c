"""The documents' commands and links against the code: every ``mixbuddy <verb> --option`` written in the README
or docs/*.md must be an option that verb's parser has, every ``python benchmarks/x.py --option`` (or scripts/)
must name a file that exists and an option that file defines, and every relative Markdown link must reach a
file (and, with ``#anchor``, one of its headings). Renaming an option or a script without the documents
fails here instead of on a reader's machine."""
from __future__ import annotations

import argparse
import re
import shlex
import sys
from pathlib import Path

import pytest

from mixbuddy.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
sys.path.insert(0, str(ROOT / "scripts"))
from docs_contents import FENCE, slug  # noqa: E402  (GitHub's heading anchors; the script that writes the lists)
OPTION = re.compile(r"^\[?(--[a-z][a-z0-9-]*)")
SCRIPT = re.compile(r"(benchmarks|scripts)/\w+\.py")
STOP = {"|", "&&", ";", "||"}


def code_snippets(text: str) -> list[str]:
    """Every line of a fenced code block (``\\``-continuations joined, ``# comments`` cut) and every inline code
    span (a span wrapped over lines is joined)."""
    out = []
    for block in FENCE.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            out.append(re.sub(r"\s#.*$", "", line).strip())
    out += [m.replace("\n", " ") for m in re.findall(r"`([^`]+)`", FENCE.sub("", text))]
    return out


def _tokens(snippet: str) -> list[str]:
    try:
        return shlex.split(snippet)
    except ValueError:  # an unbalanced quote in prose
        return snippet.split()


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def _options(words: list[str]) -> list[str]:
    found = []
    for w in words:
        if w in STOP:
            break
        m = OPTION.match(w)
        if m:
            found.append(m.group(1))
    return found


def command_problems(text: str, parser: argparse.ArgumentParser, root: Path = ROOT) -> list[str]:
    """What is wrong with the commands written in ``text`` (scripts are looked up under ``root``)."""
    problems = []
    for snippet in code_snippets(text):
        toks = _tokens(snippet)
        for i, tok in enumerate(toks):
            if (tok == "mixbuddy" or tok.endswith("/mixbuddy")) and i + 1 < len(toks):
                p, words, path = parser, toks[i + 1:], []
                while words and words[0] in _subcommands(p):
                    p = _subcommands(p)[words[0]]
                    path.append(words.pop(0))
                if not path:
                    if words[0].startswith("-") or not re.fullmatch(r"[a-z][a-z-]*", words[0]):
                        break
                    problems.append(f"`{snippet}`: no verb 'mixbuddy {words[0]}'")
                    break
                known = {o for a in p._actions for o in a.option_strings}
                problems += [f"`{snippet}`: 'mixbuddy {' '.join(path)}' has no option {o}"
                             for o in _options(words) if o not in known]
                break
            if SCRIPT.fullmatch(tok) and i and toks[i - 1].endswith("python"):
                f = root / tok
                if not f.is_file():
                    problems.append(f"`{snippet}`: {tok} does not exist")
                    break
                src = f.read_text()
                problems += [f"`{snippet}`: {tok} defines no option {o}" for o in _options(toks[i + 1:])
                             if f'"{o}"' not in src and f"'{o}'" not in src]
                break
    return problems


def link_problems(doc: Path) -> list[str]:
    problems = []
    text = FENCE.sub("", doc.read_text())
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+://|mailto:", target):
            continue
        path, _, anchor = target.partition("#")
        f = (doc.parent / path) if path else doc
        if not f.exists():
            problems.append(f"{doc.name}: link to {target}: no such file")
        elif anchor and f.suffix == ".md":
            anchors = {slug(h) for h in re.findall(r"^#+ (.+)$", FENCE.sub("", f.read_text()), re.M)}
            if anchor not in anchors:
                problems.append(f"{doc.name}: link to {target}: no such heading")
    return problems


@pytest.fixture(scope="module")
def parser():
    return build_parser()


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_documented_commands_use_options_that_exist(doc, parser):
    assert command_problems(doc.read_text(), parser) == []


def test_the_documents_hold_commands_to_check(parser):
    """The check above has something to check: the README alone names over a dozen mixbuddy verbs."""
    snippets = [s for d in DOCS for s in code_snippets(d.read_text())]
    verbs = {t[i + 1] for s in snippets for t in [_tokens(s)] for i in range(len(t) - 1) if t[i] == "mixbuddy"}
    assert {"advise", "train", "predict", "evaluate", "calibrate", "export", "data", "corpus", "compare"} <= verbs
    assert sum(bool(SCRIPT.search(s)) for s in snippets) > 50


def test_the_command_check_finds_wrong_verbs_options_and_scripts(parser, tmp_path):
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "probe.py").write_text('ap.add_argument("--seeds")\n')
    text = ("Run `mixbuddy advise song.wav --anchor drums --treshold 0.5` or\n"
            "```bash\nmixbuddy data build --corpus-config c.yaml \\\n    --bounce 6 -o out  # a comment --nothing\n"
            "mixbuddy advice song.wav\n```\n"
            "and `python benchmarks/probe.py --seeds 0 1 --epochs 3`, `python benchmarks/gone.py`; "
            "`mixbuddy advise-prior --dataset d --note 'made by mixbuddy data build --oops'` is fine.")
    assert command_problems(text, parser, root=tmp_path) == [
        "`mixbuddy data build --corpus-config c.yaml      --bounce 6 -o out`: 'mixbuddy data build' has no "
        "option --bounce",
        "`mixbuddy advice song.wav`: no verb 'mixbuddy advice'",
        "`mixbuddy advise song.wav --anchor drums --treshold 0.5`: 'mixbuddy advise' has no option --treshold",
        "`python benchmarks/probe.py --seeds 0 1 --epochs 3`: benchmarks/probe.py defines no option --epochs",
        "`python benchmarks/gone.py`: benchmarks/gone.py does not exist",
    ]


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_relative_links_reach_a_file_and_heading(doc):
    assert link_problems(doc) == []


def test_the_link_check_finds_missing_files_and_headings(tmp_path):
    (tmp_path / "other.md").write_text("# Title\n\n## The `level` cue: a test (session 2)\n")
    doc = tmp_path / "doc.md"
    doc.write_text("[a](other.md) [b](other.md#the-level-cue-a-test-session-2) [c](other.md#nope) [d](gone.png)"
                   " [e](https://example.org/x) [f](#here)\n\n## Here\n")
    assert link_problems(doc) == ["doc.md: link to other.md#nope: no such heading",
                                  "doc.md: link to gone.png: no such file"]


@pytest.mark.parametrize("name", ["BENCHMARKS.md", "RESULTS.md"])
def test_the_contents_list_names_every_heading(name):
    """The contents list at the top of a long document links every ## / ### / #### heading, in order."""
    text = (ROOT / "docs" / name).read_text()
    contents = text[text.index("\nContents:\n"):text.index("\n## ")]
    listed = re.findall(r"^\s*- \[.*\]\(#([^)]+)\)$", contents, re.M)
    assert listed == [slug(h) for h in re.findall(r"^##+ (.+)$", FENCE.sub("", text), re.M)], \
        f"run: python scripts/docs_contents.py docs/{name}"
