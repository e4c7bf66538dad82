"""Sentinel Hub's evalscript utility functions, visualizers and constants, as JavaScript for a V8 context.

Written from Sentinel Hub's documentation (the "Utilities" and older "Utility Functions" pages, published
for the Copernicus Data Space Ecosystem in github.com/eu-cdse/documentation, APIs/SentinelHub/Evalscript/
Utilities.qmd and Functions.md) and checked against every worked example there; docs/evalscript.md
("Utility functions") lists each one and the choices made where the documentation is silent.

Every name is a configurable, writable property of the global object (not a declaration), so a script may
still declare its own `function index(...)` or `const colorBlend = ...`; the helpers call one another
through this closure, never through the globals a script may have replaced.
"""

from __future__ import annotations

# The globals UTILITIES defines (console only where the embedding has none)
UTILITY_NAMES = (
    "JAVA_DOUBLE_MAX_VAL", "blueRed", "redTemperature", "greenWhite", "oceanColor",
    "int2rgb", "rgb2int", "normalizeRGB", "combine", "index", "inverse", "valueMap", "valueInterpolate",
    "colorBlend", "decodeL8C2Qa",
    "ColorRampVisualizer", "ColorGradientVisualizer", "ColorMapVisualizer", "HighlightCompressVisualizer",
    "HighlightCompressVisualizerSingle", "DefaultVisualizer", "Identity",
)  # fmt: skip

UTILITIES = r"""
(function (global) {
  "use strict";
  var JAVA_DOUBLE_MAX_VAL = 1.7976931348623157e308;

  function define(name, value) {
    Object.defineProperty(global, name, {value: value, writable: true, configurable: true, enumerable: false});
  }

  // --- helper functions -----------------------------------------------------------------------------------

  function int2rgb(color) { return [(color >> 16) & 0xff, (color >> 8) & 0xff, color & 0xff]; }
  function rgb2int(rgb) { return (rgb[0] << 16) + (rgb[1] << 8) + rgb[2]; }
  function normalizeRGB(rgb255) { return rgb255.map(function (c) { return c / 255; }); }
  function combine(color1, color2, alpha) {
    return color1.map(function (c, i) { return c * alpha + color2[i] * (1 - alpha); });
  }
  function index(x, y) { return x + y !== 0 ? (x - y) / (x + y) : 0; }
  function inverse(x) { return x !== 0 ? 1 / x : JAVA_DOUBLE_MAX_VAL; }

  // intervals [a, b, c] split the line into (-inf, a], (a, b], (b, c], (c, +inf): the last value covers the last two
  function valueMap(value, intervals, values) {
    if (!Array.isArray(intervals) || !Array.isArray(values)) return value;
    for (var i = 0; i < intervals.length; i++) {
      if (value <= intervals[i]) return values[i];
    }
    return values[values.length - 1];
  }

  function copyOf(v) { return Array.isArray(v) ? v.slice() : v; }  // a caller may push to what it gets
  function blend(from, to, ratio, name) {
    if (typeof from === "number") return from * (1 - ratio) + to * ratio;
    if (Array.isArray(from)) return from.map(function (c, i) { return c * (1 - ratio) + to[i] * ratio; });
    throw new TypeError(name + ": the values must be numbers or arrays of numbers, not " + JSON.stringify(from));
  }
  // linear between consecutive (interval, value) pairs, clamped to the first and last value
  function interpolator(name) {
    return function (value, intervals, values) {
      if (!Array.isArray(intervals) || !Array.isArray(values)) return value;
      var previous = intervals.length > 0 ? intervals[0] : 0;
      if (value <= previous) return copyOf(values[0]);
      for (var i = 1; i < intervals.length; i++) {
        var next = intervals[i];
        if (value <= next) return blend(values[i - 1], values[i], (value - previous) / (next - previous), name);
        previous = next;
      }
      return copyOf(values[values.length - 1]);
    };
  }

  // Landsat 8-9 Collection 2 QA_PIXEL: single-bit flags 0-7, then 2-bit confidences from bit 8 up
  function decodeL8C2Qa(value) {
    function bit(n) { return (value >> n) & 1; }
    function pair(n) { return (value >> n) & 3; }
    return {fill: bit(0), dilatedCloud: bit(1), cirrus: bit(2), cloud: bit(3), cloudShadow: bit(4), snow: bit(5),
            clear: bit(6), water: bit(7), cloudConfidence: pair(8), cloudShadowConfidence: pair(10),
            snowIceConfidence: pair(12), cirrusConfidence: pair(14)};
  }

  // --- colours ----------------------------------------------------------------------------------------------

  // A ramp colour as [r, g, b] in 0..255: 0xRRGGBB, "#rrggbb" or a normalized [r, g, b]
  function rgb255(color, name) {
    if (typeof color === "number") return int2rgb(color);
    if (typeof color === "string" && /^#?[0-9a-fA-F]{6}$/.test(color)) {
      return int2rgb(parseInt(color.charAt(0) === "#" ? color.slice(1) : color, 16));
    }
    if (Array.isArray(color) && color.length >= 3) return [color[0] * 255, color[1] * 255, color[2] * 255];
    throw new TypeError(name + ": a colour is 0xRRGGBB, \"#rrggbb\" or [r, g, b] between 0 and 1, not " +
                        JSON.stringify(color));
  }
  // Sentinel Hub's documented results are whole 8-bit levels divided by 255 (250 -> 128/255 in its example)
  function toUnit(rgb) { return rgb.map(function (c) { return Math.round(c) / 255; }); }

  var blueRed = [[1.0, 0x000080], [0.875, 0x0000ff], [0.625, 0x00ffff], [0.375, 0xffff00], [0.125, 0xff0000],
                 [0.0, 0x800000]];
  var redTemperature = [[1.0, 0x000000], [0.525, 0xae0000], [0.3, 0xff6e00], [0.25, 0xff8600], [0.0, 0xffffff]];
  var greenWhite = [[1.0, 0x000000], [0.6, 0x006600], [0.3, 0x80b300], [0.0, 0xffffff]];
  var oceanColor = [
    [0.0, [147, 0, 108]], [0.0471, [111, 0, 144]], [0.098, [72, 0, 183]], [0.149, [33, 0, 222]],
    [0.2, [0, 10, 255]], [0.2471, [0, 74, 255]], [0.298, [0, 144, 255]], [0.349, [0, 213, 255]],
    [0.4, [0, 255, 215]], [0.4471, [0, 255, 119]], [0.498, [0, 255, 15]], [0.549, [96, 255, 0]],
    [0.6, [200, 255, 0]], [0.6471, [255, 235, 0]], [0.698, [255, 183, 0]], [0.749, [255, 131, 0]],
    [0.8, [255, 79, 0]], [0.8471, [255, 31, 0]], [0.898, [230, 0, 0]], [0.949, [165, 0, 0]], [1.0, [105, 0, 0]]
  ].map(function (stop) { return [stop[0], normalizeRGB(stop[1])]; });

  // The built-in ramps run from 1 (at minVal) down to 0 (at maxVal): Sentinel Hub's examples put
  // redTemperature's black (1.0) at minVal.
  function stretched(pairs, minVal, maxVal) {
    var low = minVal === undefined ? 0 : minVal, high = maxVal === undefined ? 1 : maxVal;
    return pairs.map(function (pair) { return [low * pair[0] + high * (1 - pair[0]), pair[1]]; });
  }

  class ColorRampVisualizer {
    constructor(ramps, minVal, maxVal) {
      if (!Array.isArray(ramps) || ramps.length === 0) {
        throw new TypeError("ColorRampVisualizer: ramps must be a non-empty array of [value, colour] pairs");
      }
      var values = ramps.map(function (stop) { return stop[0]; });
      var lowest = Math.min.apply(null, values), highest = Math.max.apply(null, values);
      var low = minVal === undefined ? lowest : minVal, high = maxVal === undefined ? highest : maxVal;
      var scale = highest > lowest ? (high - low) / (highest - lowest) : 1;
      this.ramps = ramps;
      this.minVal = low;
      this.maxVal = high;
      this.stops = ramps.map(function (stop) {  // ascending, with the overrides applied linearly
        return {value: low + (stop[0] - lowest) * scale, rgb: rgb255(stop[1], "ColorRampVisualizer")};
      }).sort(function (a, b) { return a.value - b.value; });
    }

    process(value) {
      var stops = this.stops, last = stops.length - 1;
      if (value <= stops[0].value) return toUnit(stops[0].rgb);
      for (var i = 1; i <= last; i++) {
        if (value <= stops[i].value) {
          var from = stops[i - 1], to = stops[i], alpha = (value - from.value) / (to.value - from.value);
          return toUnit(combine(to.rgb, from.rgb, alpha));
        }
      }
      return toUnit(stops[last].rgb);  // above the last stop, and NaN
    }

    processList(values) { return values.map(function (v) { return this.process(v); }, this); }

    // the same stops with their colours in the opposite order
    inverse() {
      var stops = this.stops;
      return new ColorRampVisualizer(stops.map(function (stop, i) {
        return [stop.value, normalizeRGB(stops[stops.length - 1 - i].rgb)];
      }));
    }

    static createRedTemperature(minVal, maxVal) {
      return new ColorRampVisualizer(stretched(redTemperature, minVal, maxVal));
    }
    static createWhiteGreen(minVal, maxVal) { return new ColorRampVisualizer(stretched(greenWhite, minVal, maxVal)); }
    static createBlueRed(minVal, maxVal) { return new ColorRampVisualizer(stretched(blueRed, minVal, maxVal)); }
    // oceanColor is listed the other way up (0 first) and has no worked example: 0 at minVal, as a plain ramp
    static createOceanColor(minVal, maxVal) {
      return new ColorRampVisualizer(oceanColor, minVal === undefined ? 0 : minVal, maxVal === undefined ? 1 : maxVal);
    }
  }

  // The older name: pairs run from 1 (at minVal, default 0) to 0 (at maxVal, default 1), like the built-in ramps
  class ColorGradientVisualizer extends ColorRampVisualizer {
    constructor(valColPairs, minVal, maxVal) { super(stretched(valColPairs, minVal, maxVal)); }
    static createRedTemperature(minVal, maxVal) { return new ColorGradientVisualizer(redTemperature, minVal, maxVal); }
    static createWhiteGreen(minVal, maxVal) { return new ColorGradientVisualizer(greenWhite, minVal, maxVal); }
    static createBlueRed(minVal, maxVal) { return new ColorGradientVisualizer(blueRed, minVal, maxVal); }
  }

  // A step function: each value takes the colour of the last pair whose value it reaches (the first below them all)
  class ColorMapVisualizer {
    constructor(valColPairs) {
      if (!Array.isArray(valColPairs) || valColPairs.length === 0) {
        throw new TypeError("ColorMapVisualizer: valColPairs must be a non-empty array of [value, colour] pairs");
      }
      this.valColPairs = valColPairs;
      this.colors = valColPairs.map(function (pair) { return rgb255(pair[1], "ColorMapVisualizer"); });
    }

    process(value) {
      var chosen = 0;
      for (var i = 0; i < this.valColPairs.length; i++) {
        if (value < this.valColPairs[i][0]) break;
        chosen = i;
      }
      return toUnit(this.colors[chosen]);
    }

    static createDefaultColorMap() {
      return new ColorMapVisualizer([
        [-1.0, 0x000000], [-0.2, 0xff0000], [-0.1, 0x9a0000], [0.0, 0x660000], [0.1, 0xffff33], [0.2, 0xcccc33],
        [0.3, 0x666600], [0.4, 0x33ffff], [0.5, 0x33cccc], [0.6, 0x006666], [0.7, 0x33ff33], [0.8, 0x33cc33],
        [0.9, 0x006600]
      ]);
    }
  }

  function clamp(v, low, high) { return Math.max(Math.min(v, high), low); }

  // minValue..maxValue onto 0..1 (times gain, plus offset, to the power gamma); when maxValue lies in (0, 1),
  // what lands above 0.92 is compressed so that 2 * maxValue - minValue reaches 1
  class HighlightCompressVisualizer {
    constructor(minValue, maxValue, gain, offset, gamma) {
      this.minValue = minValue === undefined ? 0.0 : minValue;
      this.maxValue = maxValue === undefined ? 1.0 : maxValue;
      this.gain = gain === undefined ? 1.0 : gain;
      this.offset = offset === undefined ? 0.0 : offset;
      this.gamma = gamma === undefined ? 1.0 : gamma;
      this.factor = 1.0 / (this.maxValue - this.minValue);
      this.highlightPoint = 0.92;
      this.highlightAdjust = 0 < this.maxValue && this.maxValue < 1;
      this.highlightFactor = (1.0 - this.highlightPoint) / (2.0 - this.highlightPoint);
    }

    process(value) {
      var v = this.gain * (value - this.minValue) * this.factor + this.offset;
      if (this.gamma !== 1.0) v = Math.pow(Math.max(0, v), this.gamma);
      if (this.highlightAdjust && v > this.highlightPoint) {
        v = this.highlightPoint + (v - this.highlightPoint) * this.highlightFactor;
      }
      return clamp(v, 0.0, 1.0);
    }

    processList(values) { return values.map(function (v, i) { return this.process(v, i); }, this); }
  }

  // The same mapping, returning a one-band pixel
  class HighlightCompressVisualizerSingle extends HighlightCompressVisualizer {
    process(value) { return [super.process(value)]; }
  }

  // The same linear stretch without the highlight compression
  class DefaultVisualizer extends HighlightCompressVisualizer {
    constructor(minValue, maxValue, gain, offset, gamma) {
      super(minValue, maxValue, gain, offset, gamma);
      this.highlightAdjust = false;
    }
  }

  class Identity {
    process(value) { return Array.isArray(value) ? value : [value]; }
  }

  var exported = {
    JAVA_DOUBLE_MAX_VAL: JAVA_DOUBLE_MAX_VAL, blueRed: blueRed, redTemperature: redTemperature,
    greenWhite: greenWhite, oceanColor: oceanColor,
    int2rgb: int2rgb, rgb2int: rgb2int, normalizeRGB: normalizeRGB, combine: combine, index: index,
    inverse: inverse, valueMap: valueMap, valueInterpolate: interpolator("valueInterpolate"),
    colorBlend: interpolator("colorBlend"), decodeL8C2Qa: decodeL8C2Qa,
    ColorRampVisualizer: ColorRampVisualizer, ColorGradientVisualizer: ColorGradientVisualizer,
    ColorMapVisualizer: ColorMapVisualizer, HighlightCompressVisualizer: HighlightCompressVisualizer,
    HighlightCompressVisualizerSingle: HighlightCompressVisualizerSingle, DefaultVisualizer: DefaultVisualizer,
    Identity: Identity
  };
  Object.keys(exported).forEach(function (name) { define(name, exported[name]); });

  if (typeof global.console === "undefined") {  // V8 has its own (writing nowhere); an embedding may not
    var nothing = function () {};
    define("console", {log: nothing, info: nothing, warn: nothing, error: nothing, debug: nothing});
  }
})(globalThis);
"""
