"""Where an audit log's entries also go: a callable, or a file of JSON lines."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from trust.audit._entry import AuditEntry

AuditSink = Callable[[AuditEntry], object]
"""Called with every entry as it is recorded."""


class JsonLinesSink:
    """Appends each entry as one line of canonical JSON to a file, flushed at once."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def __call__(self, entry: AuditEntry) -> None:
        line = entry.to_json() + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line)
            out.flush()

    def __repr__(self) -> str:
        return f"JsonLinesSink({str(self.path)!r})"
