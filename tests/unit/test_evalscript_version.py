"""check_version: the //VERSION=3 marker as Sentinel Hub reads it (the form and the engine share this check)."""

from __future__ import annotations

import pytest

from tilewise.core.evalscript.problems import VERSION_MESSAGE, EvalscriptProblem, check_version

BODY = "function setup() {}\nfunction evaluatePixel(s) { return [0]; }\n"


@pytest.mark.parametrize(
    "head",
    [
        "//VERSION=3\n",
        "//VERSION=3 (auto-converted from 1)\n",
        "//VERSION=3 (auto-converted from 2)\r\n",
        "//VERSION = 3\n",
        "\ufeff//VERSION=3 (auto-converted from 1)\n",
        "\n\n   //VERSION=3   \n",
    ],
    ids=["plain", "auto-converted-1", "auto-converted-2-crlf", "spaced", "bom", "after-blank-lines"],
)
def test_the_marker_on_the_first_non_blank_line_may_carry_text_after_whitespace(head):
    check_version(head + BODY)


@pytest.mark.parametrize(
    "head",
    ["", "//VERSION=2\n", "//VERSION=3(auto-converted from 1)\n", "//VERSION=3.0\n", "/* VERSION=3 */\n"],
    ids=["none", "version-2", "text-without-space", "three-point-zero", "block-comment"],
)
def test_a_script_without_a_v3_marker_is_refused_with_the_add_it_message_on_line_1(head):
    with pytest.raises(EvalscriptProblem) as raised:
        check_version(head + BODY)
    assert raised.value.message == VERSION_MESSAGE and raised.value.line == 1


def test_a_marker_after_comment_lines_is_refused_naming_its_line():
    with pytest.raises(EvalscriptProblem) as raised:
        check_version("//Aesthetic Neon\n//Author: someone\n\n//VERSION=3\n" + BODY)
    assert raised.value.message == (
        "The evalscript must start with //VERSION=3: move it from line 4 to the first line "
        "(only blank lines may come before it)."
    )
    assert raised.value.line == 1
