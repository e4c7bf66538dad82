"""The engine's Date: V8's Date semantics without V8's C++ constructor, for compiled scripts.

V8 makes every Date in C++ (about 100 ns: a third of the tutorial script's compiled time went to
`new Date(scenes[i].date)` and `setHours`), and its comparison operators convert Dates in C++ too. `EMULATED_DATE`
defines `__tw_EDate`, a JavaScript class with the same observable behaviour that compiled scripts get as
their global `Date` (runtime.py): its instances keep the time value in a private field; `getTime`, `valueOf`,
the constructor's usual forms and `@@toPrimitive` with the "number" hint answer from it in JavaScript; setters
with number arguments are remembered per time value and arguments (they are pure functions of both, given the
process's time zone); every other method runs V8's own on a real Date of the same time value. Errors are V8's
own, with its messages.

Only scripts that cannot tell the two apart get it: `Date` itself is only constructed, asked for `UTC`/`now`/
`parse`, or the right side of `instanceof`, and the script names nothing that reaches prototypes or property
descriptors (compiler/dates.py). Every compiled tile is still checked against the per-pixel path, which keeps
V8's Date.
"""

from __future__ import annotations

EMULATED_DATE = r"""
var __tw_dates = (function () {
  "use strict";
  var RealDate = globalThis.Date, real = RealDate.prototype, apply = Reflect.apply, construct = Reflect.construct;
  var define = Object.defineProperty, trunc = Math.trunc, MapOf = Map;
  var realGetTime = real.getTime, realToPrimitive = real[Symbol.toPrimitive], realNow = RealDate.now;
  var LIMIT = 65536;  // entries per memo: a tile's distinct dates are few, a script's can be many
  var RING = 16;  // a setter's latest results, searched before its memo (a pixel's loop over its scenes)
  var parsed = new MapOf();  // string -> time value (V8's parser, run once per string)
  var setter, reader, time, valueOf;
  function remember(memo, key, value) {
    if (memo.size >= LIMIT) memo.clear();
    memo.set(key, value);
  }
  function clip(v) {  // TimeClip
    return v !== v || v > 8.64e15 || v < -8.64e15 ? NaN : trunc(v) + 0;
  }
  function Entry(t, n, a, b, c, d, u) { this.t = t; this.n = n; this.a = a; this.b = b; this.c = c; this.d = d; this.u = u; }
  class Date {
    #t;
    #real;  // a real Date of the same time value, made when a method needs one
    constructor(value) {
      var n = arguments.length, t;
      if (n === 1) {
        if (typeof value === "number") t = clip(value);
        else if (typeof value === "object" && value !== null && #t in value) t = value.#t;
        else if (typeof value === "string") {
          t = parsed.get(value);
          if (t === undefined) { t = apply(realGetTime, new RealDate(value), []); remember(parsed, value, t); }
        } else t = apply(realGetTime, new RealDate(value), []);
      } else if (n === 0) {
        t = realNow();
      } else {
        t = apply(realGetTime, construct(RealDate, arguments), []);
      }
      this.#t = t;
    }
    // on anything but a Date, V8's own method throws V8's own error
    getTime() {
      if (typeof this !== "object" || this === null || !(#t in this)) return apply(real.getTime, this, arguments);
      return this.#t;
    }
    valueOf() {
      if (typeof this !== "object" || this === null || !(#t in this)) return apply(real.valueOf, this, arguments);
      return this.#t;
    }
    setTime(value) {
      if (typeof this !== "object" || this === null || !(#t in this)) return apply(real.setTime, this, arguments);
      if (typeof value === "number") { var v = clip(value); this.#t = v; this.#real = undefined; return v; }
      var r = new RealDate(this.#t), u = apply(real.setTime, r, arguments);
      this.#t = u;
      this.#real = undefined;
      return u;
    }
    [Symbol.toPrimitive](hint) {
      if (hint === "number" && typeof this === "object" && this !== null && #t in this && this.valueOf === valueOf) {
        return this.#t;
      }
      return apply(realToPrimitive, this, arguments);  // generic: valueOf and toString, which are these
    }
    static {
      // the time value of an engine Date, or undefined for any other object (compiler/kernel.py __tw_prim)
      time = function (x) { return #t in x ? x.#t : undefined; };
      // setters are pure functions of the time value and the arguments (in the process's time zone): with
      // number arguments, a result is remembered per time value
      setter = function (name) {
        var method = real[name], memo = new MapOf(), ring = [], next = 0;
        function other(self, args) {  // not a Date, or arguments that are not all numbers: V8 converts them
          if (typeof self !== "object" || self === null || !(#t in self)) return apply(method, self, args);
          var r = new RealDate(self.#t), result = apply(method, r, args);
          self.#t = apply(realGetTime, r, []);
          self.#real = undefined;
          return result;
        }
        function compute(t, n, a, b, c, d) {
          var e = memo.get(t);
          if (e === undefined || e.n !== n || e.a !== a || e.b !== b || e.c !== c || e.d !== d) {
            var args = n === 1 ? [a] : n === 2 ? [a, b] : n === 3 ? [a, b, c] : [a, b, c, d];
            e = new Entry(t, n, a, b, c, d, apply(method, new RealDate(t), args));
            remember(memo, t, e);
          }
          ring[next] = e;
          next = (next + 1) % RING;
          return e;
        }
        return function (a, b, c, d) {
          var n = arguments.length;
          if (typeof this !== "object" || this === null || !(#t in this) || n < 1 || n > 4 ||
              typeof a !== "number" || (n > 1 && typeof b !== "number") || (n > 2 && typeof c !== "number") ||
              (n > 3 && typeof d !== "number")) {
            return other(this, arguments);
          }
          var t = this.#t, e;
          for (var k = 0; k < ring.length; k++) {
            e = ring[k];
            if (e.t === t && e.n === n && e.a === a && e.b === b && e.c === c && e.d === d) {
              this.#t = e.u;
              this.#real = undefined;
              return e.u;
            }
          }
          e = compute(t, n, a, b, c, d);
          this.#t = e.u;
          this.#real = undefined;
          return e.u;
        };
      };
      // getters, toString and the rest: V8's own, on a real Date of the same time value
      reader = function (name) {
        var method = real[name];
        return function () {
          if (typeof this !== "object" || this === null || !(#t in this)) return apply(method, this, arguments);
          var r = this.#real;
          if (r === undefined) r = this.#real = new RealDate(this.#t);
          return apply(method, r, arguments);
        };
      };
    }
  }
  var proto = Date.prototype;
  valueOf = proto.valueOf;
  var made = {};
  Object.getOwnPropertyNames(real).forEach(function (name) {
    if (name === "constructor" || Object.prototype.hasOwnProperty.call(proto, name)) return;
    var method = real[name];
    if (typeof method !== "function") return;
    // one function under two names where V8 has one (toGMTString is toUTCString), named as V8 names it
    var twin = Object.keys(made).filter(function (other) { return real[other] === method; })[0];
    var fn = twin !== undefined ? made[twin]
      : name === "toJSON" ? function (key) { return apply(method, this, arguments); }  // generic in V8 too
      : name.slice(0, 3) === "set" ? setter(name) : reader(name);
    if (twin === undefined) {
      define(fn, "name", {value: method.name, configurable: true});
      define(fn, "length", {value: method.length, configurable: true});
    }
    made[name] = fn;
    define(proto, name, {value: fn, writable: true, enumerable: false, configurable: true});
  });
  define(proto[Symbol.toPrimitive], "name", {value: "[Symbol.toPrimitive]", configurable: true});
  define(proto, Symbol.toPrimitive, {value: proto[Symbol.toPrimitive], writable: false, enumerable: false,
                                      configurable: true});
  define(proto, Symbol.toStringTag, {value: "Date", configurable: true});  // Object.prototype.toString
  ["now", "parse", "UTC"].forEach(function (name) {
    define(Date, name, {value: RealDate[name], writable: true, enumerable: false, configurable: true});
  });
  define(Date, "length", {value: RealDate.length, configurable: true});
  return {Date: Date, time: time};
})();
var __tw_EDate = __tw_dates.Date, __tw_edTime = __tw_dates.time;
var __tw_edToPrimitive = __tw_EDate.prototype[Symbol.toPrimitive], __tw_edValueOf = __tw_EDate.prototype.valueOf;
"""
