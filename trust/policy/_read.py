"""Reading a policy file: bytes, TOML, and where each key is; refused with every problem.

A file is read only if it is a regular file of at most `MAX_POLICY_BYTES` (a FIFO or a
device would hang or never end), as UTF-8, by the standard library's ``tomllib`` (which
refuses a key or table written twice). Its values may nest at most `MAX_DEPTH` deep, so
that nothing after this reads an unbounded structure.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Mapping
from typing import Any

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError
from trust.policy._errors import PolicyError
from trust.policy._findings import Finding, Level, Location
from trust.policy._locate import line_of, locate
from trust.policy._schema import KeyPath

MAX_POLICY_BYTES = 2 * 1024 * 1024
"""The largest policy file read, in bytes: a deployment's policy is kilobytes."""

MAX_DEPTH = 32
"""How deep a policy's tables and arrays may nest (``all_of`` parts included)."""

MAX_PROBLEMS = 1000
"""The most problems one `PolicyError` lists; the rest are counted."""

_AT = re.compile(r"\(at line (\d+), column \d+\)")

# What a dotted key is made of, in one linear pass: strings and comments are stepped over
# whole (their dots are not key dots), a dot extends the key, and anything that cannot be
# part of a key (``=``, ``[``, ``{``, ``,``, a newline) ends it.
_KEY_TOKENS = re.compile(
    r'''"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|#[^\n]*'''
    r"|(?P<dot>\.)|(?P<end>[^\s\w\"'.#-]|\n)",
    re.DOTALL,
)


@attrs.frozen
class Document:
    """A policy file as TOML read it: its name, its text, its data and its key lines."""

    file: str
    text: str
    data: dict[str, Any]
    lines: Mapping[KeyPath, int]


class Problems:
    """The problems found in one file, each placed on its line."""

    def __init__(self, file: str, lines: Mapping[KeyPath, int] | None = None) -> None:
        self.file = file
        self.lines: Mapping[KeyPath, int] = lines or {}
        self.found: list[Finding] = []
        self.placed: set[KeyPath] = set()
        self.dropped = 0

    def add(self, rule: str, path: KeyPath, message: str, line: int | None = None) -> None:
        """Record a problem at ``path``; one per path (the structure's, found first, wins)."""
        if path in self.placed and path:
            return
        self.placed.add(path)
        if len(self.found) >= MAX_PROBLEMS:
            self.dropped += 1
            return
        at = line_of(self.lines, path) if line is None else line
        location = Location(file=self.file, line=at, key_path=path)
        self.found.append(Finding(rule=rule, level=Level.ERROR, message=message, location=location))

    def raise_any(self) -> None:
        """Raise `PolicyError` with every problem, in the file's order, if there is one."""
        if not self.found:
            return
        found = sorted(self.found, key=lambda f: f.location.line)
        if self.dropped:
            found.append(
                Finding(
                    rule="policy.too-many-problems",
                    level=Level.ERROR,
                    message=f"{self.dropped:,} more problems (MAX_PROBLEMS shown)",
                    location=Location(file=self.file),
                )
            )
        raise PolicyError(self.file, found)


def file_name(path: object) -> str:
    """``path`` as the text findings name it.

    Raises:
        InvalidTypeError: ``path`` is neither a str nor an ``os.PathLike``.
    """
    if type(path) is not str and not isinstance(path, os.PathLike):
        raise InvalidTypeError(f"path must be a str or a Path, got {check.shown(path)}")
    return os.fsdecode(path)


def _read_at_most(descriptor: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(descriptor, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_bytes(file: str, problems: Problems) -> bytes | None:
    try:
        # Opened without blocking, then checked on the open file: a FIFO put in place
        # of the file after a stat would otherwise hold the open forever.
        descriptor = os.open(file, os.O_RDONLY | os.O_NONBLOCK)
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                problems.add("policy.file", (), f"{file} must be a regular file, got another kind")
                return None
            if info.st_size > MAX_POLICY_BYTES:
                raise OverflowError
            data = _read_at_most(descriptor, MAX_POLICY_BYTES + 1)
        finally:
            os.close(descriptor)
        if len(data) > MAX_POLICY_BYTES:
            raise OverflowError
    except OverflowError:
        problems.add(
            "policy.too-large",
            (),
            f"{file} must be at most {MAX_POLICY_BYTES:,} bytes (MAX_POLICY_BYTES), got more",
        )
        return None
    except FileNotFoundError:
        problems.add("policy.file", (), f"{file} does not exist")
        return None
    except OSError as error:
        problems.add("policy.file", (), f"{file} cannot be read: {error.strerror or error}")
        return None
    return data


def _long_key(text: str) -> int | None:
    """The line of the first dotted key or table name of more than `MAX_DEPTH` parts.

    Checked before the TOML parser runs: reading ``a.a.a...`` takes it (and the key
    locator) time and memory quadratic in the number of parts (16,000 parts in 32 KB took
    5 s and 1.2 GB), so the bound is enforced on the text, in one pass.
    """
    dots, line = 0, 1
    for token in _KEY_TOKENS.finditer(text):
        if token.lastgroup == "dot":
            dots += 1
            if dots > MAX_DEPTH:
                return line
        elif token.lastgroup == "end":
            dots = 0
            line += token.group() == "\n"
        else:
            line += token.group().count("\n")
    return None


def _too_deep(data: object) -> KeyPath | None:
    """The first key path nested deeper than `MAX_DEPTH`, or None (walked without recursion)."""
    stack: list[tuple[object, KeyPath]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return path
        if isinstance(value, dict):
            stack.extend((v, (*path, str(k))) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*path, str(i))) for i, v in enumerate(value))
    return None


def read_document(path: object) -> Document:
    """Read and parse a policy file.

    Raises:
        InvalidTypeError: ``path`` is neither a str nor a Path.
        PolicyError: The file is missing, unreadable, too large, not UTF-8, not TOML, or
            nested too deeply.
    """
    file = file_name(path)
    problems = Problems(file)
    raw = _read_bytes(file, problems)
    problems.raise_any()
    assert raw is not None  # a None was a problem
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        problems.add(
            "policy.syntax", (), f"{file} must be UTF-8 text, got byte {error.start}", line
        )
        problems.raise_any()
    long_key = _long_key(text)
    if long_key is not None:
        problems.add(
            "policy.too-deep",
            (),
            f"{file} holds a dotted key or table name of more than {MAX_DEPTH + 1} parts "
            f"(MAX_DEPTH): keys must nest at most {MAX_DEPTH} deep",
            long_key,
        )
        problems.raise_any()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = _AT.search(message)
        hint = (
            " (a key or table written twice?)"
            if "twice" in message or "overwrite" in message
            else ""
        )
        problems.add(
            "policy.syntax",
            (),
            f"{file} must be valid TOML: {message}{hint}",
            int(found.group(1)) if found else 0,
        )
        problems.raise_any()
    except RecursionError:
        problems.add("policy.syntax", (), f"{file} nests arrays or tables too deeply to read", 0)
        problems.raise_any()
    except ValueError as error:
        # tomllib converts with int(), which refuses integers of over 4,300 digits with a
        # plain ValueError rather than a TOMLDecodeError.
        problems.add("policy.syntax", (), f"{file} must be valid TOML: {error}", 0)
        problems.raise_any()
    lines = locate(text)
    deep = _too_deep(data)
    if deep is not None:
        problems.lines = lines
        problems.add(
            "policy.too-deep",
            deep[: MAX_DEPTH + 1],
            f"values must nest at most {MAX_DEPTH} deep (MAX_DEPTH), got deeper at "
            f"{'.'.join(deep[:4])}...",
        )
        problems.raise_any()
    return Document(file=file, text=text, data=data, lines=lines)


__all__ = [
    "MAX_DEPTH",
    "MAX_POLICY_BYTES",
    "MAX_PROBLEMS",
    "Document",
    "Problems",
    "file_name",
    "read_document",
]
