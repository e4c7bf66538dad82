"""The evalscript compiler: evaluatePixel and the script's functions it calls, as compiled copies.

`compile_kernel` either returns the code of the compiled pixel loops or says, in one line, which construct
keeps the script on the per-pixel path (docs/evalscript.md, "Compiled evaluation").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ...samples import Mosaicking
from ..setup import OutputSpec, ScriptSetup
from .dates import NO_DATE_MADE_PER_PIXEL, NO_DATES, engine_date_blocker, makes_dates
from .kernel import LOOPS_NAME, kernel_loops, object_loops
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
    # why a compiled script keeps V8's Date; None: it gets the engine's (engine/evalscript/dates.py)
    dates_reason: Optional[str] = None

    @property
    def engine_dates(self) -> bool:
        return self.compiled and self.dates_reason is None

    def loops(
        self, setup: ScriptSetup, outputs: tuple[OutputSpec, ...], ns_key: int, engine_dates: bool
    ) -> tuple[int, str, str]:
        """(cache key, name, code) of the compiled loops for tiles with `ns_key` samples (js.loops' keys), in a
        context whose Date is the engine's or V8's."""
        assert self.specialised is not None
        if not self.specialised.samples:
            name, code = object_loops(
                self.specialised, setup.bands, outputs, setup.mosaicking, ns_key, self.strict, engine_dates
            )
            return ns_key, name, code
        simple = setup.mosaicking == Mosaicking.SIMPLE
        code = kernel_loops(self.specialised, setup.bands, outputs, simple, self.strict, engine_dates)
        return -1, LOOPS_NAME, code


def per_pixel(reason: str) -> Compilation:
    return Compilation(False, reason)


def compile_kernel(source: str, setup: ScriptSetup, planes: bool = False) -> Compilation:
    """Compiles evaluatePixel and the script's functions it calls.

    By default evaluatePixel still gets the sample objects the per-pixel loop builds (V8 optimises those
    away) and the compiled copies differ in their operators on Dates: a script without Dates gains nothing
    and stays per pixel. With `planes`, sample reads go straight to the band planes as well (measured no
    faster on V8 today: docs/evalscript.md).
    """
    try:
        tree = parse(source)
    except ParseFailure as failure:
        return per_pixel(f"the parser refused the script: {failure}")
    try:
        program = Program.of(tree)
        simple = setup.mosaicking == Mosaicking.SIMPLE
        specialised = Specialiser(source, program, setup.bands, simple, planes).run()
    except Unsupported as unsupported:
        return per_pixel(str(unsupported))
    except RecursionError:
        return per_pixel("a script nested too deeply for the compiler")
    if not planes and not program.uses_dates:
        return per_pixel("no Dates: the per-pixel loop already runs this script as fast as a compiled copy")
    blocker = engine_date_blocker(tree) if program.uses_dates else NO_DATES
    if blocker is None and not makes_dates(program.functions[name].node for name in specialised.functions):
        # reading the scenes' dates only: V8's Dates cache their fields, its getters beat the engine's
        blocker = NO_DATE_MADE_PER_PIXEL
    return Compilation(True, None, specialised, program.strict, blocker)
