"""Evalscript errors that point at the script's own line and column."""

from __future__ import annotations

import re
from typing import Optional

SCRIPT_URL = "evalscript.js"  # the name V8 gives the user's script in stack traces (//# sourceURL)
_FRAME = re.compile(re.escape(SCRIPT_URL) + r":(\d+):(\d+)")
_RUNTIME_HEAD = re.compile("^" + re.escape(SCRIPT_URL) + r":(\d+): (.*)$")
_PARSE_HEAD = re.compile(r"^(?:<anonymous>|" + re.escape(SCRIPT_URL) + r"):(\d+): (.*)$")


class EvalscriptError(ValueError):
    """A script that cannot run, or failed while running; str() is the complete user-facing message."""

    def __init__(
        self, message: str, kind: str = "runtime", line: Optional[int] = None, column: Optional[int] = None
    ):
        self.message = message
        self.kind = kind  # syntax | setup | runtime | output | limit
        self.line = line
        self.column = column
        where = (
            f" (line {line}, column {column})"
            if line is not None and column is not None
            else (f" (line {line})" if line is not None else "")
        )
        super().__init__(f"{message}{where}")


def from_parse_error(text: str, source: Optional[str] = None) -> EvalscriptError:
    """A V8 SyntaxError report: `<anonymous>:L: SyntaxError: msg`, the line, then a caret line.

    With `source`, an error past its end ("Unexpected end of input", reported after the engine's
    sourceURL comment) is placed at the end of the user's last line."""
    lines = text.splitlines()
    match = _PARSE_HEAD.match(lines[0]) if lines else None
    if not match:
        return EvalscriptError(f"The evalscript does not parse: {text.strip()}", "syntax")
    line = int(match.group(1))
    column = None
    if len(lines) > 2 and "^" in lines[2]:
        column = lines[2].index("^") + 1
    if source is not None:
        own = source.rstrip("\n").split("\n")
        if line > len(own):
            line, column = len(own), len(own[-1]) + 1
    return EvalscriptError(f"The evalscript does not parse: {match.group(2)}", "syntax", line, column)


def from_runtime_error(text: str, during: str) -> EvalscriptError:
    """A V8 exception report; the position is the innermost frame inside the user's script."""
    lines = [line for line in text.splitlines() if line.strip()]
    message = next((line.strip() for line in lines if re.match(r"^\w*Error\b|^Uncaught", line.strip())), None)
    if message is None:
        head = lines[0] if lines else text
        message = head.split(": ", 1)[1] if ": " in head else head
    frame = _FRAME.search(text)
    line, column = (int(frame.group(1)), int(frame.group(2))) if frame else (None, None)
    raw = text.splitlines()
    head = _RUNTIME_HEAD.match(raw[0]) if raw else None
    if frame is None and head:  # a thrown non-Error has no stack: V8 gives the line and a caret
        line = int(head.group(1))
        if len(raw) > 2 and "^" in raw[2]:
            column = raw[2].index("^") + 1
    return EvalscriptError(f"The evalscript failed in {during}: {message}", "runtime", line, column)
