"""Directed graphs: what the task schedule and the metric formulas both need."""

from collections.abc import Hashable
from typing import TypeVar

H = TypeVar("H", bound=Hashable)


def find_cycle(edges: list[tuple[H, H]]) -> list[H] | None:
    """A cycle among `edges` as [a, b, ..., a], or None."""
    successors: dict[H, list[H]] = {}
    for a, b in edges:
        successors.setdefault(a, []).append(b)
    white, grey, black = 0, 1, 2
    colour: dict[H, int] = {}
    for root in list(successors):
        if colour.get(root, white) != white:
            continue
        stack: list[tuple[H, int]] = [(root, 0)]
        path: list[H] = []
        while stack:
            node, index = stack.pop()
            if index == 0:
                colour[node] = grey
                path.append(node)
            children = successors.get(node, [])
            if index < len(children):
                stack.append((node, index + 1))
                child = children[index]
                state = colour.get(child, white)
                if state == grey:
                    return [*path[path.index(child) :], child]
                if state == white:
                    stack.append((child, 0))
            else:
                colour[node] = black
                path.pop()
    return None
