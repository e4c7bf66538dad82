"""Why an evalscript cannot run, pointing at the user's line and column; V8's error reports translated.

Both readers of scripts raise these: the form (core/evalscript/inspect.py) and the engine, whose
EvalscriptError adds the kind of failure (engine/evalscript/errors.py).
"""

from __future__ import annotations

import re
from typing import Optional

SCRIPT_URL = "evalscript.js"  # the name V8 gives the user's script in error reports (//# sourceURL)
SOURCE_URL_LINE = f"\n//# sourceURL={SCRIPT_URL}\n"  # appended to the script: its lines keep their numbers

_FRAME = re.compile(re.escape(SCRIPT_URL) + r":(\d+):(\d+)")
_HEAD = re.compile(r"^(?:<anonymous>|" + re.escape(SCRIPT_URL) + r"):(\d+): (.*)$")
_ERROR_LINE = re.compile(r"^\w*Error\b|^Uncaught")


class EvalscriptProblem(ValueError):
    """Why a script cannot be sent or run; `line` (1-based) and `column` point into the user's script when known."""

    def __init__(self, message: str, line: Optional[int] = None, column: Optional[int] = None):
        self.message = message
        self.line = line
        self.column = column
        super().__init__(self.describe())

    def describe(self) -> str:
        """The complete user-facing text, str() of the problem."""
        return f"{self.message} (line {self.line})" if self.line is not None else self.message


# Sentinel Hub's clients test `evalscript.startsWith("//VERSION=3")` and its converter writes
# "//VERSION=3 (auto-converted from 1)": the marker starts the script, any text after it on that line is a comment.
_VERSION_MARKER = re.compile(r"//\s*VERSION\s*=\s*3(?:\s.*)?")
VERSION_MESSAGE = "The evalscript must be Evalscript V3: add //VERSION=3 as the first line."


def check_version(script: str) -> None:
    """Evalscript V3 only: the first non-blank line is //VERSION=3 (spaces allowed), optionally followed by
    whitespace and any text. A marker below other lines is refused (Sentinel Hub's clients would not read that
    script as V3); the message says where it is, the problem is on line 1 where it belongs."""
    lines = script.lstrip("\ufeff").splitlines()
    first = next((line for line in lines if line.strip()), "")
    if _VERSION_MARKER.fullmatch(first.strip()):
        return
    later = next((n for n, line in enumerate(lines, 1) if _VERSION_MARKER.fullmatch(line.strip())), None)
    if later is not None:
        raise EvalscriptProblem(
            f"The evalscript must start with //VERSION=3: move it from line {later} to the first line "
            "(only blank lines may come before it).",
            line=1,
            column=1,
        )
    raise EvalscriptProblem(VERSION_MESSAGE, line=1, column=1)


def parse_problem(text: str, source: str) -> EvalscriptProblem:
    """A V8 SyntaxError report: `<anonymous>:L: SyntaxError: msg`, the source line, then a caret line.

    An error past the end of `source` ("Unexpected end of input", reported after the sourceURL comment)
    is placed at the end of the user's last line."""
    lines = text.splitlines()
    head = _HEAD.match(lines[0]) if lines else None
    if head is None:
        return EvalscriptProblem(f"The evalscript does not parse: {text.strip()}")
    line = int(head.group(1))
    column = _caret_column(lines)
    own = source.rstrip("\n").split("\n")
    if line > len(own):
        line, column = len(own), len(own[-1]) + 1
    return EvalscriptProblem(f"The evalscript does not parse: {head.group(2)}", line, column)


def runtime_problem(text: str, during: str) -> EvalscriptProblem:
    """A thrown error: the innermost stack frame in the user's script, or V8's head line for a thrown non-Error."""
    lines = [line for line in text.splitlines() if line.strip()]
    raw = text.splitlines()
    head = _HEAD.match(raw[0]) if raw else None
    message = next((line.strip() for line in lines if _ERROR_LINE.match(line.strip())), None)
    if message is None:
        first = lines[0] if lines else text
        message = head.group(2) if head else (first.split(": ", 1)[1] if ": " in first else first)
    frame = _FRAME.search(text)
    line: Optional[int] = None
    column: Optional[int] = None
    if frame is not None:
        line, column = int(frame.group(1)), int(frame.group(2))
    elif head is not None and raw[0].startswith(SCRIPT_URL):  # a thrown non-Error has no stack
        line, column = int(head.group(1)), _caret_column(raw)
    return EvalscriptProblem(f"The evalscript failed in {during}: {message}", line, column)


def _caret_column(lines: list[str]) -> Optional[int]:
    """V8 puts the source line second and a caret under the error third."""
    return lines[2].index("^") + 1 if len(lines) > 2 and "^" in lines[2] else None


def missing_functions_message(missing: list[str]) -> str:
    """What to write when setup() or evaluatePixel() (or both) are not functions."""
    if len(missing) == 2:
        return (
            "The evalscript has neither setup() nor evaluatePixel(): define function setup() "
            "{ return {input: [...], output: {...}}; } and function evaluatePixel(sample) { ... }."
        )
    if missing[0] == "setup":
        return (
            "The evalscript has no setup() function: define function setup() "
            "{ return {input: [...], output: {...}}; }."
        )
    return "The evalscript has no evaluatePixel() function: define function evaluatePixel(sample) { ... }."
