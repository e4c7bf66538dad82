"""Read what an evalscript's setup() declares before a job is sent, by running it in V8 (mini-racer).

The script runs in a fresh context with a short time limit and memory caps, then setup() is called and its
result read; evaluatePixel is never called. V8 is a requirement of the plugin (core/dependencies.py): without
it the reading fails with the install message rather than guessing.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any, Optional

from ..dependencies import install_message, mini_racer_problem
from .prelude import INSPECTION, MEMORY_MARKER
from .problems import (
    SOURCE_URL_LINE,
    EvalscriptProblem,
    check_version,
    missing_functions_message,
    parse_problem,
    runtime_problem,
)
from .setup import UNDEFINED, JSValue, ScriptInfo, read_setup
from .v8 import PLUGIN_V8_FLAGS, new_context

SETUP_TIME_LIMIT_S = 1.0  # top-level code and setup() together: setup() is a few literals
HEAP_LIMIT_MB = 64  # V8 heap of the inspection context
_ONE_AT_A_TIME = threading.Lock()
EMPTY_MESSAGE = "The evalscript is empty: pick a preset or write one."

# setup()'s result as JSON, with what JSON cannot say (undefined, NaN...) kept as markers so the form can
# say "bands is undefined" rather than silently take the default; and setup's own text, to find lines in.
_MARK = "\u0000tilewise"
CALL_SETUP = (
    "(function () {\n"
    "  var result = setup();\n"
    "  var text = JSON.stringify(result === undefined ? null : result, function (key, value) {\n"
    "    var type = typeof value;\n"
    f"    if (value === undefined) return {{{json.dumps(_MARK)}: 'undefined'}};\n"
    f"    if (type === 'number' && !isFinite(value)) return {{{json.dumps(_MARK)}: String(value)}};\n"
    f"    if (type === 'function' || type === 'symbol') return {{{json.dumps(_MARK)}: 'a ' + type}};\n"
    f"    if (type === 'bigint') return {{{json.dumps(_MARK)}: String(value) + 'n'}};\n"
    "    return value;\n"
    "  });\n"
    "  return JSON.stringify({result: text, source: String(setup)});\n"
    "})()"
)


def inspect_evalscript(script: str) -> ScriptInfo:
    """Read what setup() declares; raises EvalscriptProblem for a script that cannot be sent, or without V8."""
    if not isinstance(script, str) or not script.strip():
        raise EvalscriptProblem(EMPTY_MESSAGE)
    check_version(script)
    missing_v8 = mini_racer_problem()
    if missing_v8 is not None:
        raise EvalscriptProblem(install_message([missing_v8]))
    with _ONE_AT_A_TIME:  # see core/evalscript/v8.py: one V8 context at a time in QGIS
        try:
            racer = new_context(PLUGIN_V8_FLAGS)
        except Exception as exc:  # a native library that does not start: the same advice as a missing one
            raise EvalscriptProblem(install_message([mini_racer_problem(exc) or str(exc)])) from None
        try:
            raw, setup_source = _run_setup(racer, script)
        finally:
            racer.close()
    return read_setup(raw, SetupLines(script, setup_source, raw).line_of)


def _run_setup(racer: Any, script: str) -> tuple[Any, str]:
    """Run the script's top level, check its functions, call setup(); its decoded result and setup's text."""
    from py_mini_racer import JSOOMException, JSParseException, JSTimeoutException

    deadline = time.monotonic() + SETUP_TIME_LIMIT_S

    def run(code: str, during: str) -> Any:
        try:
            return racer.eval(code, timeout_sec=max(0.05, deadline - time.monotonic()))
        except JSParseException as exc:
            raise parse_problem(str(exc), script) from None
        except JSTimeoutException:
            raise EvalscriptProblem(
                f"The evalscript did not finish {during} within {SETUP_TIME_LIMIT_S:g} s: "
                "does a loop never end? setup() should only return its settings."
            ) from None
        except JSOOMException:
            raise _memory_problem(during) from None
        except Exception as exc:  # JSEvalException and kin: an error the script threw
            if racer.was_hard_memory_limit_reached():
                raise _memory_problem(during) from None
            raise runtime_problem(str(exc).replace(MEMORY_MARKER, ""), during) from None  # says how much

    racer.set_hard_memory_limit(HEAP_LIMIT_MB * 1024 * 1024)
    run(INSPECTION, "its preparation")
    run(script + SOURCE_URL_LINE, "its top-level code")
    kinds = json.loads(
        run("JSON.stringify({s: typeof setup, e: typeof evaluatePixel})", "the function check")
    )
    missing = [
        name for name, kind in (("setup", kinds["s"]), ("evaluatePixel", kinds["e"])) if kind != "function"
    ]
    if missing:
        raise EvalscriptProblem(missing_functions_message(missing))
    answer = json.loads(run(CALL_SETUP, "setup()"))
    return json.loads(answer["result"], object_hook=_decode_marker), answer["source"]


def _decode_marker(obj: dict) -> Any:
    if len(obj) == 1 and _MARK in obj:
        return UNDEFINED if obj[_MARK] == "undefined" else JSValue(obj[_MARK])
    return obj


def _memory_problem(during: str) -> EvalscriptProblem:
    return EvalscriptProblem(
        f"The evalscript used more than {HEAP_LIMIT_MB} MiB of memory while running {during}: setup() and "
        "top-level code should only prepare settings, not data."
    )


class SetupLines:
    """Points a problem in setup()'s result at a line of the script, from setup()'s own text as V8 gives it.

    Not a reading of the script: V8 has already run it. A field is looked up by its name (`sampleType:`)
    inside setup(), after the line holding its output's id when several outputs name the same field; what
    cannot be placed falls back to the `output:`/`input:` line, then setup()'s `return`, then setup() itself.
    """

    def __init__(self, script: str, setup_source: str, raw: Any):
        start = script.find(setup_source) if setup_source else -1
        self.first = script.count("\n", 0, start) + 1 if start >= 0 else None
        self.lines = setup_source.split("\n") if start >= 0 else []
        outputs = raw.get("output") if isinstance(raw, dict) else None
        self.outputs = [
            o if isinstance(o, dict) else {} for o in (outputs if isinstance(outputs, list) else [outputs])
        ]

    def line_of(self, path: tuple) -> Optional[int]:
        if self.first is None:
            return None
        found = None
        if path[0] == "output":
            found = self._output_field(path) or self._find("output")
        elif path[0] == "input":
            found = self._find("input")
        elif path[0] == "mosaicking":
            found = self._find("mosaicking")
        return found or self._find("return", key=False) or self.first

    def _output_field(self, path: tuple) -> Optional[int]:
        """Output j starts at the n-th occurrence of its id (or, without one, of its first field) after `output:`."""
        if len(path) < 3 or path[1] >= len(self.outputs):
            return None
        j, field = path[1], path[2]
        marker = self._marker(self.outputs[j])
        if marker is None:
            return None
        anchor: Optional[int] = (self._find("output") or self.first) - 1
        for _ in range(sum(self._marker(o) == marker for o in self.outputs[:j]) + 1):
            anchor = (
                self._first(lambda text: bool(marker.search(text)), anchor + 1)
                if anchor is not None
                else None
            )
        if anchor is None or field == "id":
            return anchor
        return self._find(field, anchor)

    def _marker(self, output: dict) -> Optional[re.Pattern]:
        if isinstance(output.get("id"), str):
            return re.compile(r"""["']""" + re.escape(output["id"]) + r"""["']""")
        key = next((key for key in ("bands", "sampleType", "nodataValue") if key in output), None)
        return None if key is None else self._key(key)

    @staticmethod
    def _key(name: str) -> re.Pattern:
        return re.compile(r"(?<![\w$])[\"']?" + re.escape(name) + r"[\"']?\s*:")

    def _find(self, name: str, after: Optional[int] = None, key: bool = True) -> Optional[int]:
        pattern = self._key(name) if key else re.compile(r"(?<![\w$])" + re.escape(name) + r"(?![\w$])")
        return self._first(lambda text: bool(pattern.search(text)), after or self.first)

    def _first(self, test: Any, after: int) -> Optional[int]:
        for number, text in enumerate(self.lines, self.first):
            if number >= after and test(text):
                return number
        return None
