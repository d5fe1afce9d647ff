"""Trees stored as (id, parent id) rows: units under units, satker under satker."""
from __future__ import annotations

from collections.abc import Iterable


def descendants(edges: Iterable[tuple[int, int | None]], root: int) -> set[int]:
    """The ids under ``root`` (children, their children...), not ``root`` itself; safe against a cycle."""
    children: dict[int | None, list[int]] = {}
    for node, parent in edges:
        children.setdefault(parent, []).append(node)
    out: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in out:
                out.add(child)
                stack.append(child)
    return out
