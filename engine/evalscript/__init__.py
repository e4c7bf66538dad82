"""The Evalscript V3 runtime: Sentinel Hub's evalscripts, run in an embedded V8 (docs/evalscript.md)."""

from .errors import EvalscriptError
from .runtime import (
    EvalscriptRuntime,
    Evaluation,
    Limits,
    OutputRaster,
    ScriptCancelled,
    TileResult,
    cancel_running_scripts,
    compile_script,
)
from .setup import OutputSpec, ScriptSetup

__all__ = [
    "EvalscriptError",
    "Evaluation",
    "EvalscriptRuntime",
    "Limits",
    "OutputRaster",
    "OutputSpec",
    "ScriptCancelled",
    "ScriptSetup",
    "TileResult",
    "cancel_running_scripts",
    "compile_script",
]
