"""The engine's Date (engine/evalscript/dates.py) against V8's: the same results, errors and side effects.

Each probe runs in two fresh contexts, one with V8's Date and one with the engine's as the global `Date`, and
returns JSON: every value, thrown error (class and message) and the time values left behind must be equal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tilewise.core.evalscript.v8 import new_context
from tilewise.engine.evalscript.dates import EMULATED_DATE

# Times around the edges: epoch, negative, DST changes in the southern and northern hemispheres, leap days,
# the end of the representable range, fractions and NaN.
TIMES = [
    0,
    -1,
    1.5,
    -86400000.7,
    1688169600000,
    1690588800000.25,
    951782400000,
    1711846800000,
    1667091600000,
    8.64e15,
    -8.64e15,
    8.64e15 + 1,
    float("nan"),
    1e21,
    -0.0,
    253402300799999,
    -62198755200000,
]
STRINGS = [
    "2023-07-01",
    "2023-07-01T10:20:30Z",
    "2023-07-01T10:20:30.123+02:00",
    "2023-07-01T10:20:30",
    "Jul 1 2023",
    "Sat, 01 Jul 2023 10:00:00 GMT",
    "garbage",
    "",
    "2024-02-29T23:59:59.999Z",
    "+275760-09-13",
]
PROBE_HELPERS = r"""
function __p_run(f) {
  try { return {ok: __p_plain(f())}; }
  catch (e) { return {error: String(e && e.constructor && e.constructor.name) + ': ' + (e && e.message)}; }
}
function __p_plain(v) {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : v !== v ? 'NaN' : v;
  if (typeof v === 'object' && v !== null) {
    var time;
    try { time = __p_plain(v.getTime()); } catch (e) { time = 'no getTime'; }
    return {tag: Object.prototype.toString.call(v), time: time, json: JSON.stringify(v), isDate: v instanceof Date};
  }
  return v === undefined ? 'undefined' : v;
}
"""


def run_probes(probes: list[str], emulated: bool) -> list:
    context = new_context()
    try:
        context.eval(EMULATED_DATE + PROBE_HELPERS)
        if emulated:
            context.eval("Date = __tw_EDate;")
        listing = ",\n".join(f"__p_run(function () {{ {probe} }})" for probe in probes)
        return json.loads(context.eval(f"JSON.stringify([{listing}])"))
    finally:
        context.close()


def assert_same(probes: list[str]) -> None:
    want, got = run_probes(probes, False), run_probes(probes, True)
    for probe, expected, actual in zip(probes, want, got):
        assert actual == expected, probe


def number(value: float) -> str:
    return (
        "NaN" if value != value else repr(value) if value else ("-0" if str(value).startswith("-") else "0")
    )


def test_construction_in_every_form_gives_v8s_time_value():
    probes = [f"return new Date({number(t)}).getTime();" for t in TIMES]
    probes += [f"return new Date({json.dumps(s)}).getTime();" for s in STRINGS]
    probes += [
        "return new Date(2023, 6, 1).getTime();",
        "return new Date(2023, 6, 1, 25, 61, 61, 1001).getTime();",
        "return new Date(99, 0).getTime();",
        "return new Date(2023, 1, 29, 0, 0, 0, 0.9).getTime();",
        "return new Date(NaN, 0).getTime();",
        "return typeof new Date().getTime();",
        "return new Date(new Date(1690588800000)).getTime();",
        "return new Date({valueOf: function () { return 5; }}).getTime();",
        "return new Date({toString: function () { return '2023-07-01'; }, valueOf: undefined}).getTime();",
        "return new Date(true).getTime();",
        "return new Date(null).getTime();",
        "return new Date(undefined).getTime();",
        "return new Date(1n).getTime();",
        "return new Date(Symbol()).getTime();",
        "return new Date({[Symbol.toPrimitive]: function () { return {}; }}).getTime();",
        "var d = new Date('2023-07-01'); var e = new Date('2023-07-01'); return d === e;",
        "return Date.UTC(2023, 6, 1) + Date.parse('2023-07-01T00:00:00Z');",
        "return typeof Date.now();",
        "return new Date(0) instanceof Date;",
        "return Object.keys(new Date(0)).length + Object.getOwnPropertyNames(new Date(0)).length;",
        "var s = []; for (var k in new Date(0)) s.push(k); return s.length;",
    ]
    assert_same(probes)


@pytest.mark.parametrize(
    "method",
    [
        "getDate", "getDay", "getFullYear", "getHours", "getMilliseconds", "getMinutes", "getMonth", "getSeconds",
        "getTime", "getTimezoneOffset", "getUTCDate", "getUTCDay", "getUTCFullYear", "getUTCHours",
        "getUTCMilliseconds", "getUTCMinutes", "getUTCMonth", "getUTCSeconds", "getYear", "valueOf", "toString",
        "toDateString", "toTimeString", "toISOString", "toUTCString", "toGMTString", "toJSON", "toLocaleString",
        "toLocaleDateString", "toLocaleTimeString",
    ],
)  # fmt: skip
def test_every_reader_answers_as_v8_does_for_edge_times(method):
    assert_same([f"return new Date({number(t)}).{method}();" for t in TIMES])


@pytest.mark.parametrize(
    "method",
    [
        "setDate", "setFullYear", "setHours", "setMilliseconds", "setMinutes", "setMonth", "setSeconds", "setTime",
        "setUTCDate", "setUTCFullYear", "setUTCHours", "setUTCMilliseconds", "setUTCMinutes", "setUTCMonth",
        "setUTCSeconds", "setYear",
    ],
)  # fmt: skip
def test_every_setter_leaves_and_returns_what_v8s_leaves_twice_over(method):
    argument_lists = [
        "", "0", "1, 2", "0, 0, 0, 0", "-1, 70, 70, 1500", "31", "NaN", "1.9, -0.5", "2024, 1, 29", "99", "0, 0, 0, 0, 9",
        "'7'", "undefined", "null", "{valueOf: function () { return 3; }}",
    ]  # fmt: skip
    probes = []
    for t in TIMES:
        for arguments in argument_lists:
            # twice on fresh Dates of the same time (the second call is answered from the memo), then on the result
            probes.append(
                f"var d = new Date({number(t)}), e = new Date({number(t)});"
                f" var r = [d.{method}({arguments}), e.{method}({arguments}), d.{method}({arguments})];"
                " return JSON.stringify(r.map(__p_plain)) + ' ' + JSON.stringify([d.getTime(), e.getTime()].map(__p_plain));"
            )  # fmt: skip
    assert_same(probes)


def test_conversions_operators_and_json_are_v8s():
    probes = [
        "return new Date(5) < new Date(6);",
        "return new Date(5) - new Date(2);",
        "return new Date(5) + 1;",
        "return `${new Date(0)}`;",
        "return String(new Date(0));",
        "return +new Date(7);",
        "return new Date(0) == new Date(0).toString();",
        "return new Date(0) == 0;",
        "return JSON.stringify({d: new Date(1690588800000), n: new Date(NaN)});",
        "return Object.prototype.toString.call(new Date(0));",
        "return new Date(0)[Symbol.toPrimitive]('number');",
        "return new Date(0)[Symbol.toPrimitive]('default');",
        "return new Date(0)[Symbol.toPrimitive]('x');",
        "return new Date(0)[Symbol.toPrimitive].call(5, 'number');",
        "var d = new Date(3); d.valueOf = function () { return 42; }; return d < 41;",
        "var d = new Date(3); d.valueOf = function () { return {}; }; return d * 2;",
        "var d = new Date(3); d.toString = function () { return 'x'; }; return d + '';",
        "var d = new Date(3); d.extra = 1; return JSON.stringify(Object.keys(d)) + d.extra;",
        "var d = Object.freeze(new Date(3)); d.setTime(9); return d.getTime();",
        "var d = new Date(3); return d.getTime.call(new Date(8));",
        "return new Date(3).getTime.call({});",
        "return new Date(3).getHours.call(5);",
        "return new Date(3).setHours.call({}, 1);",
        "return new Date(3).getYear.call(null);",
        "return new Date(3).toISOString.call([1]);",
        "return new Date(3).toJSON.call({toISOString: function () { return 'mine'; }});",
        "return new Date(3).toJSON.call({valueOf: function () { return NaN; }, toISOString: function () { return 1; }});",
        "return new Date(NaN).toISOString();",
        "return [new Date(9), new Date(2), new Date(5)].sort(function (a, b) { return a - b; }).map(Number).join();",
        "return Math.max(new Date(4), new Date(9));",
        "return isNaN(new Date('garbage'));",
        "var d = new Date(0); var seen = d.setHours({valueOf: function () { d.setTime(5); return 2; }}); return seen + ' ' + d.getTime();",
        "var d = new Date(0); d.setTime({valueOf: function () { return 77; }}); return d.getTime();",
        "return new Date(0).setTime(1n);",
        "class Mine extends Date { constructor(t) { super(t); this.k = 1; } twice() { return this.getTime() * 2; } }"
        " var m = new Mine(21); return m.twice() + ' ' + (m instanceof Date) + ' ' + m.k;",
        "return new Date(0).getTime.name + new Date(0).setHours.length + new Date(0).setHours.name + Date.length;",
        "return new Date(0).toGMTString === new Date(0).toUTCString;",
        "var d = new Date(0); return [d.toUTCString.name, d.toGMTString.name, d.toUTCString.length, d.toJSON.name,"
        " d.toJSON.length, d.setYear.name, d.setYear.length, d[Symbol.toPrimitive].name].join();",
        "return Object.keys(new Date(0).__proto__).length;",
    ]  # fmt: skip
    assert_same(probes)


def test_the_memo_never_answers_for_other_arguments_or_arity():
    assert_same(
        [
            "var out = []; for (var k = 0; k < 3000; k++) { var d = new Date(1688169600000 + (k % 7) * 3600000);"
            " out.push(d.setHours(k % 5, k % 3), d.setHours(k % 5), d.setMinutes(k % 61, k % 59, k % 999)); }"
            " return out.join();",
            "var d = new Date(1688169600000); return [d.setHours(0, 0, 0, 0), d.setHours(0, 0, 0), d.setHours(0, 0),"
            " d.setHours(0), d.setHours(-0), d.setHours(0, NaN)].join();",
        ]
    )


@pytest.mark.parametrize("zone", ["America/Santiago", "Pacific/Kiritimati", "Europe/Dublin"])
def test_local_time_methods_agree_in_other_time_zones(zone):
    """V8 reads the time zone when it starts: each zone runs in a fresh process."""
    script = f"import sys; sys.path[:0] = {sys.path!r}; from {__name__} import zone_probe; zone_probe()"
    completed = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "TZ": zone},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.strip().endswith("same")


def zone_probe() -> None:
    probes = []
    for t in TIMES:
        probes.append(
            f"var d = new Date({number(t)}); return [d.getHours(), d.getTimezoneOffset(), d.toString(),"
            f" d.setHours(0, 0, 0, 0), new Date({number(t)}).setHours(0, 0, 0, 0), d.setDate(d.getDate() + 7),"
            f" d.setMonth(2, 31)].map(__p_plain);"
        )
    probes += [f"return new Date({json.dumps(s)}).getTime();" for s in STRINGS]
    probes.append(
        "return new Date(2023, 2, 26, 2, 30).getTime() + ' ' + new Date(2024, 8, 8, 0, 0).getTime();"
    )
    assert_same(probes)
    print("same")
