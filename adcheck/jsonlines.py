"""JSON Lines: one JSON value per line, shared by the table reader and document extraction."""

from __future__ import annotations

import json
from collections.abc import Iterator


class JsonLineError(ValueError):
    """A line that is not valid JSON; `number` is its 1-based line number."""

    def __init__(self, number: int, message: str) -> None:
        super().__init__(f"line {number} is not valid JSON ({message})")
        self.number = number


def json_lines(text: str) -> Iterator[tuple[int, object]]:
    """(line number, value) for each non-blank line. Lines end at "\\n" only (a "\\r" before it is
    JSON whitespace): U+2028 and the other characters `str.splitlines` breaks at may sit unescaped
    inside a JSON string."""
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise JsonLineError(number, exc.msg) from None
