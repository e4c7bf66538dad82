"""Finds what would break the plugin on QGIS 4 (Qt6, PyQt6) while it still runs on QGIS 3 (Qt5).

    python scripts/check_qt6.py [--pyqt6] [PATH ...]     (default: plugin.py ui core processing_provider)

Run with the QGIS Python (the project venv): enum members are recognised by introspection of the installed
qgis and qgis.PyQt modules, so a name is checked against what QGIS really exposes, not against a list. With
--pyqt6 it runs where PyQt6 is installed (make lint keeps a venv for it) and checks every Qt name against Qt6's
own bindings instead (QGIS names are then not checked: no Qt6 QGIS installs here). Each finding is one line
`path:line:column: what to write instead`; the exit status is 1 when there is any.

What it finds (the rules of QGIS's own scripts/pyqt5_to_pyqt6 check, in its QGIS 3-compatible mode):
- an enum member reached through its class (`Qt.AlignRight`): PyQt6 has only `Qt.AlignmentFlag.AlignRight`;
- `int()` of a Qt flag combination (PyQt6 flags are not ints);
- `exec_` (PyQt6 has only `exec`), `qApp`, `QRegExp`, `QDesktopWidget`, `QFontMetrics.width`, `activated[str]`,
  compiled `resources_rc`, and imports from PyQt5 itself instead of qgis.PyQt;
- `QVariant.<type>` outside the compatibility module (QGIS 3.38+ takes QMetaType.Type for field types);
- a Qt or QGIS name that this QGIS does not have (run it on each QGIS of the matrix: the QGIS test suite does).
"""

from __future__ import annotations

import ast
import enum
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

DEFAULT_PATHS = ("plugin.py", "ui", "core", "processing_provider")
# The one module allowed to name version-specific APIs (it feature-detects them).
COMPAT_MODULES = ("ui/qgis_compat.py",)
QT_MODULES = ("QtCore", "QtGui", "QtWidgets", "QtNetwork", "QtXml", "QtSvg")
QGIS_MODULES = ("qgis.core", "qgis.gui", "qgis.analysis") + tuple(f"qgis.PyQt.{name}" for name in QT_MODULES)
PYQT6_MODULES = tuple(f"PyQt6.{name}" for name in QT_MODULES)
REMOVED_NAMES = {
    "qApp": "use QApplication.instance() (qApp is gone in PyQt6)",
    "QRegExp": "use QRegularExpression (QRegExp is gone in Qt6)",
    "QDesktopWidget": "use QScreen (QApplication.primaryScreen()); QDesktopWidget is gone in Qt6",
}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


def bindings_name(modules: tuple[str, ...]) -> str:
    """What the names are checked against, for messages: `QGIS 3.40.6` or `PyQt6 6.11.0`."""
    if modules == PYQT6_MODULES:
        from PyQt6.QtCore import PYQT_VERSION_STR

        return f"PyQt6 {PYQT_VERSION_STR}"
    from qgis.core import Qgis

    return f"QGIS {Qgis.QGIS_VERSION.split('-')[0]}"


def qt_namespace(modules: tuple[str, ...]) -> dict[str, Any]:
    """Every public name of the Qt and QGIS modules a plugin imports, as `from module import *` would give."""
    names: dict[str, Any] = {}
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in dir(module):
            if not name.startswith("_"):
                names.setdefault(name, getattr(module, name))
    return names


def is_enum_type(value: Any) -> bool:
    """A Qt/QGIS enum type: a sip enum (PyQt5) or a Python enum (PyQt6, QGIS's own promoted enums)."""
    return isinstance(value, type) and (
        issubclass(value, enum.Enum) or type(value).__name__ in ("enumtype", "EnumType")
    )


def is_enum_member(value: Any) -> bool:
    return not isinstance(value, type) and is_enum_type(type(value)) and type(value) is not int


def scoped_name(owner: Any, member: str, value: Any) -> str | None:
    """The name of the enum, reachable from `owner`, whose member `member` is `value`."""
    kind = type(value)
    candidates = [kind.__name__] + [name for name in dir(owner) if not name.startswith("_")]
    for name in candidates:
        try:
            enum_type = getattr(owner, name)
        except AttributeError:
            continue
        if is_enum_type(enum_type) and enum_type is kind and hasattr(enum_type, member):
            return name
    return None


def dotted_name(chain: list[ast.AST], last: ast.AST) -> str:
    """The source text of `chain` up to and including `last`."""
    names = []
    for part in chain:
        names.append(part.id if isinstance(part, ast.Name) else part.attr)  # type: ignore[attr-defined]
        if part is last:
            break
    return ".".join(names)


def dotted(node: ast.AST) -> list[ast.AST] | None:
    """The chain `a.b.c` as [Name a, Attribute .b, Attribute .c], or None for anything else."""
    chain: list[ast.AST] = []
    while isinstance(node, ast.Attribute):
        chain.append(node)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    chain.append(node)
    return chain[::-1]


class Checker(ast.NodeVisitor):
    def __init__(self, path: str, namespace: dict[str, Any], compat: bool, bindings: str) -> None:
        self.path = path
        self.bindings = bindings
        self.namespace = namespace
        self.compat = compat
        self.findings: list[Finding] = []
        self.seen: set[int] = set()

    def report(self, node: ast.AST, message: str) -> None:
        self.findings.append(Finding(self.path, node.lineno, node.col_offset + 1, message))

    def resolve(self, chain: list[ast.AST]) -> Iterator[tuple[ast.AST, Any, Any]]:
        """(node, owner, value) along a dotted chain whose head is a Qt/QGIS name."""
        head = chain[0]
        assert isinstance(head, ast.Name)
        if head.id not in self.namespace:
            return
        owner = self.namespace[head.id]
        for node in chain[1:]:
            assert isinstance(node, ast.Attribute)
            try:
                value = getattr(owner, node.attr)
            except AttributeError:
                if not self.compat:
                    self.report(
                        node,
                        f"{dotted_name(chain, node)} does not exist in {self.bindings}: name it through ui.qgis_compat",
                    )
                return
            yield node, owner, value
            owner = value

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = dotted(node)
        if chain is not None and id(chain[-1]) not in self.seen:
            for part in chain:
                self.seen.add(id(part))
            self.check_chain(chain)
        if node.attr == "exec_":
            self.report(node, "exec_ is gone in PyQt6: call exec()")
        if node.attr == "width" and isinstance(node.value, ast.Call):
            func = node.value.func
            if (isinstance(func, ast.Attribute) and func.attr == "fontMetrics") or (
                isinstance(func, ast.Name) and func.id in ("QFontMetrics", "QFontMetricsF")
            ):
                self.report(node, "QFontMetrics.width() is gone in Qt6: use horizontalAdvance()")
        self.generic_visit(node)

    def check_chain(self, chain: list[ast.AST]) -> None:
        head = chain[0]
        assert isinstance(head, ast.Name)
        if head.id == "QVariant" and len(chain) > 1:
            attr = chain[1].attr  # type: ignore[attr-defined]
            if self.compat or not attr[:1].isupper():
                return  # the compatibility module names QVariant types for the QGIS versions that need them
            self.report(
                chain[1],
                f"QVariant.{attr}: field and value types go through ui.qgis_compat (QMetaType on Qt6)",
            )
            return
        for node, owner, value in self.resolve(chain):
            if is_enum_member(value) and not is_enum_type(owner):
                scope = scoped_name(owner, node.attr, value)  # type: ignore[attr-defined]
                where = dotted_name(chain, node)
                if scope:
                    fix = f"{where.rsplit('.', 1)[0]}.{scope}.{node.attr}"  # type: ignore[attr-defined]
                    self.report(node, f"{where} is an unscoped enum: write {fix}")
                else:
                    self.report(
                        node, f"{where} is an unscoped enum whose scoped name is not found in {self.bindings}"
                    )
                return

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in REMOVED_NAMES and isinstance(node.ctx, ast.Load):
            self.report(node, f"{node.id}: {REMOVED_NAMES[node.id]}")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name == "exec_":
            self.report(node, "a method named exec_ is not called by PyQt6: name it exec")
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if module == "PyQt5" or module.startswith(("PyQt5.", "PyQt6")):
            self.report(
                node, f"import from {module}: import from qgis.PyQt, which is PyQt5 or PyQt6 as QGIS runs"
            )
        for alias in node.names:
            if alias.name in REMOVED_NAMES:
                self.report(node, f"{alias.name}: {REMOVED_NAMES[alias.name]}")
            if alias.name == "resources_rc":
                self.report(node, "compiled resources are gone in Qt6: load icons by file path")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.startswith(("PyQt5", "PyQt6")):
                self.report(node, f"import {alias.name}: import from qgis.PyQt instead")

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if (
            isinstance(node.value, ast.Attribute)
            and node.value.attr == "activated"
            and isinstance(node.slice, ast.Name)
            and node.slice.id == "str"
        ):
            self.report(node, "activated[str] is gone in Qt6: connect textActivated")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id == "int" and node.args:
            argument = node.args[0]
            if isinstance(argument, ast.BinOp) and isinstance(argument.op, (ast.BitOr, ast.BitAnd)):
                self.report(node, "int() of Qt flags: PyQt6 flags are not ints; pass the flags themselves")
            else:
                chain = dotted(argument)
                if chain is not None and any(is_enum_member(value) for _, _, value in self.resolve(chain)):
                    self.report(node, "int() of a Qt enum: pass the enum itself (or its .value on PyQt6)")
        self.generic_visit(node)


def qt_imports(tree: ast.AST) -> set[str]:
    """The names a module imports from qgis and qgis.PyQt: only these are Qt/QGIS names in it."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").split(".")[0] in ("qgis", "PyQt5", "PyQt6")
        for alias in node.names
    }


def python_files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)
        elif path.suffix == ".py":
            yield path


def check(paths: list[Path], root: Path, modules: tuple[str, ...] = QGIS_MODULES) -> list[Finding]:
    namespace = qt_namespace(modules)
    bindings = bindings_name(modules)
    findings: list[Finding] = []
    for path in python_files(paths):
        if path.resolve() == Path(__file__).resolve():
            continue  # this checker imports PyQt6 itself, on purpose
        try:
            relative = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            relative = path.as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imported = {name: namespace[name] for name in qt_imports(tree) if name in namespace}
        checker = Checker(relative, imported, compat=relative in COMPAT_MODULES, bindings=bindings)
        checker.visit(tree)
        findings += checker.findings
    return findings


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[1]
    modules = PYQT6_MODULES if "--pyqt6" in argv else QGIS_MODULES
    paths = [Path(arg) for arg in argv if arg != "--pyqt6"] or [root / name for name in DEFAULT_PATHS]
    missing = [str(path) for path in paths if not path.exists()]
    if missing:  # a mistyped path would otherwise be checked as "0 problems in 0 files"
        print(f"check_qt6: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    findings = check(paths, root, modules)
    for finding in findings:
        print(finding)
    checked = len(list(python_files(paths)))
    print(
        f"{len(findings)} Qt6 problem(s) in {checked} files, against {bindings_name(modules)}",
        file=sys.stderr,
    )
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
