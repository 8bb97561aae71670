"""The subset of the XLSForm (XPath) expression language evaluated on the server: ``relevant``,
``constraint`` and ``required`` of a question.

What is understood (anything else is refused when the form is loaded, with its sheet, row and column):

- ``${name}`` (another question's answer), ``.`` (this question's answer in a constraint);
- numbers (``3``, ``2.5``) and strings in single or double quotes;
- comparisons ``=  !=  <  <=  >  >=``, arithmetic ``+  -  *  div  mod``, parentheses;
- ``and``, ``or``, ``not(…)``, ``true()``, ``false()``;
- ``selected(${q}, 'value')``, ``count-selected(${q})``, ``string-length(…)``.

Values follow XPath 1.0: an answer is a string (a ``select_multiple`` answer is its values separated by
spaces; an unanswered or skipped question is the empty string); a comparison with a number compares numbers
(the empty string is NaN, so ``${n} > 3`` is false while ``${n}`` is unanswered); a string is true when it is
not empty, a number when it is neither 0 nor NaN.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Expression", "ExpressionError", "parse", "truthy"]

Value = str | float | bool

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<ref>\$\{(?P<refname>[A-Za-z_][A-Za-z0-9_.\-]*)\})
    | (?P<number>\d+(?:\.\d*)?|\.\d+)
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<op><=|>=|!=|=|<|>|\+|-|\*|\(|\)|,)
    | (?P<dot>\.)
    | (?P<name>[A-Za-z_][A-Za-z0-9_\-]*)
    )""",
    re.VERBOSE,
)

#: function name -> (smallest, largest number of arguments)
FUNCTIONS: dict[str, tuple[int, int]] = {
    "selected": (2, 2),
    "count-selected": (1, 1),
    "string-length": (1, 1),
    "not": (1, 1),
    "true": (0, 0),
    "false": (0, 0),
}
_KEYWORDS = {"and", "or", "div", "mod"}


class ExpressionError(ValueError):
    """An expression outside the supported subset, or not an expression at all."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ExpressionError(f"cannot read {text[position:].strip()[:20]!r}")
        position = match.end()
        if match.group("ref"):
            found.append(_Token("ref", match.group("refname")))
        elif match.group("number"):
            found.append(_Token("number", match.group("number")))
        elif match.group("string"):
            found.append(_Token("string", match.group("string")[1:-1]))
        elif match.group("op"):
            found.append(_Token("op", match.group("op")))
        elif match.group("dot"):
            found.append(_Token("dot", "."))
        else:
            found.append(_Token("name", match.group("name")))
    return found


Node = tuple  # ("num", x) | ("str", s) | ("ref", name) | ("dot",) | ("call", name, args) | ("bin", op, a, b)


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, kind: str, text: str | None = None) -> _Token | None:
        token = self.peek()
        if token is not None and token.kind == kind and (text is None or token.text == text):
            self.i += 1
            return token
        return None

    def expect(self, kind: str, text: str) -> None:
        if self.take(kind, text) is None:
            got = self.peek()
            raise ExpressionError(f"expected {text!r}, found {got.text if got else 'the end'!r}")

    def binary(self, ops: set[str], kind: str, lower: Callable[[], Node]) -> Node:
        node = lower()
        while (token := self.peek()) is not None and token.kind == kind and token.text in ops:
            self.i += 1
            node = ("bin", token.text, node, lower())
        return node

    def expression(self) -> Node:
        return self.binary({"or"}, "name", self.conjunction)

    def conjunction(self) -> Node:
        return self.binary({"and"}, "name", self.comparison)

    def comparison(self) -> Node:
        node = self.additive()
        token = self.peek()
        if token is not None and token.kind == "op" and token.text in {"=", "!=", "<", "<=", ">", ">="}:
            self.i += 1
            node = ("bin", token.text, node, self.additive())
            following = self.peek()
            if following is not None and following.kind == "op" and following.text in {"=", "!=", "<", ">"}:
                raise ExpressionError("chained comparisons are not supported: join them with 'and'")
        return node

    def additive(self) -> Node:
        return self.binary({"+", "-"}, "op", self.multiplicative)

    def multiplicative(self) -> Node:
        node = self.unary()
        while (token := self.peek()) is not None and (
            (token.kind == "op" and token.text == "*")
            or (token.kind == "name" and token.text in {"div", "mod"})
        ):
            self.i += 1
            node = ("bin", token.text, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.take("op", "-"):
            return ("bin", "-", ("num", 0.0), self.unary())
        return self.primary()

    def primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise ExpressionError("the expression ends too early")
        self.i += 1
        if token.kind == "number":
            return ("num", float(token.text))
        if token.kind == "string":
            return ("str", token.text)
        if token.kind == "ref":
            return ("ref", token.text)
        if token.kind == "dot":
            return ("dot",)
        if token.kind == "op" and token.text == "(":
            node = self.expression()
            self.expect("op", ")")
            return node
        if token.kind == "name" and token.text not in _KEYWORDS:
            if token.text not in FUNCTIONS:
                raise ExpressionError(f"the function or name {token.text!r} is not supported")
            self.expect("op", "(")
            args: list[Node] = []
            if not self.take("op", ")"):
                args.append(self.expression())
                while self.take("op", ","):
                    args.append(self.expression())
                self.expect("op", ")")
            low, high = FUNCTIONS[token.text]
            if not low <= len(args) <= high:
                raise ExpressionError(f"{token.text}() takes {low} argument(s), not {len(args)}")
            return ("call", token.text, tuple(args))
        raise ExpressionError(f"unexpected {token.text!r}")


def _number(value: Value) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    try:
        return float(value.strip()) if value.strip() else math.nan
    except ValueError:
        return math.nan


def _string(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else (str(int(value)) if value.is_integer() else repr(value))
    return value


def truthy(value: Value) -> bool:
    """XPath's boolean(): a non-empty string, a number other than 0 and NaN."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    return value != ""


def _compare(op: str, a: Value, b: Value) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        x, y = truthy(a), truthy(b)
        return {"=": x == y, "!=": x != y}.get(op, False) if op in {"=", "!="} else _order(op, x, y)
    if isinstance(a, float) or isinstance(b, float) or op not in {"=", "!="}:
        p, q = _number(a), _number(b)
        if math.isnan(p) or math.isnan(q):
            return op == "!="
        return _order(op, p, q)
    return (a == b) if op == "=" else (a != b)


def _order(op: str, x: float | bool, y: float | bool) -> bool:
    return {"=": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text, the questions it refers to and whether it uses ``.``."""

    text: str
    tree: Node
    references: frozenset[str]
    uses_dot: bool

    def evaluate(self, answers: Mapping[str, str], *, current: str = "") -> Value:
        """The value with ``answers`` (question name -> answer as a string; missing is empty) and ``current``
        as ``.``."""
        return _evaluate(self.tree, answers, current)

    def holds(self, answers: Mapping[str, str], *, current: str = "") -> bool:
        return truthy(self.evaluate(answers, current=current))


def _evaluate(node: Node, answers: Mapping[str, str], current: str) -> Value:
    kind = node[0]
    if kind == "num":
        return float(node[1])
    if kind == "str":
        return str(node[1])
    if kind == "ref":
        return answers.get(node[1], "")
    if kind == "dot":
        return current
    if kind == "call":
        name, args = node[1], [_evaluate(a, answers, current) for a in node[2]]
        if name == "selected":
            return _string(args[1]).strip() in _string(args[0]).split()
        if name == "count-selected":
            return float(len(_string(args[0]).split()))
        if name == "string-length":
            return float(len(_string(args[0])))
        if name == "not":
            return not truthy(args[0])
        return name == "true"
    op, left, right = node[1], node[2], node[3]
    if op == "and":
        return truthy(_evaluate(left, answers, current)) and truthy(_evaluate(right, answers, current))
    if op == "or":
        return truthy(_evaluate(left, answers, current)) or truthy(_evaluate(right, answers, current))
    a, b = _evaluate(left, answers, current), _evaluate(right, answers, current)
    if op in {"=", "!=", "<", "<=", ">", ">="}:
        return _compare(op, a, b)
    x, y = _number(a), _number(b)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if y == 0 or math.isnan(y):
        return math.nan
    return x / y if op == "div" else math.fmod(x, y)


def _walk(node: Node, refs: set[str]) -> bool:
    kind = node[0]
    if kind == "ref":
        refs.add(node[1])
        return False
    if kind == "dot":
        return True
    if kind == "call":
        return any([_walk(a, refs) for a in node[2]])
    if kind == "bin":
        return any([_walk(node[2], refs), _walk(node[3], refs)])
    return False


@lru_cache(maxsize=1024)
def parse(text: str) -> Expression:
    """Parse ``text`` (:class:`ExpressionError` when it is outside the subset); parsed once per text."""
    if not text.strip():
        raise ExpressionError("the expression is empty")
    parser = _Parser(_tokens(text))
    tree = parser.expression()
    rest = parser.peek()
    if rest is not None:
        raise ExpressionError(f"unexpected {rest.text!r} after the expression")
    refs: set[str] = set()
    uses_dot = _walk(tree, refs)
    return Expression(text=text, tree=tree, references=frozenset(refs), uses_dot=uses_dot)
