"""Which line of a TOML file holds a key path: ``tomllib`` gives values, not positions.

`locate` scans the text of a file ``tomllib`` has already accepted and records the line
where each key path first appears: table headers (``[agents.researcher]``), arrays of
tables (``[[delegations]]``, numbered from 0 as the parsed list is), dotted keys
(``constraints.cost_limit = 1``), inline tables (``{ mode = "none" }``) and array items
(numbered from 0). Strings, multi-line strings and comments are skipped as TOML reads
them, so a ``[`` inside a string is no header.

The scan is iterative (no nesting is too deep for it) and never raises: on text it does
not follow it keeps what it has found, and `line_of` answers with the nearest enclosing
key that it did place (0 when none).
"""

from __future__ import annotations

import bisect
import contextlib
import re
from collections.abc import Mapping

from trust.policy._schema import KeyPath

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}
_SPACE = " \t\r"
DEEPEST = 64
"""Key paths are placed down to this depth (the loader's `MAX_DEPTH` is less)."""


class _Stop(Exception):
    """The text is not what the scanner follows: keep what was found."""


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
        self.lines: dict[KeyPath, int] = {}

    def line(self, at: int) -> int:
        return bisect.bisect_right(self.starts, at)

    def record(self, path: KeyPath, at: int) -> None:
        self.lines.setdefault(path, self.line(at))

    def peek(self, ahead: int = 0) -> str:
        index = self.at + ahead
        return self.text[index] if index < len(self.text) else ""

    def skip_space(self, newlines: bool = False) -> None:
        """Skip blanks (and newlines and comments, when ``newlines``)."""
        text, size = self.text, len(self.text)
        while self.at < size:
            char = text[self.at]
            if char in _SPACE or (newlines and char == "\n"):
                self.at += 1
            elif newlines and char == "#":
                end = text.find("\n", self.at)
                self.at = size if end < 0 else end
            else:
                return

    def skip_line(self) -> None:
        end = self.text.find("\n", self.at)
        self.at = len(self.text) if end < 0 else end + 1

    def string(self) -> str:
        """Read one string (any of TOML's four kinds) and return its text."""
        text, at = self.text, self.at
        for quote in ('"""', "'''"):
            if text.startswith(quote, at):
                end = at + 3
                while True:
                    end = text.find(quote, end)
                    if end < 0:
                        raise _Stop
                    if quote == '"""' and _escaped(text, end):
                        end += 1
                        continue
                    break
                # Up to two more quotes belong to the content (``""""`` ends with one).
                close = end + 3
                while close < len(text) and text[close] == quote[0] and close - end < 5:
                    close += 1
                self.at = close
                return text[at + 3 : close - 3]
        quote = text[at]
        end = at + 1
        while True:
            if end >= len(text) or text[end] == "\n":
                raise _Stop
            if text[end] == quote and not (quote == '"' and _escaped(text, end)):
                break
            end += 1
        self.at = end + 1
        body = text[at + 1 : end]
        return _unescape(body) if quote == '"' else body

    def key(self) -> list[str]:
        """A dotted key: ``a."b c".d``."""
        parts = []
        while True:
            self.skip_space()
            char = self.peek()
            if char in ('"', "'"):
                parts.append(self.string())
            else:
                match = _BARE.match(self.text, self.at)
                if match is None:
                    raise _Stop
                parts.append(match.group())
                self.at = match.end()
            self.skip_space()
            if self.peek() != ".":
                return parts
            self.at += 1

    def header(self, arrays: dict[KeyPath, int]) -> KeyPath:
        """A ``[table]`` or ``[[array]]`` header; returns the table's path."""
        double = self.text.startswith("[[", self.at)
        self.at += 2 if double else 1
        keys = self.key()
        self.at += 2 if double else 1
        start = self.starts[self.line(self.at) - 1]
        resolved: KeyPath = ()
        for index, key in enumerate(keys):
            resolved = (*resolved, key)
            self.record(resolved, start)
            last = index == len(keys) - 1
            if last and double:
                arrays[resolved] = arrays.get(resolved, -1) + 1
            if resolved in arrays:
                resolved = (*resolved, str(arrays[resolved]))
                self.record(resolved, start)
        return resolved

    def value(self, path: KeyPath) -> None:
        """One value at ``path``; arrays and inline tables on an explicit stack."""
        stack: list[tuple[str, KeyPath, int]] = []  # (kind, path, next array index)
        while True:
            self.skip_space(newlines=bool(stack))
            char = self.peek()
            if char == "[":
                self.at += 1
                stack.append(("array", path, 0))
            elif char == "{":
                self.at += 1
                stack.append(("table", path, 0))
            elif char in ('"', "'"):
                self.string()
            else:
                while self.peek() not in ("", ",", "]", "}", "\n", "#"):
                    self.at += 1
            # After a value (or an opening bracket): close what ends, find the next item.
            while stack:
                self.skip_space(newlines=True)
                kind, where, count = stack[-1]
                char = self.peek()
                if char == ",":
                    self.at += 1
                    self.skip_space(newlines=True)
                    char = self.peek()
                if char in ("]", "}"):
                    self.at += 1
                    stack.pop()
                    continue
                if char == "":
                    raise _Stop
                if len(where) >= DEEPEST:
                    # Placed no deeper: the loader refuses such nesting anyway, and paths
                    # growing with the depth would make the scan quadratic.
                    path = where
                    if kind == "table":
                        self.assignment(where)
                elif kind == "array":
                    path = (*where, str(count))
                    self.record(path, self.at)
                    stack[-1] = (kind, where, count + 1)
                else:
                    path = self.assignment(where)
                break
            if not stack:
                return

    def assignment(self, table: KeyPath) -> KeyPath:
        """``key = ``: records each prefix of the dotted key; returns the value's path."""
        start = self.at
        path = table
        for key in self.key():
            path = (*path, key)
            self.record(path, start)
        if self.peek() != "=":
            raise _Stop
        self.at += 1
        return path

    def scan(self) -> None:
        arrays: dict[KeyPath, int] = {}
        table: KeyPath = ()
        while True:
            self.skip_space(newlines=True)
            char = self.peek()
            if char == "":
                return
            if char == "[":
                table = self.header(arrays)
                self.skip_line()
                continue
            self.value(self.assignment(table))


def _escaped(text: str, at: int) -> bool:
    """Whether the character at ``at`` follows an odd number of backslashes."""
    count = 0
    while at - count - 1 >= 0 and text[at - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _unescape(body: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "uU":
            try:
                return chr(int(code[1:], 16))
            except ValueError:
                return match.group()
        return _ESCAPES.get(code, match.group())

    return re.sub(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", one, body)


def locate(text: str) -> dict[KeyPath, int]:
    """The line (1-based) where each key path of ``text`` first appears."""
    scanner = _Scanner(text)
    with contextlib.suppress(_Stop, IndexError):
        scanner.scan()
    return scanner.lines


def line_of(lines: Mapping[KeyPath, int], path: KeyPath) -> int:
    """The line of ``path``, or of its nearest enclosing key that has one; 0 if none."""
    for end in range(len(path), 0, -1):
        found = lines.get(path[:end])
        if found is not None:
            return found
    return 0


__all__ = ["line_of", "locate"]
