"""The JavaScript every evalscript context starts with: Evalscript V3's constants, the sandbox and the
accounting of typed arrays.

Both the engine (engine/evalscript/js.py, which adds its scenes and pixel loop) and the form's check
(INSPECTION) add Sentinel Hub's utility functions (utilities.py).
"""

from __future__ import annotations

import json

from .utilities import UTILITIES

MEMORY_MARKER = "TILEWISE_MEMORY:"  # starts the message of a typed array refused by the accounting

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

# Typed-array memory lives outside the V8 heap, so the heap limit does not see it (V8 alone lets a script
# fill about 16 GiB, and cannot interrupt the fill): charge every buffer a script creates against
# `__tw_externalLimit` (set it with typed_array_limit), refusing one that would not fit before it is
# allocated, and credit it back when the buffer is collected. The engine keeps the originals for its own buffers.
TYPED_ARRAYS = r"""
var __tw_ArrayBuffer = ArrayBuffer, __tw_Float32Array = Float32Array, __tw_Float64Array = Float64Array;
var __tw_external = 0, __tw_externalLimit = Infinity;
var __tw_freed = typeof FinalizationRegistry === "function"
  ? new FinalizationRegistry(function (bytes) { __tw_external -= bytes; }) : null;
function __tw_refuse(bytes) {
  if (__tw_external + bytes > __tw_externalLimit) {
    throw new RangeError(MEMORY_MARKER_PLACEHOLDER + "the script allocated more than " +
      (__tw_externalLimit / 1048576) + " MiB of typed arrays and ArrayBuffers");
  }
}
function __tw_charge(buffer, bytes) {
  if (!(bytes > 0)) return;
  __tw_refuse(bytes);
  __tw_external += bytes;
  if (__tw_freed !== null) __tw_freed.register(buffer, bytes);
}
(function () {
  var isBuffer = function (x) { return x instanceof __tw_ArrayBuffer ||
    (typeof SharedArrayBuffer === "function" && x instanceof SharedArrayBuffer); };
  function guard(name, requested, sizeOf) {
    var target = globalThis[name];
    if (typeof target !== "function") return;
    var proxy = new Proxy(target, {
      construct: function (t, args, newTarget) {
        __tw_refuse(requested(args, target.BYTES_PER_ELEMENT || 1));  // before the allocation
        var made = Reflect.construct(t, args, newTarget === proxy ? t : newTarget);
        __tw_charge(made, sizeOf(made, args));
        return made;
      }
    });
    Object.defineProperty(target.prototype, "constructor", {value: proxy, writable: false, configurable: false});
    Object.defineProperty(globalThis, name, {value: proxy, writable: false, configurable: false});
  }
  function maxBytes(args) {
    return args[1] && typeof args[1] === "object" ? Number(args[1].maxByteLength) || 0 : 0;
  }
  function bufferBytes(args) { return Math.max(Number(args[0]) || 0, maxBytes(args)); }
  function viewBytes(args, size) {  // a view of an existing buffer costs nothing; iterables are charged after
    var first = args[0];
    if (isBuffer(first)) return 0;
    if (first !== null && typeof first === "object") return (Number(first.length) || 0) * size;
    return (Number(first) || 0) * size;
  }
  ["ArrayBuffer", "SharedArrayBuffer"].forEach(function (name) {
    guard(name, bufferBytes, function (made, args) { return Math.max(made.byteLength, maxBytes(args)); });
  });
  ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
   "Float16Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"].forEach(function (name) {
    guard(name, viewBytes, function (made, args) { return isBuffer(args[0]) ? 0 : made.byteLength; });
  });
  // transfer() makes a new buffer of any length without going through a constructor
  ["transfer", "transferToFixedLength"].forEach(function (name) {
    delete __tw_ArrayBuffer.prototype[name];
  });
})();
""".replace("MEMORY_MARKER_PLACEHOLDER", json.dumps(MEMORY_MARKER))


def typed_array_limit(megabytes: int) -> str:
    """The statement that sets the accounting's limit, run after the prelude."""
    return f"__tw_externalLimit = {megabytes * 1024 * 1024};"


INSPECTION_TYPED_ARRAYS_MB = 64  # setup() only returns settings: a small cap

# Top-level code that builds a visualizer or calls a utility runs before setup() can be read.
INSPECTION = CONSTANTS + SANDBOX + TYPED_ARRAYS + typed_array_limit(INSPECTION_TYPED_ARRAYS_MB) + UTILITIES
