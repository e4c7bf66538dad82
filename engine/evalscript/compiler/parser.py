"""JavaScript to an ESTree syntax tree with acorn (vendored, MIT), run in its own small V8 context.

acorn is the parser webpack, Rollup and ESLint's espree build on; it follows the current ECMAScript
edition, so every script V8 accepts parses here too. One context per process is reused: loading acorn
takes ~15 ms, a script of a few kilobytes then parses in about a millisecond.
"""

from __future__ import annotations

import atexit
import json
import threading
from pathlib import Path
from typing import Any, Optional

from py_mini_racer import MiniRacer

from ....core.evalscript.v8 import new_context

ACORN = Path(__file__).with_name("vendor") / "acorn.js"
ACORN_VERSION = "8.19.0"  # vendor/acorn.js: `npm pack acorn@8.19.0`, dist/acorn.js unchanged

_lock = threading.Lock()
_racer: Optional[MiniRacer] = None


class ParseFailure(Exception):
    """The source is not a script acorn can parse (the runtime reports V8's own syntax error first)."""


def _context() -> MiniRacer:
    global _racer
    if _racer is None:
        racer = new_context()
        racer.eval("var module = undefined, exports = undefined, define = undefined;")
        racer.eval(ACORN.read_text(encoding="utf-8"))
        racer.eval(
            "function __parse(source) {"
            "  try { return JSON.stringify(acorn.parse(source, {ecmaVersion: 'latest', sourceType: 'script',"
            "                                                  locations: true}),"
            "                              function (key, value) { return typeof value === 'bigint' ? String(value) : value; }); }"
            "  catch (e) { return JSON.stringify({error: String(e && e.message || e)}); } }"
        )
        _racer = racer
        atexit.register(_close)  # a context left to the interpreter's shutdown hangs it
    return _racer


def _close() -> None:
    global _racer
    with _lock:
        if _racer is not None:
            _racer.close()
        _racer = None


def parse(source: str) -> dict[str, Any]:
    """The script's ESTree `Program` node, with `start`/`end` offsets and `loc` lines on every node."""
    with _lock:
        text = _context().call("__parse", source)
    tree = json.loads(text)
    if "error" in tree:
        raise ParseFailure(tree["error"])
    return tree
