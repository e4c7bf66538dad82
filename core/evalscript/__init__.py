"""The evalscript kernel shared by the plugin and the engine (Qt-free, engine-free, Python 3.9+).

- `problems`: EvalscriptProblem(message, line, column) and the translation of V8's error reports;
- `prelude`: the JavaScript a context starts with (Evalscript V3's constants, the sandbox);
- `setup`: what setup() declares, as a typed ScriptInfo, and the band check against a collection;
- `inspect`: inspect_evalscript, which runs setup() in V8 (mini-racer) for the job form.
"""

from .inspect import inspect_evalscript
from .problems import EvalscriptProblem
from .setup import ScriptInfo, ScriptOutput

__all__ = ["EvalscriptProblem", "ScriptInfo", "ScriptOutput", "inspect_evalscript"]
