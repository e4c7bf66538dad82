"""Walking an ESTree tree: children, parents, the names a function declares, and source splicing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

Node = dict[str, Any]
FUNCTIONS = ("FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression")
_META = ("type", "start", "end", "loc", "range")


def children(node: Node) -> Iterator[Node]:
    for key, value in node.items():
        if key in _META:
            continue
        if isinstance(value, dict) and "type" in value:
            yield value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and "type" in item:
                    yield item


def walk(node: Node, parent: Optional[Node] = None) -> Iterator[tuple[Node, Optional[Node]]]:
    """Every node under `node` (itself first) with its parent, depth first, in source order."""
    stack = [(node, parent)]
    while stack:
        current, up = stack.pop()
        yield current, up
        stack.extend((child, current) for child in reversed(list(children(current))))


def line(node: Node) -> int:
    return node.get("loc", {}).get("start", {}).get("line", 0)


def pattern_names(pattern: Optional[Node]) -> list[str]:
    """The identifiers a binding pattern (`a`, `[a, b]`, `{a, b: c}`, `a = 1`, `...a`) declares."""
    if pattern is None:
        return []
    kind = pattern["type"]
    if kind == "Identifier":
        return [pattern["name"]]
    if kind == "ArrayPattern":
        return [name for element in pattern["elements"] for name in pattern_names(element)]
    if kind == "ObjectPattern":
        return [
            name
            for prop in pattern["properties"]
            for name in pattern_names(prop["argument"] if prop["type"] == "RestElement" else prop["value"])
        ]
    if kind == "AssignmentPattern":
        return pattern_names(pattern["left"])
    if kind == "RestElement":
        return pattern_names(pattern["argument"])
    return []


def declared_names(function: Node) -> set[str]:
    """Names bound inside a function (its parameters and every declaration in its body, in any block),
    not those of functions nested in it (their own names excepted)."""
    names: set[str] = set()
    for param in function.get("params", []):
        names.update(pattern_names(param))
    body = function["body"]
    stack = [body]
    while stack:
        node = stack.pop()
        kind = node["type"]
        if kind == "VariableDeclarator":
            names.update(pattern_names(node["id"]))
        elif kind == "CatchClause" and node.get("param"):
            names.update(pattern_names(node["param"]))
        elif kind in ("FunctionDeclaration", "ClassDeclaration") and node.get("id"):
            names.add(node["id"]["name"])
        if kind in FUNCTIONS or kind in ("ClassDeclaration", "ClassExpression"):
            continue  # their insides are theirs
        stack.extend(children(node))
    return names


def write_target(node: Node) -> Optional[Node]:
    """What an assignment, `++`/`--` or `for (x in/of …)` writes (an Identifier, a pattern or a member)."""
    kind = node["type"]
    if kind in ("AssignmentExpression", "ForInStatement", "ForOfStatement"):
        return node["left"]
    if kind == "UpdateExpression":
        return node["argument"]
    return None


def is_reference(node: Node, parent: Optional[Node]) -> bool:
    """Whether an Identifier node reads or writes a variable (not a property name or a label)."""
    if parent is None:
        return True
    kind = parent["type"]
    if kind == "MemberExpression" and parent["property"] is node and not parent["computed"]:
        return False
    if kind in ("Property", "MethodDefinition", "PropertyDefinition") and parent["key"] is node:
        return bool(parent.get("computed")) or bool(parent.get("shorthand"))
    return kind not in ("LabeledStatement", "BreakStatement", "ContinueStatement", "MetaProperty")


@dataclass
class Splicer:
    """Rewrites source ranges, given as acorn's offsets (which count UTF-16 code units).

    An edit replaces a node by parts: text, or nodes whose own (edited) source goes there, so edits nest.
    """

    source: str
    edits: dict[tuple[int, int], list] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._units = self.source.encode("utf-16-le")

    def text(self, start: int, end: int) -> str:
        return self._units[2 * start : 2 * end].decode("utf-16-le")

    def replace(self, node: Node, *parts: Any) -> None:
        self.edits[(node["start"], node["end"])] = list(parts)

    def render_node(self, node: Node) -> str:
        return self.render(node["start"], node["end"])

    def render(self, start: int, end: int) -> str:
        """The source from `start` to `end` with the edits inside it applied."""
        whole = self.edits.get((start, end))
        if whole is not None:
            return "".join(part if isinstance(part, str) else self.render_node(part) for part in whole)
        inside = sorted(
            (span for span in self.edits if start <= span[0] and span[1] <= end and span != (start, end)),
            key=lambda span: (span[0], -span[1]),
        )
        out, at = [], start
        for span in inside:
            if span[0] < at:
                continue  # inside an edit already rendered (its parts render their own edits)
            out.append(self.text(at, span[0]))
            out.append(self.render(*span))
            at = span[1]
        out.append(self.text(at, end))
        return "".join(out)
