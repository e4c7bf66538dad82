"""The plugin's translation sources, with the standard library only (no pylupdate: it behaves the same on
Debian 12 and 13 and for Qt6, and knows our one context).

`python scripts/i18n.py` collects every `tr("literal")` of the plugin's Python files (ui/i18n.py's `tr`, one
context "Tilewise"; `tr("...", None, n)` or `n=` is a plural) into each `i18n/tilewise_<lang>.ts`: existing
translations are kept, new texts are added as unfinished, texts no longer in the sources are kept as obsolete
when translated (dropped otherwise). `--check` changes nothing and fails when a `.ts` is out of date with the
sources, or when a `tr()` gets anything but a string literal (an f-string, a variable, a concatenation) or runs
at import (module or class level, a default argument), naming file and line. `i18n/tilewise_en.ts` holds only
the plurals, their English forms derived from the source ("%Ln tile(s)" → "%Ln tile", "%Ln tiles"). `make translations` runs it, then `lrelease` into `.qm` files (build output, not committed).

The `.ts` carries no line numbers on purpose: an unrelated edit must not make it stale.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("plugin.py", "ui", "processing_provider", "core")
I18N_DIR = ROOT / "i18n"
CONTEXT = "Tilewise"
LANGUAGES = ("de", "en")
# English is the sources' language: its .ts holds only the plurals, so that "%n tile(s)" reads "1 tile" and
# "2 tiles"; their forms are derived from the source, never written by hand
SOURCE_LANGUAGE = "en"
# "tile(s)" → tile / tiles, "status(es)" → status / statuses, "entry(ies)" → entry / entries
PLURAL_SUFFIX = re.compile(r"(\w*)\((s|es|ies)\)")


@dataclass(frozen=True)
class Key:
    source: str
    comment: str  # the disambiguation ("" when none)
    plural: bool


@dataclass
class Found:
    key: Key
    where: str  # "ui/x.py:12", the first place it occurs


@dataclass
class Extraction:
    messages: list[Found] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def python_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for name in SOURCES:
        path = root / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(p for p in sorted(path.rglob("*.py")) if "__pycache__" not in p.parts)
    return files


def extract(files: list[Path], root: Path) -> Extraction:
    """Every literal given to `tr()` in these files, in order of first occurrence, and every `tr()` that
    cannot be extracted."""
    result = Extraction()
    seen: set[Key] = set()
    for path in files:
        name = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=name)
        in_a_body = calls_in_function_bodies(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{name}:{node.lineno}"
            if isinstance(node.func, ast.Attribute) and node.func.attr == "tr":
                result.problems.append(f"{where}: `.tr(...)` has its own context; use `tr()` from ui/i18n.py")
                continue
            if not (isinstance(node.func, ast.Name) and node.func.id == "tr"):
                continue
            if node not in in_a_body:
                result.problems.append(
                    f"{where}: tr() runs at import (module or class level, or a default argument), maybe before "
                    "the translator is installed and never again after a change of language: call it in a "
                    "function"
                )
                continue
            key, problem = read_call(node)
            if problem:
                result.problems.append(f"{where}: {problem}")
            elif key is not None and key not in seen:
                seen.add(key)
                result.messages.append(Found(key, where))
    result.messages.sort(key=lambda found: order_of(found.where))
    return result


def calls_in_function_bodies(tree: ast.AST) -> set[ast.Call]:
    """The calls that run only when a function (or lambda) runs: in its body, not in its default arguments,
    decorators or annotations, which are evaluated when the module or class is."""
    found: set[ast.Call] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            bodies: list[ast.AST] = list(node.body)
        elif isinstance(node, ast.Lambda):
            bodies = [node.body]
        else:
            continue
        for body in bodies:
            found.update(n for n in ast.walk(body) if isinstance(n, ast.Call))
    return found


def order_of(where: str) -> tuple[str, int]:
    path, line = where.rsplit(":", 1)
    return path, int(line)


def read_call(node: ast.Call) -> tuple[Optional[Key], Optional[str]]:
    args = list(node.args)
    keywords = {k.arg: k.value for k in node.keywords}
    if not args:
        return None, "tr() without a text"
    text = args[0]
    if not (isinstance(text, ast.Constant) and isinstance(text.value, str)):
        kind = "an f-string" if isinstance(text, ast.JoinedStr) else "not a string literal"
        return None, f'tr() gets {kind}: it cannot be translated (write tr("... {{name}}").format(name=...))'
    comment_node = args[1] if len(args) > 1 else keywords.get("disambiguation")
    comment = ""
    if comment_node is not None and not (
        isinstance(comment_node, ast.Constant) and comment_node.value is None
    ):
        if not (isinstance(comment_node, ast.Constant) and isinstance(comment_node.value, str)):
            return None, "tr()'s disambiguation is not a string literal"
        comment = comment_node.value
    plural = len(args) > 2 or "n" in keywords
    return Key(text.value, comment, plural), None


# --- the .ts file ---------------------------------------------------------------------------------------


@dataclass
class Entry:
    key: Key
    translations: list[str]  # one text, or one per plural form; empty when not translated
    finished: bool
    obsolete: bool = False


def read_ts(path: Path) -> tuple[str, dict[Key, Entry]]:
    """The language and the messages of an existing .ts file."""
    if not path.exists():
        return "", {}
    root = ET.parse(path).getroot()
    entries: dict[Key, Entry] = {}
    for message in root.iter("message"):
        source = message.findtext("source") or ""
        comment = message.findtext("comment") or ""
        plural = message.get("numerus") == "yes"
        translation = message.find("translation")
        texts: list[str] = []
        kind = ""
        if translation is not None:
            kind = translation.get("type", "")
            forms = translation.findall("numerusform")
            texts = [form.text or "" for form in forms] if plural else [translation.text or ""]
        texts = texts if any(texts) else []
        key = Key(source, comment, plural)
        obsolete = kind in ("obsolete", "vanished")
        entries[key] = Entry(key, texts, kind != "unfinished" and bool(texts), obsolete)
    return root.get("language", ""), entries


def merge(found: list[Found], existing: dict[Key, Entry]) -> list[Entry]:
    """The sources' messages in order (translations kept), then the translated ones that vanished."""
    merged = []
    current = {f.key for f in found}
    for item in found:
        old = existing.get(item.key)
        merged.append(Entry(item.key, old.translations if old else [], old.finished if old else False))
    for key, old in existing.items():
        if key not in current and old.translations:
            merged.append(Entry(key, old.translations, old.finished, obsolete=True))
    return merged


def write_ts(entries: list[Entry], language: str) -> str:
    """Qt Linguist XML, in the layout lupdate writes."""
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<!DOCTYPE TS>",
        f'<TS version="2.1" language="{language}" sourcelanguage="en">',
        "<context>",
        f"    <name>{CONTEXT}</name>",
    ]
    for entry in entries:
        numerus = ' numerus="yes"' if entry.key.plural else ""
        lines.append(f"    <message{numerus}>")
        lines.append(f"        <source>{escape(entry.key.source)}</source>")
        if entry.key.comment:
            lines.append(f"        <comment>{escape(entry.key.comment)}</comment>")
        kind = ' type="obsolete"' if entry.obsolete else ("" if entry.finished else ' type="unfinished"')
        if entry.key.plural:
            lines.append(f"        <translation{kind}>")
            for form in entry.translations or [""]:
                lines.append(f"            <numerusform>{escape(form)}</numerusform>")
            lines.append("        </translation>")
        else:
            text = entry.translations[0] if entry.translations else ""
            lines.append(f"        <translation{kind}>{escape(text)}</translation>")
        lines.append("    </message>")
    lines += ["</context>", "</TS>", ""]
    return "\n".join(lines)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def ts_path(folder: Path, language: str) -> Path:
    return folder / f"tilewise_{language}.ts"


def update(root: Path, folder: Path, languages: tuple[str, ...], check: bool) -> list[str]:
    """Write (or, with `check`, compare) each language's .ts; returns the problems found."""
    extraction = extract(python_files(root), root)
    problems = list(extraction.problems)
    for language in languages:
        path = ts_path(folder, language)
        _, existing = read_ts(path)
        if language == SOURCE_LANGUAGE:
            entries, underivable = english_plurals(extraction.messages)
            problems += underivable
        else:
            entries = merge(extraction.messages, existing)
        text = write_ts(entries, language)
        old_text = path.read_text(encoding="utf-8") if path.exists() else ""
        if text == old_text:
            continue
        if check and language == SOURCE_LANGUAGE:
            problems.append(f"{path.name} does not hold the sources' plurals (run `make translations`)")
        elif check:
            problems.extend(stale_reasons(path, extraction.messages, existing, root))
        else:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return problems


def english_plurals(found: list[Found]) -> tuple[list[Entry], list[str]]:
    """The plural messages with their English singular and plural forms, and the ones whose forms cannot be
    derived from the source."""
    entries, problems = [], []
    for item in found:
        if not item.key.plural:
            continue
        forms = english_forms(item.key.source)
        if forms is None:
            problems.append(
                f"{item.where}: no English plural can be derived from {item.key.source!r}: write the plural "
                'part as "tile(s)", "status(es)" or "entry(ies)"'
            )
        else:
            entries.append(Entry(item.key, list(forms), finished=True))
    return entries, problems


def english_forms(source: str) -> Optional[tuple[str, str]]:
    """(singular, plural) of a source such as "%n tile(s)"; None when it has no "(s)"-style part."""
    if not PLURAL_SUFFIX.search(source):
        return None

    def singular(match: re.Match) -> str:
        return match.group(1)

    def plural(match: re.Match) -> str:
        stem, suffix = match.group(1), match.group(2)
        return stem[:-1] + "ies" if suffix == "ies" and stem.endswith("y") else stem + suffix

    if any(m.group(2) == "ies" and not m.group(1).endswith("y") for m in PLURAL_SUFFIX.finditer(source)):
        return None
    return PLURAL_SUFFIX.sub(singular, source), PLURAL_SUFFIX.sub(plural, source)


def stale_reasons(path: Path, found: list[Found], existing: dict[Key, Entry], root: Path) -> list[str]:
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    reasons = [f"{f.where}: {f.key.source!r} is not in {name}" for f in found if f.key not in existing]
    current = {f.key for f in found}
    reasons += [
        f"{name}: {key.source!r} is no longer in the sources"
        for key, entry in existing.items()
        if key not in current and not entry.obsolete and entry.translations
    ]
    if not reasons:
        reasons.append(f"{name} is not as scripts/i18n.py writes it")
    return [r + " (run `make translations`)" for r in reasons]


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail when a .ts is stale; write nothing")
    args = parser.parse_args(argv)
    problems = update(ROOT, I18N_DIR, LANGUAGES, args.check)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
