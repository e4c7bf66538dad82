"""scripts/build_help.py: the user guide's Markdown as the HTML the plugin's Help opens, as GitHub shows it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("tilewise_build_help", ROOT / "scripts" / "build_help.py")
build_help = importlib.util.module_from_spec(SPEC)
sys.modules[SPEC.name] = build_help
SPEC.loader.exec_module(build_help)

GUIDE = """# Guide

1. Install it.
2. It needs **shapely 2**. To install it:
   - Debian 13: `apt install python3-shapely`
   - Debian 12: pip, which keeps
     Debian's numpy

   It also needs mini-racer. To install it:
   - Debian, Ubuntu: pip

| what | where |
|---|---|
| tiles | the grid |

```
- not a list: code
```

See [the engine](engine.md) and ![a shot](images/01-shot.png).
"""


def test_the_guide_renders_as_github_shows_it_with_its_images(tmp_path):
    docs = tmp_path / "docs"
    (docs / "images").mkdir(parents=True)
    (docs / "images" / "01-shot.png").write_bytes(b"png")
    (docs / "images" / "shots.log").write_text("log")
    (docs / "user-guide.md").write_text(GUIDE, encoding="utf-8")
    page = build_help.build(docs / "user-guide.md", tmp_path / "help")
    html = page.read_text(encoding="utf-8")
    assert "<title>Guide</title>" in html and '<h1 id="guide">Guide</h1>' in html
    # nested lists under "1. " by three spaces, and a list right after a paragraph line, as on GitHub
    assert "<li>Debian 13: <code>apt install python3-shapely</code></li>" in html
    assert "To install it:</p>\n<ul>\n<li>Debian, Ubuntu: pip</li>" in html
    assert "<table>" in html and "<td>tiles</td>" in html
    assert "<pre><code>- not a list: code\n</code></pre>" in html
    assert '<a href="https://github.com/tilewise/tilewise/blob/main/docs/engine.md">the engine</a>' in html
    assert '<img alt="a shot" src="images/01-shot.png"' in html
    assert (tmp_path / "help" / "images" / "01-shot.png").read_bytes() == b"png"
    assert not (tmp_path / "help" / "images" / "shots.log").exists()
