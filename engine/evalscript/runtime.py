"""Evalscript V3 in an embedded V8 (mini-racer): compile and validate, then evaluate tiles chunk by chunk.

A runtime keeps one V8 context per script and reuses it for every chunk and
every tile it evaluates: V8's optimised code for evaluatePixel and the pixel
loop then survives from tile to tile (a fresh context per tile ran NDVI 2-3×
slower, see docs/benchmarks.md). After any failure the context is dropped and
the next tile gets a new one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Optional

import numpy as np
from py_mini_racer._exc import JSEvalException, JSOOMException, JSParseException, JSTimeoutException

from ...core.evalscript.prelude import MEMORY_MARKER, typed_array_limit
from ...core.evalscript.problems import (
    SOURCE_URL_LINE,
    EvalscriptProblem,
    check_version,
    missing_functions_message,
)
from ...core.evalscript.v8 import new_context
from ..samples import Mosaicking, Sample, SampleStack
from .compiler import Compilation, compile_kernel
from .compiler.dates import NO_DATES
from .convert import DTYPES, convert, final_type
from .dates import EMULATED_DATE
from .errors import EvalscriptError, from_parse_error, from_runtime_error
from .js import PRELUDE, RETURN_MARKER, driver, loops
from .setup import DATA_MASK, HOOKS, OutputSpec, ScriptSetup, parse_setup

log = logging.getLogger(__name__)

SERVICE_VERSION = "tilewise-1.0"
NORMALIZATION_FACTOR = 0.0001  # REFLECTANCE = DN × 0.0001 for Sentinel-2


@dataclass(frozen=True)
class Limits:
    """What one script may use. The engine builds them from its settings (Settings.script_limits); every
    compile and evaluation takes them as an argument, so no code path falls back to these defaults unasked."""

    time_limit_s: float = 600.0  # per tile (or per check), all chunks and hooks together
    heap_mb: int = 1024  # V8 heap of one context
    chunk_pixels: int = 262_144  # pixels per call into JS: bounds memory whatever the tile size
    # set for the checks at create and analysis, whose time limit is a short cap of the engine's, not the tile's
    checking: bool = False
    # evaluate with the compiled pixel loop where the script allows it (docs/evalscript.md, "Compiled evaluation")
    compile: bool = True
    planes: bool = (
        False  # compiled sample reads go straight to the band planes (TILEWISE_EVALSCRIPT_COMPILER=planes)
    )
    check_pixels: int = (
        1024  # pixels of every compiled tile also evaluated per pixel and compared, bit for bit
    )
    # compiled scripts that cannot tell it from V8's get the engine's Date (engine/evalscript/dates.py)
    engine_dates: bool = True

    def time_message(self, during: str = "") -> str:
        running = f" while running {during}" if during else ""
        if self.checking:
            return (
                f"The evalscript's top-level code and setup() did not finish within {self.time_limit_s:g} s{running}, "
                "when the request was checked: keep work out of the top level and setup() (do it in evaluatePixel)."
            )
        return (
            f"The evalscript exceeded the time limit of {self.time_limit_s:g} s per tile{running} (raise it with "
            "TILEWISE_TILE_TIME_LIMIT, or Limits.time_limit_s)."
        )


class ScriptCancelled(EvalscriptError):
    """The engine is shutting down and stopped the script (cancel_running_scripts)."""

    def __init__(self) -> None:
        super().__init__(
            "The engine is shutting down and stopped the evalscript: send the request again.", "limit"
        )


# Evaluations in flight in this process, so a shutting-down engine can stop them (SIGTERM must not wait for a
# runaway script). Once cancelled, a process runs no more scripts.
_RUNNING: set[concurrent.futures.Future] = set()
_RUNNING_LOCK = threading.Lock()
_CANCELLED = threading.Event()


def cancel_running_scripts() -> int:
    """Stop every evalscript running in this process and refuse new ones; returns how many were stopped."""
    _CANCELLED.set()
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    return sum(future.cancel() for future in running)


@dataclass
class OutputRaster:
    id: str
    data: np.ndarray  # (bands, height, width) in the final dtype
    sample_type: str  # final: AUTO is resolved to UINT8
    nodata_value: Optional[float]
    band_names: Optional[tuple[str, ...]] = None  # as setup() named them; None: B0, B1…

    def band_name(self, index: int) -> str:
        return self.band_names[index] if self.band_names else f"B{index}"


class Evaluation:
    """How a tile's pixels were evaluated (TileResult.evaluation; counted in the engine's status)."""

    COMPILED = "compiled"
    PER_PIXEL = "per-pixel"
    CHECK_FAILED = "per-pixel after a failed check"  # compiled, differed from the per-pixel sample: redone


@dataclass
class TileResult:
    outputs: dict[str, OutputRaster]
    userdata: Any = None
    warnings: list[str] = field(default_factory=list)
    evaluation: str = Evaluation.PER_PIXEL


class _Context:
    """One V8 context holding the prelude and the user's script."""

    def __init__(self, source: str, limits: Limits, deadline: float, engine_dates: bool = False):
        self.limits = limits
        self.deadline = deadline
        self.racer = new_context()
        self.racer.set_hard_memory_limit(limits.heap_mb * 1024 * 1024)
        self.eval(PRELUDE, "the engine prelude")
        self.eval(typed_array_limit(limits.heap_mb), "the engine prelude")
        if engine_dates:  # before the script: its Dates, the scenes' and the metadata's are all the engine's
            # (only here: defining @@toPrimitive on any object slows every Date conversion in the isolate)
            self.eval(EMULATED_DATE + "Date = __tw_EDate;", "the engine prelude")
        try:
            self._run(source + SOURCE_URL_LINE)
        except JSParseException as exc:
            self.close()
            raise from_parse_error(str(exc), source) from None
        except Exception as exc:
            error = self._translate(exc, "the script's top-level code")
            self.close()
            raise error from None

    def _remaining(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise EvalscriptError(self.limits.time_message(), "limit")
        return remaining

    def _translate(self, exc: Exception, during: str) -> EvalscriptError:
        if isinstance(exc, EvalscriptError):
            return exc
        if isinstance(exc, JSTimeoutException):
            return EvalscriptError(self.limits.time_message(during), "limit")
        text = str(exc)
        if (
            isinstance(exc, JSOOMException)
            or self.racer.was_hard_memory_limit_reached()
            or MEMORY_MARKER in text
            or "Array buffer allocation failed" in text
        ):
            return EvalscriptError(
                f"The evalscript exceeded the V8 heap limit of {self.limits.heap_mb} MiB (JavaScript objects, and "
                f"typed arrays counted separately) while running {during} (raise it with TILEWISE_SCRIPT_HEAP_MB, "
                "or Limits.heap_mb, or allocate less per pixel).",
                "limit",
            )
        if RETURN_MARKER in text:
            return _return_error(text)
        return from_runtime_error(text, during)

    def eval(self, code: str, during: str) -> Any:
        try:
            return self._run(code)
        except JSEvalException as exc:
            raise self._translate(exc, during) from None

    def _run(self, code: str) -> Any:
        """MiniRacer.eval with its time limit, made cancellable by cancel_running_scripts()."""
        timeout = self._remaining()
        if _CANCELLED.is_set():
            raise ScriptCancelled()

        async def run() -> Any:
            try:
                return await asyncio.wait_for(self.racer.eval_cancelable(code), timeout)
            except asyncio.TimeoutError:
                raise JSTimeoutException() from None

        # mini-racer's own event loop thread runs V8 tasks; its eval() does the same, minus the handle we keep
        future = asyncio.run_coroutine_threadsafe(run(), self.racer._ctx.event_loop)
        with _RUNNING_LOCK:
            _RUNNING.add(future)
        try:
            if _CANCELLED.is_set():  # cancelled between the check above and the registration
                future.cancel()
            return future.result()
        except concurrent.futures.CancelledError:
            raise ScriptCancelled() from None
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(future)

    def close(self) -> None:
        self.racer.close()


def _return_error(text: str) -> EvalscriptError:
    payload = text.split(RETURN_MARKER, 1)[1].splitlines()[0]
    try:
        info = json.loads(payload)
    except ValueError:
        info = {}
    value, kind = info.get("value"), info.get("type")
    if info.get("band") == -2:
        message = (
            f"evaluatePixel returned {value} (a {kind}), but setup() declares several outputs: return an object "
            "keyed by output id, e.g. {NDVI: [v], dataMask: [m]}."
        )
    elif info.get("band") == -1:
        message = (
            f"evaluatePixel returned {value} (a {kind}) for output {info.get('output')!r}: return an array of "
            "numbers, e.g. [value]."
        )
    else:
        message = (
            f"evaluatePixel returned {value} (a {kind}) in band {info.get('band')} of output "
            f"{info.get('output')!r}: values must be numbers."
        )
    frame = from_runtime_error(text, "evaluatePixel")
    return EvalscriptError(message, "output", frame.line, frame.column)


def compile_script(source: str, limits: Limits, default_sample_type: str = "AUTO") -> ScriptSetup:
    """Parse and validate a script; returns what its setup() declares. Raises EvalscriptError."""
    if not isinstance(source, str) or not source.strip():
        raise EvalscriptError("The evalscript is empty.", "setup")
    try:
        check_version(source)
    except EvalscriptProblem as problem:
        raise EvalscriptError.of(problem, "setup") from None
    context = _Context(source, limits, time.monotonic() + limits.time_limit_s)
    try:
        kinds = json.loads(
            context.eval(
                "JSON.stringify({setup: typeof setup, evaluatePixel: typeof evaluatePixel, "
                + ", ".join(f"{hook}: typeof {hook}" for hook in HOOKS)
                + "})",
                "the function check",
            )
        )
        missing = [name for name in ("setup", "evaluatePixel") if kinds[name] != "function"]
        if missing:
            raise EvalscriptError(missing_functions_message(missing), "setup")
        raw = context.eval(
            "(function () { var r = setup(); return r === undefined ? null : JSON.stringify(r); })()",
            "setup()",
        )
        if raw is None:
            raise EvalscriptError("setup() returned nothing: return {input: […], output: {…}}.", "setup")
        hooks = {hook: kinds[hook] == "function" for hook in HOOKS}
        return parse_setup(json.loads(raw), hooks, default_sample_type)
    finally:
        context.close()


def buffer_dtype(output: OutputSpec) -> type:
    """Integer and AUTO outputs leave JS as float64, so rounding sees the exact returned value."""
    return np.float32 if output.sample_type == "FLOAT32" else np.float64


def _final_array(output: OutputSpec, height: int, width: int) -> np.ndarray:
    return np.empty((output.bands, height, width), DTYPES[final_type(output.sample_type)])


def _differing(got: np.ndarray, want: np.ndarray) -> int:
    """How many values differ in their bits (NaNs are equal whatever their payload)."""
    if got.shape != want.shape or got.dtype != want.dtype:
        return max(got.size, want.size)
    same = got.view(f"u{got.itemsize}") == want.view(f"u{want.itemsize}")
    if got.dtype.kind == "f":
        same |= np.isnan(got) & np.isnan(want)
    return int(got.size - np.count_nonzero(same))


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _scenes_spec(samples: list[Sample], mosaicking: Mosaicking, time_from, time_to) -> dict:
    now = datetime.now(timezone.utc)
    return {
        "mosaicking": mosaicking.value,
        "from": _iso(time_from or now),
        "to": _iso(time_to or now),
        "samples": [
            {
                "dateFrom": _iso(sample.date_from),
                "dateTo": _iso(sample.date_to),
                "tiles": [
                    {
                        "date": _iso(scene.datetime),
                        "cloudCoverage": scene.cloud_coverage,
                        "dataPath": scene.data_path,
                        "shId": scene.item_id,
                        "orbitId": scene.properties.get("sat:relative_orbit"),
                    }
                    for scene in sample.scenes
                ],
            }
            for sample in samples
        ],
    }


class EvalscriptRuntime:
    """A script ready to evaluate tiles; one per script and worker process."""

    def __init__(self, source: str, limits: Limits, default_sample_type: str = "AUTO"):
        self.source = source
        self.limits = limits
        # of outputs without sampleType: AUTO, or FLOAT32 in the Statistical API
        self.default_sample_type = default_sample_type
        self.setup = compile_script(source, self.limits, default_sample_type)
        self.compilation = (
            compile_kernel(source, self.setup, planes=limits.planes)
            if limits.compile
            else Compilation(False, "the compiler is off")
        )
        if limits.compile and not limits.checking and not self.compilation.compiled:
            log.info("The evalscript runs per pixel: %s.", self.compilation.reason)
        reason = self.compilation.dates_reason
        if self.compilation.compiled and not limits.checking and reason not in (None, NO_DATES):
            log.info("The compiled evalscript keeps V8's Date: %s.", reason)
        self._reference: Optional[EvalscriptRuntime] = None  # the per-pixel path, for the sample check
        self._fell_back = False  # the compiled path differed and the tile being evaluated is redone per pixel
        self._ctx: Optional[_Context] = None
        self._driver_outputs: Optional[tuple[OutputSpec, ...]] = None
        self._buffers: Optional[tuple[int, int]] = None  # (pixels, samples) the JS buffers hold
        self._loops: set[int] = set()  # sample counts whose pixel loops the context defines
        self._inputs: list[np.ndarray] = []
        self._out_views: list[np.ndarray] = []

    def __enter__(self) -> EvalscriptRuntime:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self._reference is not None:
            self._reference.close()
        if self._ctx is not None:
            self._ctx.close()
        self._ctx = None
        self._driver_outputs = None
        self._buffers = None
        self._loops = set()
        self._inputs, self._out_views = [], []

    @property
    def engine_dates(self) -> bool:
        """Whether this runtime's contexts run the script with the engine's Date (compiled scripts only)."""
        return self.compilation.compiled and self.compilation.engine_dates and self.limits.engine_dates

    def _context(self, deadline: float) -> _Context:
        if self._ctx is None:
            self._ctx = _Context(self.source, self.limits, deadline, self.engine_dates)
        self._ctx.deadline = deadline
        return self._ctx

    def _guarded(self, work):
        try:
            return work()
        except BaseException:
            self.close()  # a context that failed (limit, exception) is never reused
            raise

    # --- hooks before reading pixels ------------------------------------------------------------------------

    def pre_process_scenes(self, samples: list[Sample], time_from=None, time_to=None) -> list[Sample]:
        if not self.setup.has_pre_process_scenes:
            return samples
        kept = self._guarded(lambda: self._pre_process(samples, time_from, time_to))
        if not self.engine_dates:
            return kept
        # the pixel check does not see which scenes a tile reads: V8's Date must keep the same ones
        expected = self._per_pixel().pre_process_scenes(samples, time_from, time_to)
        if expected == kept:
            return kept
        self._fall_back("preProcessScenes kept other scenes with the engine's Date")
        return self._guarded(lambda: self._pre_process(samples, time_from, time_to))

    def _pre_process(self, samples: list[Sample], time_from, time_to) -> list[Sample]:
        context = self._context(time.monotonic() + self.limits.time_limit_s)
        spec = _scenes_spec(samples, self.setup.mosaicking, time_from, time_to)
        context.eval(f"__tw_setScenes({json.dumps(spec)})", "preProcessScenes")
        if self.setup.mosaicking == Mosaicking.SIMPLE:
            if not samples:
                return samples
            tiles = spec["samples"][0]["tiles"]
            kept = json.loads(
                context.eval(f"__tw_preProcess('SIMPLE', {json.dumps(tiles)})", "preProcessScenes")
            )
            scenes = tuple(samples[0].scenes[i] for i in kept if 0 <= i < len(samples[0].scenes))
            return [Sample(samples[0].date_from, samples[0].date_to, scenes)]
        kept = json.loads(
            context.eval(
                f"__tw_preProcess({json.dumps(self.setup.mosaicking.value)}, [])", "preProcessScenes"
            )
        )
        keep = set(kept)
        return [sample for index, sample in enumerate(samples) if index in keep]

    # --- the tile ---------------------------------------------------------------------------------------------

    def evaluate(
        self, stack: SampleStack, *, time_from=None, time_to=None, custom_data: Optional[dict] = None
    ) -> TileResult:
        if not self.compilation.compiled:
            result = self._guarded(lambda: self._evaluate(stack, time_from, time_to, custom_data))
            if self._fell_back:  # this tile's preProcessScenes differed: counted as a failed check
                result.evaluation, self._fell_back = Evaluation.CHECK_FAILED, False
            return result
        try:
            result = self._guarded(lambda: self._evaluate(stack, time_from, time_to, custom_data))
        except EvalscriptError as error:
            if error.kind == "limit":
                raise
            # the error as the per-pixel path raises it: its line and column are the script's, not the kernel's
            return self._per_pixel().evaluate(
                stack, time_from=time_from, time_to=time_to, custom_data=custom_data
            )
        result.evaluation = Evaluation.COMPILED
        difference = self._check(stack, result, time_from, time_to, custom_data)
        if difference is None:
            return result
        # never wrong, only slower: this script runs per pixel from now on, starting with this tile again
        self._fall_back(difference)
        result = self._guarded(lambda: self._evaluate(stack, time_from, time_to, custom_data))
        result.evaluation, self._fell_back = Evaluation.CHECK_FAILED, False
        return result

    def _fall_back(self, difference: str) -> None:
        log.warning(
            "The compiled evalscript differed from the per-pixel path (%s): it runs per pixel now.",
            difference,
        )
        self.compilation = Compilation(False, f"the sample check found a difference: {difference}")
        self.close()  # fresh contexts: what runs next must not see what the compiled pass changed
        self._fell_back = True

    def _per_pixel(self) -> EvalscriptRuntime:
        if self._reference is None:
            self._reference = EvalscriptRuntime(
                self.source, replace(self.limits, compile=False), self.default_sample_type
            )
        return self._reference

    def _check(
        self, stack: SampleStack, result: TileResult, time_from, time_to, custom_data
    ) -> Optional[str]:
        """Evaluates a fixed sample of the tile's pixels per pixel; returns what differs, or None."""
        pixels = stack.height * stack.width
        count = min(self.limits.check_pixels, pixels)
        if count <= 0:
            return None
        chosen = np.sort(np.random.default_rng(pixels).choice(pixels, count, replace=False))
        try:
            expected = self._per_pixel().evaluate(
                stack.take(chosen), time_from=time_from, time_to=time_to, custom_data=custom_data
            )
        except EvalscriptError as error:
            return f"the per-pixel path failed on the checked pixels: {error}"
        for output_id, raster in result.outputs.items():
            want = expected.outputs[output_id].data.reshape(raster.data.shape[0], -1)
            got = raster.data.reshape(raster.data.shape[0], -1)[:, chosen]
            differing = _differing(got, want)
            if differing:
                return f"output {output_id!r}, {differing} of {got.size} checked values"
        return None

    def _outputs(self, bands: Any) -> tuple[OutputSpec, ...]:
        """The outputs after updateOutput (`bands`: its band count per output id, or None)."""
        outputs = self.setup.outputs
        if bands is None:
            return outputs
        updated = []
        for output in outputs:
            count = bands.get(output.id, output.bands)
            if not isinstance(count, (int, float)) or int(count) != count or count < 0:
                raise EvalscriptError(
                    f"updateOutput set the bands of {output.id!r} to {count!r}: use a whole number.", "output"
                )
            names = output.band_names if int(count) == output.bands else None  # renamed count: B0, B1…
            updated.append(replace(output, bands=int(count), band_names=names))
        return tuple(updated)

    def _prepare(self, context: _Context, outputs: tuple[OutputSpec, ...], capacity: int, ns: int) -> str:
        """(Re)define the driver, the loops for `ns` samples and the buffers only when something changed."""
        if outputs != self._driver_outputs:
            context.eval(driver(self.setup.bands, outputs), "the engine driver")
            self._driver_outputs = outputs
            self._loops = set()
            self._buffers = None
        key = ns if ns <= 32 or self.setup.mosaicking == Mosaicking.SIMPLE else 33
        if self.compilation.compiled:
            key, name, code = self.compilation.loops(self.setup, outputs, key, self.engine_dates)
        else:
            name, code = f"__tw_loops_{key}", loops(self.setup.bands, outputs, self.setup.mosaicking, key)
        if key not in self._loops:
            context.eval(code, "the engine driver")
            self._loops.add(key)
        if self._buffers != (capacity, ns):
            context.eval(f"__tw_alloc({capacity}, {ns})", "buffer allocation")
            self._inputs = [
                np.frombuffer(context.eval(f"__tw_in[{k}].buffer", "buffers"), np.float32)
                for k in range(len(self.setup.bands))
            ]
            self._out_views = [
                np.frombuffer(context.eval(f"__tw_out[{j}].buffer", "buffers"), buffer_dtype(output))
                for j, output in enumerate(outputs)
            ]
            self._buffers = (capacity, ns)
        return name

    def _evaluate(self, stack: SampleStack, time_from, time_to, custom_data) -> TileResult:
        setup = self.setup
        if setup.mosaicking == Mosaicking.SIMPLE and len(stack.samples) != 1:
            raise ValueError(
                f"A SIMPLE script needs exactly one (mosaicked) sample, got {len(stack.samples)}."
            )
        missing = [b for b in setup.bands if b != DATA_MASK and b not in stack.bands]
        if missing:
            raise ValueError(f"The sample stack lacks bands {missing}.")
        context = self._context(time.monotonic() + self.limits.time_limit_s)
        spec = _scenes_spec(stack.samples, setup.mosaicking, time_from, time_to)
        metadata = {"serviceVersion": SERVICE_VERSION, "normalizationFactor": NORMALIZATION_FACTOR}
        declared = None
        if setup.has_update_output:
            declared = {
                o.id: {"id": o.id, "bands": o.bands, "sampleType": o.sample_type} for o in setup.outputs
            }
        begin = (
            f"__tw_begin({json.dumps(spec)}, {json.dumps(metadata)}, {json.dumps(custom_data or {})},"
            f" {json.dumps(declared)})"
        )
        if declared is None:
            # nothing to learn before the pixels: the tile setup rides along with the first chunk's call
            outputs, prefix = setup.outputs, begin + "; "
        else:
            outputs, prefix = self._outputs(json.loads(context.eval(begin, "updateOutput"))), ""
        height, width, ns = stack.height, stack.width, len(stack.samples)
        rows = max(1, min(height, self.limits.chunk_pixels // max(1, width)))
        loops_name = self._prepare(context, outputs, rows * width, ns)
        # final arrays only: each chunk is converted as it leaves JS, so no float32 copy of the tile is kept
        finals = [_final_array(o, height, width) for o in outputs]
        finish: Any = None
        for row in range(0, height, rows):
            end = min(height, row + rows)
            n = (end - row) * width
            if ns:
                for view, band in zip(self._inputs, setup.bands):
                    rows_of_view = view[: ns * n].reshape(ns, end - row, width)
                    if band == DATA_MASK:
                        rows_of_view[...] = stack.data_mask[:, row:end, :]
                    else:  # converted to the script's units row by row, not as a whole float32 tile
                        stack.fill_rows(band, row, end, rows_of_view)
            last = end >= height
            answer = context.eval(
                f"{prefix}__tw_run({n}, {ns}, {loops_name}, {'true' if last else 'false'})",
                "updateOutputMetadata" if last and setup.has_update_output_metadata else "evaluatePixel",
            )
            prefix = ""
            if last:
                finish = json.loads(answer)
            for view, final, output in zip(self._out_views, finals, outputs):
                if output.bands:
                    values = view[: output.bands * n].reshape(output.bands, end - row, width)
                    final[:, row:end, :] = convert(values, output.sample_type, output.nodata_value)[0]
        if finish is None:  # a tile with no rows
            finish = json.loads(context.eval(f"{prefix}__tw_finish()", "updateOutputMetadata"))
        if finish.get("external", 0) > self.limits.heap_mb * 1024 * 1024 / 4:
            # typed arrays are credited back only after a GC: collect now, not when the next tile hits the limit
            context.racer.low_memory_notification()
        warnings = []
        for output, count in zip(outputs, finish["mismatch"]):
            if count:
                warnings.append(
                    f"evaluatePixel returned an array whose length differs from the {output.bands} band(s) of output "
                    f"{output.id!r} for {count} pixel(s); short arrays were padded with 0 and extra values dropped."
                )
        rasters = {
            output.id: OutputRaster(
                output.id, final, final_type(output.sample_type), output.nodata_value, output.band_names
            )
            for output, final in zip(outputs, finals)
        }
        return TileResult(rasters, finish["userData"], warnings)
