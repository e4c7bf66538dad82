"""The user guide as HTML for the plugin's Help: docs/user-guide.md and its docs/images/ into help/index.html
and help/images/ (built by `make translations`, `make run` and `make package`; not committed). Python-Markdown
(a build tool in requirements-build.txt, not a plugin requirement) with the extensions the guide uses: tables,
fenced code and heading anchors. Links to other files of the repository point to the hosted repository, since
the zip holds only the guide."""

from __future__ import annotations

import argparse
import html
import re
import shutil
import sys
from pathlib import Path

import markdown

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "user-guide.md"
OUT = ROOT / "help"
REPOSITORY = "https://github.com/tilewise/tilewise/blob/main/"

# legible on light and dark desktops: the browser's own colours, following the system's scheme
STYLE = """
:root { color-scheme: light dark; }
body { font-family: system-ui, sans-serif; line-height: 1.5; max-width: 60rem; margin: 0 auto; padding: 1rem 2rem; }
img { max-width: 100%; height: auto; border: 1px solid rgba(128, 128, 128, 0.4); }
pre, code { font-family: ui-monospace, monospace; }
pre { overflow-x: auto; padding: 0.75rem; background: rgba(128, 128, 128, 0.12); }
table { border-collapse: collapse; }
th, td { border: 1px solid rgba(128, 128, 128, 0.5); padding: 0.25rem 0.5rem; vertical-align: top; }
"""


def repository_links(text: str, source: Path) -> str:
    """Relative links to files other than the guide's images point to the hosted repository."""

    def rewrite(match: re.Match) -> str:
        label, target = match.group(1), match.group(2)
        if re.match(r"^[a-z]+:|^#|^images/", target):
            return match.group(0)
        resolved = (source.parent / target).resolve()
        try:  # the guide lives in docs/ of the repository
            relative = resolved.relative_to(source.parent.parent.resolve()).as_posix()
        except ValueError:
            return match.group(0)
        return f"[{label}]({REPOSITORY}{relative})"

    return re.sub(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)\)", rewrite, text)


LIST_ITEM = re.compile(r"^(\s*)([-*+]|\d+\.)\s")


def lists_after_paragraphs(text: str) -> str:
    """A blank line before a list that follows a paragraph line directly: GitHub (CommonMark) starts a list
    there, Python-Markdown only after a blank line. Continuation lines (indented deeper than the item) and
    fenced code are left alone."""
    lines, fenced, previous = [], False, ""
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        item = LIST_ITEM.match(line)
        if item and not fenced and previous.strip() and not LIST_ITEM.match(previous):
            indent = len(previous) - len(previous.lstrip())
            if indent <= len(item.group(1)) and not previous.lstrip().startswith("|"):
                lines.append("")
        lines.append(line)
        previous = line
    return "\n".join(lines) + "\n"


def render(source: Path) -> str:
    text = lists_after_paragraphs(repository_links(source.read_text(encoding="utf-8"), source))
    # the guide indents nested lists by three spaces (under "1. "); Python-Markdown expects four by default
    body = markdown.markdown(
        text, extensions=["tables", "fenced_code", "toc"], output_format="html", tab_length=3
    )
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), "Tilewise")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def build(source: Path = GUIDE, out: Path = OUT) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    page = out / "index.html"
    page.write_text(render(source), encoding="utf-8")
    images = out / "images"
    if images.exists():
        shutil.rmtree(images)
    shutil.copytree(source.parent / "images", images, ignore=shutil.ignore_patterns("*.log"))
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    print(build(GUIDE, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
