"""Evalscript errors that point at the script's own line and column (the kernel's problems, with a kind)."""

from __future__ import annotations

from typing import Optional

from ...core.evalscript.problems import EvalscriptProblem, parse_problem, runtime_problem


class EvalscriptError(EvalscriptProblem):
    """A script that cannot run, or failed while running; str() is the complete user-facing message."""

    def __init__(
        self, message: str, kind: str = "runtime", line: Optional[int] = None, column: Optional[int] = None
    ):
        self.kind = kind  # syntax | setup | runtime | output | limit
        super().__init__(message, line, column)

    def describe(self) -> str:
        if self.line is not None and self.column is not None:
            return f"{self.message} (line {self.line}, column {self.column})"
        return super().describe()

    @classmethod
    def of(cls, problem: EvalscriptProblem, kind: str) -> EvalscriptError:
        return cls(problem.message, kind, problem.line, problem.column)


def from_parse_error(text: str, source: str) -> EvalscriptError:
    """A V8 SyntaxError report, placed in `source` (an error past its end goes to the end of its last line)."""
    return EvalscriptError.of(parse_problem(text, source), "syntax")


def from_runtime_error(text: str, during: str) -> EvalscriptError:
    """A V8 exception report; the position is the innermost frame inside the user's script."""
    return EvalscriptError.of(runtime_problem(text, during), "runtime")
