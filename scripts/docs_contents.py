"""Rewrite the contents list at the top of long documents from their headings (tests/test_docs.py checks it).

    python scripts/docs_contents.py docs/BENCHMARKS.md docs/RESULTS.md
"""
import re
import sys
from pathlib import Path

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading (as tests/test_docs.py computes it)."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def main(paths: list[str]) -> None:
    for p in map(Path, paths):
        text = p.read_text(encoding="utf-8")
        start, end = text.index("\nContents:\n"), text.index("\n## ")
        body = text[:start] + text[end:]
        heads = re.findall(r"^(##+) (.+)$", FENCE.sub("", body), re.M)
        toc = "\nContents:\n\n" + "".join(f"{'  ' * (len(h) - 2)}- [{t}](#{slug(t)})\n" for h, t in heads)
        p.write_text(text[:start] + toc + text[end:], encoding="utf-8")
        print(f"{p}: {len(heads)} headings")


if __name__ == "__main__":
    main(sys.argv[1:])
