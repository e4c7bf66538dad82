"""Every user-visible text of the plugin goes through tr() (ui/i18n.py): a static look at the calls that put a
text on screen (labels, buttons, tooltips, titles, combo items, message bar and message boxes, Processing's
feedback), in ui/, plugin.py and processing_provider/. Texts that come from core/ (shared with the engine, which
has no Qt) stay English and reach these calls as variables, so they are not flagged."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["plugin.py", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "ui").glob("*.py")),
           *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "processing_provider").glob("*.py"))]  # fmt: skip

# calls whose text arguments the user reads
SHOWN = {
    "setText", "setToolTip", "setWindowTitle", "setPlaceholderText", "setStatusTip", "setWhatsThis", "setTitle",
    "setTabText", "addTab", "insertTab", "setPrefix", "setSuffix", "setSpecialValueText", "setLabelText",
    "QLabel", "QPushButton", "QToolButton", "QCheckBox", "QRadioButton", "QGroupBox", "QAction",
    "addItem", "addItems", "addAction", "addButton", "addRow", "pushMessage", "pushInfo", "pushWarning",
    "pushSuccess", "pushCritical", "information", "warning", "critical", "question", "about", "getText",
    "reportError", "setProgressText", "QgsProcessingException", "form_box", "plain_label",
}  # fmt: skip
# texts that are the same in every language: the product's name, a format's name, units; and what is not words
NOT_WORDS = {"Tilewise", "GeoTIFF", "PU", "px"}
# Python's logging (`log.warning(...)`) writes for developers to the console, not on screen
LOGGERS = {"log", "logger", "logging"}


def has_words(text: str) -> bool:
    return bool(re.search(r"[A-Za-z]{2,}", text)) and text.strip() not in NOT_WORDS


def bare_texts(node: ast.AST):
    """String literals (or f-strings with words) in `node` that are not inside a tr() call."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tr":
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if has_words(node.value):
            yield node.value
    elif isinstance(node, ast.JoinedStr):
        words = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        if has_words(words):
            yield ast.unparse(node)
    elif isinstance(node, (ast.IfExp, ast.BinOp, ast.BoolOp, ast.Tuple, ast.List)):
        for child in ast.iter_child_nodes(node):
            yield from bare_texts(child)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        yield from bare_texts(node.func.value)


def untranslated(path: str) -> list[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name not in SHOWN or is_logging(func):
            continue
        arguments = [*node.args, *(k.value for k in node.keywords if k.arg in ("text", "title", "label"))]
        for argument in arguments:
            found += [f"{path}:{node.lineno}: {name}({text!r})" for text in bare_texts(argument)]
    return found


def is_logging(func: ast.expr) -> bool:
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in LOGGERS


def test_every_user_visible_text_goes_through_tr():
    found = [line for path in SOURCES for line in untranslated(path)]
    assert found == [], "wrap these in tr() (ui/i18n.py):\n" + "\n".join(found)


def test_the_check_finds_a_bare_text_and_accepts_a_wrapped_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        'button.setText("Start")\nbutton.setToolTip(tr("Start the job"))\nlabel = QLabel(f"{n} tiles", self)\n'
        'box.setTitle("Tilewise")\nbar.pushMessage(tr("Done"), "Job " + job_id)\nlog.warning("Tile %s is odd", t)\n'
        'QMessageBox.warning(self, tr("Tilewise"), "Tile is odd")\n',
        encoding="utf-8",
    )
    assert untranslated_at(tmp_path, "sample.py") == [
        "sample.py:1: setText('Start')",
        "sample.py:3: QLabel(\"f'{n} tiles'\")",
        "sample.py:5: pushMessage('Job ')",
        "sample.py:7: warning('Tile is odd')",
    ]


def untranslated_at(root: Path, path: str) -> list[str]:
    global ROOT
    saved, ROOT = ROOT, root
    try:
        return untranslated(path)
    finally:
        ROOT = saved
