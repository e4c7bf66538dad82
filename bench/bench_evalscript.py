"""Evalscript runtime benchmarks, side by side with numpy (the ceiling) and with bare V8 loops.

    .venv/bin/python bench/bench_evalscript.py

One core (the process pins itself to CPU 0), 1,000,000 pixels, best of 5 after a warm-up:
- SIMPLE NDVI through the runtime vs numpy (target: >= 40% of numpy), and a bare V8 loop over typed
  arrays with no evalscript machinery (what V8 itself can do);
- ORBIT max-NDVI over 6 samples per pixel (target: >= 12 Mpx/s);
- the tutorial's NDVI-interpolation evalscript on 1100 x 1100 px x 6 samples vs a bare V8 loop
  calling its evaluatePixel with the data already in JS (target: <= 1.25x);
- peak RSS for tiles of growing size, each in a fresh process (chunking keeps the runtime's share flat).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
import benchkit  # noqa: E402

from tilewise.core.evalscript.v8 import V8_FLAGS, new_context  # noqa: E402
from tilewise.engine.evalscript import EvalscriptRuntime, Limits  # noqa: E402
from tilewise.engine.samples import Sample, SampleStack, Scene  # noqa: E402

JULY = datetime(2023, 7, 1, tzinfo=timezone.utc)
NDVI = """//VERSION=3
function setup() { return {input: ["B04", "B08"], output: {bands: 1, sampleType: "FLOAT32"}}; }
function evaluatePixel(s) { return [(s.B08 - s.B04) / (s.B08 + s.B04)]; }"""
MAX_NDVI = """//VERSION=3
function setup() { return {input: ["B04", "B08"], output: {bands: 1, sampleType: "FLOAT32"}, mosaicking: "ORBIT"}; }
function evaluatePixel(samples) {
  var best = -1;
  for (var i = 0; i < samples.length; i++) {
    var v = (samples[i].B08 - samples[i].B04) / (samples[i].B08 + samples[i].B04);
    if (v > best) best = v;
  }
  return [best];
}"""
TUTORIAL = (ROOT / "resources" / "evalscripts" / "04_ndvi_interpolation_tutorial.js").read_text()


def best_of(function, repeat: int = 5) -> float:
    return benchkit.best_of(function, repeat, warm_up=True)  # V8 optimises the loop and evaluatePixel first


def samples(n: int) -> list[Sample]:
    """n orbits, most recent first (Sentinel Hub's order)."""
    return [
        Sample(JULY + timedelta(days=5 * i), JULY + timedelta(days=5 * i + 1),
               (Scene(f"S{i}", JULY + timedelta(days=5 * i, hours=10), 0.0, "x"),))
        for i in range(n)
    ][::-1]  # fmt: skip


def planes(rng, n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    red = rng.uniform(0.01, 0.6, (n, size, size)).astype(np.float32)
    nir = rng.uniform(0.01, 0.6, (n, size, size)).astype(np.float32)
    return red, nir


def bare_ndvi_loop(red: np.ndarray, nir: np.ndarray) -> float:
    """V8 alone: typed arrays already in JS, a plain loop, no sample objects and no evalscript."""
    n = red.size
    racer = new_context()
    racer.eval(f"var a = new Float32Array({n}), b = new Float32Array({n}), o = new Float32Array({n});"
               "function run(n) { for (var i = 0; i < n; i++) o[i] = (b[i] - a[i]) / (b[i] + a[i]); return n; }")  # fmt: skip
    np.frombuffer(racer.eval("a.buffer"), np.float32)[:] = red.ravel()
    np.frombuffer(racer.eval("b.buffer"), np.float32)[:] = nir.ravel()
    seconds = best_of(lambda: racer.eval(f"run({n})"))
    racer.close()
    return seconds


def per_pixel_and_compiled(source: str, data: SampleStack) -> tuple[float, float, SampleStack]:
    """Best times of the per-pixel path and the compiled loop reading band planes (a script without Dates
    only compiles in that mode), measured alternately; checks they agree."""
    plain, compiled = (
        EvalscriptRuntime(source, Limits(compile=False)),
        EvalscriptRuntime(source, Limits(planes=True)),
    )
    assert compiled.compilation.compiled, compiled.compilation.reason
    times = {False: [], True: []}
    for _ in range(6):
        for use_compiled, runtime in ((False, plain), (True, compiled)):
            start = time.perf_counter()
            runtime.evaluate(data)
            times[use_compiled].append(time.perf_counter() - start)
    a, b = plain.evaluate(data), compiled.evaluate(data)
    assert all(a.outputs[k].data.tobytes() == b.outputs[k].data.tobytes() for k in a.outputs)
    plain.close()
    compiled.close()
    return min(times[False][1:]), min(times[True][1:]), b


def simple_ndvi(rng) -> None:
    red, nir = planes(rng, 1, 1000)
    data = SampleStack(samples(1), {"B04": red, "B08": nir}, np.ones((1, 1000, 1000), np.uint8), 1000, 1000)
    t_runtime, t_compiled, result = per_pixel_and_compiled(NDVI, data)
    got = result.outputs["default"].data
    t_numpy = best_of(lambda: (nir - red) / (nir + red))
    t_numpy64 = best_of(
        lambda: ((nir.astype(np.float64) - red) / (nir.astype(np.float64) + red)).astype(np.float32)
    )
    assert np.allclose(got, (nir - red) / (nir + red), rtol=1e-6)
    t_bare = bare_ndvi_loop(red, nir)
    print(f"SIMPLE NDVI, 1 Mpx: per pixel {t_runtime * 1e3:.2f} ms = {1 / t_runtime:.0f} Mpx/s, compiled (planes) "
          f"{t_compiled * 1e3:.2f} ms = {1 / t_compiled:.0f} Mpx/s; numpy float32 {1 / t_numpy:.0f} Mpx/s -> compiled at "
          f"{100 * t_numpy / t_compiled:.1f}% of numpy (target >= 60%); numpy float64 as JavaScript computes it "
          f"{1 / t_numpy64:.0f} Mpx/s; bare V8 typed-array loop {1 / t_bare:.0f} Mpx/s")  # fmt: skip


def orbit_max(rng) -> None:
    red, nir = planes(rng, 6, 1000)
    data = SampleStack(samples(6), {"B04": red, "B08": nir}, np.ones((6, 1000, 1000), np.uint8), 1000, 1000)
    t_runtime, t_compiled, result = per_pixel_and_compiled(MAX_NDVI, data)
    got = result.outputs["default"].data[0]
    t_numpy = best_of(lambda: ((nir - red) / (nir + red)).max(axis=0))
    assert np.allclose(got, ((nir - red) / (nir + red)).max(axis=0), rtol=1e-6)
    print(f"ORBIT max NDVI, 6 samples, 1 Mpx: per pixel {1 / t_runtime:.1f} Mpx/s, compiled (planes) {1 / t_compiled:.1f} Mpx/s "
          f"(target >= 50); numpy float32 {1 / t_numpy:.1f} Mpx/s")  # fmt: skip


def tutorial(rng) -> None:
    size, n = 1100, 6
    red = rng.uniform(300, 3000, (n, size, size)).astype(np.float32)
    nir = rng.uniform(300, 5000, (n, size, size)).astype(np.float32)
    clm = (rng.random((n, size, size)) < 0.15).astype(np.float32)
    mask = np.ones((n, size, size), np.uint8)
    data = SampleStack(samples(n), {"B04": red, "B08": nir, "CLM": clm}, mask, size, size)

    # the bare loop: the same script, samples built in JS from typed arrays already filled, evaluatePixel per pixel
    racer = new_context()
    racer.eval(TUTORIAL)
    racer.eval(f"""
      var N = {size * size}, NS = {n};
      var red = new Float32Array(N * NS), nir = new Float32Array(N * NS), clm = new Float32Array(N * NS);
      var scenes = [];
      for (var s = 0; s < NS; s++) scenes.push({{date: new Date(Date.UTC(2023, 6, 1 + 5 * (NS - 1 - s), 10))}});
      function bare() {{
        var out = 0;
        for (var i = 0; i < N; i++) {{
          var samples = new Array(NS);
          for (var s = 0; s < NS; s++) {{ var o = s * N + i; samples[s] = {{B04: red[o], B08: nir[o], CLM: clm[o], dataMask: 1}}; }}
          var r = evaluatePixel(samples, scenes);
          out += r.NDVI.length + r.data_mask[0];
        }}
        return out;
      }}""")  # fmt: skip
    for name, array in (("red", red), ("nir", nir), ("clm", clm)):
        np.frombuffer(racer.eval(f"{name}.buffer"), np.float32)[:] = array.reshape(n, -1).ravel()

    # measured alternately, so that all three see the same machine state
    runtime = EvalscriptRuntime(TUTORIAL, Limits(time_limit_s=3600, compile=False))
    compiled = EvalscriptRuntime(TUTORIAL, Limits(time_limit_s=3600))
    v8_dates = EvalscriptRuntime(TUTORIAL, Limits(time_limit_s=3600, engine_dates=False))
    assert compiled.engine_dates and v8_dates.compilation.compiled and not v8_dates.engine_dates
    t_runtime, t_compiled, t_v8_dates, t_bare = [], [], [], []
    expected = runtime.evaluate(data)
    for other in (compiled, v8_dates):
        got = other.evaluate(data)
        assert got.evaluation == "compiled"
        assert all(
            expected.outputs[k].data.tobytes() == got.outputs[k].data.tobytes() for k in expected.outputs
        )
    racer.eval("bare()", timeout_sec=3600)
    for _ in range(3):
        for times, run in ((t_runtime, lambda: runtime.evaluate(data)), (t_compiled, lambda: compiled.evaluate(data)),
                           (t_v8_dates, lambda: v8_dates.evaluate(data)),
                           (t_bare, lambda: racer.eval("bare()", timeout_sec=3600))):  # fmt: skip
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    for done in (runtime, compiled, v8_dates):
        done.close()
    racer.close()
    px = size * size / 1e6
    tr, tc, tv, tb = min(t_runtime), min(t_compiled), min(t_v8_dates), min(t_bare)
    print(f"tutorial NDVI interpolation, {size}x{size} px x {n} samples: per pixel {tr:.2f} s ({px / tr:.3f} Mpx/s), "
          f"compiled {tc:.2f} s ({tr / tc:.2f}x faster; target <= 0.5 s; with V8's Date instead of the engine's "
          f"{tv:.2f} s), bit-identical; bare V8 loop calling the script's evaluatePixel {tb:.2f} s")  # fmt: skip


def current_rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_child(size: int) -> None:
    """Runs in a fresh process: RSS before evaluating one SIMPLE NDVI tile, and the peak (getrusage) after."""
    rng = np.random.default_rng(1)
    red = rng.random((1, size, size), dtype=np.float32)
    nir = rng.random((1, size, size), dtype=np.float32)
    data = SampleStack(samples(1), {"B04": red, "B08": nir}, np.ones((1, size, size), np.uint8), size, size)
    runtime = EvalscriptRuntime(NDVI, Limits())
    runtime.evaluate(SampleStack(samples(1), {"B04": red[:, :1], "B08": nir[:, :1]},
                                 np.ones((1, 1, size), np.uint8), 1, size))  # fmt: skip
    before = current_rss_mib()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = runtime.evaluate(data)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    output = result.outputs["default"].data.nbytes / 2**20
    inputs = (red.nbytes + nir.nbytes + data.data_mask.nbytes) / 2**20
    print(f"  tile {size}x{size} ({size * size / 1e6:g} Mpx): inputs {inputs:.0f} MiB, output {output:.0f} MiB; "
          f"RSS {before:.0f} MiB before evaluate (peak so far {peak_before:.0f}), peak {peak:.0f} MiB after "
          f"-> evaluate added {peak - before:.0f} MiB, {peak - before - output:.0f} MiB beyond its output")  # fmt: skip


def memory() -> None:
    print("memory (SIMPLE NDVI FLOAT32, chunks of 262,144 px, a fresh process per size):")
    for size in (500, 1000, 2000, 4000, 8000):
        subprocess.run([sys.executable, __file__, "--memory", str(size)], check=True)


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    if sys.argv[1:2] == ["--memory"]:
        memory_child(int(sys.argv[2]))
        return
    from importlib.metadata import version

    rng = np.random.default_rng(1)
    racer = new_context()
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, mini-racer {version('mini-racer')} "
          f"(V8 {racer.v8_version}, flags {' '.join(V8_FLAGS) or 'none'}), one core "
          f"(affinity {sorted(os.sched_getaffinity(0))})")  # fmt: skip
    racer.close()
    memory()  # first: children inherit the parent's peak RSS (ru_maxrss survives exec on Linux)
    simple_ndvi(rng)
    orbit_max(rng)
    tutorial(rng)
    print(
        f"peak RSS of the benchmark process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
