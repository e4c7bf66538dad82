"""The JavaScript around a user's evalscript: constants, the sandbox, scenes, and the per-chunk pixel loop.

The loop is generated for each tile from the script's bands and outputs, so a
pixel costs one object literal per sample (a stable hidden class for V8) and
one call of evaluatePixel, with no Python in between. Band planes arrive as
Float32Arrays laid out [sample][pixel]; outputs leave as Float32Arrays laid
out [band][pixel], both over ArrayBuffers that numpy reads and writes in place.
"""

from __future__ import annotations

import json

from ..samples import Mosaicking
from .setup import OutputSpec

RETURN_MARKER = "TILEWISE_RETURN:"

# Evaluated before the user's script in every context.
PRELUDE = r"""
var SampleType = Object.freeze({INT8: "INT8", UINT8: "UINT8", INT16: "INT16", UINT16: "UINT16",
                                FLOAT32: "FLOAT32", AUTO: "AUTO"});
var Mosaicking = Object.freeze({SIMPLE: "SIMPLE", ORBIT: "ORBIT", TILE: "TILE"});
// The sandbox: V8 itself has no file, network or process access; drop what the embedding adds
// (mini-racer's pure-JS timers are non-configurable globals: they can only be blanked).
setTimeout = undefined; clearTimeout = undefined; __timer_manager = undefined;
delete globalThis.WebAssembly;
var __tw_scenes = [], __tw_collection = null, __tw_in = [], __tw_out = [], __tw_mismatch = [];
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
  var result = preProcessScenes({scenes: scenes, from: c.from, to: c.to});
  if (result === undefined || result === null) result = {scenes: scenes};
  var kept = (result.scenes || {})[mosaicking === "ORBIT" ? "orbits" : "tiles"] || [];
  return JSON.stringify(kept.map(function (s) { return s.__idx; }));
}

function __tw_updateOutput(outputs) {
  updateOutput(outputs, {scenes: __tw_scenes});
  var bands = {};
  for (var id in outputs) bands[id] = outputs[id].bands;
  return JSON.stringify(bands);
}

function __tw_num(x, output, band, i) {
  if (typeof x === "boolean") return x ? 1 : 0;
  if (x === null || x === undefined) return NaN;
  throw new TypeError(RETURN_MARKER_PLACEHOLDER + JSON.stringify(
    {output: output, band: band, pixel: i, type: typeof x, value: String(x).slice(0, 40)}));
}

function __tw_put(j, out, B, v, i, n, id) {
  if (v === undefined || v === null) {
    for (var k = 0; k < B; k++) out[k * n + i] = NaN;
    return;
  }
  if (!(Array.isArray(v) || ArrayBuffer.isView(v))) {
    throw new TypeError(RETURN_MARKER_PLACEHOLDER + JSON.stringify(
      {output: id, band: -1, pixel: i, type: typeof v, value: String(v).slice(0, 40)}));
  }
  var L = v.length;
  if (L !== B) __tw_mismatch[j]++;
  for (var k = 0; k < B; k++) {
    var x = k < L ? v[k] : 0;
    out[k * n + i] = typeof x === "number" ? x : __tw_num(x, id, k, i);
  }
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
  return JSON.stringify({mismatch: __tw_mismatch, userData: u === undefined ? null : u});
}
""".replace("RETURN_MARKER_PLACEHOLDER", json.dumps(RETURN_MARKER))


def _key(name: str) -> str:
    return json.dumps(name)


def _store_array(j: int, output: OutputSpec, value: str) -> str:
    """Write `value` (what the script returned for output j) into __tw_o{j}; fast path when the length matches."""
    bands, oid = output.bands, _key(output.id)
    if bands <= 16:
        fast = "".join(
            f"var x{k} = {value}[{k}]; __tw_o{j}[{k} * n + i] = typeof x{k} === 'number' ? x{k} : __tw_num(x{k}, {oid}, {k}, i);"
            for k in range(bands)
        )
    else:
        fast = (
            f"for (var k = 0; k < {bands}; k++) {{ var x = {value}[k];"
            f" __tw_o{j}[k * n + i] = typeof x === 'number' ? x : __tw_num(x, {oid}, k, i); }}"
        )
    return (
        f"if (Array.isArray({value}) && {value}.length === {bands}) {{ {fast} }}"
        f" else __tw_put({j}, __tw_o{j}, {bands}, {value}, i, n, {oid});"
    )


def driver(bands: tuple[str, ...], outputs: tuple[OutputSpec, ...], mosaicking: Mosaicking) -> str:
    """The pixel loop for one tile: `__tw_alloc(n, ns)` then `__tw_run(n, ns)` per chunk."""
    fields = ", ".join(f"{_key(name)}: __tw_i{k}[o]" for k, name in enumerate(bands))
    if mosaicking == Mosaicking.SIMPLE:
        make = f"var o = i; var samples = {{{fields}}};"
    else:
        make = (
            "var samples = new Array(ns);"
            f"for (var s = 0; s < ns; s++) {{ var o = s * n + i; samples[s] = {{{fields}}}; }}"
        )
    input_vars = "".join(f"var __tw_i{k} = __tw_in[{k}];" for k in range(len(bands)))
    output_vars = "".join(f"var __tw_o{j} = __tw_out[{j}];" for j in range(len(outputs)))
    is_object = "(r !== null && typeof r === 'object' && !Array.isArray(r) && !ArrayBuffer.isView(r))"
    if len(outputs) == 1:
        only = outputs[0]
        store = (
            f"if ({is_object}) {{ var v0 = r[{_key(only.id)}]; {_store_array(0, only, 'v0')} }}"
            f" else {{ {_store_array(0, only, 'r')} }}"
        )
    else:
        parts = "".join(
            f"var v{j} = r[{_key(o.id)}]; {_store_array(j, o, f'v{j}')}" for j, o in enumerate(outputs)
        )
        store = (
            f"if ({is_object}) {{ {parts} }}"
            " else if (r === undefined) {"
            + "".join(
                f"__tw_put({j}, __tw_o{j}, {o.bands}, undefined, i, n, '');" for j, o in enumerate(outputs)
            )
            + "} else {"
            f"  throw new TypeError({_key(RETURN_MARKER)} + JSON.stringify({{output: null, band: -2, pixel: i,"
            "    type: Array.isArray(r) ? 'array' : typeof r, value: String(r).slice(0, 40)}));"
            "}"
        )
    sizes = json.dumps([o.bands for o in outputs])
    return f"""
var __tw_sizes = {sizes};
__tw_mismatch = __tw_sizes.map(function () {{ return 0; }});
function __tw_alloc(n, ns) {{
  __tw_in = [];
  for (var k = 0; k < {len(bands)}; k++) __tw_in.push(new Float32Array(new ArrayBuffer(Math.max(1, n * ns) * 4)));
  __tw_out = __tw_sizes.map(function (b) {{ return new Float32Array(new ArrayBuffer(Math.max(1, n * b) * 4)); }});
}}
function __tw_run(n, ns) {{
  {input_vars}{output_vars}
  var sc = __tw_scenes, md = __tw_inputMetadata, cd = __tw_customData, om = __tw_outputMetadata;
  for (var i = 0; i < n; i++) {{
    {make}
    var r = evaluatePixel(samples, sc, md, cd, om);
    {store}
  }}
  return n;
}}
"""
