"""The compiled pixel loops: the compiled evaluatePixel called over a chunk, with sample objects (the default)
or reading the band planes (`planes`).

Both have the per-pixel loops' contract (engine/evalscript/js.py `loops`): `__tw_loops_c` holds the
array-return and the object-return loop, each evaluating pixels i..n-1 of the chunk and returning where
it stopped, with the same output store, so returns, types and errors are handled by the same code.
"""

from __future__ import annotations

import json

from ...samples import Mosaicking
from ..js import _store, loops
from ..setup import OutputSpec
from .specialise import BINARY_HELPERS, UNARY_HELPERS, InlineReturn, Specialised

LOOPS_NAME = "__tw_loops_c"

# The compiled copies' operators (specialise.py BINARY_HELPERS, UNARY_HELPERS): numbers at once; a Date (the
# engine's or V8's) with its original conversion gives its time value, as ToPrimitive would; everything else is
# left to the operator.
PRIM = """
function __tw_prim(x) {
  return typeof x === 'object' && x !== null && x[__tw_toPrimitiveKey] === __tw_dateToPrimitive
    && x.valueOf === __tw_dateValueOf ? __tw_timeOf(x) : x;
}
"""
# with the engine's Date (engine/evalscript/dates.py) as the global Date, every Date is one of its (V8's Date
# is out of the script's reach): the same rule for those
ENGINE_DATES_PRIM = """
function __tw_prim(x) {
  if (typeof x !== 'object' || x === null || x[__tw_toPrimitiveKey] !== __tw_edToPrimitive
      || x.valueOf !== __tw_edValueOf) return x;
  var t = __tw_edTime(x);
  return t === undefined ? x : t;
}
"""
HELPERS = "".join(
    f"function {name}(a, b) {{ return typeof a === 'number' && typeof b === 'number'"
    f" ? a {operator} b : __tw_prim(a) {operator} __tw_prim(b); }}\n"
    for operator, name in BINARY_HELPERS.items()
) + "".join(
    f"function {name}(a) {{ return typeof a === 'number' ? {operator}a : {operator}__tw_prim(a); }}\n"
    for operator, name in UNARY_HELPERS.items()
)


def operators(engine_dates: bool) -> str:
    """The operator helpers, converting the Dates the script's context makes."""
    return (ENGINE_DATES_PRIM if engine_dates else PRIM) + HELPERS


def _sample_helpers(bands: tuple[str, ...], simple: bool) -> str:
    """What the `planes` mode's sample reads call: the planes, the pixel, and real objects for odd uses."""
    planes = "".join(f"var __tw_i{k} = null;" for k in range(len(bands)))
    bind = "".join(f"__tw_i{k} = __tw_in[{k}];" for k in range(len(bands)))
    readers = "".join(
        f"function __tw_b{k}(r) {{ return typeof r === 'number' ? __tw_i{k}[r * __tw_n + __tw_p]"
        f" : __tw_real(r, {json.dumps(band)}); }}\n"
        for k, band in enumerate(bands)
    )
    every = (
        "return __tw_obj(0);"
        if simple
        else "var a = []; for (var s = 0; s < __tw_ns; s++) a.push(__tw_obj(s)); return a;"
    )
    return f"""
var __tw_p = 0, __tw_n = 0, __tw_ns = 0;
{planes}
var __tw_names = {json.dumps(list(bands))};
var __tw_index = new Map(__tw_names.map(function (b, k) {{ return [b, k]; }}));
function __tw_bind(n, ns) {{ __tw_n = n; __tw_ns = ns; {bind} }}
function __tw_setp(p) {{ __tw_p = p; }}
// the real sample objects of the current pixel, as the per-pixel loop builds them: only for odd uses
function __tw_obj(s) {{
  var o = {{}};
  for (var k = 0; k < __tw_names.length; k++) o[__tw_names[k]] = __tw_in[k][s * __tw_n + __tw_p];
  return o;
}}
function __tw_samplesAt() {{ {every} }}
function __tw_ref(e) {{
  if (typeof e === 'number' && (e >>> 0) === e && e < __tw_ns) return e;
  return {{v: __tw_samplesAt()[e]}};
}}
function __tw_real(r, key) {{
  var v = typeof r === 'number' ? __tw_obj(r) : r === undefined ? undefined : r.v;
  return v[key];
}}
// a sample object's and the samples array's properties besides bands, indices and length are their prototypes
var __tw_anObject = {{}}, __tw_anArray = [];
function __tw_other(r, key) {{ return typeof r === 'number' ? __tw_anObject[key] : __tw_real(r, key); }}
function __tw_dyn(r, key) {{
  if (typeof r === 'number' && typeof key === 'string') {{
    var k = __tw_index.get(key);
    if (k !== undefined) return __tw_in[k][r * __tw_n + __tw_p];
  }}
  return typeof r === 'number' && typeof key === 'string' ? __tw_anObject[key] : __tw_real(r, key);
}}
{readers}
"""


def kernel_loops(
    specialised: Specialised,
    bands: tuple[str, ...],
    outputs: tuple[OutputSpec, ...],
    simple: bool,
    strict: bool,
    engine_dates: bool = False,
) -> str:
    """`__tw_loops_c`: [array-return loop, object-return loop] running the specialised evaluatePixel.

    With an inline body the pixel loop runs evaluatePixel's body itself, with the band planes in locals;
    otherwise it calls the specialised evaluatePixel per pixel.
    """
    make = _inline_loop if specialised.inline is not None else _calling_loop
    loops = [make(specialised, bands, outputs, keyed) for keyed in (False, True)]
    return f"var {LOOPS_NAME} = " + _scope(
        specialised, _sample_helpers(bands, simple), f"[{loops[0]}, {loops[1]}]", strict, engine_dates
    )


def _calling_loop(
    specialised: Specialised, bands: tuple[str, ...], outputs: tuple[OutputSpec, ...], keyed: bool
) -> str:
    outs = "".join(f"var o{j} = __tw_out[{j}];" for j in range(len(outputs)))
    return f"""function (i, n, ns) {{
  __tw_bind(n, ns);
  {outs}
  var sc = __tw_scenes, md = __tw_inputMetadata, cd = __tw_customData, om = __tw_outputMetadata;
  for (; i < n; i++) {{
    __tw_p = i;
    var r = {specialised.evaluate_pixel}(undefined, sc, md, cd, om);
    {_store(outputs, keyed)}
  }}
  return n;
}}"""


# what evaluatePixel's parameters receive, in order (the samples: none, their reads were rewritten)
INLINE_ARGUMENTS = ("undefined", "__tw_k_sc", "__tw_k_md", "__tw_k_cd", "__tw_k_om")


def _inline_loop(
    specialised: Specialised, bands: tuple[str, ...], outputs: tuple[OutputSpec, ...], keyed: bool
) -> str:
    """The pixel loop around evaluatePixel's body. Its own names start with `__tw_`, which no script uses;
    the planes, the chunk size and the pixel shadow the closure's (`__tw_setp` keeps the closure's pixel
    for the helpers the body calls)."""
    inline = specialised.inline
    assert inline is not None
    planes = "".join(f", __tw_i{k} = __tw_in[{k}]" for k in range(len(bands)))
    outs = "".join(f"var __tw_k_o{j} = __tw_out[{j}];" for j in range(len(outputs)))
    declared = ", ".join(dict.fromkeys(inline.params + inline.var_names))
    bind = " ".join(
        f"{name} = {INLINE_ARGUMENTS[k] if k < len(INLINE_ARGUMENTS) else 'undefined'};"
        for k, name in enumerate(inline.params)
    )
    reset = " ".join(f"{name} = undefined;" for name in inline.var_names)
    body = "".join(
        part if isinstance(part, str) else _inline_return(part, outputs, keyed) for part in inline.parts
    )
    return f"""function (__tw_k_i, __tw_k_n, __tw_k_ns) {{
  __tw_bind(__tw_k_n, __tw_k_ns);
  var __tw_n = __tw_k_n, __tw_ns = __tw_k_ns, __tw_p = 0, __tw_rv{planes};
  {outs}
  var __tw_k_sc = __tw_scenes, __tw_k_md = __tw_inputMetadata, __tw_k_cd = __tw_customData,
    __tw_k_om = __tw_outputMetadata;
  {f"var {declared};" if declared else ""}
  __tw_k_px: for (; __tw_k_i < __tw_k_n; __tw_k_i++) {{
    __tw_p = __tw_k_i;
    __tw_setp(__tw_k_i);
    {bind} {reset}
    __tw_rv = undefined;
    __tw_body: {body}
    var __tw_k_r = __tw_rv;
    {_store(outputs, keyed, "__tw_k_")}
  }}
  return __tw_k_n;
}}"""


def _inline_return(returned: InlineReturn, outputs: tuple[OutputSpec, ...], keyed: bool) -> str:
    """The code for one `return` of the inline body: the value for the loop's store; an array literal of the
    one output's length stores its numbers at once (no array made), as the store would."""
    if returned.value is None:
        return "{ __tw_rv = undefined; break __tw_body; }"
    elements = returned.elements
    if keyed or len(outputs) != 1 or not elements or len(elements) != outputs[0].bands or len(elements) > 16:
        return f"{{ __tw_rv = ({returned.value}); break __tw_body; }}"
    names = [f"__tw_k_x0_{b}" for b in range(len(elements))]
    values = ", ".join(f"{name} = ({element})" for name, element in zip(names, elements))
    numbers = " && ".join(f"typeof {name} === 'number'" for name in names)
    stores = " ".join(f"__tw_k_o0[{b} * __tw_k_n + __tw_k_i] = {name};" for b, name in enumerate(names))
    return (
        f"{{ var {values}; if ({numbers}) {{ {stores} continue __tw_k_px; }}"
        f" __tw_rv = [{', '.join(names)}]; break __tw_body; }}"
    )


def object_loops(
    specialised: Specialised,
    bands: tuple[str, ...],
    outputs: tuple[OutputSpec, ...],
    mosaicking: Mosaicking,
    ns_key: int,
    strict: bool,
    engine_dates: bool = False,
) -> tuple[str, str]:
    """The per-pixel loops, sample objects and all, calling the compiled evaluatePixel: (name, code).

    The compiled functions are defined once per context (`__tw_compiled_ep`); each sample count gets its loops.
    """
    name = f"__tw_cloops_{ns_key}"
    code = (
        "if (typeof __tw_compiled_ep === 'undefined') var __tw_compiled_ep = "
        + _scope(specialised, "", specialised.evaluate_pixel, strict, engine_dates)
        + "\n"
        + loops(bands, outputs, mosaicking, ns_key, callee="__tw_compiled_ep", variable=name)
    )
    return name, code


def _scope(specialised: Specialised, helpers: str, result: str, strict: bool, engine_dates: bool) -> str:
    """The compiled functions with their helpers in a closure of their own (the script's strictness), and what
    it returns."""
    directive = '"use strict";' if strict else ""
    return f"(function () {{ {directive}\n{helpers}{operators(engine_dates)}{specialised.code}\nreturn {result};\n}})();"
