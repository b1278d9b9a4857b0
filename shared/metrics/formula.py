"""Derived-metric formulas: metric keys, numbers, + - * / and parentheses.

Parsed once at write time (errors carry their position), evaluated per bucket over
aggregated values: `ctr = clicks / impressions` is the ratio of the sums, never an
average of ratios. Division by zero, or a missing input, gives None, not an error.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation
from functools import lru_cache
from typing import Union

_TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<key>[a-z][a-z0-9_]*)|(?P<op>[-+*/()]))")


class FormulaError(ValueError):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Number:
    value: Decimal


@dataclass(frozen=True)
class Ref:
    key: str
    position: int


@dataclass(frozen=True)
class BinOp:
    op: str
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Neg:
    operand: "Expr"


Expr = Union[Number, Ref, BinOp, Neg]  # noqa: UP007 - a recursive alias


def _tokens(text: str) -> list[tuple[str, str, int]]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            offset = len(text[position:]) - len(text[position:].lstrip())
            raise FormulaError(f"unexpected '{text[position + offset]}'", position + offset)
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    tokens.append(("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.index]

    def take(self) -> tuple[str, str, int]:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expression(self) -> Expr:
        node = self.term()
        while self.peek()[1] in ("+", "-") and self.peek()[0] == "op":
            op = self.take()[1]
            node = BinOp(op, node, self.term())
        return node

    def term(self) -> Expr:
        node = self.factor()
        while self.peek()[1] in ("*", "/") and self.peek()[0] == "op":
            op = self.take()[1]
            node = BinOp(op, node, self.factor())
        return node

    def factor(self) -> Expr:
        kind, value, position = self.take()
        if kind == "number":
            return Number(Decimal(value))
        if kind == "key":
            return Ref(value, position)
        if kind == "op" and value == "-":
            return Neg(self.factor())
        if kind == "op" and value == "(":
            node = self.expression()
            closing = self.take()
            if closing[1] != ")":
                raise FormulaError("expected ')'", closing[2])
            return node
        if kind == "end":
            raise FormulaError("the formula ends too early", position)
        raise FormulaError(f"unexpected '{value}'", position)


@lru_cache(maxsize=4096)  # expressions are immutable; series evaluate them per period
def parse(text: str) -> Expr:
    parser = _Parser(text)
    node = parser.expression()
    kind, value, position = parser.peek()
    if kind != "end":
        raise FormulaError(f"unexpected '{value}'", position)
    return node


def references(node: Expr) -> list[Ref]:
    if isinstance(node, Ref):
        return [node]
    if isinstance(node, BinOp):
        return references(node.left) + references(node.right)
    if isinstance(node, Neg):
        return references(node.operand)
    return []


def evaluate(node: Expr, values: dict[str, Decimal | None]) -> Decimal | None:
    """The value for one bucket, from aggregated inputs; None when it cannot be computed."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Ref):
        return values.get(node.key)
    if isinstance(node, Neg):
        operand = evaluate(node.operand, values)
        return None if operand is None else -operand
    left, right = evaluate(node.left, values), evaluate(node.right, values)
    if left is None or right is None:
        return None
    try:
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        return left / right
    except (DivisionByZero, InvalidOperation):
        return None
