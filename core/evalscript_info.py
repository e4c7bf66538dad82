"""What an evalscript's setup() declares, read before a job is sent (Qt-free, engine-free).

The job form derives a batch job's outputs from setup() and points the user at
the line at fault when the script is broken. Two readings:

- with V8 (`py_mini_racer`, optional in QGIS): the script runs in a fresh context
  with a short time limit and memory caps, then setup() is called and its result
  read. evaluatePixel is never called. `ScriptInfo.exact` is True.
- without V8: a static reading of the object literal that setup() returns. Values
  computed at run time (`bands: nb_bands`) are unknown (`bands=None`), and what
  cannot be read at all is left out. `ScriptInfo.exact` is False.

Only the standard library and, when present, py_mini_racer are used: core/ must
not depend on engine/ (the engine's runtime, engine/evalscript/, taught the error
formats handled here).
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

SAMPLE_TYPES = ("AUTO", "UINT8", "UINT16", "INT8", "INT16", "FLOAT32")
MOSAICKINGS = ("SIMPLE", "TILE", "ORBIT")
DEFAULT_OUTPUT_ID = "default"
DATA_MASK = "dataMask"

SETUP_TIME_LIMIT_S = 1.0  # top-level code and setup() together: setup() is a few literals
HEAP_LIMIT_MB = 64  # V8 heap of the inspection context
BUFFER_LIMIT_MB = 64  # typed arrays live outside the V8 heap and need their own cap
SCRIPT_URL = "evalscript.js"  # the name V8 gives the user's script in error reports (//# sourceURL)

EMPTY_MESSAGE = "The evalscript is empty: pick a preset or write one."


@dataclass(frozen=True)
class ScriptOutput:
    id: str  # "default" when setup() gives no id
    bands: Optional[int]  # None when it cannot be known statically
    sample_type: str  # one of SAMPLE_TYPES


@dataclass(frozen=True)
class ScriptInfo:
    input_bands: tuple[str, ...]  # band names the script reads, dataMask included if listed
    outputs: tuple[ScriptOutput, ...]
    mosaicking: str  # "SIMPLE" (default), "TILE" or "ORBIT"
    exact: bool  # True when setup() was actually run (V8), False for the static reading


class EvalscriptProblem(ValueError):
    """Why a script cannot be sent; `line` (1-based) and `column` point into the user's script when known."""

    def __init__(self, message: str, line: Optional[int] = None, column: Optional[int] = None):
        self.message = message
        self.line = line
        self.column = column
        super().__init__(f"{message} (line {line})" if line is not None else message)


def inspect_evalscript(script: str, use_v8: bool = True) -> ScriptInfo:
    """Read what setup() declares; raises EvalscriptProblem for a script that cannot be sent."""
    if not isinstance(script, str) or not script.strip():
        raise EvalscriptProblem(EMPTY_MESSAGE)
    first = next(line for line in script.splitlines() if line.strip())
    if "".join(first.lstrip("\ufeff").split()) != "//VERSION=3":
        raise EvalscriptProblem(
            "The evalscript must be Evalscript V3: add //VERSION=3 as the first line.", line=1, column=1
        )
    racer_class = _mini_racer() if use_v8 else None
    if racer_class is not None:
        try:
            racer = racer_class()
        except Exception:  # a V8 that cannot start must not block the form: read statically
            racer = None
        if racer is not None:
            try:
                raw = _run_setup(racer, script)
            finally:
                racer.close()
            return _interpret(raw, _lazy_lines(script), exact=True)
    static = _StaticReading(script)
    missing = [name for name in ("setup", "evaluatePixel") if not static.defines(name)]
    if missing:
        raise EvalscriptProblem(_missing_message(missing))
    return _interpret(static.setup_value(), static.line_of, exact=False)


def _lazy_lines(script: str) -> LineOf:
    """Lines for V8's values from the static reading, made only when a problem needs one."""
    readings: list[_StaticReading] = []

    def line_of(path: tuple) -> Optional[int]:
        if not readings:
            readings.append(_StaticReading(script))
        return readings[0].line_of(path)

    return line_of


def _missing_message(missing: list[str]) -> str:
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


# --- Reading setup()'s result (both paths) ------------------------------------------------------------------


class _Unknown:
    """A value the static reading cannot know (an expression, a call, a variable)."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()


class _JSValue:
    """A JavaScript value JSON has no form for (undefined, NaN, a function...), as setup() returned it."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


UNDEFINED = _JSValue("undefined")
LineOf = Callable[[tuple], Optional[int]]


def _describe(value: Any) -> str:
    if isinstance(value, _JSValue):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "an array"
    return repr(value)


def _complete(value: Any) -> bool:
    """False for a static object or array with parts that could not be read (spreads, computed keys)."""
    return getattr(value, "complete", True)


def _interpret(raw: Any, line_of: LineOf, exact: bool) -> ScriptInfo:
    if raw is UNKNOWN:  # static only: setup() returns something built at run time
        return ScriptInfo((), (), "SIMPLE", exact)
    if raw is None or raw is UNDEFINED:
        raise EvalscriptProblem(
            "setup() returns nothing: return {input: [...], output: {...}}.", line_of(("return",))
        )
    if not isinstance(raw, dict):
        raise EvalscriptProblem(
            f"setup() returns {_describe(raw)}: return an object {{input: [...], output: {{...}}}}.",
            line_of(("return",)),
        )
    bands = _input_bands(raw, line_of)
    outputs = _outputs(raw, line_of)
    mosaicking = raw.get("mosaicking", "SIMPLE")
    if isinstance(mosaicking, _Unknown):
        mosaicking = "SIMPLE"
    elif mosaicking not in MOSAICKINGS:
        hint = (
            f" (write it in capitals: {mosaicking.upper()!r})"
            if isinstance(mosaicking, str) and mosaicking.upper() in MOSAICKINGS
            else ""
        )
        raise EvalscriptProblem(
            f"setup().mosaicking is {_describe(mosaicking)}{hint}: use SIMPLE, TILE or ORBIT "
            "(or Mosaicking.ORBIT ...), or leave it out for SIMPLE.",
            line_of(("mosaicking",)),
        )
    return ScriptInfo(bands, outputs, mosaicking, exact)


def _input_bands(raw: dict, line_of: LineOf) -> tuple[str, ...]:
    if "input" not in raw:
        if not _complete(raw):
            return ()
        raise EvalscriptProblem(
            'setup() returns no input: list the bands the script reads, e.g. input: ["B04", "B08"].',
            line_of(("return",)),
        )
    value = raw["input"]
    if isinstance(value, _Unknown):
        return ()
    entries = value if isinstance(value, list) else [value]
    seen: dict[Any, list[str]] = {}  # bands per datasource: data fusion may read B04 of two collections
    for k, entry in enumerate(entries):
        where = ("input", k)
        if isinstance(entry, _Unknown):
            continue
        if isinstance(entry, str):
            names: Any = [entry]
            source = None
        elif isinstance(entry, dict):
            source = entry.get("datasource")
            source = source if isinstance(source, str) else None
            if "bands" not in entry:
                if not _complete(entry):
                    continue
                raise EvalscriptProblem(
                    'Each setup().input object needs bands, e.g. {bands: ["B04", "B08"], units: "DN"}.',
                    line_of(where),
                )
            names = entry["bands"]
            where = (*where, "bands")
            if isinstance(names, _Unknown):
                continue
            if isinstance(names, str):
                names = [names]
            if not isinstance(names, list):
                raise EvalscriptProblem(
                    f'setup().input bands is {_describe(names)}: give a list of band names, e.g. ["B04", "B08"].',
                    line_of(where),
                )
            if not names and _complete(names):
                raise EvalscriptProblem(
                    'setup().input lists no bands: name the bands the script reads, e.g. ["B04", "B08"].',
                    line_of(where),
                )
        else:
            raise EvalscriptProblem(
                f"setup().input holds {_describe(entry)}: list band names (strings) or objects "
                '{bands: ["B04"], units: "DN"}.',
                line_of(where),
            )
        for b, name in enumerate(names):
            if isinstance(name, _Unknown):
                continue
            if not isinstance(name, str) or not name:
                raise EvalscriptProblem(
                    f'setup().input band {_describe(name)} is not a band name: write names as strings, e.g. "B04".',
                    line_of((*where, b)),
                )
            listed = seen.setdefault(source, [])
            if name not in listed:
                listed.append(name)
    return tuple(name for names in seen.values() for name in names)


def _outputs(raw: dict, line_of: LineOf) -> tuple[ScriptOutput, ...]:
    value = raw.get("output", UNDEFINED if _complete(raw) else UNKNOWN)
    if isinstance(value, _Unknown):
        return ()
    if value is UNDEFINED or value is None:
        raise EvalscriptProblem(
            "setup() returns no output: add output: {bands: 1} (or a list of outputs with ids).",
            line_of(("output",)) or line_of(("return",)),
        )
    entries = value if isinstance(value, list) else [value]
    if not entries and _complete(value):
        raise EvalscriptProblem(
            'setup().output is an empty list: declare at least one output, e.g. {id: "default", bands: 1}.',
            line_of(("output",)),
        )
    outputs: list[ScriptOutput] = []
    for j, entry in enumerate(entries):
        if isinstance(entry, _Unknown):
            continue
        if not isinstance(entry, dict):
            raise EvalscriptProblem(
                f"setup().output holds {_describe(entry)}: each output is an object {{id, bands, sampleType}}.",
                line_of(("output", j)),
            )
        output = _output(entry, j, line_of)
        if output is None:
            continue
        if any(o.id == output.id for o in outputs):
            raise EvalscriptProblem(
                f"Two outputs are called {output.id!r}: give each output its own id.",
                line_of(("output", j, "id")),
            )
        outputs.append(output)
    return tuple(outputs)


def _output(entry: dict, j: int, line_of: LineOf) -> Optional[ScriptOutput]:
    output_id = entry.get("id", DEFAULT_OUTPUT_ID)
    if isinstance(output_id, _Unknown):
        return None  # static only: an id computed at run time cannot be matched to a response
    if not isinstance(output_id, str) or not output_id:
        raise EvalscriptProblem(
            f'An output id is {_describe(output_id)}: give each output a non-empty string id, e.g. id: "NDVI".',
            line_of(("output", j, "id")),
        )
    # Sentinel Hub's docs give bands no default; the engine takes 1, and so does the form.
    bands = entry.get("bands", 1)
    if isinstance(bands, _Unknown):
        bands = None
    elif (
        isinstance(bands, bool)
        or not isinstance(bands, (int, float))
        or not math.isfinite(bands)
        or int(bands) != bands
    ):
        raise EvalscriptProblem(
            f"Output {output_id!r}: bands is {_describe(bands)}; it must be a whole number of bands, e.g. bands: 1.",
            line_of(("output", j, "bands")),
        )
    elif bands < 1:
        raise EvalscriptProblem(
            f"Output {output_id!r} has {int(bands)} bands: an output needs at least 1 band (bands: 1 or more).",
            line_of(("output", j, "bands")),
        )
    else:
        bands = int(bands)
    sample_type = entry.get("sampleType", "AUTO")
    if isinstance(sample_type, _Unknown):
        sample_type = "AUTO"  # static only: the documented default, the best guess for an expression
    elif sample_type not in SAMPLE_TYPES:
        hint = (
            f" (write it in capitals: {sample_type.upper()!r})"
            if isinstance(sample_type, str) and sample_type.upper() in SAMPLE_TYPES
            else ""
        )
        raise EvalscriptProblem(
            f"Output {output_id!r}: sampleType {_describe(sample_type)} is not allowed{hint}; use one of "
            f"{', '.join(SAMPLE_TYPES)} (or SampleType.UINT8 ...).",
            line_of(("output", j, "sampleType")),
        )
    return ScriptOutput(output_id, bands, sample_type)


# --- V8 -------------------------------------------------------------------------------------------------------

_MINI_RACER: Any = None


def _mini_racer() -> Any:
    """The MiniRacer class, or None when py_mini_racer is missing or broken (a plain QGIS install)."""
    global _MINI_RACER
    if _MINI_RACER is None:
        try:
            from py_mini_racer import MiniRacer
        except Exception:  # ImportError, or a native library that does not load
            MiniRacer = False
        _MINI_RACER = MiniRacer
    return _MINI_RACER or None


# What Evalscript V3 gives a script at top level. Everything is a configurable property of the global
# object (not a `var`), so a script may still declare `const index = ...` or its own SampleType.
PRELUDE = r"""
globalThis.SampleType = Object.freeze({INT8: "INT8", UINT8: "UINT8", INT16: "INT16", UINT16: "UINT16",
                                       FLOAT32: "FLOAT32", AUTO: "AUTO"});
globalThis.Mosaicking = Object.freeze({SIMPLE: "SIMPLE", ORBIT: "ORBIT", TILE: "TILE"});
(function () {
  function nothing() {}
  globalThis.console = {log: nothing, info: nothing, warn: nothing, error: nothing, debug: nothing,
                        trace: nothing, dir: nothing, table: nothing};
  // Sentinel Hub's utility functions and visualizers, as stand-ins: top-level code that builds a
  // visualizer must run; setup() never depends on what they compute, and evaluatePixel is not called.
  function Visualizer() { this.process = function () { return [0, 0, 0]; }; }
  function visualizerClass() {
    return new Proxy(Visualizer, {get: function (target, key) {
      return key in target ? target[key] : function () { return new Visualizer(); };  // createDefault...
    }});
  }
  ["ColorMapVisualizer", "ColorRampVisualizer", "ColorGradientVisualizer", "HighlightCompressVisualizer",
   "HighlightCompressVisualizerSingle", "DefaultVisualizer", "Identity"].forEach(function (name) {
    globalThis[name] = visualizerClass();
  });
  globalThis.index = function (a, b) { return (a - b) / (a + b); };
  globalThis.inverse = function (x) { return 1 / x; };
  globalThis.combine = function () { return [0, 0, 0]; };
  globalThis.colorBlend = function () { return [0, 0, 0]; };
  globalThis.valueInterpolate = function () { return 0; };
  // mini-racer's timers would run script code after setup() returned
  globalThis.setTimeout = undefined; globalThis.clearTimeout = undefined;
  delete globalThis.WebAssembly;
  // V8 cannot interrupt a huge typed-array fill and its heap limit does not see typed arrays: charge
  // every buffer before it is allocated. Species (slice, map...) and from/of reach the wrapped constructors.
  var used = 0, limit = BUFFER_LIMIT;
  var OriginalArrayBuffer = ArrayBuffer;
  var OriginalShared = typeof SharedArrayBuffer === "function" ? SharedArrayBuffer : OriginalArrayBuffer;
  function charge(bytes) {
    if (!(bytes > 0)) return;
    used += bytes;
    if (used > limit) {
      throw new RangeError("the script allocated more than " + (limit / 1048576) + " MiB of typed arrays");
    }
  }
  function requested(isBuffer, args, size) {
    var first = args[0];
    if (isBuffer) {
      var max = args[1] && typeof args[1] === "object" ? Number(args[1].maxByteLength) || 0 : 0;
      return Math.max(Number(first) || 0, max);
    }
    if (first instanceof OriginalArrayBuffer || first instanceof OriginalShared) return 0;  // a view
    if (first !== null && typeof first === "object") return (Number(first.length) || 0) * size;
    return (Number(first) || 0) * size;
  }
  ["ArrayBuffer", "SharedArrayBuffer", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array",
   "Uint16Array", "Int32Array", "Uint32Array", "Float16Array", "Float32Array", "Float64Array",
   "BigInt64Array", "BigUint64Array"].forEach(function (name) {
    var target = globalThis[name];
    if (typeof target !== "function") return;
    var isBuffer = /Buffer$/.test(name), size = target.BYTES_PER_ELEMENT || 1;
    var proxy = new Proxy(target, {construct: function (t, args, newTarget) {
      var before = requested(isBuffer, args, size);
      charge(before);
      var made = Reflect.construct(t, args, newTarget === proxy ? t : newTarget);
      if (!isBuffer && !(args[0] instanceof OriginalArrayBuffer || args[0] instanceof OriginalShared)) {
        charge(made.byteLength - before);  // iterables have no length to charge up front
      }
      return made;
    }});
    Object.defineProperty(target.prototype, "constructor", {value: proxy, writable: true, configurable: true});
    globalThis[name] = proxy;
  });
  delete OriginalArrayBuffer.prototype.transfer;  // makes buffers without a constructor
  delete OriginalArrayBuffer.prototype.transferToFixedLength;
})();
""".replace("BUFFER_LIMIT", str(BUFFER_LIMIT_MB * 1024 * 1024))

# setup()'s result as JSON, with what JSON cannot say (undefined, NaN...) kept as markers so the form can
# say "bands is undefined" rather than silently take the default.
_MARK = "\u0000tilewise"
CALL_SETUP = (
    "(function () {\n"
    "  var result = setup();\n"
    "  if (result === undefined) return null;\n"
    "  return JSON.stringify(result, function (key, value) {\n"
    "    var type = typeof value;\n"
    f"    if (value === undefined) return {{{json.dumps(_MARK)}: 'undefined'}};\n"
    f"    if (type === 'number' && !isFinite(value)) return {{{json.dumps(_MARK)}: String(value)}};\n"
    f"    if (type === 'function' || type === 'symbol') return {{{json.dumps(_MARK)}: 'a ' + type}};\n"
    f"    if (type === 'bigint') return {{{json.dumps(_MARK)}: String(value) + 'n'}};\n"
    "    return value;\n"
    "  });\n"
    "})()"
)

_FRAME = re.compile(re.escape(SCRIPT_URL) + r":(\d+):(\d+)")
_HEAD = re.compile(r"^(?:<anonymous>|" + re.escape(SCRIPT_URL) + r"):(\d+): (.*)$")


def _run_setup(racer: Any, script: str) -> Any:
    """Run the script's top level, check its functions, call setup(); the JSON-decoded result."""
    from py_mini_racer import JSOOMException, JSParseException, JSTimeoutException

    deadline = time.monotonic() + SETUP_TIME_LIMIT_S

    def run(code: str, during: str) -> Any:
        try:
            return racer.eval(code, timeout_sec=max(0.05, deadline - time.monotonic()))
        except JSParseException as exc:
            raise _parse_problem(str(exc), script) from None
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
            raise _runtime_problem(str(exc), during) from None

    racer.set_hard_memory_limit(HEAP_LIMIT_MB * 1024 * 1024)
    run(PRELUDE, "its preparation")
    run(script + f"\n//# sourceURL={SCRIPT_URL}\n", "its top-level code")
    kinds = json.loads(
        run("JSON.stringify({s: typeof setup, e: typeof evaluatePixel})", "the function check")
    )
    missing = [
        name for name, kind in (("setup", kinds["s"]), ("evaluatePixel", kinds["e"])) if kind != "function"
    ]
    if missing:
        raise EvalscriptProblem(_missing_message(missing))
    text = run(CALL_SETUP, "setup()")
    return None if text is None else json.loads(text, object_hook=_decode_marker)


def _decode_marker(obj: dict) -> Any:
    if len(obj) == 1 and _MARK in obj:
        return UNDEFINED if obj[_MARK] == "undefined" else _JSValue(obj[_MARK])
    return obj


def _memory_problem(during: str) -> EvalscriptProblem:
    return EvalscriptProblem(
        f"The evalscript used more than {HEAP_LIMIT_MB} MiB of memory while running {during}: setup() and "
        "top-level code should only prepare settings, not data."
    )


def _parse_problem(text: str, script: str) -> EvalscriptProblem:
    """`<anonymous>:L: SyntaxError: msg`, the source line, then a caret line under the error."""
    lines = text.splitlines()
    head = _HEAD.match(lines[0]) if lines else None
    if head is None:
        return EvalscriptProblem(f"The evalscript does not parse: {text.strip()}")
    line = int(head.group(1))
    column = lines[2].index("^") + 1 if len(lines) > 2 and "^" in lines[2] else None
    own = script.rstrip("\n").split("\n")
    if line > len(own):  # "Unexpected end of input" lands past the script: point at its end
        line, column = len(own), len(own[-1]) + 1
    return EvalscriptProblem(f"The evalscript does not parse: {head.group(2)}", line, column)


def _runtime_problem(text: str, during: str) -> EvalscriptProblem:
    """A thrown error: the innermost stack frame in the user's script, or V8's head line for a thrown non-Error."""
    lines = [line for line in text.splitlines() if line.strip()]
    message = next((ln.strip() for ln in lines if re.match(r"^\w*Error\b|^Uncaught", ln.strip())), None)
    raw = text.splitlines()
    head = _HEAD.match(raw[0]) if raw else None
    if message is None:
        message = head.group(2) if head else (lines[0] if lines else text)
    frame = _FRAME.search(text)
    line: Optional[int] = None
    column: Optional[int] = None
    if frame is not None:
        line, column = int(frame.group(1)), int(frame.group(2))
    elif head is not None and raw[0].startswith(SCRIPT_URL):
        line = int(head.group(1))
        column = raw[2].index("^") + 1 if len(raw) > 2 and "^" in raw[2] else None
    return EvalscriptProblem(f"The evalscript failed in {during}: {message}", line, column)


# --- The static reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # name, num, str, tmpl, regex, punct
    text: str
    line: int
    value: Any = None  # str: the decoded string; num: the number; tmpl: the text, or None with ${...}


_PUNCTUATORS_3 = {"===", "!==", "**=", "<<=", ">>=", ">>>", "...", "&&=", "||=", "??="}
_PUNCTUATORS_2 = {"=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=", "%=",
                  "&=", "|=", "^=", "**", "<<", ">>"}  # fmt: skip
_ASSIGN = {"=", "+=", "-=", "*=", "/=", "%=", "**=", "<<=", ">>=", "&=", "|=", "^=", "&&=", "||=", "??="}
_EXPR_KEYWORDS = {"return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw",
                  "instanceof", "yield", "await"}  # fmt: skip
_MUTATORS = {"push", "pop", "shift", "unshift", "splice", "sort", "reverse", "fill", "copyWithin"}
_NUMBER = re.compile(
    r"0[xX][0-9a-fA-F_]+n?|0[bB][01_]+n?|0[oO][0-7_]+n?|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?n?"
)
_NAME = re.compile(r"[\w$]+")
_DIGITS = "0123456789"
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_CLOSERS = {")", "]", "}"}
_MAX_DEPTH = 100  # nesting the literal parser follows before giving up (a value becomes unknown)


def _tokenize(source: str) -> list[_Token]:
    """JavaScript tokens with their lines; never fails (an unterminated string or comment ends the script)."""
    tokens: list[_Token] = []
    i, n, line = 0, len(source), 1
    while i < n:
        c = source[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += source.count("\n", i, end)
            i = end
        elif c in "'\"":
            value, end = _string(source, i)
            tokens.append(_Token("str", source[i:end], line, value))
            line += source.count("\n", i, end)
            i = end
        elif c == "`":
            value, end = _template(source, i)
            tokens.append(_Token("tmpl", source[i:end], line, value))
            line += source.count("\n", i, end)
            i = end
        elif c in _DIGITS or (c == "." and i + 1 < n and source[i + 1] in _DIGITS):
            text = _NUMBER.match(source, i).group(0)
            tokens.append(_Token("num", text, line, _number(text)))
            i += len(text)
        elif c.isalpha() or c in "_$" or ord(c) > 127:
            match = _NAME.match(source, i)
            text = match.group(0) if match else c
            tokens.append(_Token("name", text, line))
            i += len(text)
        elif c == "/" and _regex_allowed(tokens[-1] if tokens else None):
            end = _regex_end(source, i)
            tokens.append(_Token("regex", source[i:end], line))
            i = end
        else:
            text = source[i : i + 3]  # longest first
            if text not in _PUNCTUATORS_3:
                text = text[:2] if text[:2] in _PUNCTUATORS_2 else c
            tokens.append(_Token("punct", text, line))
            i += len(text)
    return tokens


def _string(source: str, start: int) -> tuple[str, int]:
    quote, i, n, out = source[start], start + 1, len(source), []
    while i < n and source[i] != quote and source[i] != "\n":
        if source[i] == "\\" and i + 1 < n:
            nxt = source[i + 1]
            if nxt == "u" and source[i + 2 : i + 3] == "{":
                close = source.find("}", i)
                out.append(_code_point(source[i + 3 : close]) if close > 0 else "")
                i = close + 1 if close > 0 else n
                continue
            if nxt in "ux":
                width = 4 if nxt == "u" else 2
                out.append(_code_point(source[i + 2 : i + 2 + width]))
                i += 2 + width
                continue
            out.append("" if nxt == "\n" else _ESCAPES.get(nxt, nxt))  # "\<newline>" continues the line
            i += 2
            continue
        out.append(source[i])
        i += 1
    return "".join(out), min(n, i + 1)


def _code_point(digits: str) -> str:
    try:
        return chr(int(digits, 16))
    except ValueError:
        return ""


def _template(source: str, start: int) -> tuple[Optional[str], int]:
    """A template literal; its text when it has no ${...} (then it is a plain string), else None."""
    i, n, out, plain = start + 1, len(source), [], True
    while i < n and source[i] != "`":
        if source[i] == "\\" and i + 1 < n:
            out.append(_ESCAPES.get(source[i + 1], source[i + 1]))
            i += 2
        elif source.startswith("${", i):
            plain, depth, i = False, 1, i + 2
            while i < n and depth:  # nested strings with braces are rare enough to ignore here
                depth += {"{": 1, "}": -1}.get(source[i], 0)
                i += 1
        else:
            out.append(source[i])
            i += 1
    return ("".join(out) if plain else None), min(n, i + 1)


def _number(text: str) -> Any:
    digits = text.rstrip("n").replace("_", "")
    try:
        if digits[:2].lower() in ("0x", "0b", "0o"):
            return int(digits, 0)
        value = float(digits)
        return int(value) if value.is_integer() and not any(ch in digits for ch in ".eE") else value
    except ValueError:
        return UNKNOWN


def _regex_allowed(previous: Optional[_Token]) -> bool:
    """A '/' starts a regular expression where an expression may start, and divides otherwise."""
    if previous is None:
        return True
    if previous.kind == "name":
        return previous.text in _EXPR_KEYWORDS
    return previous.kind == "punct" and previous.text not in _CLOSERS


def _regex_end(source: str, start: int) -> int:
    i, n, in_class = start + 1, len(source), False
    while i < n and source[i] != "\n":
        c = source[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            i += 1
            while i < n and (source[i].isalnum() or source[i] == "_"):
                i += 1  # flags
            return i
        i += 1
    return i


class _Obj(dict):
    """An object literal: its read keys, their lines, and whether every part could be read."""

    def __init__(self, line: int):
        super().__init__()
        self.line = line
        self.lines: dict[str, int] = {}
        self.complete = True


class _Arr(list):
    """An array literal, with the line of each element."""

    def __init__(self, line: int):
        super().__init__()
        self.line = line
        self.lines: list[int] = []
        self.complete = True


class _StaticReading:
    """setup()'s returned literal, top-level and local constants resolved, with a line for every part."""

    def __init__(self, script: str):
        self.tokens = _tokenize(script)
        self.setup_line: Optional[int] = None
        self.return_line: Optional[int] = None
        self._value: Any = UNKNOWN
        self.malformed = False
        self._mutated = self._mutated_names()
        try:
            self._value = self._read_setup()
        except RecursionError:  # absurdly nested literals: read nothing rather than fail
            self._value = UNKNOWN
        if self.malformed and isinstance(self._value, _Obj):
            self._value.complete = False  # keys may hide in what was skipped: never call them missing

    # which names a script defines as functions ------------------------------------------------------------

    def defines(self, name: str) -> bool:
        """`function name(` anywhere, or an assignment `name = ...` (a function expression, most likely)."""
        tokens = self.tokens
        for k, token in enumerate(tokens):
            if token.kind != "name" or token.text != name:
                continue
            before = tokens[k - 1] if k else None
            after = tokens[k + 1] if k + 1 < len(tokens) else None
            if before is not None and before.text == "function":
                return True
            if after is not None and after.text == "=" and (before is None or before.text != "."):
                return True
        return False

    def setup_value(self) -> Any:
        return self._value

    # where setup() is and what it returns --------------------------------------------------------------------

    def _read_setup(self) -> Any:
        tokens = self.tokens
        found: Optional[tuple[str, int]] = (
            None  # ("body", index of "{") or ("value", index of the expression)
        )
        for k, token in enumerate(tokens):
            if token.kind != "name" or token.text != "setup" or (k and tokens[k - 1].text == "."):
                continue
            if k and tokens[k - 1].text == "function":
                start = self._after_params(k + 1)
            elif k + 1 < len(tokens) and tokens[k + 1].text == "=":
                start = self._function_expression(k + 2)
            else:
                continue
            if start is not None:
                self.setup_line = token.line
                found = start  # the last definition wins, as in JavaScript
        if found is None:
            return UNKNOWN
        scope = self._constants(0, len(tokens), {})
        kind, at = found
        if kind == "value":
            self.return_line = tokens[at].line if at < len(tokens) else None
            self.malformed = False  # only the returned literal counts
            return self._value_at(at, scope)[0]
        end = self._matching(at)
        scope = self._constants(at + 1, end, dict(scope))
        ret = self._return_in(at + 1, end)
        if ret is None:
            return UNKNOWN
        self.return_line = tokens[ret].line
        self.malformed = False  # only the returned literal counts
        return self._value_at(ret + 1, scope)[0]

    def _after_params(self, k: int) -> Optional[tuple[str, int]]:
        """At `(params)`: the body after them."""
        tokens = self.tokens
        if k >= len(tokens) or tokens[k].text != "(":
            return None
        k = self._matching(k) + 1
        return ("body", k) if k < len(tokens) and tokens[k].text == "{" else None

    def _function_expression(self, k: int) -> Optional[tuple[str, int]]:
        """After `setup =`: `function (...) {`, `(...) => {` or `(...) => value`."""
        tokens = self.tokens
        if k < len(tokens) and tokens[k].text == "function":
            k += 1
            if k < len(tokens) and tokens[k].kind == "name" and tokens[k].text != "(":
                k += 1
            return self._after_params(k)
        if k < len(tokens) and tokens[k].text == "(":
            k = self._matching(k) + 1
        elif k < len(tokens) and tokens[k].kind == "name":
            k += 1
        else:
            return None
        if k >= len(tokens) or tokens[k].text != "=>":
            return None
        k += 1
        if k < len(tokens) and tokens[k].text == "{":
            return ("body", k)
        return ("value", k)

    def _matching(self, k: int) -> int:
        """Index of the bracket closing the one at k (or the end)."""
        depth = 0
        for j in range(k, len(self.tokens)):
            text = self.tokens[j].text if self.tokens[j].kind == "punct" else ""
            if text in ("(", "[", "{"):
                depth += 1
            elif text in _CLOSERS:
                depth -= 1
                if depth == 0:
                    return j
        return len(self.tokens)

    def _return_in(self, start: int, end: int) -> Optional[int]:
        """The first `return` at the body's own level, else the first one anywhere in it."""
        depth, first = 0, None
        for j in range(start, end):
            token = self.tokens[j]
            if token.kind == "punct" and token.text in ("(", "[", "{"):
                depth += 1
            elif token.kind == "punct" and token.text in _CLOSERS:
                depth -= 1
            elif token.kind == "name" and token.text == "return":
                if depth == 0:
                    return j
                first = j if first is None else first
        return first

    # constants -------------------------------------------------------------------------------------------------

    def _mutated_names(self) -> set[str]:
        """Names assigned more than once (a declaration with a value counts), incremented or changed in place:
        their declared value cannot be trusted."""
        tokens, names = self.tokens, set()
        assigned: dict[str, int] = {}
        for k, token in enumerate(tokens):
            if token.kind != "name" or (k and tokens[k - 1].text == "."):
                continue
            after = [t.text for t in tokens[k + 1 : k + 4]]
            if after[:1] and after[0] in _ASSIGN:
                assigned[token.text] = assigned.get(token.text, 0) + 1
                if after[0] != "=" or assigned[token.text] > 1:
                    names.add(token.text)
            elif after[:1] in (["++"], ["--"]) or (k and tokens[k - 1].text in ("++", "--")):
                names.add(token.text)
            elif after[:1] == ["."] and (
                after[1:2] and after[1] in _MUTATORS or after[2:3] and after[2] in _ASSIGN
            ):
                names.add(token.text)  # BANDS.push("B08"), OUT.bands = 2
            elif after[:1] == ["["]:
                close = self._matching(k + 1)
                if close + 1 < len(tokens) and tokens[close + 1].text in _ASSIGN:
                    names.add(token.text)  # BANDS[0] = "B08"
        return names

    def _constants(self, start: int, end: int, scope: dict) -> dict:
        """`var|let|const name = literal` at the level of [start, end), for names never changed afterwards."""
        tokens, depth, k = self.tokens, 0, start
        while k < end:
            token = tokens[k]
            if token.kind == "punct" and token.text in ("(", "[", "{"):
                depth += 1
            elif token.kind == "punct" and token.text in _CLOSERS:
                depth -= 1
            elif depth == 0 and token.kind == "name" and token.text in ("var", "let", "const"):
                k += 1
                while k + 1 < end and tokens[k].kind == "name" and tokens[k + 1].text == "=":
                    name = tokens[k].text
                    value, k = self._value_at(k + 2, scope)
                    if name in self._mutated or name in scope or isinstance(value, _Unknown):
                        scope[name] = UNKNOWN  # declared twice, changed, or computed: unknown
                    else:
                        scope[name] = value
                    if k < end and tokens[k].text == ",":
                        k += 1
                        continue
                    break
                continue
            k += 1
        return scope

    # the literal parser ----------------------------------------------------------------------------------------

    def _value_at(self, k: int, scope: dict, depth: int = 0) -> tuple[Any, int]:
        """The value of the expression at k and the index after it (at a ',', a closer, ';' or the end)."""
        tokens = self.tokens
        if k >= len(tokens) or depth > _MAX_DEPTH:
            return UNKNOWN, self._skip(k)
        value, j = self._primary(k, scope, depth)
        if j < len(tokens) and j > k and tokens[j].kind == "name" and tokens[j].line > tokens[j - 1].line:
            return value, j  # a name on a new line starts the next statement (no semicolon)
        if j < len(tokens) and not (tokens[j].text in (",", ";") or tokens[j].text in _CLOSERS):
            return UNKNOWN, self._skip(j)  # an operator, a call...: an expression known only at run time
        return value, j

    def _primary(self, k: int, scope: dict, depth: int) -> tuple[Any, int]:
        tokens = self.tokens
        token = tokens[k]
        nxt = tokens[k + 1] if k + 1 < len(tokens) else None
        if token.kind == "punct":
            if token.text == "{":
                return self._object(k, scope, depth)
            if token.text == "[":
                return self._array(k, scope, depth)
            if token.text == "(":
                value, j = self._value_at(k + 1, scope, depth + 1)
                return (value, j + 1) if j < len(tokens) and tokens[j].text == ")" else (UNKNOWN, j)
            if token.text in ("-", "+") and nxt is not None and nxt.kind == "num":
                number = nxt.value
                return (number if token.text == "+" or isinstance(number, _Unknown) else -number), k + 2
            return UNKNOWN, k
        if token.kind == "str":
            return token.value, k + 1
        if token.kind == "tmpl":
            return (token.value if token.value is not None else UNKNOWN), k + 1
        if token.kind == "num":
            return token.value, k + 1
        if token.kind == "name":
            constants = {"true": True, "false": False, "null": None, "undefined": UNDEFINED}
            if token.text in constants:
                return constants[token.text], k + 1
            if (
                token.text in ("SampleType", "Mosaicking")
                and token.text not in scope
                and nxt is not None
                and nxt.text == "."
                and k + 2 < len(tokens)
                and tokens[k + 2].kind == "name"
            ):
                return tokens[
                    k + 2
                ].text, k + 3  # SampleType.UINT16 -> "UINT16" (a wrong name is then reported)
            if token.text in scope:
                return scope[token.text], k + 1
        return UNKNOWN, k + 1

    def _skip(self, k: int) -> int:
        """Past the rest of an expression: to the next ',', ';' or closer at its own level.

        A ':' at that level outside a `? :` means the literal is malformed (a missing comma, say): the
        reading is then marked incomplete, so a key swallowed by the skip is not reported missing."""
        depth, questions = 0, 0
        while k < len(self.tokens):
            token = self.tokens[k]
            if token.kind == "punct":
                if depth == 0 and token.text == "?":
                    questions += 1
                elif depth == 0 and token.text == ":":
                    if questions == 0:
                        self.malformed = True
                    questions = max(0, questions - 1)
                if token.text in ("(", "[", "{"):
                    depth += 1
                elif token.text in _CLOSERS:
                    if depth == 0:
                        return k
                    depth -= 1
                elif token.text in (",", ";") and depth == 0:
                    return k
            k += 1
        return k

    def _object(self, k: int, scope: dict, depth: int) -> tuple[Any, int]:
        tokens, obj = self.tokens, _Obj(self.tokens[k].line)
        k += 1
        while k < len(tokens) and tokens[k].text != "}":
            token = tokens[k]
            if token.text == ",":
                k += 1
                continue
            if token.text == "...":
                value, k = self._value_at(k + 1, scope, depth + 1)
                if isinstance(value, _Obj):
                    obj.update(value)
                    obj.lines.update(value.lines)
                    obj.complete = obj.complete and value.complete
                else:
                    obj.complete = False
                continue
            key_token = tokens[k + 1] if k + 1 < len(tokens) else None
            if token.kind in ("name", "str", "num") and key_token is not None and key_token.text == ":":
                key = token.value if token.kind == "str" else token.text
                value, k = self._value_at(k + 2, scope, depth + 1)
                obj[str(key)] = value
                obj.lines[str(key)] = token.line
            elif token.kind == "name" and key_token is not None and key_token.text in (",", "}"):
                obj[token.text] = scope.get(token.text, UNKNOWN)  # shorthand {input, output}
                obj.lines[token.text] = token.line
                k += 1
            else:  # computed keys, methods, getters: cannot be read
                obj.complete = False
                k = self._skip(k + 1) if token.text != "[" else self._skip(self._matching(k) + 1)
            if k < len(tokens) and tokens[k].text not in (",", "}"):
                obj.complete = False
                k = self._skip(k + 1)
        if k >= len(tokens):
            obj.complete = False
        return obj, k + 1

    def _array(self, k: int, scope: dict, depth: int) -> tuple[Any, int]:
        tokens, arr = self.tokens, _Arr(self.tokens[k].line)
        k += 1
        expect_value = True
        while k < len(tokens) and tokens[k].text != "]":
            token = tokens[k]
            if token.text == ",":
                if expect_value:  # a hole
                    arr.append(UNDEFINED)
                    arr.lines.append(token.line)
                expect_value = True
                k += 1
                continue
            if token.text == "...":
                value, k = self._value_at(k + 1, scope, depth + 1)
                if isinstance(value, _Arr):
                    arr.extend(value)
                    arr.lines.extend(value.lines)
                    arr.complete = arr.complete and value.complete
                else:
                    arr.complete = False
            else:
                value, k = self._value_at(k, scope, depth + 1)
                arr.append(value)
                arr.lines.append(token.line)
            expect_value = False
            if k < len(tokens) and tokens[k].text not in (",", "]"):
                arr.complete = False
                k = self._skip(k + 1)
        if k >= len(tokens):
            arr.complete = False
        return arr, k + 1

    # lines for problems ----------------------------------------------------------------------------------------

    def line_of(self, path: tuple) -> Optional[int]:
        """The line of a part of setup()'s result, e.g. ("output", 1, "bands"), or of its nearest known parent.

        ("return",) is the return statement. A single output (or input) object stands for index 0. Array
        indices are followed only through arrays read completely, so they match what V8 returns.
        """
        line = self.return_line or self.setup_line
        node = self._value
        if path == ("return",):
            return line
        for step in path:
            if isinstance(step, int) and isinstance(node, _Obj) and step == 0:
                continue  # output: {...} read as output[0]
            if isinstance(step, str) and isinstance(node, _Obj) and step in node:
                line, node = node.lines.get(step, line), node[step]
            elif isinstance(step, int) and isinstance(node, _Arr) and node.complete and step < len(node):
                line, node = node.lines[step], node[step]
            else:
                break
        return line
