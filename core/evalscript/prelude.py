"""The JavaScript every evalscript context starts with: Evalscript V3's constants and the sandbox.

The engine adds its pixel loop and its typed-array accounting (engine/evalscript/js.py); the form's check
adds stand-ins for Sentinel Hub's utilities and a small cap on typed arrays (INSPECTION).
"""

from __future__ import annotations

# Configurable properties of the global object (not `var`s), so a script may still declare
# `const index = ...` or its own SampleType.
CONSTANTS = r"""
globalThis.SampleType = Object.freeze({INT8: "INT8", UINT8: "UINT8", INT16: "INT16", UINT16: "UINT16",
                                       FLOAT32: "FLOAT32", AUTO: "AUTO"});
globalThis.Mosaicking = Object.freeze({SIMPLE: "SIMPLE", ORBIT: "ORBIT", TILE: "TILE"});
"""

# V8 itself has no file, network or process access; drop what the embedding adds (mini-racer's pure-JS
# timers would run script code later, and are non-configurable globals: they can only be blanked).
SANDBOX = r"""
setTimeout = undefined; clearTimeout = undefined; __timer_manager = undefined;
delete globalThis.WebAssembly;
"""

BUFFER_LIMIT_MB = 64  # typed arrays live outside the V8 heap and need their own cap

# For reading setup() only: evaluatePixel is never called, so the utilities are stand-ins.
_INSPECTION_EXTRAS = r"""
(function () {
  function nothing() {}
  globalThis.console = {log: nothing, info: nothing, warn: nothing, error: nothing, debug: nothing,
                        trace: nothing, dir: nothing, table: nothing};
  // Sentinel Hub's utility functions and visualizers, as stand-ins: top-level code that builds a
  // visualizer must run; setup() never depends on what they compute.
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

INSPECTION = CONSTANTS + SANDBOX + _INSPECTION_EXTRAS
