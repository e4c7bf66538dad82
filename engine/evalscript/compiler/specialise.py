"""Rewrites evaluatePixel (and the script's functions it hands samples to) to read band planes directly.

The per-pixel path builds, for every pixel, an object per sample ({B04: …, B08: …}) in an array and calls
evaluatePixel with it. The specialised copy never builds them: `samples[i].B04` reads the Float32Array of
B04 at (i × pixels + pixel), `samples.length` is the sample count, and a sample handed to the script's
own function (`isValid(samples[i])`) travels as its index into a copy of that function rewritten the same
way. Everything else in the script's text is kept character for character, so its numerics, Dates, arrays
and side effects are V8's own, in the same order: the result is the per-pixel path's, bit for bit.

A value that stands for a sample ("a sample reference") is its index, a number, when the index is in
range; for any other index the reference wraps what the per-pixel array would hold there (`{v: …}`), and
reading it goes through the real sample objects, so errors and odd indices behave as before. A reference
may only be read (`.B04`, `[band]`), handed to a function that is specialised in turn, or kept in a local
that is never reassigned: any other use (compared, returned, stored, used in a nested function, a method
called on it, …) makes the whole script fall back to the per-pixel path, and `Unsupported` names it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Optional, Union

from .syntax import (
    FUNCTIONS,
    Node,
    Splicer,
    declared_names,
    is_reference,
    line,
    pattern_names,
    walk,
    write_target,
)

ARRAY, REF = "samples", "sample"  # what a tracked name holds: the samples array, or one sample
BINARY_HELPERS = {
    "<": "__tw_lt",
    "<=": "__tw_le",
    ">": "__tw_gt",
    ">=": "__tw_ge",
    "-": "__tw_sub",
    "*": "__tw_mul",
    "/": "__tw_div",
    "%": "__tw_mod",
}
UNARY_HELPERS = {"-": "__tw_neg", "+": "__tw_pos"}
# Reading a property twice is harmless unless a getter or a proxy runs code: scripts that may make either
# are not compiled (the operator helpers read @@toPrimitive and valueOf before the operator reads them again)
ACCESSOR_MAKERS = {
    "Proxy",
    "Reflect",
    "defineProperty",
    "defineProperties",
    "__defineGetter__",
    "__defineSetter__",
    "setPrototypeOf",
    "__proto__",
    "create",
}
WRITES = ("AssignmentExpression", "UpdateExpression")


class Unsupported(Exception):
    """A construct the specialiser does not handle; the script runs per pixel. The message names it."""

    def __init__(self, construct: str, node: Optional[Node] = None):
        where = f" (line {line(node)})" if node is not None and line(node) else ""
        super().__init__(f"{construct}{where}")


@dataclass
class _Function:
    """A top-level function of the script: a declaration, or a `var/let/const` bound to a function."""

    name: str
    node: Node  # the FunctionDeclaration, FunctionExpression or ArrowFunctionExpression


@dataclass
class Program:
    """What the specialiser needs to know about the whole script."""

    tree: Node
    functions: dict[str, _Function]
    strict: bool
    # the script makes Dates or reads scenes' dates: only then are operators worth their helpers (they are
    # exact either way; on plain numbers they cost a little)
    uses_dates: bool = False

    @classmethod
    def of(cls, tree: Node) -> Program:
        functions: dict[str, list[_Function]] = {}
        top_names: dict[str, int] = {}
        for statement in tree["body"]:
            if statement["type"] == "FunctionDeclaration":
                name = statement["id"]["name"]
                functions.setdefault(name, []).append(_Function(name, statement))
                top_names[name] = top_names.get(name, 0) + 1
            elif statement["type"] == "VariableDeclaration":
                for declarator in statement["declarations"]:
                    if declarator["id"]["type"] != "Identifier":
                        continue
                    name = declarator["id"]["name"]
                    top_names[name] = top_names.get(name, 0) + 1
                    init = declarator.get("init")
                    if init is not None and init["type"] in FUNCTIONS:
                        functions.setdefault(name, []).append(_Function(name, init))
        written: set[str] = set()
        uses_dates = False
        for node, _ in walk(tree):
            kind = node["type"]
            if kind == "Identifier" and node["name"] in ("Date", "date"):
                uses_dates = True
            if kind == "WithStatement":
                raise Unsupported("a with statement", node)
            if kind == "Identifier" and node["name"] == "eval":
                raise Unsupported("eval", node)
            if kind == "Identifier" and node["name"] in ACCESSOR_MAKERS:
                raise Unsupported(f"{node['name']} (it may define getters)", node)
            if kind in ("Property", "MethodDefinition") and node.get("kind") in ("get", "set"):
                raise Unsupported("a getter or setter", node)
            target = write_target(node)
            if target is not None and target["type"] == "Identifier":
                written.add(target["name"])
        # a name declared once at the top level, bound to a function and never assigned: its calls are its own
        unique = {
            name: found[0]
            for name, found in functions.items()
            if len(found) == 1 and top_names.get(name) == 1 and name not in written
        }
        body = tree["body"]
        strict = bool(body) and body[0].get("directive") == "use strict"
        return cls(tree, unique, strict, uses_dates)


@dataclass(frozen=True)
class InlineReturn:
    """A `return` of evaluatePixel's body: its value, and an array literal's elements (each one expression)."""

    value: Optional[str]  # None: `return;`
    elements: Optional[tuple[str, ...]] = None


@dataclass(frozen=True)
class InlineBody:
    """evaluatePixel's specialised body, to run inside the pixel loop itself instead of being called per pixel.

    The loop binds the parameters and resets the body's `var`s for every pixel, as a call would, and puts its
    own code for each `return` (kernel.py). V8 then keeps the band planes in registers.
    """

    params: tuple[str, ...]  # evaluatePixel's parameter names
    var_names: tuple[str, ...]  # the body's `var`s (not parameters): undefined again at every pixel
    parts: tuple[Union[str, InlineReturn], ...]  # the body, `{ … }`: text, and its returns in between


@dataclass
class Specialised:
    """The rewritten functions, as JavaScript to evaluate inside the kernel's closure."""

    evaluate_pixel: str  # the name of the specialised evaluatePixel in `code`
    code: str
    samples: bool = True  # sample reads specialised to band planes; else evaluatePixel gets sample objects
    inline: Optional[InlineBody] = None  # with `samples`: the body for the pixel loop, when it can go there
    # the script's functions that run per pixel (evaluatePixel and its callees)
    functions: tuple[str, ...] = ()


class Specialiser:
    def __init__(
        self, source: str, program: Program, bands: tuple[str, ...], simple: bool, samples: bool = True
    ):
        self.splicer = Splicer(source)
        self.program = program
        self.bands = {band: index for index, band in enumerate(bands)}
        self.simple = simple
        self.samples = samples  # read band planes for samples (else evaluatePixel gets the sample objects)
        self._done: dict[tuple[str, tuple[tuple[int, str], ...]], str] = {}
        self._code: list[str] = []

    def run(self) -> Specialised:
        evaluate = self.program.functions.get("evaluatePixel")
        if evaluate is None:
            raise Unsupported(
                "evaluatePixel is not a function declared once at the top level and never reassigned"
            )
        params = evaluate.node["params"]
        if params and params[0]["type"] != "Identifier":
            raise Unsupported("samples destructured in evaluatePixel's parameters", evaluate.node)
        tracked = {0: REF if self.simple else ARRAY} if params and self.samples else {}
        name = self._specialise(evaluate, tracked, entry=True)
        code = "\n".join(self._code)  # rendered before the inline body adds its own edits
        inline = self._inline_body(evaluate.node) if self.samples else None
        functions = tuple(dict.fromkeys(function for function, _ in self._done))
        return Specialised(name, code, self.samples, inline, functions)

    def _inline_body(self, function: Node) -> Optional[InlineBody]:
        """evaluatePixel's body for the pixel loop, or None when a call is still needed: a nested function
        (it would share the loop's variables), `this`, `arguments`, `new.target`, or parameters that are
        not plain names."""
        body = function["body"]
        if function["type"] == "ArrowFunctionExpression" or body["type"] != "BlockStatement":
            return None
        params = function["params"]
        if any(param["type"] != "Identifier" for param in params):
            return None
        if any(statement.get("directive") == "use strict" for statement in body["body"]):
            return None  # strict on its own: the loop has the script's strictness
        var_names: list[str] = []
        for current, parent in walk(body, function):
            kind = current["type"]
            if kind in FUNCTIONS or kind in ("ClassDeclaration", "ClassExpression", "ThisExpression"):
                return None
            if kind == "MetaProperty" or (
                kind == "Identifier" and current["name"] == "arguments" and is_reference(current, parent)
            ):
                return None
            if kind == "VariableDeclaration" and current["kind"] == "var":
                for declarator in current["declarations"]:
                    var_names.extend(pattern_names(declarator["id"]))
        if "\x00" in self.splicer.source:
            return None  # the markers below are NULs
        # each return becomes a marker the loop fills in (it stores an array literal's elements directly)
        nonce = secrets.token_hex(8)
        returns: list[InlineReturn] = []
        for current, _ in walk(body, function):
            if current["type"] == "ReturnStatement":
                self.splicer.replace(current, f"\x00{nonce}{len(returns)}\x00")
                returns.append(self._inline_return(current.get("argument")))
        pieces = self.splicer.render_node(body).split("\x00")
        parts: list[object] = []
        for k, piece in enumerate(pieces):
            parts.append(returns[int(piece[len(nonce) :])] if k % 2 else piece)
        names = tuple(param["name"] for param in params)
        kept = tuple(dict.fromkeys(name for name in var_names if name not in names))
        return InlineBody(names, kept, tuple(parts))

    def _inline_return(self, value: Optional[Node]) -> InlineReturn:
        if value is None:
            return InlineReturn(None)
        if value["type"] == "ArrayExpression" and all(
            element is not None and element["type"] != "SpreadElement" for element in value["elements"]
        ):
            return InlineReturn(
                self.splicer.render_node(value),
                tuple(self.splicer.render_node(element) for element in value["elements"]),
            )
        return InlineReturn(self.splicer.render_node(value))

    # --- one function ------------------------------------------------------------------------------------

    def _specialise(self, function: _Function, tracked: dict[int, str], entry: bool = False) -> str:
        key = (function.name, tuple(sorted(tracked.items())))
        if key in self._done:
            return self._done[key]
        name = f"__tw_s{len(self._done)}_{function.name}"
        self._done[key] = name  # before the body: recursion calls the specialised copy
        node = function.node
        if node.get("async") or node.get("generator"):
            raise Unsupported(f"{function.name} is async or a generator", node)
        params = node["params"]
        names: dict[str, str] = {}
        for index, kind in tracked.items():
            if index >= len(params):
                raise Unsupported(f"a sample passed to {function.name} beyond its parameters", node)
            param = params[index]
            if param["type"] != "Identifier":
                raise Unsupported(
                    f"a sample bound to a pattern or default in {function.name}'s parameters", param
                )
            names[param["name"]] = kind
        # the SIMPLE sample in evaluatePixel itself is sample 0: rewritten to the constant
        constant = {params[0]["name"]} if entry and self.simple and params else set()
        self._rewrite(function, names, constant)
        if node["type"] == "FunctionDeclaration":
            header_end = node["id"]["end"]
            head = self.splicer.text(node["start"], node["id"]["start"])
            text = head + name + self.splicer.render(header_end, node["end"])
            self._code.append(text)
        else:
            self._code.append(f"var {name} = {self.splicer.render_node(node)};")
        return name

    def _rewrite(self, function: _Function, names: dict[str, str], constant: set[str]) -> None:
        node = function.node
        tracked: dict[str, str] = {}
        if names:
            aliases = self._aliases(node, names)
            tracked = {**names, **{alias: REF for alias in aliases}}
            # a parameter declared again in the body may be another variable in some block
            again = declared_names({"params": [], "body": node["body"]}) & set(names)
            if again:
                raise Unsupported(f"{sorted(again)[0]!r} declared again in {function.name}", node)
            for current, parent in walk(node["body"], node):
                kind = current["type"]
                if kind == "Identifier" and current["name"] == "arguments" and is_reference(current, parent):
                    raise Unsupported(f"arguments in {function.name}, which receives samples", current)
                if current is not node and kind in FUNCTIONS:
                    inner = declared_names(current)
                    for used, used_parent in walk(current["body"], current):
                        if (
                            used["type"] == "Identifier"
                            and used["name"] in tracked
                            and used["name"] not in inner
                            and is_reference(used, used_parent)
                        ):
                            raise Unsupported(f"{used['name']!r} used inside a nested function", used)
            self._visit(node["body"], node, tracked, constant)
        if self.program.uses_dates:
            self._operators(node)
        self._calls(node)

    def _operators(self, function: Node) -> None:
        """Relational and arithmetic operators through helpers that convert Dates without V8's slow path.

        `a < b` converts both operands with ToPrimitive(number); for a Date whose @@toPrimitive and valueOf
        are the originals that is its time value, which the helper reads directly (exact, and 4× faster on
        the tutorial's date searches); everything else is left to the operator itself.
        """
        for current, _ in walk(function["body"], function):
            kind = current["type"]
            if kind == "BinaryExpression" and current["operator"] in BINARY_HELPERS:
                left, right = current["left"], current["right"]
                if self._plain_number(left) or self._plain_number(right):
                    continue  # a Date against a number literal or a band is rare: not worth the helper there
                helper = BINARY_HELPERS[current["operator"]]
                self.splicer.replace(current, f"{helper}(", left, ", ", right, ")")
            elif kind == "UnaryExpression" and current["operator"] in UNARY_HELPERS:
                if self._plain_number(current["argument"]):
                    continue
                self.splicer.replace(
                    current, f"{UNARY_HELPERS[current['operator']]}(", current["argument"], ")"
                )

    def _plain_number(self, node: Node) -> bool:
        """A number literal, or a band read from the planes (what the specialiser rewrote a sample read into)."""
        if _number_literal(node):
            return True
        return node["type"] == "MemberExpression" and (node["start"], node["end"]) in self.splicer.edits

    def _calls(self, function: Node) -> None:
        """Calls of the script's own functions go to their compiled copies (operators rewritten there too)."""
        local = declared_names(function)
        for current, _ in walk(function["body"], function):
            if current["type"] in FUNCTIONS:
                local |= declared_names(current)
        for current, _ in walk(function["body"], function):
            if current["type"] != "CallExpression" or current["callee"]["type"] != "Identifier":
                continue
            callee = current["callee"]
            target = self.program.functions.get(callee["name"])
            if (
                target is None
                or callee["name"] in local
                or (callee["start"], callee["end"]) in self.splicer.edits
            ):
                continue  # not the script's, shadowed here, or already a specialised call
            self.splicer.replace(callee, self._specialise(target, {}))

    def _aliases(self, node: Node, names: dict[str, str]) -> set[str]:
        """Locals that only ever hold a sample: every declarator of theirs reads one, and nothing assigns them."""
        declarators: dict[str, list[Node]] = {}
        written: set[str] = set()  # assigned in this function (nested functions that do so are refused)
        for current, _ in walk(node["body"], node):
            kind = current["type"]
            if kind == "VariableDeclarator" and current["id"]["type"] == "Identifier":
                declarators.setdefault(current["id"]["name"], []).append(current)
            target = write_target(current)
            if target is not None:
                written.update(pattern_names(target) if target["type"] != "MemberExpression" else [])
        aliases: set[str] = set()
        changed = True
        while changed:
            changed = False
            tracked = {**names, **{alias: REF for alias in aliases}}
            for name, found in declarators.items():
                if name in aliases or name in names or name in written:
                    continue
                if all(d.get("init") is not None and self._sample_of(d["init"], tracked) for d in found):
                    aliases.add(name)
                    changed = True
        return aliases

    def _sample_of(self, expression: Node, tracked: dict[str, str]) -> bool:
        """Whether an expression is one sample: `samples[e]`, or a name that holds one."""
        if expression["type"] == "Identifier":
            return tracked.get(expression["name"]) == REF
        return (
            expression["type"] == "MemberExpression"
            and expression["computed"]
            and not expression.get("optional")
            and expression["object"]["type"] == "Identifier"
            and tracked.get(expression["object"]["name"]) == ARRAY
        )

    # --- references ----------------------------------------------------------------------------------------

    def _visit(self, body: Node, function: Node, tracked: dict[str, str], constant: set[str]) -> None:
        for current, parent in walk(body, function):
            if (
                current["type"] != "Identifier"
                or current["name"] not in tracked
                or not is_reference(current, parent)
            ):
                continue
            if parent is not None and parent["type"] == "VariableDeclarator" and parent["id"] is current:
                continue  # an alias's own declaration: its initial value is checked as a use of the sample
            if self._inside_nested(current, function):
                continue  # refused above unless shadowed there
            kind = tracked[current["name"]]
            parents = self._parents(function, current)
            if kind == ARRAY:
                self._array_use(current, parents, tracked, constant)
            else:
                self._sample_use(current, parents, tracked, constant, self._ref_text(current, constant))

    def _inside_nested(self, node: Node, function: Node) -> bool:
        for current, _ in walk(function["body"], function):
            if (
                current["type"] in FUNCTIONS
                and current["start"] <= node["start"]
                and node["end"] <= current["end"]
            ):
                return True
        return False

    def _parents(self, root: Node, target: Node) -> list[Node]:
        """The chain of nodes from `target`'s parent up to `root`."""
        chain: dict[int, Optional[Node]] = {}
        for current, parent in walk(root):
            chain[id(current)] = parent
            if current is target:
                break
        out, at = [], chain.get(id(target))
        while at is not None:
            out.append(at)
            at = chain.get(id(at))
        return out

    def _ref_text(self, node: Node, constant: set[str]) -> str:
        return "0" if node["type"] == "Identifier" and node["name"] in constant else node["name"]

    def _array_use(self, node: Node, parents: list[Node], tracked, constant) -> None:
        parent = parents[0]
        name = node["name"]
        if parent["type"] == "MemberExpression" and parent["object"] is node and not parent.get("optional"):
            if self._written(parent, parents[1:]):
                raise Unsupported(f"{name} modified", parent)
            if not parent["computed"]:
                prop = parent["property"]["name"]
                if self._called(parent, parents[1:]):
                    raise Unsupported(f"{name}.{prop}()", parent)
                if prop == "length":
                    self.splicer.replace(parent, "__tw_ns")
                else:  # another property (a script's slip, e.g. samples.SCL): what any array has under that name
                    self.splicer.replace(parent, f"__tw_anArray[{json.dumps(prop)}]")
                return
            # samples[e]: one sample; by its index itself when a loop over the samples keeps that in range
            index = parent["property"]
            if index["type"] == "Identifier" and _loop_keeps_in_range(index["name"], name, parents[1:]):
                self._sample_use(parent, parents[1:], tracked, constant, None, in_range=index["name"])
            else:
                self._sample_use(parent, parents[1:], tracked, constant, None)
            return
        if parent["type"] in ("CallExpression", "NewExpression") and node in parent.get("arguments", []):
            self._passed(node, parent, tracked, constant, name)
            return
        raise Unsupported(f"{name} used as a value ({_describe(parent)})", parent)

    def _sample_use(
        self, node: Node, parents: list[Node], tracked, constant, text, in_range: Optional[str] = None
    ) -> None:
        """`node` evaluates to one sample: an Identifier that holds one, or `samples[e]`."""
        parent = parents[0]
        label = repr(node["name"]) if node["type"] == "Identifier" else "a sample"
        if in_range is not None:
            ref = [in_range]
        else:
            ref = [text] if text is not None else ["__tw_ref(", node["property"], ")"]
        if parent["type"] == "MemberExpression" and parent["object"] is node and not parent.get("optional"):
            if self._written(parent, parents[1:]) or self._called(parent, parents[1:]):
                raise Unsupported(f"{label}'s property modified or called as a method", parent)
            if not parent["computed"]:
                band = parent["property"]["name"]
                index = self.bands.get(band)
                if index is None:  # not an input band: what any sample object has under that name
                    self.splicer.replace(parent, "__tw_other(", *ref, f", {json.dumps(band)})")
                elif ref == ["0"]:
                    self.splicer.replace(parent, f"__tw_i{index}[__tw_p]")
                elif in_range is not None:
                    self.splicer.replace(parent, f"__tw_i{index}[{in_range} * __tw_n + __tw_p]")
                else:
                    self.splicer.replace(parent, f"__tw_b{index}(", *ref, ")")
            else:
                self.splicer.replace(parent, "__tw_dyn(", *ref, ", ", parent["property"], ")")
            return
        alias = parent["type"] == "VariableDeclarator" and parent.get("init") is node
        if alias and tracked.get(parent["id"]["name"]) == REF:
            if text is None or text == "0":
                self.splicer.replace(node, *ref)
            return
        if parent["type"] in ("CallExpression", "NewExpression") and node in parent.get("arguments", []):
            self._passed(node, parent, tracked, constant, label)
            return
        raise Unsupported(f"{label} used as a value ({_describe(parent)})", parent)

    def _passed(
        self, node: Node, call: Node, tracked: dict[str, str], constant: set[str], label: str
    ) -> None:
        """A sample (or the samples) handed to a function: to its specialised copy, when it has one."""
        callee = call["callee"]
        if call["type"] != "CallExpression" or callee["type"] != "Identifier":
            raise Unsupported(f"{label} passed to {_describe(callee)}", call)
        function = self.program.functions.get(callee["name"])
        if function is None:
            raise Unsupported(f"{label} passed to {callee['name']}, not a function of the script's own", call)
        kinds: dict[int, str] = {}
        for index, argument in enumerate(call["arguments"]):
            if argument["type"] == "SpreadElement":
                raise Unsupported(f"spread arguments in a call of {callee['name']}", call)
            if argument["type"] == "Identifier" and argument["name"] in tracked:
                kinds[index] = tracked[argument["name"]]
                if argument["name"] in constant:
                    self.splicer.replace(argument, "0")
            elif self._sample_of(argument, tracked):
                kinds[index] = REF
                self.splicer.replace(argument, "__tw_ref(", argument["property"], ")")
        self.splicer.replace(callee, self._specialise(function, kinds))

    def _written(self, member: Node, parents: list[Node]) -> bool:
        if not parents:
            return False
        up = parents[0]
        kind = up["type"]
        return (
            (kind in ("AssignmentExpression", "ForInStatement", "ForOfStatement") and up["left"] is member)
            or kind == "UpdateExpression"
            or (kind == "UnaryExpression" and up["operator"] == "delete")
        )

    def _called(self, member: Node, parents: list[Node]) -> bool:
        return (
            bool(parents)
            and parents[0]["type"] in ("CallExpression", "NewExpression", "TaggedTemplateExpression")
            and (parents[0].get("callee") is member or parents[0].get("tag") is member)
        )


def _loop_keeps_in_range(index: str, samples: str, parents: list[Node]) -> bool:
    """Whether `samples[index]` sits in the body of `for (var index = 0; index < samples.length; index++)` or
    `for (var index = samples.length - 1; index >= 0; index--)`, whose body never writes `index`: then it is
    an integer in [0, samples.length) there."""
    child = None
    for up in parents:
        if up["type"] in FUNCTIONS:
            return False
        if up["type"] == "ForStatement" and child is up["body"] and _canonical_loop(up, index, samples):
            return True
        child = up
    return False


def _canonical_loop(loop: Node, index: str, samples: str) -> bool:
    init, test, update = loop.get("init"), loop.get("test"), loop.get("update")
    if init is None or test is None or update is None or init["type"] != "VariableDeclaration":
        return False
    declarations = init["declarations"]
    mine = [d for d in declarations if d["id"]["type"] == "Identifier" and d["id"]["name"] == index]
    if len(mine) != 1 or mine[0].get("init") is None:
        return False
    start = mine[0]["init"]
    if update["type"] != "UpdateExpression" or not _is_name(update["argument"], index):
        return False
    counting_up = update["operator"] == "++"
    if counting_up:
        ok = (
            _number_literal(start)
            and start["value"] == 0
            and test["type"] == "BinaryExpression"
            and test["operator"] == "<"
            and _is_name(test["left"], index)
            and _is_length(test["right"], samples)
        )
    else:
        ok = (
            start["type"] == "BinaryExpression"
            and start["operator"] == "-"
            and _is_length(start["left"], samples)
            and _number_literal(start["right"])
            and start["right"]["value"] == 1
            and test["type"] == "BinaryExpression"
            and test["operator"] == ">="
            and _is_name(test["left"], index)
            and _number_literal(test["right"])
            and test["right"]["value"] == 0
        )
    if not ok:
        return False
    for node, _ in walk(loop["body"], loop):  # nothing in the body writes the index, nor captures it
        kind = node["type"]
        if kind in FUNCTIONS and any(
            used["type"] == "Identifier" and used["name"] == index for used, _ in walk(node)
        ):
            return False
        target = node["id"] if kind == "VariableDeclarator" else write_target(node)
        if target is not None and index in pattern_names(target):
            return False
    return True


def _is_name(node: Node, name: str) -> bool:
    return node["type"] == "Identifier" and node["name"] == name


def _is_length(node: Node, samples: str) -> bool:
    return (
        node["type"] == "MemberExpression"
        and not node["computed"]
        and _is_name(node["object"], samples)
        and node["property"]["type"] == "Identifier"
        and node["property"]["name"] == "length"
    )


def _number_literal(node: Node) -> bool:
    return (
        node["type"] == "Literal"
        and isinstance(node.get("value"), (int, float))
        and not isinstance(node.get("value"), bool)
    )


def _describe(node: Node) -> str:
    kind = node["type"]
    if kind == "Identifier":
        return node["name"]
    if kind == "MemberExpression" and not node["computed"] and node["property"]["type"] == "Identifier":
        return f"{_describe(node['object'])}.{node['property']['name']}"
    return {
        "BinaryExpression": "an operator",
        "LogicalExpression": "a logical operator",
        "ReturnStatement": "returned",
        "ArrayExpression": "put in an array",
        "ObjectExpression": "put in an object",
        "Property": "put in an object",
        "AssignmentExpression": "assigned",
        "IfStatement": "tested",
        "ConditionalExpression": "tested",
        "UnaryExpression": "an operator",
        "SpreadElement": "spread",
        "ForOfStatement": "iterated with for…of",
        "ForInStatement": "iterated with for…in",
        "SequenceExpression": "a comma expression",
    }.get(kind, kind)
