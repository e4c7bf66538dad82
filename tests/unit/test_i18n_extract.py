"""scripts/i18n.py: the tr() literals of the sources into Qt Linguist .ts files, with the standard library."""

from __future__ import annotations

import importlib.util
import re
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("tilewise_i18n_script", ROOT / "scripts" / "i18n.py")
i18n = importlib.util.module_from_spec(SPEC)
sys.modules[SPEC.name] = i18n  # dataclasses look their module up there
SPEC.loader.exec_module(i18n)
# {name}, {count:,} and the plural counts %n / %Ln (locale-formatted)
PLACEHOLDER = r"\{\w*(?::[^}]*)?\}|%L?n"

SAMPLE = """
from .i18n import tr


def texts():
    label = tr("Tiles")
    count = tr("%n tile(s)", None, 3)
    again = tr("Tiles")  # the same text once in the .ts
    joined = tr("Area of "
                "interest")
"""


def sample_plugin(root: Path, source: str = SAMPLE) -> Path:
    (root / "ui").mkdir(parents=True, exist_ok=True)
    (root / "ui" / "panel.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return root


def messages(path: Path) -> dict[str, ET.Element]:
    return {m.findtext("source"): m for m in ET.parse(path).getroot().iter("message")}


def test_literals_and_plurals_are_collected_once_each_in_the_one_context(tmp_path):
    root = sample_plugin(tmp_path)
    assert i18n.update(root, root / "i18n", ("de",), check=False) == []
    path = root / "i18n" / "tilewise_de.ts"
    tree = ET.parse(path).getroot()
    assert tree.get("language") == "de" and [c.findtext("name") for c in tree.iter("context")] == ["Tilewise"]
    found = messages(path)
    assert list(found) == ["Tiles", "%n tile(s)", "Area of interest"]
    assert found["%n tile(s)"].get("numerus") == "yes"
    assert found["Tiles"].find("translation").get("type") == "unfinished"


@pytest.mark.parametrize(
    "call, what",
    [
        ('tr(f"{n} tiles")', "an f-string"),
        ("tr(text)", "not a string literal"),
        ('tr("a " + name)', "not a string literal"),
        ('self.tr("Tiles")', "own context"),
    ],
)
def test_a_tr_that_cannot_be_translated_is_refused_with_its_file_and_line(tmp_path, call, what):
    root = sample_plugin(tmp_path, f"n = 2\ntext = name = 'x'\ndef texts():\n    value = {call}\n")
    problems = [p for p in i18n.update(root, root / "i18n", ("de",), check=True) if p.startswith("ui/")]
    assert len(problems) == 1 and problems[0].startswith("ui/panel.py:4: ") and what in problems[0]


def test_translations_are_kept_and_vanished_texts_become_obsolete(tmp_path):
    root = sample_plugin(tmp_path)
    i18n.update(root, root / "i18n", ("de",), check=False)
    path = root / "i18n" / "tilewise_de.ts"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        '<source>Tiles</source>\n        <translation type="unfinished"></translation>',
        "<source>Tiles</source>\n        <translation>Kacheln</translation>",
    )
    text = re.sub(
        r'(<source>%n tile\(s\)</source>\s*<translation) type="unfinished">\s*<numerusform></numerusform>',
        r"\1><numerusform>%n Kachel</numerusform><numerusform>%n Kacheln</numerusform>",
        text,
    )
    path.write_text(text, encoding="utf-8")

    sample_plugin(
        root,
        'from .i18n import tr\ndef texts():\n    label = tr("%n tile(s)", n=2)\n    new = tr("Extent")\n',
    )
    stale = i18n.update(root, root / "i18n", ("de",), check=True)
    assert "ui/panel.py:4: 'Extent' is not in i18n/tilewise_de.ts (run `make translations`)" in stale
    assert any("'Tiles' is no longer in the sources" in problem for problem in stale)

    assert i18n.update(root, root / "i18n", ("de",), check=False) == []
    found = messages(path)
    assert found["Tiles"].find("translation").get("type") == "obsolete"
    assert found["Tiles"].findtext("translation") == "Kacheln"
    forms = [f.text for f in found["%n tile(s)"].find("translation").findall("numerusform")]
    assert forms == ["%n Kachel", "%n Kacheln"]
    assert found["Extent"].find("translation").get("type") == "unfinished"
    assert "Area of interest" not in found  # never translated: dropped, not kept as obsolete
    assert i18n.update(root, root / "i18n", ("de",), check=True) == []  # now up to date


def test_the_plugins_german_ts_is_up_to_date_and_complete():
    assert i18n.update(ROOT, ROOT / "i18n", ("de",), check=True) == []
    _, entries = i18n.read_ts(ROOT / "i18n" / "tilewise_de.ts")
    current = [entry for entry in entries.values() if not entry.obsolete]
    assert current, "no message in the German translation"
    assert [e.key.source for e in current if not e.finished] == []


def test_every_german_text_keeps_the_placeholders_of_its_source():
    _, entries = i18n.read_ts(ROOT / "i18n" / "tilewise_de.ts")
    for entry in entries.values():
        wanted = sorted(re.findall(PLACEHOLDER, entry.key.source))
        for text in entry.translations:
            assert sorted(re.findall(PLACEHOLDER, text)) == wanted, (entry.key.source, text)


@pytest.mark.parametrize(
    "source, line",
    [
        ('TITLE = tr("Tiles")\n', 1),
        ('class Panel:\n    TITLES = (tr("Tiles"),)\n', 2),
        ('def title(text=tr("Tiles")):\n    return text\n', 1),
    ],
)
def test_a_tr_that_runs_at_import_is_refused_with_its_file_and_line(tmp_path, source, line):
    root = sample_plugin(tmp_path, "from .i18n import tr\n" + source)
    problems = [p for p in i18n.update(root, root / "i18n", ("de",), check=True) if p.startswith("ui/")]
    assert (
        len(problems) == 1
        and problems[0].startswith(f"ui/panel.py:{line + 1}: ")
        and "at import" in problems[0]
    )


def test_a_tr_in_a_function_or_lambda_body_is_accepted(tmp_path):
    source = 'from .i18n import tr\ndef title():\n    return tr("Tiles")\nlater = lambda: tr("Extent")\n'
    root = sample_plugin(tmp_path, source)
    assert [p for p in i18n.update(root, root / "i18n", ("de",), check=True) if "at import" in p] == []


@pytest.mark.parametrize(
    "source, singular, plural",
    [
        ("%Ln tile(s)", "%Ln tile", "%Ln tiles"),
        ("writing %Ln tile status(es)", "writing %Ln tile status", "writing %Ln tile statuses"),
        ("%n entry(ies) of {name}", "%n entry of {name}", "%n entries of {name}"),
        ("<b>%Ln tile(s)</b> of %n grid(s)", "<b>%Ln tile</b> of %n grid", "<b>%Ln tiles</b> of %n grids"),
    ],
)
def test_english_plural_forms_are_derived_from_the_source(source, singular, plural):
    assert i18n.english_forms(source) == (singular, plural)


def test_the_english_ts_holds_only_the_plurals_with_their_derived_forms(tmp_path):
    root = sample_plugin(tmp_path)
    assert i18n.update(root, root / "i18n", ("en",), check=False) == []
    found = messages(root / "i18n" / "tilewise_en.ts")
    assert list(found) == ["%n tile(s)"]
    translation = found["%n tile(s)"].find("translation")
    assert translation.get("type") is None
    assert [f.text for f in translation.findall("numerusform")] == ["%n tile", "%n tiles"]
    assert i18n.update(root, root / "i18n", ("en",), check=True) == []


def test_a_plural_whose_english_forms_cannot_be_derived_fails_the_check(tmp_path):
    root = sample_plugin(tmp_path, 'from .i18n import tr\ndef texts():\n    return tr("%n sheep", None, 2)\n')
    problems = i18n.update(root, root / "i18n", ("en",), check=True)
    assert problems[0].startswith("ui/panel.py:3: ") and "'%n sheep'" in problems[0]


def test_the_plugins_english_ts_is_up_to_date():
    assert i18n.update(ROOT, ROOT / "i18n", ("en",), check=True) == []
