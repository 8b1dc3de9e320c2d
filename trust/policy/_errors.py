"""`PolicyError`: a policy file that cannot be used, with every problem found in it."""

from __future__ import annotations

from collections.abc import Iterable

from trust._errors import InvalidValueError
from trust.policy._findings import Finding


class PolicyError(InvalidValueError):
    """A policy file is missing, unreadable, not TOML, or breaks the format.

    It is a `ValueError`. ``problems`` holds every problem found (rule ``"policy.*"``,
    level error), each with the file, the line and the key path, and for a misspelt name
    the nearest valid one; ``str(error)`` lists them, one per line.
    """

    def __init__(self, file: str, problems: Iterable[Finding]) -> None:
        self.file = file
        self.problems: tuple[Finding, ...] = tuple(problems)
        count = len(self.problems)
        lines = [f"{file}: {count} problem{'' if count == 1 else 's'}"]
        lines += [f"{problem.location}: {problem.message}" for problem in self.problems]
        super().__init__("\n".join(lines))


__all__ = ["PolicyError"]
