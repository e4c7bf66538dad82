"""The evalscript compiler: evaluatePixel specialised to read band planes, never sample objects.

`compile_kernel` either returns the code of the compiled pixel loops or says, in one line, which construct
keeps the script on the per-pixel path (docs/evalscript.md, "Compiled evaluation").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ...samples import Mosaicking
from ..setup import OutputSpec, ScriptSetup
from .kernel import LOOPS_NAME, kernel_loops
from .parser import ParseFailure, parse
from .specialise import Program, Specialised, Specialiser, Unsupported

__all__ = ["LOOPS_NAME", "Compilation", "compile_kernel"]


@dataclass(frozen=True)
class Compilation:
    """How a script's pixels are evaluated: compiled, or per pixel and why."""

    compiled: bool
    reason: Optional[str] = None  # the construct that keeps the script per pixel
    specialised: Optional[Specialised] = None
    strict: bool = False

    def loops(self, setup: ScriptSetup, outputs: tuple[OutputSpec, ...]) -> str:
        assert self.specialised is not None
        simple = setup.mosaicking == Mosaicking.SIMPLE
        return kernel_loops(self.specialised, setup.bands, outputs, simple, self.strict)


def per_pixel(reason: str) -> Compilation:
    return Compilation(False, reason)


def compile_kernel(source: str, setup: ScriptSetup) -> Compilation:
    try:
        tree = parse(source)
    except ParseFailure as failure:
        return per_pixel(f"the parser refused the script: {failure}")
    try:
        program = Program.of(tree)
        specialised = Specialiser(source, program, setup.bands, setup.mosaicking == Mosaicking.SIMPLE).run()
    except Unsupported as unsupported:
        return per_pixel(str(unsupported))
    except RecursionError:
        return per_pixel("a script nested too deeply for the compiler")
    return Compilation(True, None, specialised, program.strict)
