"""Sentinel Hub's public evalscripts through the compiler: which compile, why the others do not, and speed.

    .venv/bin/python bench/bench_evalscript_corpus.py [--size 512] [--planes]

For each script of ../shared/data/evalscript-corpus: the compiler's verdict (or the construct that keeps it
per pixel), whether the compiled outputs equal the per-pixel outputs bit for bit, and the time of one
generated tile both ways (best of 3 after a warm-up). Prints a Markdown table and the counts per
mosaicking mode, as docs/evalscript.md reports them.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import benchkit  # noqa: E402
from evalscript_corpus import TIME_FROM, TIME_TO, corpus_scripts, generated_stack  # noqa: E402

from tilewise.engine.evalscript import EvalscriptError, EvalscriptRuntime, Limits, compile_script  # noqa: E402


def timed(runtime: EvalscriptRuntime, stack) -> tuple[float, object]:
    result = runtime.evaluate(stack, time_from=TIME_FROM, time_to=TIME_TO)
    seconds = benchkit.best_of(lambda: runtime.evaluate(stack, time_from=TIME_FROM, time_to=TIME_TO), 3)
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--planes", action="store_true", help="compile sample reads to band planes too")
    parser.add_argument("--v8-dates", action="store_true", help="compiled scripts keep V8's Date")
    arguments = parser.parse_args()
    size, planes, engine_dates = arguments.size, arguments.planes, not arguments.v8_dates
    rows, counts = [], Counter()
    for script in corpus_scripts():
        mode = script.mosaicking
        try:
            compile_script(script.source, Limits())
        except EvalscriptError as refused:
            rows.append((script.name, mode, "refused by the engine", str(refused).split(":")[0], "", "", ""))
            counts[(mode, "refused")] += 1
            continue
        compiled_rt = EvalscriptRuntime(script.source, Limits(planes=planes, engine_dates=engine_dates))
        plain_rt = EvalscriptRuntime(script.source, Limits(compile=False))
        try:
            stack = generated_stack(plain_rt, 7, size, size)
            verdict = compiled_rt.compilation
            try:
                t_plain, plain = timed(plain_rt, stack)
                t_compiled, compiled = timed(compiled_rt, stack)
            except EvalscriptError as error:
                rows.append((script.name, mode, "fails on generated data", str(error)[:70], "", "", ""))
                counts[(mode, "fails")] += 1
                continue
            same = all(
                compiled.outputs[k].data.tobytes() == raster.data.tobytes()
                for k, raster in plain.outputs.items()
            )
            state = "compiled" if verdict.compiled and compiled.evaluation == "compiled" else "per pixel"
            dates = f"V8's: {verdict.dates_reason}" if verdict.compiled else ""
            if compiled_rt.engine_dates:
                dates = "engine's"
            counts[(mode, state)] += 1
            rows.append(
                (
                    script.name,
                    mode,
                    state,
                    verdict.reason or "",
                    dates,
                    "yes" if same else "**no**",
                    f"{t_plain * 1e3:.0f} → {t_compiled * 1e3:.0f} ms ({t_plain / t_compiled:.2f}×)",
                )
            )
        finally:
            compiled_rt.close()
            plain_rt.close()
    mode = "band planes" if planes else "sample objects (the default)"
    print(f"{size} × {size} px per tile, compiled with {mode}\n")
    print("| script | mosaicking | evaluation | why not compiled | Date | identical | per pixel → compiled |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    for mode in sorted({m for m, _ in counts}):
        parts = ", ".join(f"{state} {n}" for (m, state), n in sorted(counts.items()) if m == mode)
        print(f"{mode}: {parts}")


if __name__ == "__main__":
    main()
