"""Whether a compiled script may get the engine's Date (engine/evalscript/dates.py) instead of V8's.

The engine's Date behaves as V8's in everything a script does with Dates: construct them, call their methods,
compare, subtract, print and serialise them. What differs is what reflection shows: `Date` itself as a value
(its source text, its own properties), the prototype objects, property descriptors, and
`Symbol.toStringTag`. A script gets the engine's Date only when it names none of these: `Date` is only
constructed, asked for `UTC`, `now` or `parse`, or the right side of `instanceof`; no name, property or string
literal of the script is one of REFLECTION; and nothing of the script is itself called `Date`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional

from .syntax import Node, is_reference, line, walk

NO_DATES = "no Dates"
NO_DATE_MADE_PER_PIXEL = "no Date is made per pixel"
STATICS = {"UTC", "now", "parse"}
# names through which a script could see prototypes, constructors or descriptors (as identifiers, property names
# or string keys)
REFLECTION = {
    "prototype",
    "constructor",
    "__proto__",
    "getPrototypeOf",
    "setPrototypeOf",
    "isPrototypeOf",
    "getOwnPropertyDescriptor",
    "getOwnPropertyDescriptors",
    "getOwnPropertyNames",
    "getOwnPropertySymbols",
    "ownKeys",
    "toStringTag",
    "__lookupGetter__",
    "__lookupSetter__",
}


def engine_date_blocker(tree: Node) -> Optional[str]:
    """None when the script may get the engine's Date; otherwise what keeps V8's, with its line."""
    allowed: set[int] = set()  # the Identifier nodes of `Date` in an allowed place
    for node, _ in walk(tree):
        kind = node["type"]
        if kind == "NewExpression" and _is_date(node["callee"]):
            allowed.add(id(node["callee"]))
        elif kind == "CallExpression" and node["callee"]["type"] == "MemberExpression":
            member = node["callee"]
            if (
                _is_date(member["object"])
                and not member["computed"]
                and member["property"]["type"] == "Identifier"
                and member["property"]["name"] in STATICS
            ):
                allowed.add(id(member["object"]))
        elif kind == "BinaryExpression" and node["operator"] == "instanceof" and _is_date(node["right"]):
            allowed.add(id(node["right"]))
    for node, parent in walk(tree):
        kind = node["type"]
        if kind == "Identifier":
            name = node["name"]
            if name in REFLECTION:
                return f"{name} (line {line(node)})"
            if name == "Date" and is_reference(node, parent) and id(node) not in allowed:
                if _declares(parent, node):
                    return f"something of the script's own named Date (line {line(node)})"
                return f"Date used as a value (line {line(node)})"
        elif kind == "Literal" and isinstance(node.get("value"), str) and node["value"] in REFLECTION:
            return f"the string {node['value']!r} (line {line(node)})"
        elif kind == "TemplateElement" and any(
            name in (node["value"].get("cooked") or "") for name in REFLECTION
        ):
            return f"a template naming a prototype or descriptor (line {line(node)})"
    return None


def _is_date(node: Node) -> bool:
    return node["type"] == "Identifier" and node["name"] == "Date"


def _declares(parent: Optional[Node], node: Node) -> bool:
    """Whether `node` is a name being declared (not used) where `parent` holds it."""
    if parent is None:
        return False
    kind = parent["type"]
    if kind in (
        "VariableDeclarator",
        "FunctionDeclaration",
        "FunctionExpression",
        "ClassDeclaration",
        "ClassExpression",
    ):
        return parent.get("id") is node or any(param is node for param in parent.get("params", []))
    if kind == "ArrowFunctionExpression":
        return any(param is node for param in parent["params"])
    if kind == "CatchClause":
        return parent.get("param") is node
    if kind == "AssignmentPattern":
        return parent["left"] is node
    if kind == "RestElement":
        return parent["argument"] is node
    return kind == "ArrayPattern"  # its elements are all bindings


def makes_dates(functions: Iterable[Node]) -> bool:
    """Whether any of these functions (those that run per pixel) constructs a Date: only then does the engine's
    Date pay off (a script that only reads the scenes' dates is faster with V8's, whose Dates cache their
    local fields)."""
    return any(
        node["type"] == "NewExpression" and _is_date(node["callee"])
        for function in functions
        for node, _ in walk(function)
    )
