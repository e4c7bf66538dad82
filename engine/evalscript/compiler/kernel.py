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
from .specialise import BINARY_HELPERS, UNARY_HELPERS, Specialised

LOOPS_NAME = "__tw_loops_c"

# The compiled copies' operators (specialise.py BINARY_HELPERS, UNARY_HELPERS): numbers at once; a Date with
# its original conversion gives its time value, as ToPrimitive would; everything else is left to the operator.
OPERATORS = (
    """
function __tw_prim(x) {
  return typeof x === 'object' && x !== null && x[__tw_toPrimitiveKey] === __tw_dateToPrimitive
    && x.valueOf === __tw_dateValueOf ? __tw_timeOf(x) : x;
}
"""
    + "".join(
        f"function {name}(a, b) {{ return typeof a === 'number' && typeof b === 'number'"
        f" ? a {operator} b : __tw_prim(a) {operator} __tw_prim(b); }}\n"
        for operator, name in BINARY_HELPERS.items()
    )
    + "".join(
        f"function {name}(a) {{ return typeof a === 'number' ? {operator}a : {operator}__tw_prim(a); }}\n"
        for operator, name in UNARY_HELPERS.items()
    )
)


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
) -> str:
    """`__tw_loops_c`: [array-return loop, object-return loop] running the specialised evaluatePixel."""
    outs = "".join(f"var o{j} = __tw_out[{j}];" for j in range(len(outputs)))
    loops = []
    for keyed in (False, True):
        loops.append(
            f"""function (i, n, ns) {{
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
        )
    return f"var {LOOPS_NAME} = " + _scope(
        specialised, _sample_helpers(bands, simple), f"[{loops[0]}, {loops[1]}]", strict
    )


def object_loops(
    specialised: Specialised,
    bands: tuple[str, ...],
    outputs: tuple[OutputSpec, ...],
    mosaicking: Mosaicking,
    ns_key: int,
    strict: bool,
) -> tuple[str, str]:
    """The per-pixel loops, sample objects and all, calling the compiled evaluatePixel: (name, code).

    The compiled functions are defined once per context (`__tw_compiled_ep`); each sample count gets its loops.
    """
    name = f"__tw_cloops_{ns_key}"
    code = (
        "if (typeof __tw_compiled_ep === 'undefined') var __tw_compiled_ep = "
        + _scope(specialised, "", specialised.evaluate_pixel, strict)
        + "\n"
        + loops(bands, outputs, mosaicking, ns_key, callee="__tw_compiled_ep", variable=name)
    )
    return name, code


def _scope(specialised: Specialised, helpers: str, result: str, strict: bool) -> str:
    """The compiled functions with their helpers in a closure of their own (the script's strictness), and what
    it returns."""
    directive = '"use strict";' if strict else ""
    return f"(function () {{ {directive}\n{helpers}{OPERATORS}{specialised.code}\nreturn {result};\n}})();"
