"""The JavaScript around a user's evalscript: constants, the sandbox, scenes, and the per-chunk pixel loop.

The loop is generated for each tile from the script's bands and outputs, so a
pixel costs one object literal per sample (a stable hidden class for V8) and
one call of evaluatePixel, with no Python in between. Band planes arrive as
Float32Arrays laid out [sample][pixel]; outputs leave as Float32Arrays laid
out [band][pixel], both over ArrayBuffers that numpy reads and writes in place.
"""

from __future__ import annotations

import json

from ...core.evalscript.prelude import CONSTANTS, SANDBOX, TYPED_ARRAYS
from ...core.evalscript.utilities import UTILITIES
from ..samples import Mosaicking
from .setup import OutputSpec

RETURN_MARKER = "TILEWISE_RETURN:"

# Evaluated before the user's script in every context: the kernel's constants, sandbox and typed-array
# accounting (its limit set per context: runtime._Context), then the engine's scenes and pixel loop.
PRELUDE = (
    CONSTANTS
    + SANDBOX
    + TYPED_ARRAYS
    + UTILITIES
    + r"""
// Date's conversion as the script found it, for the compiled operators (compiler/kernel.py __tw_prim)
var __tw_toPrimitiveKey = Symbol.toPrimitive, __tw_dateToPrimitive = Date.prototype[Symbol.toPrimitive];
var __tw_dateValueOf = Date.prototype.valueOf, __tw_timeOf = Function.prototype.call.bind(Date.prototype.getTime);
var __tw_scenes = [], __tw_collection = null, __tw_in = [], __tw_out = [], __tw_mismatch = [], __tw_r;
var __tw_ids = [], __tw_sizes = [], __tw_mode = 0, __tw_nbands = 0;
var __tw_inputMetadata = {}, __tw_customData = {}, __tw_outputMetadata = {userData: undefined};

function __tw_setScenes(spec) {
  // spec: {mosaicking, from, to, samples: [{dateFrom, dateTo, tiles: [{date, cloudCoverage, dataPath, shId, orbitId}]}]}
  var arr = [];  // the deprecated array form: scenes[i].date, .orbitId, .tileOriginalId
  var orbits = [], tiles = [];
  spec.samples.forEach(function (s, idx) {
    var first = s.tiles.length ? s.tiles[0] : {date: s.dateFrom, shId: null, orbitId: null, dataPath: null};
    var sceneTiles = s.tiles.map(function (t) {
      return {date: t.date, cloudCoverage: t.cloudCoverage, dataPath: t.dataPath, shId: t.shId};
    });
    arr.push({date: new Date(first.date), orbitId: first.orbitId, tileOriginalId: first.shId,
              productId: first.shId, dataPath: first.dataPath, cloudCoverage: first.cloudCoverage, __idx: idx});
    orbits.push({dateFrom: s.dateFrom, dateTo: s.dateTo, tiles: sceneTiles, __idx: idx});
    if (spec.mosaicking === "TILE") {
      var t = sceneTiles[0] || {date: s.dateFrom};
      tiles.push({date: t.date, cloudCoverage: t.cloudCoverage, dataPath: t.dataPath, shId: t.shId, __idx: idx});
    }
  });
  if (spec.mosaicking === "SIMPLE") { arr = []; }
  arr.orbits = orbits;
  arr.tiles = tiles;
  __tw_scenes = arr;
  __tw_collection = {orbits: orbits, tiles: tiles, from: new Date(spec.from), to: new Date(spec.to)};
}

function __tw_preProcess(mosaicking, simpleTiles) {
  // Returns the indices of the samples (ORBIT, TILE) or scenes (SIMPLE) that survive preProcessScenes.
  var c = __tw_collection, scenes;
  if (mosaicking === "ORBIT") scenes = {orbits: c.orbits.slice()};
  else if (mosaicking === "TILE") scenes = {tiles: c.tiles.slice()};
  else scenes = {tiles: simpleTiles.map(function (t, i) { t.__idx = i; return t; })};
  var all = (scenes.orbits || scenes.tiles).slice();  // before the script reassigns or filters them
  var result = preProcessScenes({scenes: scenes, from: c.from, to: c.to});
  if (result === undefined || result === null) result = {scenes: scenes};
  var kept = (result.scenes || {})[mosaicking === "ORBIT" ? "orbits" : "tiles"] || [];
  return JSON.stringify(kept.map(function (s) {
    if (s && typeof s.__idx === "number") return s.__idx;
    // a script that rebuilt the objects: find the original by its date (and id)
    for (var k = 0; k < all.length; k++) {
      var a = all[k];
      if (mosaicking === "ORBIT" ? a.dateFrom === s.dateFrom : a.date === s.date && a.shId === s.shId) return k;
    }
    return -1;
  }));
}

function __tw_updateOutput(outputs) {
  updateOutput(outputs, {scenes: __tw_scenes});
  var bands = {};
  for (var id in outputs) bands[id] = outputs[id].bands;
  return JSON.stringify(bands);
}

function __tw_fail(id, band, i, v) {
  var type = Array.isArray(v) ? "array" : v === null ? "null" : typeof v;
  var text;
  try { text = JSON.stringify(v); } catch (e) { text = undefined; }
  if (text === undefined) text = String(v);
  throw new TypeError(RETURN_MARKER_PLACEHOLDER + JSON.stringify(
    {output: id, band: band, pixel: i, type: type, value: text.slice(0, 60)}));
}

function __tw_value(x, id, band, i) {
  if (typeof x === "number") return x;
  if (typeof x === "boolean") return x ? 1 : 0;
  if (x === null || x === undefined) return NaN;
  return __tw_fail(id, band, i, x);
}

function __tw_store(j, v, i, n) {
  // v: what the script returned for output j at pixel i; short arrays padded with 0, long ones cut
  var out = __tw_out[j], B = __tw_sizes[j], id = __tw_ids[j];
  if (v === undefined || v === null) {
    for (var k = 0; k < B; k++) out[k * n + i] = NaN;
    return;
  }
  if (!(Array.isArray(v) || ArrayBuffer.isView(v))) __tw_fail(id, -1, i, v);
  var L = v.length;
  if (L !== B) __tw_mismatch[j]++;
  for (var k = 0; k < B; k++) out[k * n + i] = k < L ? __tw_value(v[k], id, k, i) : 0;
}

function __tw_slow(r, i, n) {
  var keyed = r !== null && typeof r === "object" && !Array.isArray(r) && !ArrayBuffer.isView(r);
  if (__tw_ids.length === 1) {
    __tw_mode = keyed ? 1 : 0;  // the next pixels most likely return the same form
    __tw_store(0, keyed ? r[__tw_ids[0]] : r, i, n);
  } else if (keyed || r === undefined || r === null) {
    for (var j = 0; j < __tw_ids.length; j++) __tw_store(j, keyed ? r[__tw_ids[j]] : undefined, i, n);
  } else {
    __tw_fail(null, -2, i, r);
  }
}

function __tw_begin(spec, inputMetadata, customData, outputs) {
  // everything a tile needs before its first chunk, in one call: returns updateOutput's band counts or null
  __tw_setScenes(spec);
  __tw_inputMetadata = inputMetadata;
  __tw_customData = customData;
  __tw_resetTile();
  return outputs === null ? null : __tw_updateOutput(outputs);
}

function __tw_resetTile() {
  __tw_mismatch = __tw_mismatch.map(function () { return 0; });
  __tw_outputMetadata = {userData: undefined};
}

function __tw_finish() {
  if (typeof updateOutputMetadata === "function") {
    updateOutputMetadata(__tw_scenes, __tw_inputMetadata, __tw_outputMetadata);
  }
  var u = __tw_outputMetadata.userData;
  return JSON.stringify({mismatch: __tw_mismatch, userData: u === undefined ? null : u, external: __tw_external});
}
""".replace("RETURN_MARKER_PLACEHOLDER", json.dumps(RETURN_MARKER))
)


def _key(name: str) -> str:
    return json.dumps(name)


def _store(outputs: tuple[OutputSpec, ...], keyed: bool, prefix: str = "") -> str:
    """The fast store: every output an array of its declared length holding only numbers.

    Anything else leaves the loop with `__tw_r = r; return i;` and `__tw_slow` stores that pixel. The exit
    is an assignment, not a call: V8 then still scalar-replaces the returned array (and the sample
    object) while the exit is never taken, which makes SIMPLE NDVI about 4x faster than a call there.
    Its own names (the return value `r`, the pixel `i`, the chunk size `n`, the outputs `o<j>`, …) carry
    `prefix` where the loop shares its scope with a script's code.
    """
    r, i, n, k, fast = (prefix + name for name in ("r", "i", "n", "k", "fast"))
    checks, stores = [], []
    for j, output in enumerate(outputs):
        v, o = f"{prefix}v{j}", f"{prefix}o{j}"
        value = f"({r}[{_key(output.id)}])" if keyed else r
        if keyed:
            checks.append(
                f"var {v} = {value}; if ({v} == null || {v}.length !== {output.bands}) break {fast};"
            )
        else:
            checks.append(f"var {v} = {r}; if ({r}.length !== {output.bands}) break {fast};")
        if output.bands <= 16:
            names = [f"{prefix}x{j}_{b}" for b in range(output.bands)]
            if names:
                checks.append(
                    "var "
                    + ", ".join(f"{x} = {v}[{b}]" for b, x in enumerate(names))
                    + ";"
                    + " if ("
                    + " || ".join(f"typeof {x} !== 'number'" for x in names)
                    + f") break {fast};"
                )
                stores.extend(f"{o}[{b} * {n} + {i}] = {x};" for b, x in enumerate(names))
        else:
            checks.append(
                f"for (var {k} = 0; {k} < {output.bands}; {k}++) if (typeof {v}[{k}] !== 'number') break;"
                f" if ({k} < {output.bands}) break {fast};"
            )
            stores.append(f"for (var {k} = 0; {k} < {output.bands}; {k}++) {o}[{k} * {n} + {i}] = {v}[{k}];")
    # a labelled block: `break fast` leaves it for the slow exit; `continue` goes on with the pixel loop
    return (
        f"{fast}: {{ if ({r} == null) break {fast}; "
        + " ".join(checks)
        + " "
        + " ".join(stores)
        + f" continue; }} __tw_r = {r}; return {i};"
    )


def loops(
    bands: tuple[str, ...],
    outputs: tuple[OutputSpec, ...],
    mosaicking: Mosaicking,
    ns: int,
    callee: str = "evaluatePixel",
    variable: str = "",
) -> str:
    """`__tw_loops_<ns>` (or `variable`): [array-return loop, object-return loop] for tiles with `ns` samples,
    calling `callee` (the script's evaluatePixel, or its compiled copy).

    Each loop evaluates pixels i..n-1 of the chunk and returns where it stopped: n, or the pixel whose
    return value (left in __tw_r) needs the slow path. With a fixed sample count the samples array is a
    literal of object literals, which V8 allocates faster than a filled `new Array(ns)`.
    """

    def fields(offset: str) -> str:
        return ", ".join(f"{_key(name)}: i{k}[{offset}]" for k, name in enumerate(bands))

    if mosaicking == Mosaicking.SIMPLE:
        make = f"var samples = {{{fields('i')}}};"
    elif ns <= 32:
        make = (
            "var samples = ["
            + ", ".join("{" + fields("i" if s == 0 else f"{s} * n + i") + "}" for s in range(ns))
            + "];"
        )
    else:
        make = (
            "var samples = new Array(ns);"
            f" for (var s = 0; s < ns; s++) {{ var q = s * n + i; samples[s] = {{{fields('q')}}}; }}"
        )
    head = "".join(f"var i{k} = __tw_in[{k}];" for k in range(len(bands))) + "".join(
        f"var o{j} = __tw_out[{j}];" for j in range(len(outputs))
    )
    functions = []
    for keyed in (False, True):
        functions.append(
            f"""function (i, n, ns) {{
  {head}
  var sc = __tw_scenes, md = __tw_inputMetadata, cd = __tw_customData, om = __tw_outputMetadata;
  for (; i < n; i++) {{
    {make}
    var r = {callee}(samples, sc, md, cd, om);
    {_store(outputs, keyed)}
  }}
  return n;
}}"""
        )
    return f"var {variable or f'__tw_loops_{ns}'} = [{functions[0]}, {functions[1]}];"


def driver(bands: tuple[str, ...], outputs: tuple[OutputSpec, ...]) -> str:
    """Buffers, the slow path and the chunk entry point for one set of outputs (after updateOutput)."""
    ids = json.dumps([o.id for o in outputs])
    sizes = json.dumps([o.bands for o in outputs])
    wide = json.dumps([o.sample_type != "FLOAT32" for o in outputs])
    return f"""
var __tw_ids = {ids}, __tw_sizes = {sizes}, __tw_nbands = {len(bands)}, __tw_wide = {wide};
var __tw_mode = __tw_ids.length > 1 ? 1 : 0;  // 0: arrays returned, 1: objects keyed by output id
__tw_mismatch = __tw_sizes.map(function () {{ return 0; }});
function __tw_alloc(n, ns) {{
  __tw_in = [];
  for (var k = 0; k < __tw_nbands; k++) __tw_in.push(new __tw_Float32Array(new __tw_ArrayBuffer(Math.max(1, n * ns) * 4)));
  // integer outputs get float64 buffers so that rounding sees the value the script returned
  __tw_out = __tw_sizes.map(function (b, j) {{
    var wide = __tw_wide[j], size = Math.max(1, n * b) * (wide ? 8 : 4);
    return wide ? new __tw_Float64Array(new __tw_ArrayBuffer(size)) : new __tw_Float32Array(new __tw_ArrayBuffer(size));
  }});
}}
function __tw_run(n, ns, loops, last) {{
  var i = 0;
  while (i < n) {{
    i = loops[__tw_mode](i, n, ns);
    if (i < n) {{
      var r = __tw_r;
      __tw_r = undefined;
      __tw_slow(r, i, n);
      i++;
    }}
  }}
  return last ? __tw_finish() : n;
}}
"""
